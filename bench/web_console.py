"""Regenerate docs/web-console.png: the web console of the realistic day scenario in headless Chromium.

    python bench/web_console.py                      # -> docs/web-console.png (1920 x 1080)
    python bench/web_console.py --out /tmp/x.png --minutes 20 --width 1366 --height 768 --scenario default

Starts ``python -m tsp --web 127.0.0.1:0 --clock manual --control --scenario day`` (the built-in
``day`` scenario: tsp/scenarios/day.toml, 08:00 local at t = 0; the default 145 minutes reach 10:25,
in the morning peak), moves the
switch through the console's own control API (``POST /api/advance``, a minute at a time, so the
sparklines have an hour's history), opens the page in Debian's ``chromium`` driven by selenium through
``chromedriver`` (nothing downloaded) and saves a screenshot. Needs ``apt-get install chromium
chromium-driver`` and the ``[test]`` extra (selenium). The browser test (tests/integration/
test_web_browser.py) uses :func:`find_browser`, :func:`open_browser` and :func:`start_console` too.
Not a product API.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

#: Chromium's launch flags: headless, no sandbox (CI containers run as root), nothing that phones home.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--hide-scrollbars")


def find_browser() -> tuple[str, str] | str:
    """(chromium, chromedriver) paths, or a sentence saying what is missing."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        return "no chromium/chromedriver on PATH (apt-get install -y chromium chromium-driver)"
    return chromium, driver


def open_browser(chromium: str, chromedriver: str, profile: str, width: int = 1920, height: int = 1080) -> Any:
    """A selenium Chrome driver on Debian's chromium, with a fresh profile directory ``profile``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={width},{height}")
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    # The page's own viewport exactly width x height (the window size would include the browser's frame).
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    return driver


def start_console(*args: str) -> tuple[subprocess.Popen[str], str]:
    """``python -m tsp --port 0 --web 127.0.0.1:0 ARGS``: the process and the console's URL (its second
    stdout line)."""
    proc = subprocess.Popen([sys.executable, "-m", "tsp", "--port", "0", "--web", "127.0.0.1:0", "--quiet", *args],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stdout is not None
    first = proc.stdout.readline()
    second = proc.stdout.readline()
    if not first.startswith("listening on ") or not second.startswith("web console on "):
        proc.kill()
        raise RuntimeError(f"python -m tsp did not start its console: {first!r} {second!r}")
    return proc, second.strip()[len("web console on "):]


def post(url: str, path: str, body: Any) -> Any:
    """A control action; its JSON answer (raises urllib's HTTPError on a refusal)."""
    request = urllib.request.Request(url.rstrip("/") + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--out", default=str(ROOT / "docs" / "web-console.png"), help="PNG file to write")
    p.add_argument("--minutes", type=int, default=145, help="minutes of switch time before the picture (default 145)")
    p.add_argument("--scenario", default="day", help="scenario file or built-in name (default: day)")
    p.add_argument("--width", type=int, default=1920)
    p.add_argument("--height", type=int, default=1080)
    args = p.parse_args(argv)
    found = find_browser()
    if isinstance(found, str):
        print(f"web_console.py: {found}", file=sys.stderr)
        return 1
    proc, url = start_console("--clock", "manual", "--control", "--scenario", args.scenario)
    try:
        for _ in range(args.minutes):
            post(url, "/api/advance", {"seconds": 60})
        with tempfile.TemporaryDirectory(prefix="tsp-chromium-") as profile:
            driver = open_browser(*found, profile, args.width, args.height)
            try:
                driver.get(url)
                deadline = time.monotonic() + 20
                while driver.execute_script("return document.body.dataset.now || null") is None:
                    if time.monotonic() > deadline:
                        raise RuntimeError("the page showed no snapshot within 20 s")
                    time.sleep(0.1)
                time.sleep(0.5)
                driver.save_screenshot(args.out)
            finally:
                driver.quit()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
