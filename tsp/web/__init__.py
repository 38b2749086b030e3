"""The web console: a live wallboard in a browser and, with ``--control``, a control panel (docs/web.md).

:func:`serve_web` runs it next to an :class:`tsp.server.EmulatorServer` in the same trio nursery.
"""

from tsp.web.serve import DEFAULT_WEB_ADDRESS, WebConsole, parse_web_address, serve_web

__all__ = ["serve_web", "WebConsole", "parse_web_address", "DEFAULT_WEB_ADDRESS"]
