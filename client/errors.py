"""Exceptions of the client library: every failure is a value a caller can act on.

TAPI3 reports failures as HRESULTs; TAPI2 as LINEERR_ codes. The client keeps both visible:

- :class:`TapiError` is the root. Its ``hresult`` is what the TAPI3 method would have returned
  (``TAPI_E_TIMEOUT`` for the two-minute timeout, ``E_INVALIDARG`` for a bad argument, or the LINEERR
  itself for a failed request — TAPI3's documented behaviour — except ``LINEERR_NOMEM`` which maps to
  ``E_OUTOFMEMORY``).
- :class:`LineError` is a :class:`TapiError` raised when the server answered a request with a LINEERR:
  ``lineerr`` carries the :class:`~protocol.constants.LineErr` and ``function`` the Req_Func that failed.
- :class:`TapiTimeoutError` is a :class:`TapiError` with ``hresult == TAPI_E_TIMEOUT``;
  :class:`ConnectTimeoutError` is the one :func:`client.connect` raises when connecting takes too long.
- :class:`ConnectionLostError` is raised by every pending and every later call once the connection to the
  server is gone (EOF, an ERROR frame, a protocol violation by the server, or :meth:`close`).
"""

from __future__ import annotations

from protocol.constants import ErrorCode, HResult, LineErr, ReqFunc, lineerr_or_failed

#: TAPI3's "the request timed out" HRESULT (0x80040044), re-exported as ``client.TAPI_E_TIMEOUT``.
TAPI_E_TIMEOUT = HResult.TAPI_E_TIMEOUT


def _hex(value: int) -> str:
    return f"0x{value & 0xFFFFFFFF:08X}"


def _name(enum_cls: type, value: int) -> str:
    try:
        return f"{enum_cls.__name__}.{enum_cls(value).name}"
    except ValueError:
        return "unknown"


def func_name(req_func: int | None) -> str:
    """A readable name for a Req_Func value, e.g. ``GetAgentSessionInfo (149)``."""
    if req_func is None:
        return "request"
    try:
        return f"{ReqFunc(req_func).name} ({int(req_func)})"
    except ValueError:
        return f"Req_Func {int(req_func)}"


class TapiError(Exception):
    """A failed TAPI operation; ``hresult`` is the HRESULT a TAPI3 method would return for it."""

    def __init__(self, hresult: int, message: str) -> None:
        super().__init__(message)
        self.hresult: int = int(hresult) & 0xFFFFFFFF
        self.message = message

    def __str__(self) -> str:
        name = _name(HResult, self.hresult)
        if name == "unknown":
            name = _name(LineErr, self.hresult)
        return f"{self.message} (hresult {_hex(self.hresult)} {name})"


def hresult_for_lineerr(lineerr: int) -> int:
    """The HRESULT TAPI3 reports for a LINEERR result: the LINEERR itself, NOMEM -> E_OUTOFMEMORY."""
    if int(lineerr) == LineErr.NOMEM:
        return HResult.E_OUTOFMEMORY
    return int(lineerr) & 0xFFFFFFFF


class LineError(TapiError):
    """The server answered a request with a LINEERR (synchronously in the RESPONSE or in the LINE_REPLY).

    ``lineerr`` is the :class:`LineErr` (unknown values read as OPERATIONFAILED, as MS-TRP says),
    ``raw`` the exact u32 received, ``function`` the Req_Func of the failed request.
    """

    def __init__(self, lineerr: int, function: int | None = None, detail: str = "") -> None:
        self.raw = int(lineerr) & 0xFFFFFFFF
        self.lineerr: LineErr = lineerr_or_failed(self.raw)
        self.function = function
        what = f"{func_name(function)} failed with LINEERR_{self.lineerr.name} ({_hex(self.raw)})"
        if detail:
            what = f"{what}: {detail}"
        super().__init__(hresult_for_lineerr(self.raw), what)

    def __str__(self) -> str:
        if self.hresult != self.raw:
            return f"{self.message} (hresult {_hex(self.hresult)} {_name(HResult, self.hresult)})"
        return self.message


