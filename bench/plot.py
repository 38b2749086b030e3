"""Pictures of the bench scripts' JSON output, for docs/performance.md: plain SVG, no plotting library.

    python bench/client.py --json > client.json
    python bench/server.py --sweep --workloads session --json > server.json
    python bench/switch_model.py --features 1.1 --gc tuned --table 1000,10000,100000 --no-memory --json > model.json
    python bench/plot.py --client client.json --server server.json --model model.json --out docs

writes (for each input given):

* ``perf-client.svg`` - the client ladder: each client's calls per second as a share of the raw socket
  client's against the same server, sequentially and with 64 in flight, with issue 18's target;
* ``perf-server.svg`` - the server against the trio echo floor along the three axes of the sweep
  (calls in flight, connections, agents);
* ``perf-model.svg`` - the switch model's CPU per event against the number of agents, next to the memory
  floor's, with the real-time factor of each row.

``switch_model.py --json`` prints one line per row before the whole result: the last line is read.
"""

from __future__ import annotations

import argparse
import json
import sys
from html import escape
from pathlib import Path
from typing import Any

#: The client ladder, top to bottom, with the label shown for each.
LADDER = (("floor", "floor (canned answers)"), ("raw", "raw socket client"), ("tasks", "tasks floor"),
          ("direct", "direct floor"), ("timed", "timed floor"), ("typed", "typed floor"), ("line", "library, Line API"),
          ("tapi3", "library, TAPI3"))
COLOURS = {"floor": "#9e9e9e", "raw": "#616161", "tasks": "#90caf9", "direct": "#1e88e5", "timed": "#1565c0",
           "typed": "#42a5f5",
           "line": "#ef6c00", "tapi3": "#e65100"}
#: Issue 18's server target: GetAgentSessionInfo with 64 in flight at >= 50 % of the echo floor.
SERVER_TARGET = 0.50
FONT = 'font-family="DejaVu Sans, Arial, sans-serif"'


class BadInput(Exception):
    """A JSON file that is not the output this picture is drawn from."""


def load(path: Path) -> dict[str, Any]:
    """The JSON object in ``path`` (for several JSON lines, the last: switch_model.py prints rows first)."""
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    if not lines:
        raise BadInput(f"{path}: empty")
    try:
        return json.loads("\n".join(lines)) if lines[0].strip() == "{" else json.loads(lines[-1])
    except json.JSONDecodeError as exc:
        raise BadInput(f"{path}: not the JSON output of a bench script ({exc})") from None


def _need(data: dict[str, Any], key: str, what: str) -> Any:
    if key not in data:
        raise BadInput(f"{what}: no {key!r} (keys: {', '.join(sorted(data)) or 'none'})")
    return data[key]


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
        f' {FONT} font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="12" y="22" font-size="15" font-weight="bold">{escape(title)}</text>',
        *body, "</svg>", ""])


def client_svg(result: dict[str, Any]) -> str:
    """The ladder of bench/client.py --json: one bar per client and mode, as a share of the raw client."""
    modes = list(result)
    if not modes:
        raise BadInput("client: no modes")
    left, bar_w, row_h = 170, 440, 20
    body: list[str] = []
    y = 44
    for mode in modes:
        row = result[mode]
        rate = _need(row, "rate", f"client mode {mode!r}")
        raw = _need(rate, "raw", f"client mode {mode!r} rates")
        if not raw > 0:
            raise BadInput(f"client mode {mode!r}: raw rate {raw!r} is not positive")
        target = _need(row, "target", f"client mode {mode!r}")
        top = y + 18
        body.append(f'<text x="12" y="{y + 10}" font-weight="bold">{escape(mode)}: calls per second as a share'
                    f' of the raw client ({raw:,.0f}/s = 100 %)</text>')
        y = top
        scale = bar_w / max(1.0, max(rate.get(name, 0.0) for name, _ in LADDER) / raw)
        for name, label in LADDER:
            if name not in rate:
                continue
            share = rate[name] / raw
            width = share * scale
            body.append(f'<text x="{left - 6}" y="{y + 14}" text-anchor="end">{escape(label)}</text>')
            body.append(f'<rect x="{left}" y="{y + 3}" width="{width:.1f}" height="{row_h - 6}"'
                        f' fill="{COLOURS[name]}"/>')
            body.append(f'<text x="{left + width + 5:.1f}" y="{y + 14}">{share:.1%}'
                        f' ({rate[name]:,.0f}/s)</text>')
            y += row_h
        x = left + target * scale
        body.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{y}" stroke="#c62828" stroke-width="1.5"'
                    f' stroke-dasharray="5,3"/>')
        body.append(f'<text x="{x + 4:.1f}" y="{top + 10}" fill="#c62828" font-size="11">target'
                    f' {target:.0%}</text>')
        y += 16
    body.append(f'<text x="12" y="{y + 4}" font-size="11" fill="#555">tasks floor: one trio task per call, answers'
                ' matched by struct; typed floor: the same plus the least work of returning the library\'s typed'
                ' objects;</text>')
    body.append(f'<text x="12" y="{y + 18}" font-size="11" fill="#555">direct floor: the typed work, the caller'
                ' reading its own answer (sequential only); timed floor: the same under a two-minute cancel'
                ' scope</text>')
    return _svg(left + bar_w + 190, y + 30, body, "Client round trips (bench/client.py)")


