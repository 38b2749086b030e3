"""The one version string of the project, shared by ``protocol``, ``tsp`` and ``client``.

It is the installed distribution's version (``tapi-emulator``, set in pyproject.toml), read once from the
package metadata, so there is exactly one place to change it. Running from a source tree that was never
installed gives ``0+unknown``.
"""

from __future__ import annotations

from importlib import metadata

#: The distribution whose version this is.
DISTRIBUTION = "tapi-emulator"

try:
    __version__: str = metadata.version(DISTRIBUTION)
except metadata.PackageNotFoundError:  # pragma: no cover - a source tree without an install
    __version__ = "0+unknown"

__all__ = ["DISTRIBUTION", "__version__"]
