// One incident: facts, the timeline (by occurred or entered time), the quick log, decisions, M/ETHANE,
// corrections, tasks of the action card, merged alarms and the state actions; kept current by the event stream.

import { ApiError, announce, api, config, el, fmtTime, humanType, live, onKeys, t, word, zoneName } from "./common.js";
import { clearOnEdit, clearProblems, orderToggle, quickLog, renderTimeline, showProblems } from "./logform.js";

const id = config.incident_id;
const $ = (x) => document.getElementById(x);
let incident = null;

const STATE_NAMES = { open: t("Open"), on_hold: t("On hold"), closed: t("Closed") };
const TASK_NAMES = { todo: t("To do"), doing: t("Doing"), done: t("Done"), skipped: t("Skipped") };
const order = orderToggle(() => load());

function say(box, kind, text) {
  box.className = `message ${kind}`;
  box.textContent = text;
  box.hidden = false;
}

// -- rendering ----------------------------------------------------------------------------------------------
function render(i) {
  $("inc-title").textContent = `${i.number} · ${i.title}`;
  $("i-prio").textContent = `P${i.priority}`;
  $("i-prio").className = `prio prio-${i.priority}`;
  $("i-state").textContent = STATE_NAMES[i.state] || i.state;
  $("i-state").className = `state state-${i.state}`;
  $("i-sub").textContent = `${humanType(i.type)} · ${zoneName(i.zone)} · ${word(i.severity)}`;
  $("i-exercise").hidden = !i.exercise;
  document.title = `${i.number} ${i.title} · Fairwatch`;
  facts(i);
  renderActions(i);
  renderTimeline($("timeline"), i.log, order.get(), { onCorrect: config.can_write ? pickForCorrection : null });
  renderTasks(i);
  renderAlarms(i);
  renderCorrectable(i);
  fillEdit(i);
}

// The change form shows the record as it is, unless someone has started editing it (a live update must not undo
// a choice made but not yet saved); saving or folding the form away ends the edit.
let editing = false;
function fillEdit(i) {
  const form = $("edit-facts");
  if (!form || editing) return;
  if (i.owner && ![...form.owner.options].some((o) => o.value === i.owner)) form.owner.append(el("option", { value: i.owner, text: i.owner }));
  form.owner.value = i.owner || "";
  form.zone.value = i.zone || "";
  form.lead_agency.value = i.lead_agency || "";
  form.priority.value = String(i.priority);
  form.major_incident.value = i.major_incident;
}

// Only what changed is sent; an emptied owner, zone or lead agency is sent as null, which clears it.
function changes(form, i) {
  const out = {};
  for (const k of ["owner", "zone", "lead_agency"]) {
    const v = form[k].value.trim();
    if (v !== (i[k] || "")) out[k] = v || null;
  }
  if (Number(form.priority.value) !== i.priority) out.priority = Number(form.priority.value);
  if (form.major_incident.value !== i.major_incident) out.major_incident = form.major_incident.value;
  return out;
}

function facts(i) {
  const time = (at) => (at ? fmtTime(at) : "—");
  const rows = [
    [t("Number"), i.number], [t("State"), `${STATE_NAMES[i.state] || i.state}${i.disposition ? ` (${t(i.disposition.replaceAll("_", " "))})` : ""}`],
    [t("Type"), el("span", { class: "mono", text: i.type })], [t("Severity"), el("span", { class: `sev sev-${i.severity}`, text: word(i.severity) })],
    [t("Priority"), `P${i.priority}`], [t("Zone"), zoneName(i.zone)],
    [t("Owner"), i.owner || "—"], [t("Reporter"), i.reporter],
    [t("Lead agency"), i.lead_agency || "—"], [t("Agencies"), i.agencies.length ? i.agencies.join(", ") : "—"],
    [t("Occurred"), time(i.occurred_at)], [t("Reported"), time(i.reported_at)],
    [t("First dispatch"), time(i.first_dispatch_at)], [t("Closed"), time(i.closed_at)],
    [t("Major incident"), t(i.major_incident.replaceAll("_", " "))], [t("Exercise"), i.exercise ? t("yes") : t("no")],
    ...(i.location ? [[t("Location"), Object.entries(i.location).map(([k, v]) => `${k} ${v}`).join(", ")]] : []),
    ...(i.closing_note ? [[t("Closing note"), i.closing_note]] : []),
  ];
  const wide = new Set([t("Closing note"), t("Location")]);
  $("facts").replaceChildren(...rows.flatMap(([k, v]) => [
    el("dt", { text: k, class: wide.has(k) ? "wide" : null }), el("dd", { class: wide.has(k) ? "wide" : null }, v)]));
}