def server_svg(result: dict[str, Any]) -> str:
    """The sweep of bench/server.py --sweep --json: tsp as a share of the echo floor along each axis."""
    rows = _need(result, "sweep", "server")
    axes: dict[str, list[tuple[str, float]]] = {}
    keys = {"in flight": "in_flight", "connections": "connections", "agents": "agents"}
    for row in rows:
        axis = _need(row, "axis", "server sweep row")
        key = keys.get(axis)
        if key is None:
            raise BadInput(f"server sweep row: unknown axis {axis!r}")
        floor = _need(row, "floor", "server sweep row")
        if not floor > 0:
            raise BadInput(f"server sweep row: floor rate {floor!r} is not positive")
        axes.setdefault(axis, []).append((f"{_need(row, key, 'server sweep row'):,}",
                                          _need(row, "tsp", "server sweep row") / floor))
    panel_w, panel_h, gap, top = 250, 200, 40, 64
    body: list[str] = []
    for i, (axis, points) in enumerate(axes.items()):
        x0 = 50 + i * (panel_w + gap)
        y0 = top + panel_h
        body.append(f'<rect x="{x0}" y="{top}" width="{panel_w}" height="{panel_h}" fill="none" stroke="#bbb"/>')
        for level in (0.25, 0.5, 0.75, 1.0):
            y = y0 - level * panel_h
            body.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + panel_w}" y2="{y:.1f}" stroke="#eee"/>')
            body.append(f'<text x="{x0 - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="10">{level:.0%}</text>')
        step = panel_w / len(points)
        coords = []
        for j, (label, share) in enumerate(points):
            x = x0 + step * (j + 0.5)
            y = y0 - min(share, 1.0) * panel_h
            coords.append(f"{x:.1f},{y:.1f}")
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="#1565c0"/>')
            body.append(f'<text x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle" font-size="10">{share:.0%}</text>')
            body.append(f'<text x="{x:.1f}" y="{y0 + 14}" text-anchor="middle" font-size="10">{escape(label)}</text>')
        body.append(f'<polyline points="{" ".join(coords)}" fill="none" stroke="#1565c0" stroke-width="1.5"/>')
        body.append(f'<text x="{x0 + panel_w / 2}" y="{y0 + 30}" text-anchor="middle">{escape(axis)}</text>')
        if axis == "in flight":  # issue 18's server target: 64 in flight >= 50 % of the echo floor
            y = y0 - SERVER_TARGET * panel_h
            body.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + panel_w}" y2="{y:.1f}" stroke="#c62828"'
                        ' stroke-width="1.5" stroke-dasharray="5,3"/>')
            body.append(f'<text x="{x0 + panel_w - 4}" y="{y - 4:.1f}" text-anchor="end" fill="#c62828"'
                        f' font-size="10">target {SERVER_TARGET:.0%} at 64</text>')
    width = 50 + len(axes) * (panel_w + gap)
    body.append(f'<text x="12" y="{top - 22}" font-size="11" fill="#555">tsp\'s GetAgentSessionInfo rate as a share'
                ' of the trio echo floor (the same load against a server that only echoes canned answers)</text>')
    return _svg(width, top + panel_h + 50, body, "Server against the echo floor (bench/server.py --sweep)")


