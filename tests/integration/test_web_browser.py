"""The web console in a real browser: headless Debian chromium driven by selenium through chromedriver
(nothing downloaded at run time). Skips, saying why, where no browser is installed.

The scenario's names are hostile (markup in a group name and an agent ID): the page must show them as
text. The test checks that the page shows the switch's figures, that they change after a call is offered
and the clock advanced through the control API, and saves a screenshot."""

from __future__ import annotations

import importlib.util
import json
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("bench_web_console", ROOT / "bench" / "web_console.py")
assert _spec and _spec.loader
web_console = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(web_console)

FOUND = web_console.find_browser()
pytestmark = pytest.mark.skipif(isinstance(FOUND, str), reason=f"browser test: {FOUND}")

HOSTILE_GROUP = '<img src=x onerror="document.title=\'pwned\'">Sales & "Co"'
HOSTILE_AGENT = "<b>1001</b>"
SCENARIO = f"""
[switch]
lines = 2
seed = 3
start = "2026-11-26T09:00:00Z"
name = "<script>alert(1)</script> floor"

[[groups]]
id = "5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b"
name = '''{HOSTILE_GROUP}'''
queue = 1

[[agents]]
id = "{HOSTILE_AGENT}"
answer_delay = 1

[[agents.sessions]]
group = "5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b"
line = 0
state = "NOTREADY"
"""


def wait_for(what: str, check: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"the page did not show {what} within {timeout} s")
        time.sleep(0.1)


def tile_figures(driver: Any) -> dict[str, str]:
    """{figure label: shown value} of the (only) group tile (read in one script: the page redraws on
    every snapshot, so element handles go stale)."""
    return dict(driver.execute_script(
        'return [...document.querySelectorAll("article.group .figure")]'
        '.map((f) => [f.querySelector(".k").textContent, f.querySelector(".v").textContent])'))


def text_of(driver: Any, selector: str) -> str | None:
    return driver.execute_script("const e = document.querySelector(arguments[0]); return e && e.textContent",
                                 selector)


def test_the_page_shows_the_switch_and_follows_it(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    scenario = tmp_path / "hostile.toml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    proc, url = web_console.start_console("--clock", "manual", "--control", "--scenario", str(scenario))
    driver = None
    try:
        driver = web_console.open_browser(*FOUND, str(tmp_path / "profile"), 1366, 768)
        driver.get(url)
        wait_for("a snapshot", lambda: driver.execute_script("return document.body.dataset.now || null") == "0")
        wait_for("the live link", lambda: text_of(driver, "#link") == "live")
        # the scenario's strings, as text: no element made from them, no script run
        assert text_of(driver, "article.group h3") == HOSTILE_GROUP
        assert text_of(driver, "#sessions .agent") == HOSTILE_AGENT
        assert text_of(driver, "#scenario") == "<script>alert(1)</script> floor"
        assert driver.find_elements(By.CSS_SELECTOR, "main img, main b b, main script") == []
        assert "pwned" not in driver.title
        # the switch's figures
        figures = tile_figures(driver)
        assert figures["calls waiting"] == "0" and figures["answered"] == "0" and figures["service level (20s)"] == "-"
        assert "not ready" in text_of(driver, "#sessions .card")
        session = int(driver.execute_script('return document.querySelector("#sessions .card").dataset.session'))

        # a call offered through the control API shows up waiting; 25 s later it has waited 25 s
        post("/api/offer", url, {"group": "5f0c7d1e-3b7a-4c55-9a43-0c1d2e3f4a5b", "talk": 60})
        wait_for("the call waiting", lambda: tile_figures(driver)["calls waiting"] == "1")
        post("/api/advance", url, {"seconds": 25})
        wait_for("25 s of wait", lambda: tile_figures(driver)["longest wait"] == "0:25")
        assert text_of(driver, "#clock") == "0:25"
        # the agent becomes ready through the control panel's form: answered after its 1 s delay
        driver.find_element(By.CSS_SELECTOR, "#f-state select[name=state]").send_keys("READY")
        driver.find_element(By.CSS_SELECTOR, "#f-state button").click()
        wait_for("the agent on the call", lambda: "on call" in text_of(driver, f'[data-session="{session}"]'))
        post("/api/advance", url, {"seconds": 5})
        wait_for("the answer counted", lambda: tile_figures(driver)["answered"] == "1")
        figures = tile_figures(driver)
        assert figures["calls waiting"] == "0" and figures["service level (20s)"] == "0%"  # 26 s > 20 s
        assert figures["avg answer (ASA)"] == "0:26"
        state = json.load(urllib.request.urlopen(url + "api/state", timeout=10))
        assert state["groups"][0]["asa"] == 26.0
        shot = tmp_path / "console.png"
        assert driver.save_screenshot(str(shot))
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    finally:
        if driver is not None:
            driver.quit()
        proc.terminate()
        proc.wait(timeout=20)


def post(path: str, url: str, body: Any) -> Any:
    return web_console.post(url, path, body)


def test_screenshot_script(tmp_path: Path) -> None:
    """bench/web_console.py (what regenerates docs/web-console.png) writes a full-HD PNG."""
    out = tmp_path / "shot.png"
    assert web_console.main(["--out", str(out), "--minutes", "3"]) == 0
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(data[16:20], "big") == 1920 and int.from_bytes(data[20:24], "big") == 1080
