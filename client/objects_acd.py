"""TAPI3's entry points to the call centre: ITTAPICallCenter and ITAgentHandler (tapi3cc.h), method names
as the header spells them; every method is a coroutine (the blocking facade offers the same names).

* ``tapi.call_center()`` is the ITTAPICallCenter of the connection (TAPI3: ``ITTAPI`` queried for it).
  EnumerateAgentHandlers / get_AgentHandlers: the emulator is one agent handler, reached through the
  application's first open line (line 0 is opened if none is) - no request of its own.
* ITAgentHandler: get_Name (GetAgentCaps: LINEAGENTCAPS' handler name), CreateAgent (CreateAgent with the
  user name of this process as the agent ID, as TAPI3 uses the logged-on user), CreateAgentWithID
  (CreateAgent), EnumerateACDGroups / get_ACDGroups (GetGroupList), EnumerateUsableAddresses /
  get_UsableAddresses (address 0 of every line device: no request).

Timeout: each method that sends a request is one round trip with the connection's ``request_timeout``
(TAPI3's two minutes, then TAPI_E_TIMEOUT); the others answer at once.
"""

from __future__ import annotations

import getpass
from typing import Any

from client.objects import ITACDGroup, ITAddress, ITAgent

__all__ = ["ITTAPICallCenter", "ITAgentHandler", "default_user"]


def default_user() -> str:
    """The agent ID ITAgentHandler.CreateAgent uses: this process's user name ("agent" if unknown)."""
    try:
        return getpass.getuser() or "agent"
    except (KeyError, OSError):  # no user database entry / no login name
        return "agent"


class ITAgentHandler:
    """tapi3cc.h ITAgentHandler: the emulator's agent handler, through ``line``."""

    def __init__(self, line: Any) -> None:
        self._line = line

    def __repr__(self) -> str:
        return f"<ITAgentHandler via {self._line!r}>"

    @property
    def line(self) -> Any:
        """The line the handler's requests go through."""
        return self._line

    def _timeout(self) -> float:
        return float(self._line.tapi.request_timeout)

    async def get_Name(self) -> str:
        """The handler's name (LINEAGENTCAPS.AgentHandlerInfo; one GetAgentCaps round trip, may time out)."""
        caps = await self._line.get_agent_caps(timeout=self._timeout())
        return str(caps.agent_handler_info)

    async def CreateAgent(self) -> ITAgent:
        """An agent with this process's user name as its ID (:func:`default_user`; CreateAgent, may time out)."""
        return await self.CreateAgentWithID(default_user(), None)

    async def CreateAgentWithID(self, id: str, pin: str | None = None) -> ITAgent:  # noqa: A002 - tapi3cc.h's name
        """The agent with this ID and PIN (CreateAgent, may time out)."""
        agent: ITAgent = await self._line.create_agent(id, pin, timeout=self._timeout())
        return agent

    async def EnumerateACDGroups(self) -> list[ITACDGroup]:
        """The switch's ACD groups (GetGroupList, may time out)."""
        groups: list[ITACDGroup] = await self._line.acd_groups(timeout=self._timeout())
        return groups

    async def get_ACDGroups(self) -> list[ITACDGroup]:
        """Same as :meth:`EnumerateACDGroups` (TAPI3's collection form)."""
        return await self.EnumerateACDGroups()

    async def EnumerateUsableAddresses(self) -> list[ITAddress]:
        """Address 0 of every line device of the switch (no request, no timeout)."""
        return [ITAddress(device, 0) for device in range(int(self._line.tapi.num_devs))]

    async def get_UsableAddresses(self) -> list[ITAddress]:
        """Same as :meth:`EnumerateUsableAddresses` (TAPI3's collection form)."""
        return await self.EnumerateUsableAddresses()


class ITTAPICallCenter:
    """tapi3cc.h ITTAPICallCenter of one connection (``tapi.call_center()``)."""

    def __init__(self, tapi: Any) -> None:
        self._tapi = tapi
        self._handler: ITAgentHandler | None = None

    async def EnumerateAgentHandlers(self) -> list[ITAgentHandler]:
        """The one agent handler (opens line 0 if no line is open: that Open may time out)."""
        lines = self._tapi.lines
        if self._handler is None or self._handler.line not in lines:
            line = lines[0] if lines else await self._tapi.open_line(0)
            self._handler = ITAgentHandler(line)
        return [self._handler]

    async def get_AgentHandlers(self) -> list[ITAgentHandler]:
        """Same as :meth:`EnumerateAgentHandlers` (TAPI3's collection form)."""
        return await self.EnumerateAgentHandlers()
