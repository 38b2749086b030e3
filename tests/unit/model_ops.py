"""Random client operations on the switch model, shared by the property tests of the model
(test_model_properties.py: invariants) and of the lifecycle table (test_lifecycle_table.py)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from hypothesis import strategies as st

from protocol.constants import AgentSessionState as S
from tsp.model import Switch, SwitchError
from tsp.scenario import parse_scenario

G = [uuid.UUID(int=1), uuid.UUID(int=2)]
SCENARIO = parse_scenario(
    "[switch]\nlines = 2\n"
    + "".join(f'[[groups]]\nid = "{g}"\nname = "g{i}"\n' for i, g in enumerate(G))
    + '[[agents]]\nid = "slow"\nanswer_delay = 3\nwrapup = 7\n'
    + '[[agents]]\nid = "fast"\n'
    + '[[agents]]\nid = "mid"\nanswer_delay = 1.5\nwrapup = 0.25\n'
    + '[[agents.sessions]]\ngroup = "g0"\nstate = "READY"\nat = 4\n'
)
STATES = [0, S.NOTREADY, S.READY, S.BUSYONCALL, S.BUSYWRAPUP, S.ENDED, S.RELEASED]

op = st.one_of(
    st.tuples(st.just("create"), st.sampled_from(["slow", "fast", "mid"]), st.integers(0, 1), st.integers(0, 1)),
    st.tuples(st.just("state"), st.integers(0, 20), st.sampled_from(STATES), st.sampled_from(STATES)),
    st.tuples(st.just("offer"), st.integers(0, 1), st.floats(0, 60, allow_nan=False)),
    st.tuples(st.just("wait"), st.floats(0, 30, allow_nan=False)),
)


def apply(sw: Switch, item: tuple, t: float, sessions: Sequence[int]) -> tuple[float, int | None]:
    """Perform one operation of :data:`op` at switch time ``t`` (a state request picks from ``sessions``;
    the switch's refusals are part of the game). Returns the new time and the handle a create made."""
    kind = item[0]
    created = None
    try:
        if kind == "create":
            created = sw.create_session(sw.agent_handle(item[1]), None, item[3], 0, G[item[2]], t)
        elif kind == "state" and sessions:
            sw.set_session_state(sessions[item[1] % len(sessions)], item[2], item[3], t)
        elif kind == "offer":
            sw.offer_call(G[item[1]], item[2], t)
        elif kind == "wait":
            t += item[1]
    except SwitchError:
        pass
    return t, created