class TapiTimeoutError(TapiError):
    """No completion arrived within the deadline (TAPI3's two minutes by default): TAPI_E_TIMEOUT."""

    def __init__(
        self, function: int | None, seconds: float, request_id: int | None = None, *, message: str | None = None
    ) -> None:
        self.function = function
        self.seconds = seconds
        self.request_id = request_id
        if message is None:
            rid = f" (request ID {request_id})" if request_id is not None else ""
            message = f"{func_name(function)}{rid} got no completion within {seconds:g} s"
        super().__init__(TAPI_E_TIMEOUT, message)


#: What :class:`ConnectTimeoutError.waiting_for` names, in the order connecting goes through them.
CONNECT_STEPS = ("TCP connection", "TLS handshake", "server's HELLO", "answer to Initialize")


class ConnectTimeoutError(TapiTimeoutError):
    """Connecting (TCP, TLS, HELLO and Initialize together) took longer than ``connect_timeout``.

    ``host``/``port`` say where, ``waiting_for`` the step that did not finish (one of :data:`CONNECT_STEPS`),
    ``seconds`` the deadline. A :class:`TapiTimeoutError`, so ``hresult == TAPI_E_TIMEOUT``.
    """

    def __init__(self, host: str, port: int | None, waiting_for: str, seconds: float, detail: str = "") -> None:
        self.host = host
        self.port = port
        self.waiting_for = waiting_for
        where = host if port is None else f"{host}:{port}"
        extra = f" ({detail})" if detail else ""
        super().__init__(
            None, seconds,
            message=f"connecting to {where}: still waiting for the {waiting_for}{extra} after {seconds:g} s"
            " (connect_timeout)",
        )


class ControlRefusedError(LineError):
    """The server refused a control request (EmuAdvanceClock, EmuOfferCall) with LINEERR_OPERATIONUNAVAIL.

    ``reason`` is ``"no control"`` (the server was not started with ``--control``) or ``"not a manual
    clock"`` (EmuAdvanceClock needs ``--clock manual``); the message says what to start instead.
    """

    def __init__(self, function: int, reason: str) -> None:
        self.reason = reason
        if reason == "no control":
            why = "the server does not serve the control extension (start it with --control)"
        else:
            why = "the server's clock is not the manual one (start it with --clock manual --control)"
        super().__init__(LineErr.OPERATIONUNAVAIL, function, f"control refused: {why}")


#: ``ConnectionLostError.reason`` when the application itself closed the connection.
CLOSED_BY_CLIENT = "closed by the client"


class ConnectionLostError(TapiError):
    """The connection to the server is gone; every pending and later call raises this.

    ``error_code`` is the :class:`ErrorCode` of the ERROR frame that ended the connection, when there was one.
    ``hresult`` is ``E_UNEXPECTED`` (TAPI3 has no dedicated code for a vanished server).
    """

    def __init__(self, reason: str, error_code: int | None = None) -> None:
        self.reason = reason
        self.error_code: ErrorCode | int | None
        if error_code is None:
            self.error_code = None
        else:
            try:
                self.error_code = ErrorCode(error_code)
            except ValueError:
                self.error_code = int(error_code)
        super().__init__(HResult.E_UNEXPECTED, f"connection to the TAPI server lost: {reason}")

    def copy(self) -> ConnectionLostError:
        """A fresh exception with the same reason (each failing call raises its own instance)."""
        return ConnectionLostError(self.reason, self.error_code)


class EventsOverflowError(TapiError):
    """An event subscriber did not keep up and its bounded buffer overflowed (events were lost)."""

    def __init__(self, capacity: int, dropped: int) -> None:
        self.capacity = capacity
        self.dropped = dropped
        super().__init__(
            HResult.E_FAIL,
            f"event subscriber fell behind: buffer of {capacity} events full, {dropped} dropped",
        )


def invalid_argument(message: str) -> TapiError:
    """A caller error detected before anything is sent: E_INVALIDARG."""
    return TapiError(HResult.E_INVALIDARG, message)
