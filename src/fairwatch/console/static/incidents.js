// The incident stack: every incident of the chosen states, most urgent first, kept current by the event stream;
// j/k move, Enter opens, n starts a new incident.

import { ApiError, announce, api, config, el, fmtAge, humanType, lang, live, now, onKeys, t, zoneName } from "./common.js";
import { clearOnEdit, clearProblems, showProblems } from "./logform.js";

const body = document.getElementById("inc-body");
const empty = document.getElementById("inc-empty");
const message = document.getElementById("inc-message");
const filter = document.getElementById("f-inc-state");
const form = document.getElementById("new-incident");
let incidents = [];
let selected = null;

const STATE_NAMES = { open: t("Open"), on_hold: t("On hold"), closed: t("Closed") };
const STATE_RANK = { open: 0, on_hold: 1, closed: 2 };

// -- the filter, kept in the URL ----------------------------------------------------------------------------
const wanted = new URLSearchParams(location.search).get("state");
if (wanted !== null && [...filter.options].some((o) => o.value === wanted)) filter.value = wanted;
filter.addEventListener("change", () => {
  const q = filter.value === "open,on_hold" ? "" : `?state=${encodeURIComponent(filter.value)}`;
  history.replaceState(null, "", q || location.pathname);
  load();
});

// -- rendering ----------------------------------------------------------------------------------------------
function byUrgency(a, b) {
  return STATE_RANK[a.state] - STATE_RANK[b.state] || a.priority - b.priority
    || Date.parse(b.reported_at) - Date.parse(a.reported_at) || b.id - a.id;
}

function lastLine(entry) {
  if (!entry) return el("span", { class: "muted", text: "—" });
  return el("span", { class: "last", title: entry.text || "" },
    el("time", { datetime: entry.occurred_at, text: clockTime(entry.occurred_at) }), " ",
    el("b", { text: entry.kind }), " ", entry.text || "");
}

function row(i) {
  const tr = el("tr", {
    class: `inc state-row-${i.state} row-prio-${i.priority}${i.id === selected ? " selected" : ""}`,
    "data-id": i.id, tabindex: i.id === selected ? "0" : "-1", "aria-selected": String(i.id === selected),
  },
  el("td", { class: "mono number" }, el("a", { href: `/incidents/${i.id}`, text: i.number })),
  el("td", {}, el("span", { class: `state state-${i.state}`, text: STATE_NAMES[i.state] || i.state })),
  el("td", { class: "num" }, el("span", { class: `prio prio-${i.priority}`, text: `P${i.priority}` })),
  el("td", { class: "what" }, el("div", { class: "title", text: i.title }),
    el("div", { class: "muted small", text: humanType(i.type) }),
    i.exercise ? el("span", { class: "exercise", text: t("Exercise") }) : null),
  el("td", { class: "zone", text: zoneName(i.zone) }),
  el("td", { class: "owner", text: i.owner || "—", title: i.owner || "" }),
  el("td", { class: "age", "data-since": Date.parse(i.reported_at), text: fmtAge(now() - Date.parse(i.reported_at)) }),
  el("td", { class: "last-log" }, lastLine(i.last_log)));
  tr.addEventListener("click", () => select(i.id, true));
  tr.addEventListener("dblclick", () => location.assign(`/incidents/${i.id}`));
  return tr;
}

function render() {
  const hadFocus = body.contains(document.activeElement);
  const rows = [...incidents].sort(byUrgency);
  if (selected !== null && !rows.some((i) => i.id === selected)) selected = rows[0]?.id ?? null;
  body.replaceChildren(...rows.map(row));
  if (selected === null && body.rows.length) body.rows[0].tabIndex = 0;
  empty.hidden = rows.length > 0;
  const open = incidents.filter((i) => i.state === "open").length;
  const held = incidents.filter((i) => i.state === "on_hold").length;
  document.getElementById("inc-tally").replaceChildren(
    el("span", { class: "chip" }, `${t("Open")} `, el("b", { text: String(open) })),
    el("span", { class: "chip" }, `${t("On hold")} `, el("b", { text: String(held) })));
  if (hadFocus && selected !== null) body.querySelector(`tr[data-id="${selected}"]`)?.focus();
}

