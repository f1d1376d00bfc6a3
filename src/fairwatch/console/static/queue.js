// The live queue: active alarms, most severe first, unacknowledged before acknowledged, then oldest; kept
// current by the event stream. Sound and desktop notifications are sound.js's (every page has them).

import {
  ApiError, SEVERITIES, act, activeAlarms, announce, api, askResolve, can, config, el, fmtAge, humanType, isolated,
  live, now, onKeys, sevRank, t, word, zoneAbbr, zoneName,
} from "./common.js";
import { VenueMap } from "./map.js";
import { attention } from "./sound.js";

const alarms = new Map(); // id -> alarm, active ones only
const fresh = new Set(); // ids to flash once
const picked = new Set(); // ids chosen for a bulk action
const expanded = new Set(); // flood parents whose children are shown
let selected = null;
let pending = false;
// Bulk actions by role (console/auth.py BULK_ROLES): operators acknowledge a batch or open an incident from it.
const bulk = config.bulk || [];
const sinceFmt = new Intl.DateTimeFormat("en-GB", { timeZone: config.timezone || undefined, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
function sinceText(iso) {
  const d = new Date(iso);
  return isolated(`${sinceFmt.format(d)} ${zoneAbbr(d)}`);
}

const body = document.getElementById("queue-body");
const empty = document.getElementById("queue-empty");
const message = document.getElementById("queue-message");
const form = document.getElementById("filters");
const map = config.site ? new VenueMap(document.getElementById("map"), config.site, { planUrl: config.plan_url }) : null;
if (!map) document.getElementById("map").replaceChildren(el("p", { class: "empty", text: t("No site plan is configured.") }));

// -- filters (kept in the URL so a view can be shared) ------------------------------------------------------
const fields = ["zone", "severity", "state", "type"];
function fillSelect(select, values, label) {
  const current = select.value;
  const keep = select.options[0];
  select.replaceChildren(keep, ...values.map(([v, text]) => el("option", { value: v, text: text ?? v })));
  select.value = values.some(([v]) => v === current) ? current : "";
  if (label) select.options[0].textContent = label;
}
fillSelect(form.zone, (config.site?.zones || []).map((z) => [z.id, z.name]));
fillSelect(form.severity, SEVERITIES.map((s) => [s, capital(word(s))]));
function capital(text) { return text ? text[0].toUpperCase() + text.slice(1) : text; }
const params = new URLSearchParams(location.search);
const wanted = Object.fromEntries(fields.map((f) => [f, params.get(f) || ""]));
for (const f of ["zone", "severity", "state"]) form[f].value = wanted[f];

function refreshTypeOptions() {
  const types = [...new Set([...alarms.values()].map((a) => a.type))].sort();
  if (wanted.type && !types.includes(wanted.type)) types.push(wanted.type);
  fillSelect(form.type, types.map((t) => [t, humanType(t)]));
  if (wanted.type) { form.type.value = wanted.type; wanted.type = ""; }
}

function filters() { return Object.fromEntries(fields.map((f) => [f, form[f].value])); }
function matches(a, f) {
  return (!f.zone || a.zone === f.zone) && (!f.severity || a.severity === f.severity)
    && (!f.state || a.state === f.state) && (!f.type || a.type === f.type);
}
form.addEventListener("change", () => {
  const f = filters();
  const q = new URLSearchParams(Object.entries(f).filter(([, v]) => v));
  history.replaceState(null, "", q.toString() ? `?${q}` : location.pathname);
  schedule();
});
form.addEventListener("reset", () => setTimeout(() => form.dispatchEvent(new Event("change")), 0));

// -- rendering ----------------------------------------------------------------------------------------------
// A flood child (docs/flood-control.md) folds under its parent while the parent is shown; "+N related" unfolds.
let kids = new Map(); // parent id -> its active children, as of the last visible()
const waiting = (a) => (a.state === "open" ? 0 : 1); // unacknowledged first within a severity
function byUrgency(a, b) {
  return sevRank(a.severity) - sevRank(b.severity) || waiting(a) - waiting(b)
    || Date.parse(a.first_seen) - Date.parse(b.first_seen) || a.id - b.id;
}
function visible() {
  const f = filters();
  const shown = (a) => a && matches(a, f);
  kids = new Map();
  for (const a of alarms.values()) {
    if (a.parent_id != null && shown(alarms.get(a.parent_id))) {
      if (!kids.has(a.parent_id)) kids.set(a.parent_id, []);
      kids.get(a.parent_id).push(a);
    }
  }
  const out = [];
  for (const a of [...alarms.values()].filter((x) => shown(x) && !(x.parent_id != null && kids.has(x.parent_id))).sort(byUrgency)) {
    out.push(a);
    if (expanded.has(a.id)) out.push(...(kids.get(a.id) || []).sort(byUrgency));
  }
  return out;
}
const folded = (a) => a.parent_id != null && kids.has(a.parent_id);
function toggleChildren(id) {
  if (expanded.has(id)) expanded.delete(id); else expanded.add(id);
  schedule();
}

function schedule() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => { pending = false; render(); });
}