function renderActions(i) {
  if (!$("state-panel")) return;
  let any = false;
  for (const row of document.querySelectorAll(".action-row[data-action]")) {
    row.hidden = !i.actions.includes(row.dataset.action);
    any = any || !row.hidden;
  }
  $("state-none").hidden = any;
  $("state-none").textContent = i.state === "closed" ? t("Closed. A supervisor can reopen it.") : "";
}

// A live re-render must lose neither a skip reason being typed nor a refusal being shown: both live here by task id.
const skipDrafts = new Map();
const taskErrors = new Map();

function renderTasks(i) {
  const cards = [...new Set(i.tasks.map((task) => task.card).filter(Boolean))];
  $("card-name").textContent = cards.length ? t("Action card: {names}", { names: cards.map(humanType).join(", ") }) : "";
  const list = $("tasks");
  const focused = list.contains(document.activeElement) ? document.activeElement.getAttribute("aria-label") : null;
  list.replaceChildren(...i.tasks.map((task) => taskItem(task, i)));
  if (!i.tasks.length) list.replaceChildren(el("li", { class: "muted", text: t("No tasks.") }));
  if (focused) [...list.querySelectorAll("[aria-label]")].find((x) => x.getAttribute("aria-label") === focused)?.focus();
}

function taskItem(task, i) {
  const li = el("li", { class: `task task-${task.state}`, "data-id": task.id },
    el("span", { class: `tstate tstate-${task.state}`, text: TASK_NAMES[task.state] || task.state }),
    el("span", { class: "ttitle", text: task.title }),
    task.assignee ? el("span", { class: "muted", text: `→ ${task.assignee}` }) : null,
    task.reason ? el("div", { class: "treason muted", text: t("Skipped: {reason}", { reason: task.reason }) }) : null);
  if (!config.can_write || i.state === "closed") return li;
  const tools = el("div", { class: "ttools no-print" });
  const move = (state, label, extra = {}) => el("button", { type: "button", class: "btn small", text: label,
    "aria-label": `${label}: ${task.title}`, onclick: () => taskState(task, { state, ...extra }, li) });
  if (task.state === "todo") tools.append(move("doing", t("Start")));
  if (task.state === "todo" || task.state === "doing") {
    tools.append(move("done", t("Done")));
    const reason = el("input", { class: "skip-reason", maxlength: "4000", placeholder: t("Why skip?"), "aria-label": t("Reason to skip: {title}", { title: task.title }),
      oninput: () => { skipDrafts.set(task.id, reason.value); taskErrors.delete(task.id); } });
    reason.value = skipDrafts.get(task.id) || "";
    tools.append(reason, el("button", { type: "button", class: "btn small ghost", text: t("Skip"), "aria-label": `${t("Skip")}: ${task.title}`,
      onclick: () => taskState(task, { state: "skipped", ...(reason.value.trim() ? { reason: reason.value.trim() } : {}) }, li) }));
  }
  if (task.state === "done" || task.state === "skipped") tools.append(move("todo", t("Undo")));
  tools.append(el("span", { class: "field-error", "data-for": "reason", hidden: !taskErrors.has(task.id), text: taskErrors.get(task.id) }));
  li.append(tools);
  return li;
}

