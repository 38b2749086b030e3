"""The Line API: an open line device whose agent functions come from the table in :mod:`client.functions`.

``client.connect(host, port)`` gives a :class:`~client.tapi.Tapi` (HELLO + lineInitialize done).
``Tapi.open_line(n)`` negotiates the API version and opens line device ``n``, giving a :class:`Line` whose
methods mirror TAPI2's agent functions, one table row each (:data:`client.functions.LINE_FUNCTIONS`;
docs/client.md lists them with their Req_Func and result, and a unit test keeps that list in step):
``get_agent_session_info``, ``set_agent_session_state``, ``create_agent``, ``create_agent_session``,
``get_agent_info``, ``get_agent_session_list``, ``get_queue_info``, ``get_group_list`` ...

TAPI's own model stays visible: every function also exists as ``start_<name>(...)``, which sends the
request and returns ``(request_id, pending)`` as soon as the RESPONSE announces the request ID;
``await pending`` waits for the LINE_REPLY. The plain form does both. A LINEERR, synchronous (in the
RESPONSE) or asynchronous (in the LINE_REPLY), raises :class:`~client.errors.LineError`.

Deadlines: like TAPI2 itself, the Line API waits as long as it takes unless given ``timeout=`` seconds
(then :class:`~client.errors.TapiTimeoutError`). The TAPI3 objects of :mod:`client.objects` always pass
the connection's ``request_timeout`` (two minutes by default).

Buffer sizes: data-returning functions send the structure's fixed size as the client's ``dwTotalSize``
unless ``buffer_size=`` says otherwise. The list functions (``get_agent_session_list``,
``get_group_list``) grow the buffer to the server's ``dwNeededSize`` and retry until the list fits; their
``start_`` forms do one round trip with the size given and hand back what the server said.
"""

from __future__ import annotations

from collections.abc import Callable

from client.connection import ClientConnection
from client.functions import LINE_FUNCTIONS
from client.interfaces import TapiLike
from client.methods import LIST_INITIAL_SIZE, LIST_MAX_ATTEMPTS, install
from client.objects import ITACDGroup
from protocol import messages as m


class Line:
    """An open line device: the agent functions of wire-protocol §2 (see the module docstring).

    Besides the generated methods of :data:`client.functions.LINE_FUNCTIONS` (``get_agent_session_info``,
    ``start_get_agent_session_info`` ...), a line has :meth:`acd_groups` and :meth:`close`.
    """

    def __init__(
        self,
        tapi: TapiLike,
        device_id: int,
        hline: int,
        api_version: int,
        hremote_line: int,
        *,
        on_close: Callable[[Line], None] | None = None,
    ) -> None:
        self.tapi = tapi
        self.device_id = device_id
        self.hline = hline
        self.api_version = api_version
        self.hremote_line = hremote_line
        self._on_close = on_close

    def __repr__(self) -> str:
        return f"<Line device={self.device_id} hLine={self.hline}>"

    @property
    def connection(self) -> ClientConnection:
        """The connection this line's requests go through."""
        return self.tapi.connection

    async def acd_groups(self, *, timeout: float | None = None) -> list[ITACDGroup]:
        """The switch's ACD groups as :class:`ITACDGroup` objects (names filled in)."""
        groups = await self.get_group_list(timeout=timeout)  # type: ignore[attr-defined]
        return [ITACDGroup(entry.group_id, self, entry.name) for entry in groups.entries]

    async def close(self) -> None:
        """lineClose (Req_Func 9, synchronous)."""
        await self.connection.call_sync(m.Close(h_line=self.hline), timeout=self.tapi.request_timeout)
        if self._on_close is not None:
            self._on_close(self)


install(Line, LINE_FUNCTIONS)


__all__ = [
    "LIST_INITIAL_SIZE",
    "LIST_MAX_ATTEMPTS",
    "Line",
]
