"""Exceptions of the protocol layer.

One hierarchy, as in h11:

* :class:`ProtocolError` - the base: something about the wire protocol went wrong. It carries the
  :class:`~protocol.constants.ErrorCode` that the situation implies and a message naming the offending value.
  Catch it to handle "any protocol problem"; catch one of the two kinds below to tell whose fault it was.
* :class:`RemoteProtocolError` - the *peer* sent something we cannot accept. ``code`` is what the ERROR frame
  sent back must contain, so the one place that turns it into bytes is ``connection.send(err.to_frame())``.
  It is the only exception that decoding untrusted bytes may raise.
* :class:`LocalProtocolError` - *our own* side tried to send something invalid (a value out of range, a
  frame in the wrong state, a string with an embedded NUL). Nothing goes on the wire; fix the caller.
  ``code`` is the ERROR code the peer *would* have answered with.
"""

from __future__ import annotations

import attrs

from protocol.constants import ErrorCode

#: ERROR frame text is capped so that an error about a huge frame never produces a huge frame.
MAX_ERROR_TEXT_BYTES = 1024


def _error_code(value: int) -> int:
    """The ErrorCode member when the value is known, else the plain int (never fails)."""
    try:
        return ErrorCode(value)
    except ValueError:
        return value


@attrs.frozen(slots=False)
class Error:
    """ERROR: the sender closes the connection after it. ``code`` is an ErrorCode when known.

    Declared here, next to the exceptions that turn into it (:meth:`ProtocolError.to_frame`), and
    re-exported by :mod:`protocol.messages` with the other frames; so this module imports no other module
    of the package but the constants."""

    code: int = attrs.field(converter=_error_code)
    text: str = ""


class ProtocolError(Exception):
    """Base of both kinds: an :class:`ErrorCode` plus a human-readable message naming the offending value."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = ErrorCode(code)
        self.message = message

    def to_frame(self) -> Error:
        """The ERROR frame that reports this error (text truncated to 1 KiB of UTF-8)."""
        text = self.message.encode("utf-8")[:MAX_ERROR_TEXT_BYTES].decode("utf-8", "ignore")
        return Error(code=self.code, text=text)


class RemoteProtocolError(ProtocolError):
    """The peer violated the wire protocol; answer with ``ERROR(code)`` and close the connection."""


class LocalProtocolError(ProtocolError):
    """Our side tried to send something the protocol does not allow; nothing was sent.

    ``code`` is the ERROR code the peer *would* have answered with (MALFORMED for bad values,
    FRAME_TOO_LARGE for oversized frames, UNEXPECTED_KIND for frames sent in the wrong state).
    """

    def __init__(self, message: str, code: ErrorCode = ErrorCode.MALFORMED) -> None:
        super().__init__(code, message)


#: The former name of the common base, kept so that older imports keep working.
WireError = ProtocolError