def model_svg(result: dict[str, Any]) -> str:
    """The table of bench/switch_model.py --table --json: CPU per event against agents, model and floor."""
    rows = _need(result, "rows", "model")
    if not rows:
        raise BadInput("model: no rows")
    series = [("model", "cpu_us_per_event", "#e65100"), ("memory floor", "floor_us_per_event", "#757575")]
    top_us = max(max(row.get(key) or 0.0 for _, key, _ in series) for row in rows) * 1.15 or 1.0
    x0, y0, w, h = 60, 250, 420, 200
    body = [f'<rect x="{x0}" y="{y0 - h}" width="{w}" height="{h}" fill="none" stroke="#bbb"/>']
    for k in range(5):
        us = top_us * k / 4
        y = y0 - h * k / 4
        body.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + w}" y2="{y:.1f}" stroke="#eee"/>')
        body.append(f'<text x="{x0 - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="10">{us:.1f}</text>')
    step = w / len(rows)
    for name, key, colour in series:
        coords = []
        for j, row in enumerate(rows):
            value = row.get(key)
            if value is None:
                continue
            x, y = x0 + step * (j + 0.5), y0 - value / top_us * h
            coords.append(f"{x:.1f},{y:.1f}")
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>')
            body.append(f'<text x="{x + 6:.1f}" y="{y - 6:.1f}" font-size="10" fill="{colour}">{value:.2f}</text>')
        if coords:
            body.append(f'<polyline points="{" ".join(coords)}" fill="none" stroke="{colour}" stroke-width="1.5"/>')
    for j, row in enumerate(rows):
        x = x0 + step * (j + 0.5)
        agents, speedup = _need(row, "agents", "model row"), _need(row, "speedup_cpu", "model row")
        body.append(f'<text x="{x:.1f}" y="{y0 + 15}" text-anchor="middle" font-size="10">{agents:,} agents</text>')
        body.append(f'<text x="{x:.1f}" y="{y0 + 29}" text-anchor="middle" font-size="10">'
                    f'{speedup:,.0f}x real time</text>')
    body.append(f'<text x="{x0 - 45}" y="{y0 - h - 10}" font-size="11">us per event</text>')
    legend_y = y0 + 48
    for i, (name, _key, colour) in enumerate(series):
        body.append(f'<rect x="{x0 + i * 150}" y="{legend_y - 9}" width="12" height="10" fill="{colour}"/>')
        body.append(f'<text x="{x0 + i * 150 + 17}" y="{legend_y}">{escape(name)}</text>')
    features = result.get("features", "?")
    title = f"Switch model {features}: CPU per event against agents (bench/switch_model.py --table)"
    return _svg(max(x0 + w + 80, 9 * len(title)), legend_y + 16, body, title)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--client", type=Path, help="bench/client.py --json output")
    ap.add_argument("--server", type=Path, help="bench/server.py --sweep --json output")
    ap.add_argument("--model", type=Path, help="bench/switch_model.py --table ... --json output")
    ap.add_argument("--out", type=Path, default=Path("."), help="directory for the SVG files (default: here)")
    args = ap.parse_args(argv)
    jobs = [(args.client, client_svg, "perf-client.svg"), (args.server, server_svg, "perf-server.svg"),
            (args.model, model_svg, "perf-model.svg")]
    if not any(path for path, _, _ in jobs):
        ap.error("give at least one of --client, --server, --model")
    args.out.mkdir(parents=True, exist_ok=True)
    for path, draw, name in jobs:
        if path is None:
            continue
        try:
            svg = draw(load(path))
        except (BadInput, OSError) as exc:
            print(f"plot.py: {path}: {exc}", file=sys.stderr)
            return 2
        (args.out / name).write_text(svg)
        print(f"wrote {args.out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