function row(a) {
  const unacked = a.state === "open";
  const related = (kids.get(a.id) || []).length;
  const tr = el("tr", {
    class: `sev-${a.severity} ${unacked ? "unacked" : "acked"}${a.id === selected ? " selected" : ""}${fresh.has(a.id) ? " fresh" : ""}${folded(a) ? " child" : ""}`,
    "data-id": a.id, "data-alarm-id": a.id, "data-state": a.state, "data-severity": a.severity,
    "data-escalation": a.escalation_level || 0,
    tabindex: a.id === selected ? "0" : "-1", "aria-selected": String(a.id === selected),
  });
  if (bulk.length) {
    const box = el("input", { type: "checkbox", "aria-label": t("Select alarm {id}", { id: a.id }) });
    box.checked = picked.has(a.id);
    box.addEventListener("click", (e) => { e.stopPropagation(); togglePick(a.id, box.checked); });
    tr.append(el("td", { class: "check" }, box));
  }
  tr.append(
    el("td", {}, el("span", { class: `sev sev-${a.severity}`, text: word(a.severity) })),
    el("td", { class: "what" },
      el("a", { href: `/alarms/${a.id}`, text: humanType(a.type) }),
      related ? el("button", { type: "button", class: "related", text: t("+{n} related", { n: related }),
        "aria-expanded": String(expanded.has(a.id)), title: t("Alarms of the same type and zone grouped under this one"),
        onclick: (e) => { e.stopPropagation(); toggleChildren(a.id); } }) : null,
      a.explanation ? el("div", { class: "expl", text: a.explanation, title: a.explanation }) : null),
    el("td", { class: "zone", text: zoneName(a.zone), title: zoneName(a.zone) }),
    el("td", { class: "age-cell" },
      el("span", { class: "age", "data-since": Date.parse(a.first_seen), text: fmtAge(now() - Date.parse(a.first_seen)) }),
      el("time", { class: "since", datetime: a.first_seen, title: t("First seen"), text: sinceText(a.first_seen) })),
    el("td", { class: "num", text: String(a.count) }),
    el("td", { class: "state-cell" },
      el("span", { class: `state state-${a.state}`, text: unacked ? t("Unacknowledged") : t("Acknowledged") }),
      a.escalation_level ? el("span", { class: "esc", text: `L${a.escalation_level}`, "aria-label": t("Escalation level {level}", { level: a.escalation_level }),
        title: t("Escalation level {level}: more people were told because it waited", { level: a.escalation_level }) }) : null,
      a.assignee ? el("div", { class: "assignee", text: `→ ${a.assignee}` }) : null),
  );
  const cell = el("td", { class: "actions" });
  if (can(a, "ack")) {
    cell.append(el("button", { type: "button", class: "btn small", text: t("Ack"), "aria-label": t("Acknowledge alarm {id}", { id: a.id }),
      onclick: (e) => { e.stopPropagation(); acknowledge(a.id); } }));
  }
  tr.append(cell);
  tr.addEventListener("click", () => select(a.id, true));
  tr.addEventListener("dblclick", () => location.assign(`/alarms/${a.id}`));
  return tr;
}

function render() {
  const hadFocus = body.contains(document.activeElement) && document.activeElement.tagName === "TR";
  const rows = visible();
  if (selected !== null && !rows.some((a) => a.id === selected)) selected = rows[0]?.id ?? null;
  body.replaceChildren(...rows.map(row));
  if (selected === null && body.rows.length) body.rows[0].tabIndex = 0; // Tab reaches the queue before any j/k
  fresh.clear();
  empty.hidden = rows.length > 0;
  renderTally();
  refreshTypeOptions();
  renderBulk();
  if (map) map.update(rows, selected);
  renderZones();
  if (hadFocus && selected !== null) body.querySelector(`tr[data-id="${selected}"]`)?.focus();
}

