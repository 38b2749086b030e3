"""pytest plugin (entry point ``pytest11: tapi_emulator``): a ``tapi_emulator`` fixture.

Filled in by tsp.testing once the embedded API exists; importing this module must stay cheap and safe.
"""

from __future__ import annotations
