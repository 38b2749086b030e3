"""The one switch-side error type: a request the switch (or the service in front of it) refuses.

``lineerr`` is the LINEERR_ that goes on the wire, ``message`` says what was wrong and with which value.
Where it goes - the RESPONSE (synchronous) or the LINE_REPLY's Param2 (asynchronous) - is decided by the
dispatch table (:mod:`tsp.dispatch`), not by the error: the same refusal of the model is asynchronous for
GetAgentInfo and synchronous for SetAgentSessionState. Any other exception is a bug: it propagates to the
server's one internal-error handler (:meth:`tsp.serverconn.ServerConnection.process`).
"""

from __future__ import annotations

from protocol.constants import LineErr

__all__ = ["SwitchError"]


class SwitchError(Exception):
    """A request the switch refuses; ``lineerr`` is what goes on the wire, ``message`` says why."""

    def __init__(self, lineerr: LineErr, message: str) -> None:
        super().__init__(f"{lineerr.name}: {message}")
        self.lineerr = lineerr
        self.message = message