function renderTally() {
  const all = [...alarms.values()];
  const chips = SEVERITIES.map((s) => {
    const n = all.filter((a) => a.severity === s).length;
    return el("span", { class: `chip sev-${s}${n && sevRank(s) <= 1 ? " hot" : ""}`, title: `${n} ${word(s)}` },
      el("i", { "aria-hidden": "true" }), `${capital(word(s))} `, el("b", { text: String(n) }));
  });
  const unacked = all.filter((a) => a.state === "open").length;
  chips.push(el("span", { class: "chip unack" }, `${t("Unacknowledged")} `, el("b", { id: "unacked-count", text: String(unacked) })));
  document.getElementById("tally").replaceChildren(...chips);
  document.title = `${unacked ? `(${unacked}) ` : ""}${t("Alarm queue")} · Fairwatch`;
}

// Every zone of the site with its active alarms: the worst first, quiet zones last.
function renderZones() {
  const tbody = document.getElementById("zone-body");
  if (!tbody) return;
  const stats = new Map((config.site?.zones || []).map((z) => [z.id, { name: z.name, worst: null, n: 0, unacked: 0 }]));
  for (const a of alarms.values()) {
    if (!a.zone) continue;
    if (!stats.has(a.zone)) stats.set(a.zone, { name: a.zone, worst: null, n: 0, unacked: 0 });
    const z = stats.get(a.zone);
    z.n += 1;
    if (a.state === "open") z.unacked += 1;
    if (z.worst === null || sevRank(a.severity) < sevRank(z.worst)) z.worst = a.severity;
  }
  const ordered = [...stats.entries()].sort(([, a], [, b]) => sevRank(a.worst) - sevRank(b.worst) || b.n - a.n);
  tbody.replaceChildren(...ordered.map(([id, z]) => el("tr", { class: z.n ? "" : "calm", "data-zone": id },
    el("td", {}, el("button", { type: "button", class: "linkish", text: z.name, title: t("Show only {zone}", { zone: z.name }),
      onclick: () => { form.zone.value = id; form.dispatchEvent(new Event("change")); } })),
    el("td", {}, z.worst ? el("span", { class: `sev sev-${z.worst}`, text: word(z.worst) }) : "—"),
    el("td", { class: "num", text: String(z.n) }),
    el("td", { class: "num", text: String(z.unacked) }))));
}

setInterval(() => {
  const t = now();
  for (const cell of body.querySelectorAll(".age[data-since]")) cell.textContent = fmtAge(t - Number(cell.dataset.since));
}, 1000);

// -- selection and keyboard ---------------------------------------------------------------------------------
function select(id, focus = false) {
  selected = id;
  for (const tr of body.rows) {
    const on = Number(tr.dataset.id) === id;
    tr.classList.toggle("selected", on);
    tr.tabIndex = on ? 0 : -1;
    tr.setAttribute("aria-selected", String(on));
    if (on && focus) { tr.focus(); tr.scrollIntoView({ block: "nearest" }); }
  }
  if (map) map.update(visible(), selected);
}

function move(delta) {
  const ids = visible().map((a) => a.id);
  if (!ids.length) return;
  const at = ids.indexOf(selected);
  const next = at < 0 ? 0 : Math.min(ids.length - 1, Math.max(0, at + delta));
  select(ids[next], true);
}

function showError(text) {
  message.textContent = text;
  message.hidden = false;
  setTimeout(() => { message.hidden = true; }, 8000);
}

async function acknowledge(id) {
  const a = alarms.get(id);
  if (!a || !can(a, "ack")) return;
  try {
    merge(await act(id, "ack"));
    announce(t("Alarm {id} acknowledged", { id }));
  } catch (err) { if (err instanceof ApiError) showError(`${t("Alarm {id}", { id })}: ${err.detail}`); }
}

async function resolve(ids) {
  const list = ids.map((id) => alarms.get(id)).filter((a) => a && can(a, "resolve"));
  if (!list.length) return;
  const what = list.length === 1 ? t("#{id} {what} in {zone}", { id: list[0].id, what: humanType(list[0].type), zone: zoneName(list[0].zone) }) : t("{n} alarms", { n: list.length });
  const choice = await askResolve(what);
  if (!choice) return;
  const failures = [];
  for (const a of list) {
    try { merge(await act(a.id, "resolve", choice)); } catch (err) { failures.push(`#${a.id}: ${err.detail || err.message}`); }
  }
  if (failures.length) showError(failures.join(" · "));
  else announce(list.length === 1 ? t("Alarm resolved") : t("{n} alarms resolved", { n: list.length }));
}