function clockTime(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : new Intl.DateTimeFormat("en-GB", { timeZone: config.timezone || undefined,
    hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(d);
}

setInterval(() => {
  const t = now();
  for (const cell of body.querySelectorAll("td.age")) cell.textContent = fmtAge(t - Number(cell.dataset.since));
}, 1000);

// -- keyboard -----------------------------------------------------------------------------------------------
function select(id, focus = false) {
  selected = id;
  for (const tr of body.rows) {
    const on = Number(tr.dataset.id) === id;
    tr.classList.toggle("selected", on);
    tr.tabIndex = on ? 0 : -1;
    tr.setAttribute("aria-selected", String(on));
    if (on && focus) { tr.focus(); tr.scrollIntoView({ block: "nearest" }); }
  }
}
function move(delta) {
  const ids = [...body.rows].map((tr) => Number(tr.dataset.id));
  if (!ids.length) return;
  const at = ids.indexOf(selected);
  select(ids[at < 0 ? 0 : Math.min(ids.length - 1, Math.max(0, at + delta))], true);
}
const open = () => selected !== null && location.assign(`/incidents/${selected}`);
onKeys({
  j: () => move(1), k: () => move(-1), ArrowDown: () => move(1), ArrowUp: () => move(-1),
  Enter: (e) => { const link = e.target.closest?.("a[href]"); if (link) location.assign(link.href); else open(); },
  o: open,
  n: () => form?.querySelector('[name="title"]').focus(),
  "/": () => filter.focus(),
  Escape: () => document.activeElement?.blur(),
});

// -- the new-incident form ----------------------------------------------------------------------------------
async function fillTypes() {
  const select = form.querySelector('[name="type"]');
  try {
    const doc = await api("/.well-known/alarm-taxonomy.json");
    const types = (doc.types || []).filter((t) => t.status === "active")
      .sort((a, b) => a.id.localeCompare(b.id));
    select.append(...types.map((k) => el("option", { value: k.id, text: lang === "en" ? `${humanType(k.id)} — ${k.names?.en || k.id}` : `${humanType(k.id)} (${k.id})` })));
  } catch (err) {
    showProblems(form, err);
  }
}

if (form) {
  fillTypes();
  clearOnEdit(form);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    const doc = { title: String(f.get("title")).trim(), type: f.get("type"), severity: f.get("severity") };
    if (!doc.title) delete doc.title;
    if (!doc.type) delete doc.type;
    if (f.get("priority")) doc.priority = Number(f.get("priority"));
    if (f.get("zone")) doc.zone = f.get("zone");
    try {
      const made = await api("/api/v1/incidents", { method: "POST", body: doc });
      clearProblems(form);
      location.assign(`/incidents/${made.id}`);
    } catch (err) {
      showProblems(form, err, document.getElementById("new-message"));
    }
  });
}

// -- data: the API, then the stream -------------------------------------------------------------------------
let asked = 0; // only the newest answer is drawn: an older one may arrive last (a filter change during a reload)
async function load() {
  const mine = ++asked;
  const states = filter.value ? `&state=${encodeURIComponent(filter.value)}` : "";
  try {
    const data = await api(`/api/v1/incidents?limit=500${states}`);
    if (mine !== asked) return;
    incidents = data.incidents;
    message.hidden = true;
  } catch (err) {
    if (err instanceof ApiError && err.status !== 401) { message.textContent = err.detail; message.hidden = false; }
  }
  render();
}

let timer = null;
function onIncident(msg) {
  if (msg.kind === "created") announce(t("New incident {number}: {what}", { number: msg.incident.number, what: humanType(msg.incident.type) }));
  clearTimeout(timer);
  timer = setTimeout(load, 150); // a burst of changes becomes one reload (the stream carries no log text)
}
live({ onChange() {}, onReset: load, on: { incident: onIncident } });
load();
