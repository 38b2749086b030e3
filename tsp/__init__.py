"""The TAPI service-provider emulator: an ACD switch model, its service and a trio TCP server."""

from protocol.version import __version__

__all__ = ["__version__"]
