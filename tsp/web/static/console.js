// The web console's page: renders each snapshot pushed on /api/events (server-sent events; no polling).
// Every string from the scenario goes into the page through textContent or an attribute value, never as
// markup: no HTML is ever parsed from data.
"use strict";

const $ = (id) => document.getElementById(id);

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}

function clock(seconds) {
  if (seconds === null || seconds === undefined) return "-";
  const s = Math.floor(seconds), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const mm = String(m).padStart(2, "0"), rr = String(r).padStart(2, "0");
  return h ? `${h}:${mm}:${rr}` : `${m}:${rr}`;
}

function percent(x) { return x === null || x === undefined ? "-" : `${Math.round(x * 100)}%`; }

const STATE_LABEL = { READY: "ready", BUSYONCALL: "on call", BUSYWRAPUP: "wrap-up", NOTREADY: "not ready",
  ENDED: "ended", RELEASED: "released" };
const label = (s) => STATE_LABEL[s] || s;

function figure(value, key, cls) {
  const box = el("div", null, "figure");
  box.append(el("div", value, "v" + (cls ? " " + cls : "")), el("div", key, "k"));
  return box;
}

function slClass(level) {
  if (level === null || level === undefined) return "";
  return level >= 0.8 ? "good" : level >= 0.6 ? "warn" : "bad";
}

function renderGroups(snap) {
  const box = $("groups");
  const tiles = snap.groups.map((g) => {
    const tile = el("article", null, "group");
    tile.dataset.group = g.name;
    tile.append(el("h3", g.name));
    const figs = el("div", null, "figures");
    figs.append(
      figure(g.waiting, "calls waiting", g.waiting > 0 ? "warn" : ""),
      figure(clock(g.longest_wait), "longest wait", g.longest_wait >= snap.threshold ? "bad" : ""),
      figure(percent(g.service_level), `service level (${snap.threshold}s)`, slClass(g.service_level)),
      figure(g.asa === null ? "-" : clock(g.asa), "avg answer (ASA)"),
      figure(g.answered, "answered"),
      figure(g.abandoned, "abandoned", g.abandoned > 0 ? "warn" : ""),
      figure(clock(g.interval), "interval"));
    const counts = el("div", null, "counts");
    for (const [key, name] of [["ready", "READY"], ["on_call", "BUSYONCALL"], ["wrap_up", "BUSYWRAPUP"], ["not_ready", "NOTREADY"]]) {
      const c = el("span");
      c.append(el("span", null, `dot bg-${name}`), document.createTextNode(`${g[key]} ${label(name)}`));
      counts.append(c);
    }
    tile.append(figs, counts);
    return tile;
  });
  box.replaceChildren(...tiles);
}

function renderSessions(snap) {
  const cards = snap.sessions.map((s) => {
    const card = el("article", null, `card st-${s.state}`);
    card.dataset.session = String(s.session);
    const head = el("div", null, "who");
    head.append(el("b", s.agent, "agent"), el("span", s.group, "muted"));
    const state = el("div", null, "state");
    state.append(el("span", label(s.state) + (s.next_state ? ` \u2192 ${label(s.next_state)}` : ""), `s-${s.state}`),
      el("span", clock(s.time_in_state), "since"));
    const figures = el("div", null, "figs small muted");
    figures.append(el("span", `${s.calls} calls`), el("span", `talk ${clock(s.talk)}`), el("span", `wrap ${clock(s.wrap_up)}`));
    figures.title = `line ${s.line}, hAgentSession ${s.session}`;
    card.append(head, state, figures);
    return card;
  });
  $("sessions").replaceChildren(...cards);
  const more = snap.sessions_total > snap.sessions.length ? `, first ${snap.sessions.length} shown` : "";
  $("agents-count").textContent = `${snap.sessions_live} live of ${snap.sessions_total} sessions${more}`;
}

const CALL_CLASS = { waiting: "s-NOTREADY", ringing: "s-BUSYWRAPUP", talking: "s-BUSYONCALL", "on hold": "s-NOTREADY", dialling: "s-BUSYWRAPUP" };

function renderCalls(snap) {
  const rows = snap.calls.map((c) => {
    const tr = el("tr");
    tr.dataset.call = String(c.call);
    const where = c.agent === null ? "queue" : c.agent;
    tr.append(el("td", c.caller === null ? "unknown" : c.caller), el("td", c.group === null ? "-" : c.group),
      el("td", where), el("td", c.line === null ? "-" : String(c.line)),
      el("td", c.state, CALL_CLASS[c.state] || ""), el("td", clock(c.since), "num"));
    return tr;
  });
  if (!rows.length) {
    const tr = el("tr"); const td = el("td", "none", "muted"); td.colSpan = 6; tr.append(td); rows.push(tr);
  }
  $("calls").tBodies[0].replaceChildren(...rows);
}

const SVG = "http://www.w3.org/2000/svg";

