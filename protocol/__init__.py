"""MS-TRP packets over the project's TCP framing: sans-I/O, bytes in, messages out."""

from protocol.constants import *  # noqa: F401,F403