async function taskState(task, body, li) {
  try {
    await api(`/api/v1/tasks/${task.id}/state`, { method: "POST", body });
    skipDrafts.delete(task.id);
    taskErrors.delete(task.id);
    announce(t("Task {state}: {title}", { state: TASK_NAMES[body.state], title: task.title }));
    await load();
  } catch (e) {
    const problem = (e.body?.problems || [])[0];
    taskErrors.set(task.id, problem ? `${problem.field}: ${problem.message}` : e.detail || String(e));
    const err = $("tasks").querySelector(`li[data-id="${task.id}"] .field-error`) || li.querySelector(".field-error");
    err.textContent = taskErrors.get(task.id);
    err.hidden = false;
    $("tasks").querySelector(`li[data-id="${task.id}"] .skip-reason`)?.focus();
  }
}

function renderAlarms(i) {
  const body = $("alarms");
  body.replaceChildren(...i.alarms.map((a) => el("tr", { "data-id": a.id },
    el("td", {}, el("span", { class: `sev sev-${a.severity}`, text: word(a.severity) }), " ",
      el("a", { href: `/alarms/${a.id}`, text: `#${a.id} ${humanType(a.type)}` })),
    el("td", { text: zoneName(a.zone) }),
    el("td", {}, el("span", { class: `state state-${a.state}`, text: a.state === "open" ? t("unacknowledged") : word(a.state) })),
    el("td", { class: "no-print" }, config.can_write && i.state !== "closed" ? el("button", { type: "button", class: "btn small ghost",
      text: t("Detach"), "aria-label": t("Detach alarm {id}", { id: a.id }), onclick: () => detach(a.id) }) : null))));
  if (!i.alarms.length) body.replaceChildren(el("tr", {}, el("td", { colspan: 4, class: "muted", text: t("No alarms merged.") })));
}

function pickForCorrection(entry) {
  $("correct-entry").value = String(entry.id);
  $("correct-text").focus();
  $("correct-text").scrollIntoView({ block: "center" });
}

function renderCorrectable(i) {
  const select = $("correct-entry");
  if (!select) return;
  const current = select.value;
  const entries = i.log.filter((e) => e.id && e.kind !== "system");
  select.replaceChildren(select.options[0], ...entries.map((e) => el("option", { value: e.id,
    text: `#${e.id} ${fmtTime(e.occurred_at)} ${e.kind}: ${(e.text || "").slice(0, 60)}` })));
  select.value = entries.some((e) => String(e.id) === current) ? current : "";
}

// -- loading ------------------------------------------------------------------------------------------------
let asked = 0; // only the newest answer is drawn: an older one may arrive last (a toggle during a live reload)
async function load() {
  const mine = ++asked;
  try {
    const fresh = await api(`/api/v1/incidents/${id}?order=${order.get()}`);
    if (mine !== asked) return;
    incident = fresh;
    render(incident);
  } catch (err) {
    if (err instanceof ApiError && err.status !== 401) say($("page-message"), "error", err.detail);
  }
}

const postLog = (body) => api(`/api/v1/incidents/${id}/log`, { method: "POST", body });

