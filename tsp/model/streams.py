"""Traffic streams of the switch model (§7.6): arrivals, talk and patience samplers of one ``[[traffic]]``.

The samplers and the profile arrivals come from :mod:`tsp.traffic` (talk_sampler, patience_sampler,
Arrivals, fill_digits). A 1.0 stream (constant rate, exponential talk, no patience, no numbers) keeps the
1.0 path: exponential gaps and talk drawn inline from the switch's random stream in the 1.0 order, so
1.0 scenarios give the same run as before.
"""

from __future__ import annotations

import random

from tsp.model.records import GroupRec, TrafficRec
from tsp.scenario import Traffic

__all__ = ["make_stream"]


def make_stream(t: Traffic, group: GroupRec, rng: random.Random) -> TrafficRec | None:
    """The stream of ``t`` (None when it never produces a call)."""
    if not t.profile and t.rate <= 0:
        return None
    stream = TrafficRec(group, t.rate, t.talk_mean)
    if t.talk_dist != "exponential" or t.patience_mean is not None or t.profile or t.ani or t.dnis:
        from tsp import traffic  # the 1.1 shapes (tsp/traffic.py)

        if t.talk_dist != "exponential":
            stream.talk = traffic.talk_sampler(t.talk_dist, t.talk_mean, t.talk_sd)
        stream.patience = traffic.patience_sampler(t.patience_dist, t.patience_mean)
        if t.profile:
            arrivals = traffic.Arrivals(t.rate, t.profile, t.repeat)
            stream.next_after = arrivals.next_after
        if t.ani or t.dnis:
            stream.fill = traffic.fill_digits
    stream.ani = t.ani
    stream.dnis = t.dnis
    stream.uui = t.uui
    return stream
