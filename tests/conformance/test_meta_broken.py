"""The suite must fail when the server is wrong: run conformance cases through each broken variant of
:mod:`broken` (a man-in-the-middle proxy in front of the server under test) and check that the cases for
the flipped behaviour fail while unrelated cases still pass.

Each variant is one ``python -m pytest <cases> --tsp <proxy>`` subprocess with a junit report, read back
here. Variants run one after another because they share the server under test.
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from .broken import BrokenProxy
from .process import REPO_ROOT, start_server

C = "tests/conformance/"
S1, S2F, S2R, S2E = C + "test_s1_transport.py::", C + "test_s2_functions.py::", C + "test_s2_replies.py::", C + "test_s2_events.py::"
S4S, S4T = C + "test_s4_sessions.py::", C + "test_s4_statistics.py::"
S8Q = C + "test_s8_queue_list.py::"
S8A = C + "test_s8_agents.py::"
S9 = C + "test_s9_calls.py::"
S7A = C + "test_s7_acd_model.py::"

@pytest.fixture(autouse=True)
def _not_with_tsp(request: pytest.FixtureRequest) -> None:
    """Meta tests of the suite itself: skipped with --tsp (they start servers and proxies of their own)."""
    if request.config.getoption("--tsp"):
        pytest.skip("meta test of the conformance suite itself; not run with --tsp")


#: variant -> (cases that must fail, cases that must still pass)
EXPECTATIONS: dict[str, tuple[list[str], list[str]]] = {
    "date4": (
        [S2F + "test_s2_get_agent_session_info", S2R + "test_s2_line_reply_layout_field_by_field",
         S4T + "test_s4_statistics_two_calls_with_answer_delay_and_wrapup",
         S4T + "test_s4_session_start_time_of_scenario_session"],
        [S2F + "test_s2_get_agent_info", S2F + "test_s2_get_group_list"],
    ),
    "cy_unscaled": (
        [S4T + "test_s4_statistics_two_calls_with_answer_delay_and_wrapup", S4T + "test_s4_statistics_fractional_times"],
        [S2F + "test_s2_get_agent_session_info", S4S + "test_s4_routing_tie_goes_to_lowest_handle"],
    ),
    "reply_first": (
        [S2R + "test_s1_no_line_reply_before_its_response"],
        [S2R + "test_s2_client_chosen_request_id_honoured[74565]", S2F + "test_s2_get_queue_info"],
    ),
    "no_fanout": (
        [S2E + "test_s2_events_go_to_the_right_connections_only"],
        [S2E + "test_s2_updateinfo_when_statistics_change", S2F + "test_s2_initialize"],
    ),
    "bad_sequence": (
        [S1 + "test_s1_response_pairing_many_in_flight"],
        [S1 + "test_s1_hello_exchange", S2R + "test_s2_server_picked_request_ids_unique"],
    ),
    "no_close": (
        [S1 + "test_s1_hello_version_mismatch_error3[2]", S1 + "test_s1_request_before_hello_error4",
         S1 + "test_s1_frame_too_large_error2[327681]", S1 + "test_s1_short_tapi32_msg_error1[59]"],
        [S2F + "test_s2_initialize", S1 + "test_s1_hello_exchange"],
    ),
    "callstate_w32": (
        [S9 + "test_s9_offer_is_appnewcall_then_offering_with_ms_trp_placement", S9 + "test_s9_answer_hold_unhold_drop"],
        [S9 + "test_s9_get_call_status_by_state", S9 + "test_s9_line_and_address_structures"],
    ),
    "no_appnewcall": (
        [S9 + "test_s9_offer_is_appnewcall_then_offering_with_ms_trp_placement",
         S9 + "test_s9_each_connection_gets_its_own_hcall", S9 + "test_s9_call_state_refusals",
         S9 + "test_s9_deallocate_call", S9 + "test_s9_get_call_info"],
        [S9 + "test_s9_make_call_completion", S9 + "test_s9_line_and_address_structures"],
    ),
    "sync_size_kept": (
        [S9 + "test_s9_get_call_status_by_state", S9 + "test_s9_get_call_info", S9 + "test_s9_line_and_address_structures"],
        [S9 + "test_s9_answer_hold_unhold_drop", S9 + "test_s9_make_call_completion"],
    ),
    "group_twice": (
        [S7A + "test_s7_1_second_live_session_in_one_group_invalagentgroup"],
        [S2F + "test_s2_create_agent_session_errors[unknown group]", S2F + "test_s2_get_agent_session_list",
         S7A + "test_s7_1_scenario_session_counts"],
    ),
    "makecall_plain": (
        [S9 + "test_s9_make_call_completion"],
        [S9 + "test_s9_answer_hold_unhold_drop", S9 + "test_s9_deallocate_call"],
    ),
    "hdevice_hline": (
        [S2R + "test_s2_line_reply_layout_field_by_field", S2R + "test_s2_line_reply_of_the_line_used",
         S2R + "test_s2_set_state_reply"],
        [S2E + "test_s2_events_go_to_the_right_connections_only"],
    ),
    "status_name_rel": (
        [S8A + "test_s8_get_agent_status_of_the_scenario_agent", S8A + "test_s8_2_0_set_state_is_seen_by_both_families"],
        [S8A + "test_s8_get_agent_caps", S2F + "test_s2_get_group_list"],
    ),
    "no_agentstatus": (
        [S8A + "test_s8_2_0_set_state_is_seen_by_both_families", S8A + "test_s8_2_2_change_reaches_the_2_0_view"],
        [S8A + "test_s8_set_agent_state_ex", S8A + "test_s8_queue_status_when_a_call_enters"],
    ),
    "no_acd_events": (
        [S8A + "test_s8_queue_status_when_a_call_enters", S8A + "test_s8_2_0_set_state_is_seen_by_both_families"],
        [S8A + "test_s8_2_2_change_reaches_the_2_0_view", S8A + "test_s8_set_agent_state_ex"],
    ),
    "caps_features": (
        [S8A + "test_s8_get_agent_caps"],
        [S8A + "test_s8_get_agent_status_of_the_scenario_agent", S8A + "test_s8_measurement_periods"],
    ),
    "queue_name_rel": (
        [S8Q + "test_s8_get_queue_list[Sales]", S8Q + "test_s8_get_queue_list[Support]"],
        [S8Q + "test_s8_get_queue_list_unknown_group", S2F + "test_s2_get_group_list"],
    ),
}


def run_cases(address: tuple[str, int], cases: list[str], junit: Path) -> dict[str, str]:
    """Run ``cases`` against ``address`` in a subprocess; returns node id -> passed/failed/skipped."""
    cmd = [sys.executable, "-m", "pytest", *cases, "--tsp", f"{address[0]}:{address[1]}", "--tsp-timeout", "1",
           "-p", "no:cacheprovider", "-q", "--junitxml", str(junit)]
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    if not junit.exists():
        pytest.fail(f"sub-run produced no report (status {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    outcomes: dict[str, str] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        module = case.get("classname", "").rsplit(".", 1)[-1]
        nodeid = f"{C}{module}.py::{case.get('name')}"
        if case.find("failure") is not None or case.find("error") is not None:
            outcomes[nodeid] = "failed"
        elif case.find("skipped") is not None:
            outcomes[nodeid] = "skipped: " + (case.find("skipped").get("message") or "")
        else:
            outcomes[nodeid] = "passed"
    missing = [c for c in cases if c not in outcomes]
    assert not missing, f"cases not run (renamed?): {missing}\n{proc.stdout[-2000:]}"
    return outcomes


@pytest.mark.parametrize("variant", list(EXPECTATIONS))
def test_meta_suite_fails_against_broken_server(variant, tsp_address, tmp_path):
    """Through a proxy that flips one behaviour, the cases checking it fail and unrelated cases pass."""
    must_fail, must_pass = EXPECTATIONS[variant]
    with BrokenProxy(tsp_address, variant) as proxy:
        outcomes = run_cases(proxy.address, must_fail + must_pass, tmp_path / "junit.xml")
    not_failing = {c: outcomes[c] for c in must_fail if outcomes[c] != "failed"}
    assert not not_failing, f"variant {variant!r}: these cases did not catch it: {not_failing}"
    not_passing = {c: outcomes[c] for c in must_pass if outcomes[c] != "passed"}
    assert not not_passing, f"variant {variant!r}: unrelated cases did not pass through the proxy: {not_passing}"


def test_meta_proxy_is_transparent(tsp_address, tmp_path):
    """Every case used by the meta cases passes through the proxy when it flips nothing (so the failures
    above come from the flip, not from the proxy)."""
    cases = sorted({c for fail, ok in EXPECTATIONS.values() for c in fail + ok})
    with BrokenProxy(tsp_address, "none") as proxy:
        outcomes = run_cases(proxy.address, cases, tmp_path / "junit.xml")
    bad = {c: o for c, o in outcomes.items() if o != "passed"}
    assert not bad, f"cases that do not pass through a transparent proxy: {bad}"


def test_meta_control_cases_skip_without_control(request, tmp_path):
    """wire-protocol §3: against a server without the control extension, the cases that need it are skipped,
    with the reason naming Req_Func 1000 and LINEERR_OPERATIONUNAVAIL, and the others still run."""
    if request.config.getoption("--tsp"):
        pytest.skip("starts a second `python -m tsp` without --control; not applicable with --tsp")
    server = start_server(control=False, clock="manual")
    try:
        cases = [S4T + "test_s4_statistics_fractional_times", S4S + "test_s4_routing_tie_goes_to_lowest_handle",
                 S2F + "test_s2_initialize"]
        outcomes = run_cases(server.address, cases, tmp_path / "junit.xml")
    finally:
        server.stop()
    for case in cases[:2]:
        assert outcomes[case].startswith("skipped") and "1000" in outcomes[case] and "OPERATIONUNAVAIL" in outcomes[case], (
            f"{case}: {outcomes[case]}")
    assert outcomes[cases[2]] == "passed"
