"""Fuzzing harnesses for the wire protocol (see fuzz/README.md): the decoder (``python -m fuzz.decoder``)
and a live server fed random and mutated frames (``python -m fuzz.server``). The bounded version runs in
the test suite (tests/integration/test_fuzz.py)."""