async function acknowledgeMany(ids) {
  const list = ids.map((id) => alarms.get(id)).filter((a) => a && can(a, "ack"));
  const failures = [];
  for (const a of list) {
    try { merge(await act(a.id, "ack")); } catch (err) { failures.push(`#${a.id}: ${err.detail || err.message}`); }
  }
  if (failures.length) showError(failures.join(" · "));
  else if (list.length) announce(list.length === 1 ? t("Alarm acknowledged") : t("{n} alarms acknowledged", { n: list.length }));
}

// `i`: an incident from the picked alarms (or the focused one); its type and severity are the first one's.
async function openIncident() {
  if (!bulk.includes("incident")) return;
  const chosen = visible().filter((a) => (picked.size ? picked.has(a.id) : a.id === selected));
  if (!chosen.length) return;
  const first = chosen[0];
  const name = (config.type_names || {})[first.type] || humanType(first.type);
  const body = { title: first.zone ? `${name} in ${zoneName(first.zone)}` : name, type: first.type,
    severity: first.severity, alarms: chosen.map((a) => a.id) };
  if (first.zone) body.zone = first.zone;
  try {
    const incident = await api("/api/v1/incidents", { method: "POST", body });
    picked.clear();
    location.assign(`/incidents/${incident.id}`);
  } catch (err) { if (err instanceof ApiError) showError(`${t("Incident")}: ${err.detail}`); }
}

function togglePick(id, on) {
  if (on) picked.add(id); else picked.delete(id);
  renderBulk();
}
function renderBulk() {
  const bar = document.getElementById("bulk");
  if (!bar) return;
  for (const id of [...picked]) if (!alarms.has(id)) picked.delete(id);
  bar.hidden = picked.size === 0;
  document.getElementById("bulk-count").textContent = t("{n} selected", { n: picked.size });
}
document.getElementById("bulk")?.addEventListener("click", async (e) => {
  const kind = e.target.closest("button")?.dataset.bulk;
  if (kind === "clear") { picked.clear(); schedule(); }
  if (kind === "ack") { await acknowledgeMany(visible().filter((a) => picked.has(a.id)).map((a) => a.id)); picked.clear(); schedule(); }
  if (kind === "incident") await openIncident();
  if (kind === "resolve") { await resolve([...picked]); picked.clear(); schedule(); }
});

onKeys({
  j: () => move(1),
  k: () => move(-1),
  ArrowDown: () => move(1),
  ArrowUp: () => move(-1),
  Enter: () => selected !== null && location.assign(`/alarms/${selected}`),
  o: () => selected !== null && location.assign(`/alarms/${selected}`),
  a: () => selected !== null && acknowledge(selected),
  r: () => selected !== null && resolve([selected]),
  x: () => { if (bulk.length && selected !== null) { togglePick(selected, !picked.has(selected)); schedule(); } },
  i: () => openIncident(),
  "/": () => form.zone.focus(),
});

// -- data: the API first, then the live stream --------------------------------------------------------------
function merge(a) {
  const known = alarms.get(a.id);
  // The stream's alarm carries no escalation level: keep the one known, unless the alarm starts over.
  if (known && a.escalation_level === undefined) a = { ...a, escalation_level: known.escalation_level };
  if (a.state === "resolved" || a.state === "shelved") alarms.delete(a.id); else alarms.set(a.id, a);
  attention.track(a);
  schedule();
}

let buffered = null; // changes that arrive while the list is being fetched, applied after it

function onChange(change) {
  if (buffered) { buffered.push(change); return; }
  const a = change.alarm;
  const known = alarms.get(a.id);
  if (known && known.version > a.version) return; // an older message replayed after a reconnect
  if (change.change === "escalation" && change.details?.step === "escalation") {
    merge({ ...a, escalation_level: Math.max(change.details.level || 0, known?.escalation_level || 0) });
    return;
  }
  merge(change.change === "reopened" ? { ...a, escalation_level: 0 } : a);
  const isNew = ["raised", "reopened", "escalated", "unshelved"].includes(change.change) && (a.state === "open" || a.state === "acknowledged");
  if (!isNew) return;
  fresh.add(a.id);
  const text = t("New {severity} alarm: {what} in {zone}", { severity: word(a.severity), what: humanType(a.type), zone: zoneName(a.zone) });
  announce(text, a.severity === "critical");
}

async function reload() {
  buffered = [];
  try {
    const list = await activeAlarms();
    alarms.clear();
    for (const a of list) alarms.set(a.id, a);
  } catch (err) {
    if (err instanceof ApiError && err.status !== 401) showError(err.detail);
  } finally {
    const missed = buffered;
    buffered = null;
    for (const change of missed) onChange(change);
    schedule();
  }
}

live({ onChange, onReset: reload });
reload();
