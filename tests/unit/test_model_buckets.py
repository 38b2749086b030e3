"""The event queue's bucket width (tsp.model.calls.bucket_shift): narrower on larger floors, and any width
gives the model's output unchanged (buckets partition time; the stream digests of test_model_stream)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import tsp.model.core as core
from tsp.model.calls import SHIFT, SHIFT_MIN, SHIFT_SESSIONS, bucket_shift

ROOT = Path(__file__).resolve().parents[2]


def _stream():
    spec = importlib.util.spec_from_file_location("model_stream_buckets", ROOT / "tests" / "unit" / "test_model_stream.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bucket_shift_by_floor_size():
    assert bucket_shift(0) == bucket_shift(SHIFT_SESSIONS) == SHIFT  # 10,000 agents, 1.1 features: 15,000
    assert bucket_shift(SHIFT_SESSIONS + 1) == SHIFT - 1
    assert bucket_shift(150_000) == 16  # 100,000 agents, 1.1 features
    assert bucket_shift(10**9) == SHIFT_MIN


@pytest.mark.parametrize("shift", [SHIFT_MIN, 17, SHIFT + 3])
@pytest.mark.parametrize("name", ["bench-1.1-600", "day-control", "scripted"])
def test_any_width_gives_the_same_stream(monkeypatch, name, shift):
    stream = _stream()
    used = []

    def forced(sessions: int) -> int:
        used.append(sessions)
        return shift

    monkeypatch.setattr(core, "bucket_shift", forced)
    got, events = stream.digest(name)
    assert used  # the switch took its width from here
    assert (got, events) == stream.RECORDED[name]
