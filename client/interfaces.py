"""What the lower client modules use of a :class:`~client.line.Line` and a :class:`~client.tapi.Tapi`, as
typing Protocols.

``client.tapi`` imports ``client.line``, which imports the function table (``client.functions``,
``client.methods``) and the TAPI3 objects (``client.objects``); those, and ``client.control``, only need
to *name* a line or a Tapi in annotations. They name these Protocols instead of importing the classes
(even under ``if TYPE_CHECKING``), so the client's import graph has no cycle
(tests/unit/test_structure.py). This module imports nothing of the client but the connection.
"""

from __future__ import annotations

from typing import Any, Protocol

from client.connection import ClientConnection


class TapiLike(Protocol):
    """A connection after lineInitialize, as its lines, the TAPI3 objects and ``tapi.control`` use it
    (:class:`client.tapi.Tapi`)."""

    #: Deadline, in seconds, of every TAPI3 object call.
    request_timeout: float
    #: Cached mode of the ITAgentSession getters.
    cached: bool
    #: The connection's :class:`client.objects.ObjectRegistry` (typed loosely: it lives in a module that
    #: imports this one).
    registry: Any

    @property
    def connection(self) -> ClientConnection: ...

    @property
    def lines(self) -> list[LineLike]: ...

    async def open_line(self, device_id: int, *, api_version: int = ...) -> LineLike: ...


class LineLike(Protocol):
    """An open line device (:class:`client.line.Line`). Its agent methods (``get_agent_session_info``,
    ``start_get_queue_list`` ...) are generated from the rows of :data:`client.functions.LINE_FUNCTIONS`,
    so they are typed as attributes of any type here."""

    tapi: TapiLike
    device_id: int
    hline: int

    @property
    def connection(self) -> ClientConnection: ...

    def __getattr__(self, name: str) -> Any: ...


__all__ = ["LineLike", "TapiLike"]
