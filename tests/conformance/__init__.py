"""Black-box conformance suite for the TAPI emulator wire contract (see docs/conformance.md)."""