// -- writing ------------------------------------------------------------------------------------------------
function wire() {
  clearOnEdit(document.querySelector("main"));
  quickLog($("quick-log"), postLog, load);
  logForm($("decision"), (f) => ({ kind: "decision", text: f.get("text").trim(), reason: f.get("reason").trim() }));
  logForm($("methane"), (f) => ({ kind: "methane", methane: Object.fromEntries(config.methane_fields.map((k) => [k, f.get(k).trim()])) }));
  logForm($("correction"), (f) => ({ kind: "correction", text: f.get("text").trim(), corrects: f.get("corrects") ? Number(f.get("corrects")) : undefined }));
  for (const action of ["hold", "resume", "close", "reopen"]) $(`do-${action}`)?.addEventListener("click", (e) => act(action, e.currentTarget));
  for (const type of ["input", "change"]) $("edit-facts").addEventListener(type, () => { editing = true; });
  $("edit-details").addEventListener("toggle", (e) => {
    if (!e.target.open) { editing = false; fillEdit(incident); }
  });
  $("edit-facts").addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = changes(e.target, incident);
    if (!Object.keys(body).length) { say(e.target.querySelector('[data-role="message"]'), "ok", t("Nothing changed.")); return; }
    try {
      await api(`/api/v1/incidents/${id}`, { method: "PATCH", body });
      clearProblems(e.target);
      editing = false;
      document.activeElement?.blur();
      announce(t("Saved."));
      await load();
    } catch (err) { showProblems(e.target, err); }
  });
  $("add-task").addEventListener("submit", async (e) => {
    e.preventDefault();
    const title = $("task-title").value.trim();
    try {
      await api(`/api/v1/incidents/${id}/tasks`, { method: "POST", body: title ? { title } : {} });
      clearProblems(e.target);
      $("task-title").value = "";
      await load();
    } catch (err) { showProblems(e.target, err, $("task-message")); }
  });
  $("merge-alarms").addEventListener("submit", async (e) => {
    e.preventDefault();
    const ids = $("merge-ids").value.split(/[\s,]+/).filter(Boolean).map((x) => (/^\d+$/.test(x) ? Number(x) : x));
    try {
      await api(`/api/v1/incidents/${id}/alarms`, { method: "POST", body: { alarms: ids } });
      clearProblems(e.target);
      $("merge-ids").value = "";
      await load();
    } catch (err) { showProblems(e.target, err, $("alarm-message")); }
  });
}

// A log form: empty fields are left out so the API names what is missing; on success the form is cleared.
function logForm(form, read) {
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = read(new FormData(form));
    for (const [k, v] of Object.entries(body)) if (v === "" || v === undefined) delete body[k];
    if (body.methane) for (const [k, v] of Object.entries(body.methane)) if (v === "") delete body.methane[k];
    try {
      await postLog(body);
      clearProblems(form);
      form.reset();
      announce(t("Logged."));
      await load();
    } catch (err) { showProblems(form, err); }
  });
}

async function act(action, button) {
  const box = $("state-message");
  const row = button.closest(".action-row");
  const value = (x) => $(x)?.value.trim() || undefined;
  const bodies = {
    hold: { reason: value("hold-reason") }, resume: { reason: value("resume-reason") },
    close: { disposition: $("close-disposition").value, note: value("close-note") }, reopen: { reason: value("reopen-reason") },
  };
  const body = Object.fromEntries(Object.entries(bodies[action]).filter(([, v]) => v !== undefined));
  button.disabled = true;
  try {
    await api(`/api/v1/incidents/${id}/${action}`, { method: "POST", body });
    clearProblems(row);
    for (const input of row.querySelectorAll("input")) input.value = "";
    say(box, "ok", { hold: t("On hold."), resume: t("Resumed."), close: t("Closed."), reopen: t("Reopened.") }[action]);
    await load();
  } catch (err) {
    showProblems(row, err, box);
  } finally {
    button.disabled = false;
  }
}

async function detach(alarmId) {
  try {
    await api(`/api/v1/incidents/${id}/alarms/${alarmId}`, { method: "DELETE" });
    announce(t("Alarm {id} detached", { id: alarmId }));
    await load();
  } catch (err) { say($("alarm-message"), "error", err.detail || String(err)); }
}

if (config.can_write) wire();

onKeys({
  l: () => $("quick-text")?.focus(),
  d: () => $("decision-text")?.focus(),
  t: () => order.toggle(),
  u: () => location.assign("/incidents"),
  Escape: () => document.activeElement?.blur(),
});

// -- live ---------------------------------------------------------------------------------------------------
let timer = null;
const soon = () => { clearTimeout(timer); timer = setTimeout(load, 150); };
function mine(msg) {
  const of = msg.incident?.id ?? msg.entry?.incident_id ?? msg.task?.incident_id ?? msg.incident_id;
  return of === id;
}
live({
  onChange(change) { if (incident?.alarms.some((a) => a.id === change.alarm.id)) soon(); },
  onReset: load,
  on: { incident: (msg) => { if (mine(msg)) soon(); } },
});
load();
