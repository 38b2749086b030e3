"""The emulator process's garbage-collector setting (docs/server.md "Garbage collector").

The switch model keeps every call in progress as a few objects (its record, its events until the
server fans them out) and, on a floor of thousands of agents, allocates them faster than CPython's
default young-generation threshold (700 net allocations) expects: most collections then find nothing to
free and only move live calls into older generations, which later full collections walk again
(docs/performance.md "Round 5: switch model"). :func:`tune_gc` raises the young threshold to
:data:`YOUNG_THRESHOLD` (50,000: at 100,000 agents 10,000 still gave 50 collections and 1.4 s of CPU
per 15 simulated minutes, 50,000 gives 8 and 0.35 s; "Round 6: the switch model"); the older
generations keep theirs. ``gc.freeze()`` after the scenario load was measured and gives nothing. Reference counting still frees everything
that is not in a cycle at once; cycles are found a little later.

``python -m tsp`` calls it at start-up (the process is the emulator's); the embedded API
(:func:`tsp.testing.run_emulator`, ``open_emulator``) does not - it runs in the application's process,
whose collector is the application's to set (it may call :func:`tune_gc` itself).
``bench/switch_model.py`` measures the model with and without it.
"""

from __future__ import annotations

import gc

__all__ = ["DEFAULT_YOUNG", "YOUNG_THRESHOLD", "tune_gc"]

#: CPython's default young-generation threshold.
DEFAULT_YOUNG = 700
#: The threshold :func:`tune_gc` sets.
YOUNG_THRESHOLD = 50_000


def tune_gc() -> tuple[int, int, int] | None:
    """Raise the young-generation threshold to :data:`YOUNG_THRESHOLD` if the process still has the
    interpreter's default (an application that chose its own keeps it). Returns the thresholds before
    the change, or None when nothing was changed (``gc.set_threshold(*before)`` undoes it)."""
    before = gc.get_threshold()
    if before[0] != DEFAULT_YOUNG:
        return None
    gc.set_threshold(YOUNG_THRESHOLD, *before[1:])
    return before