function spark(svg, points, now, valueOf, max, target) {
  const W = 600, H = 80, span = 3600, x0 = now - span;
  const parts = [];
  for (const p of points) {
    const v = valueOf(p);
    if (v === null || v === undefined || p[0] < x0) continue;
    const x = ((p[0] - x0) / span) * W, y = H - 4 - (Math.min(v, max) / max) * (H - 8);
    parts.push([x.toFixed(1), y.toFixed(1)]);
  }
  const nodes = [];
  if (target !== undefined) {
    const line = document.createElementNS(SVG, "line");
    const y = (H - 4 - target * (H - 8)).toFixed(1);
    line.setAttribute("x1", "0"); line.setAttribute("x2", String(W));
    line.setAttribute("y1", y); line.setAttribute("y2", y); line.setAttribute("class", "target");
    nodes.push(line);
  }
  if (parts.length) {
    const d = parts.map((p, i) => `${i ? "L" : "M"}${p[0]},${p[1]}`).join(" ");
    const area = document.createElementNS(SVG, "path");
    area.setAttribute("d", `${d} L${parts[parts.length - 1][0]},${H} L${parts[0][0]},${H} Z`);
    area.setAttribute("class", "area");
    const stroke = document.createElementNS(SVG, "path");
    stroke.setAttribute("d", d); stroke.setAttribute("class", "stroke");
    nodes.push(area, stroke);
  }
  svg.replaceChildren(...nodes);
}

function renderTrend(snap) {
  const points = snap.history.points, now = snap.clock.now;
  const waiting = snap.groups.reduce((a, g) => a + g.waiting, 0);
  const maxWaiting = Math.max(4, waiting, ...points.map((p) => p[1]));
  spark($("spark-waiting"), points.concat([[now, waiting, null]]), now, (p) => p[1], maxWaiting);
  const answered = snap.groups.reduce((a, g) => a + g.answered, 0);
  const within = snap.groups.reduce((a, g) => a + g.within, 0);
  const level = answered ? within / answered : null;
  spark($("spark-sl"), points.concat([[now, null, level]]), now, (p) => p[2], 1, 0.8);
  $("spark-waiting-now").textContent = String(waiting);
  $("spark-sl-now").textContent = percent(level);
}

function fillSelect(select, options) {
  const current = select.value;
  const wanted = options.map((o) => o.value).join("\n");
  if (select.dataset.options === wanted) return;
  select.replaceChildren(...options.map((o) => { const opt = el("option", o.text); opt.value = o.value; return opt; }));
  select.dataset.options = wanted;
  if (options.some((o) => o.value === current)) select.value = current;
}

function renderControl(snap) {
  $("control").hidden = !snap.control;
  if (!snap.control) return;
  fillSelect(document.querySelector("#f-offer select[name=group]"), snap.groups.map((g) => ({ value: g.name, text: g.name })));
  fillSelect(document.querySelector("#f-state select[name=session]"), snap.sessions.filter((s) => s.state !== "ENDED")
    .map((s) => ({ value: String(s.session), text: `${s.agent} / ${s.group} (#${s.session})` })));
  $("f-advance").hidden = snap.clock.kind !== "manual";
  $("faults").replaceChildren(...snap.faults.map((f) =>
    el("li", `Req_Func ${f.function}: ${f.mode}${f.mode === "delay" ? ` ${f.seconds}s` : ""}${f.mode === "error" ? ` ${f.error}` : ""}` +
      `${f.after ? ` after ${f.after}` : ""}${f.probability < 1 ? ` p=${f.probability}` : ""}`)));
}

function render(snap) {
  $("scenario").textContent = snap.scenario;
  document.title = `${snap.scenario} - TAPI emulator`;
  $("clock").textContent = clock(snap.clock.now);
  $("clock").title = snap.clock.wall;
  $("clock-kind").textContent = snap.clock.kind === "manual" ? "manual clock" : "real clock";
  renderGroups(snap);
  renderTrend(snap);
  renderSessions(snap);
  renderCalls(snap);
  renderControl(snap);
  $("footer").textContent = `${snap.connections} TAPI connection(s), ${snap.viewers} viewer(s); ` +
    `service level = answered within ${snap.threshold} s / answered`;
  document.body.dataset.now = String(snap.clock.now);
}

async function post(path, body, method) {
  const out = $("control-result");
  try {
    const response = await fetch(path, { method: method || "POST", headers: { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body) });
    const answer = await response.json();
    out.textContent = response.ok ? `done: ${JSON.stringify(answer)}` : `refused (${response.status}): ${answer.error}`;
  } catch (err) {
    out.textContent = `failed: ${err}`;
  }
}

function wireControls() {
  const num = (form, name) => Number(form.elements[name].value);
  $("f-advance").addEventListener("submit", (e) => { e.preventDefault(); post("/api/advance", { seconds: num(e.target, "seconds") }); });
  $("f-offer").addEventListener("submit", (e) => {
    e.preventDefault();
    const f = e.target.elements, call = { group: f.group.value, talk: num(e.target, "talk") };
    if (f.ani.value) call.ani = f.ani.value;
    if (f.patience.value !== "") call.patience = num(e.target, "patience");
    post("/api/offer", call);
  });
  $("f-state").addEventListener("submit", (e) => {
    e.preventDefault(); post("/api/session-state", { session: num(e.target, "session"), state: e.target.elements.state.value });
  });
  $("f-fault").addEventListener("submit", (e) => {
    e.preventDefault();
    const rule = { function: num(e.target, "function"), mode: e.target.elements.mode.value };
    if (rule.mode === "delay") rule.seconds = num(e.target, "seconds");
    post("/api/faults", rule);
  });
  $("clear-faults").addEventListener("click", () => post("/api/faults", undefined, "DELETE"));
}

function connect() {
  const source = new EventSource("/api/events");
  source.addEventListener("open", () => { $("link").textContent = "live"; $("link").className = "link up"; });
  source.addEventListener("state", (e) => render(JSON.parse(e.data)));
  source.addEventListener("dropped", () => { $("link").textContent = "dropped (too slow); reconnecting"; });
  source.addEventListener("error", () => { $("link").textContent = "reconnecting..."; $("link").className = "link down"; });
}

wireControls();
connect();
