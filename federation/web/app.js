// app.js - the dashboard's logic: loads the global state, the strategy
// ranking and the mode history from /api/orchestration, then follows the
// /events stream (state, alert, mode) and redraws; the mode and an
// emergency stop are the policy's, as the state gives them; the risk chart
// keeps the last 300 points of risk score, VaR and ES.
"use strict";

const API = "/api/orchestration";
const $ = (id) => document.getElementById(id);
const points = [[], [], [], []]; // time (s), risk score, VaR %, ES %
let chart = null;
let decidedAt = null;

function text(el, s) { el.textContent = s; }

function fmtAge(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 90 ? s + " s" : s < 5400 ? Math.round(s / 60) + " min" : Math.round(s / 3600) + " h";
}

function renderState(g) {
  const mode = $("mode");
  text(mode, g.global_mode);
  mode.className = "mode " + g.global_mode;
  text($("mode-reason"), g.mode_reason || "");
  if (g.active_mode) text($("active-mode"), g.active_mode);
  decidedAt = g.sources && g.sources.ceo && g.sources.ceo.age_s != null
    ? Date.now() - g.sources.ceo.age_s * 1000 : null;
  const stop = g.emergency_stop || {};
  $("stop").hidden = !stop.held;
  text($("stop"), stop.held ? `emergency stop held, set by ${stop.set_by}` +
    (stop.activated_at ? ` at ${stop.activated_at}` : "") + `: ${stop.reason || "no reason given"}` : "");
  const deg = $("degraded");
  deg.hidden = !g.degraded;
  text(deg, g.degraded ? "degraded: " + g.degraded_reasons.join("; ") : "");
  const body = $("limits").tBodies[0];
  body.replaceChildren();
  for (const [k, v] of Object.entries(g.effective_risk_limits || {})) {
    const tr = body.insertRow();
    tr.insertCell().textContent = k;
    tr.insertCell().textContent = typeof v === "number" ? +v.toFixed(6) : String(v);
    tr.insertCell().textContent = (g.limit_sources || {})[k] || "";
  }
  text($("risk-score"), g.risk_score.toFixed(1));
  text($("risk-level"), g.risk_level);
  const alerts = $("alerts");
  alerts.replaceChildren();
  for (const a of g.alerts || []) {
    const li = document.createElement("li");
    li.className = a.level;
    li.textContent = `${a.level} ${a.source} ${a.code}: ${a.message}`;
    alerts.appendChild(li);
  }
  if (!alerts.children.length) alerts.innerHTML = "<li>none</li>";
}

let lastRisk = "";

function renderRisk(risk) {
  if (!risk) return;
  const key = JSON.stringify(risk);
  if (key === lastRisk) return; // the chart gets a point per new assessment
  lastRisk = key;
  const v = risk.var_estimate, e = risk.expected_shortfall;
  text($("var"), v == null ? "-" : (100 * v).toFixed(2) + " %");
  text($("es"), e == null ? "-" : (100 * e).toFixed(2) + " %");
  points[0].push(Date.now() / 1000);
  points[1].push(risk.risk_score);
  points[2].push(v == null ? null : 100 * v);
  points[3].push(e == null ? null : 100 * e);
  if (points[0].length > 300) points.forEach((p) => p.shift());
  if (!chart && window.uPlot) {
    chart = new uPlot({
      width: Math.min(1100, document.body.clientWidth - 80), height: 220,
      series: [{}, { label: "risk score", stroke: "#c62828", scale: "score" },
               { label: "VaR %", stroke: "#1565c0", scale: "pct" },
               { label: "ES %", stroke: "#6a1b9a", scale: "pct" }],
      axes: [{}, { scale: "score", label: "score" }, { scale: "pct", side: 1, label: "% loss" }],
      scales: { score: { range: [0, 100] } },
    }, points, $("chart"));
  } else if (chart) {
    chart.setData(points);
  }
}

function renderStrategies(last) {
  const body = $("strategies").tBodies[0];
  body.replaceChildren();
  const reasons = {};
  for (const d of (last && last.disabled) || []) reasons[d.strategy] = d.reason;
  for (const s of (last && last.ranking) || []) {
    const tr = body.insertRow();
    if (s.status === "disabled") tr.className = "disabled";
    tr.insertCell().textContent = s.rank;
    tr.insertCell().textContent = s.strategy;
    tr.insertCell().textContent = s.status;
    tr.insertCell().textContent = s.score == null ? "" : s.score.toFixed(1);
    tr.insertCell().textContent = reasons[s.strategy] || (s.disabled ? s.disabled.reason : "");
  }
}

function addHistory(h, atTop) {
  const li = document.createElement("li");
  li.textContent = `${h.timestamp || ""} ${h.old_mode} -> ${h.new_mode} (${h.rule}${h.operator ? ", " + h.operator : ""}): ${h.reason}`;
  const ul = $("history");
  if (atTop) ul.prepend(li); else ul.appendChild(li);
  while (ul.children.length > 20) ul.lastChild.remove();
}

async function getJSON(path) {
  const r = await fetch(API + path, { cache: "no-cache" });
  return r.json();
}

async function refreshAgents() {
  try {
    const [risk, strat] = await Promise.all([getJSON("/agents/risk/status"), getJSON("/agents/strategy/status")]);
    renderRisk(risk.data && risk.data.last_state);
    renderStrategies(strat.data && strat.data.last_state);
  } catch (e) { /* the next state event retries */ }
}

async function start() {
  try {
    const g = await getJSON("/global-state");
    renderState(g.data || g.partial);
    const h = await getJSON("/mode-history?limit=20");
    for (const e of h.data || []) addHistory(e, false);
  } catch (e) { /* the stream below fills in */ }
  refreshAgents();
  const es = new EventSource(API + "/events");
  es.onopen = () => { text($("conn"), "live"); $("conn").className = "badge live"; };
  es.onerror = () => { text($("conn"), "reconnecting"); $("conn").className = "badge"; };
  es.addEventListener("state", (ev) => { renderState(JSON.parse(ev.data)); refreshAgents(); });
  // a switch is history; the mode shown is the policy's, from the state
  es.addEventListener("mode", (ev) => addHistory(JSON.parse(ev.data), true));
  setInterval(() => { if (decidedAt) text($("mode-age"), fmtAge(Date.now() - decidedAt)); }, 1000);
}

start();
