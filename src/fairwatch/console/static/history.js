// History: free-text search over alarms (resolved by default) with a time range, paged; and the shelved alarms,
// kept current by the event stream (a shelf that runs out disappears from the list by itself).

import {
  ApiError, SEVERITIES, act, announce, api, config, el, fmtTime, humanType, live, siteTimeToIso, t, word, zoneName,
} from "./common.js";

const form = document.getElementById("history-form");
const body = document.getElementById("history-body");
const empty = document.getElementById("history-empty");
const more = document.getElementById("history-more");
const count = document.getElementById("history-count");
const message = document.getElementById("history-message");
const FIELDS = ["q", "state", "severity", "zone", "from", "to"];
let next = null;
let shown = 0;
let asked = 0; // the latest search asked for: an older answer arriving late is dropped

function fill(select, values) {
  select.append(...values.map(([v, text]) => el("option", { value: v, text })));
}
fill(form.severity, SEVERITIES.map((s) => [s, word(s)[0].toUpperCase() + word(s).slice(1)]));
fill(form.zone, (config.site?.zones || []).map((z) => [z.id, z.name]));

// The form is kept in the URL, so a search can be shared and survives a reload.
const params = new URLSearchParams(location.search);
for (const f of FIELDS) if (params.has(f)) form[f].value = params.get(f);

function showError(text) {
  message.textContent = text;
  message.hidden = false;
}

function apiQuery() {
  const q = new URLSearchParams({ limit: "50", children: "include" });
  const text = form.q.value.trim();
  if (text) q.set("q", text);
  for (const f of ["state", "severity", "zone"]) if (form[f].value) q.set(f, form[f].value);
  for (const [f, name] of [["from", "since"], ["to", "until"]]) {
    const iso = siteTimeToIso(form[f].value);
    if (iso) q.set(name, iso);
  }
  return q;
}

function outcome(a) {
  const state = a.state === "open" ? t("unacknowledged") : word(a.state);
  return a.disposition ? `${state} (${t(a.disposition.replaceAll("_", " "))})` : state;
}

function row(a) {
  return el("tr", { "data-alarm-id": a.id, "data-state": a.state, "data-severity": a.severity },
    el("td", { class: "mono" }, el("a", { href: `/alarms/${a.id}`, text: String(a.id) })),
    el("td", {}, el("span", { class: `sev sev-${a.severity}`, text: word(a.severity) })),
    el("td", { class: "what" }, el("a", { href: `/alarms/${a.id}`, text: humanType(a.type) }),
      a.explanation ? el("div", { class: "expl", text: a.explanation }) : null),
    el("td", { text: zoneName(a.zone) }),
    el("td", {}, el("time", { datetime: a.first_seen, text: fmtTime(a.first_seen) })),
    el("td", {}, el("time", { datetime: a.updated, text: fmtTime(a.updated) })),
    el("td", { class: `state-${a.state}`, text: outcome(a) }));
}

async function search(again = false) {
  const q = apiQuery();
  if (again && next) q.set("cursor", next);
  const mine = ++asked;
  more.disabled = true;
  try {
    const data = await api(`/api/v1/alarms?${q}`);
    if (mine !== asked) return;
    if (!again) { body.replaceChildren(); shown = 0; }
    body.append(...data.alarms.map(row));
    shown += data.alarms.length;
    next = data.next;
    message.hidden = true;
  } catch (err) {
    if (err instanceof ApiError && err.status !== 401) showError(err.detail);
    return;
  } finally {
    more.disabled = false;
  }
  empty.hidden = shown > 0;
  more.hidden = !next;
  count.textContent = shown === 1 ? (next ? t("1 alarm so far") : t("1 alarm")) : t(next ? "{n} alarms so far" : "{n} alarms", { n: shown });
  announce(count.textContent);
}

function run() {
  const kept = new URLSearchParams(FIELDS.filter((f) => form[f].value).map((f) => [f, form[f].value]));
  history.replaceState(null, "", `?${kept}`);
  search();
}
let typing = null;
form.addEventListener("submit", (e) => { e.preventDefault(); clearTimeout(typing); run(); });
form.addEventListener("change", () => { clearTimeout(typing); run(); });
form.q.addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(run, 300); }); // results follow typing
more.addEventListener("click", () => search(true));

// -- shelved alarms ---------------------------------------------------------------------------------------
const shelvedBody = document.getElementById("shelved-body");
const shelvedEmpty = document.getElementById("shelved-empty");
const shelvedIds = new Set();
let timer = null;

function shelvedRow(a) {
  const shelf = a.shelf || {};
  const cell = el("td", { class: "actions" });
  if (config.can_unshelve && (a.allowed_actions || []).includes("unshelve")) {
    cell.append(el("button", { type: "button", class: "btn small", text: t("Unshelve"), "aria-label": t("Unshelve alarm {id}", { id: a.id }),
      onclick: (e) => unshelve(a.id, e.currentTarget) }));
  }
  return el("tr", { "data-alarm-id": a.id, "data-state": a.state, "data-severity": a.severity },
    el("td", {}, el("span", { class: `sev sev-${a.severity}`, text: word(a.severity) }), " ",
      el("a", { href: `/alarms/${a.id}`, text: `#${a.id} ${humanType(a.type)}` })),
    el("td", { text: zoneName(a.zone) }),
    el("td", {}, shelf.until ? el("time", { datetime: shelf.until, text: fmtTime(shelf.until) }) : "—"),
    el("td", { text: shelf.by || "—" }),
    el("td", { class: "reason", text: shelf.reason || "" }),
    cell);
}

async function loadShelved() {
  try {
    const data = await api("/api/v1/alarms?state=shelved&children=include&limit=500");
    const list = data.alarms.sort((a, b) => Date.parse(a.shelf?.until) - Date.parse(b.shelf?.until));
    shelvedIds.clear();
    for (const a of list) shelvedIds.add(a.id);
    shelvedBody.replaceChildren(...list.map(shelvedRow));
    shelvedEmpty.hidden = list.length > 0;
  } catch (err) {
    if (err instanceof ApiError && err.status !== 401) showError(err.detail);
  }
}

async function unshelve(id, button) {
  button.disabled = true;
  try {
    await act(id, "unshelve");
    announce(t("Alarm {id} is back in the queue", { id }));
    await loadShelved();
  } catch (err) {
    if (err instanceof ApiError) showError(`${t("Alarm {id}", { id })}: ${err.detail}`);
    button.disabled = false;
  }
}

live({
  onChange(change) {
    if (change.alarm.state !== "shelved" && !shelvedIds.has(change.alarm.id)) return;
    clearTimeout(timer);
    timer = setTimeout(loadShelved, 150); // a burst of changes becomes one reload
  },
  onReset: loadShelved,
});
loadShelved();
search();
