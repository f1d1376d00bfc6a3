// One alarm: its facts, what to do about it (the rule's description and the action card of its type), the events
// that raised it, its full history, and the actions its state and your role allow.

import { ApiError, act, api, can, config, el, fmtTime, humanType, live, onKeys, t, word, zoneName } from "./common.js";
import { VenueMap } from "./map.js";

const id = config.alarm_id;
let alarm = null;
const $ = (x) => document.getElementById(x);
const message = $("act-message");
const map = config.site ? new VenueMap($("map"), config.site, { planUrl: config.plan_url }) : null;
if (!map) $("map").replaceChildren(el("p", { class: "empty", text: t("No site plan is configured.") }));

const capital = (text) => (text ? text[0].toUpperCase() + text.slice(1) : text);

function say(kind, text) {
  message.className = `message ${kind}`;
  message.textContent = text;
  message.hidden = false;
}

const DONE = { ack: t("Acknowledged."), assign: t("Assigned."), comment: t("Comment added."), resolve: t("Resolved."), reopen: t("Reopened.") };

const notified = (d) => t("notified {names}", { names: (d.receivers || []).join(", ") }) + (d.silenced_by ? " " + t("(held by a silence)") : "");

function summary(h) {
  const d = h.details || {};
  switch (h.action) {
    case "alarm-raised": return [t("Raised"), d.explanation || ""];
    case "alarm-acknowledged": return [t("Acknowledged"), ""];
    case "alarm-assigned": return [t("Assigned"), t("to {name}", { name: d.to })];
    case "alarm-commented": return [t("Comment"), d.text || ""];
    case "alarm-resolved": return [t("Resolved"), t("as {disposition}", { disposition: t(String(d.disposition || "").replaceAll("_", " ")) }) + (d.note ? ` — ${d.note}` : "")];
    case "alarm-reopened": return [t("Reopened"), d.reason || ""];
    case "alarm-shelved": return [t("Shelved"), t("for {n} min", { n: d.minutes }) + ` — ${d.reason || ""}`];
    case "alarm-unshelved": return [t("Back from the shelf"), d.why === "expired" ? t("its time was up") : ""];
    case "alarm-escalated": return [t("Escalated"), t("from {from} to {to}", { from: word(d.from), to: word(d.to) })];
    case "alarm-cleared": return [t("Condition cleared"), ""];
    case "alarm-reactivated": return [t("Condition active again"), ""];
    case "alarm-escalation-notified": return [t("Escalation level {level}", { level: d.level }), notified(d)];
    case "alarm-ack-timeout": return [t("Acknowledged too long"), notified(d)];
    case "unit-dispatched": { // a police liaison sent by the system when a welfare case escalated (field/service.py)
      const escalated = /^welfare case (\d+) escalated$/.exec(d.reason || "");
      const why = escalated ? t("welfare case {n} escalated", { n: escalated[1] }) : d.reason || "";
      return [t("Unit dispatched"), t("{unit} sent to this alarm", { unit: d.unit || `#${d.unit_id}` }) + (why ? ` — ${why}` : "")];
    }
    default: return [h.action, ""];
  }
}

function facts(a) {
  const rows = [
    [t("Type"), el("span", { class: "mono", text: a.type })],
    [t("Severity"), el("span", { class: `sev sev-${a.severity}`, text: word(a.severity) })],
    [t("State"), `${a.state === "open" ? t("unacknowledged") : word(a.state)}${a.disposition ? ` (${t(a.disposition.replaceAll("_", " "))})` : ""}`],
    [t("Condition"), a.active ? t("still present") : t("cleared")],
    [t("Zone"), zoneName(a.zone)],
    [t("First seen"), fmtTime(a.first_seen)],
    [t("Last seen"), fmtTime(a.last_seen)],
    [t("Count"), String(a.count)],
    [t("Escalation"), a.escalation_level ? t("level {level}", { level: a.escalation_level }) : t("not escalated")],
    [t("Assignee"), a.assignee || "—"],
    [t("Rule"), el("span", { class: "mono", text: a.rule })],
    ...(a.site ? [[t("Site"), a.site]] : []),
    [t("Sources"), a.sources.length ? a.sources.join(", ") : "—"],
    [t("Why"), a.explanation || "—"],
  ];
  const wide = new Set([t("Sources"), t("Why")]); // long values take the whole row
  $("facts").replaceChildren(...rows.flatMap(([k, v]) => [el("dt", { text: k, class: wide.has(k) ? "wide" : null }), el("dd", { class: wide.has(k) ? "wide" : null }, v)]));
}

function timeline(list, items) {
  list.replaceChildren(...items.map(([time, what, by, text]) => el("li", {},
    el("time", { datetime: time, text: fmtTime(time) }),
    el("div", {}, el("span", { class: "act", text: what }), " ", el("span", { class: "by", text: t("by {name}", { name: by }) }),
      text ? el("div", { class: "txt", text }) : null))));
}

function render(a) {
  $("alarm-head").className = `detail-head sev-${a.severity}`;
  $("a-sev").className = `sev sev-${a.severity}`;
  $("a-sev").textContent = word(a.severity);
  $("alarm-title").textContent = `#${a.id} ${humanType(a.type)}`;
  $("a-state").className = `state state-${a.state}`;
  $("a-state").textContent = a.state === "open" ? t("Unacknowledged") : capital(word(a.state));
  const seen = t("first seen {time}", { time: fmtTime(a.first_seen) });
  $("a-sub").textContent = `${zoneName(a.zone)} · ${seen} · ${a.count}×`;
  $("a-esc").hidden = !a.escalation_level;
  $("a-esc").textContent = a.escalation_level ? t("Escalation level {level}", { level: a.escalation_level }) : "";
  document.title = `#${a.id} ${humanType(a.type)} · Fairwatch`;
  facts(a);
  renderActions(a);
  timeline($("history"), a.history.map((h) => [h.time, ...summaryRow(h)]));
  timeline($("comments"), a.comments.map((c) => [c.time, t("Comment"), c.actor, c.text]));
  if (!a.comments.length) $("comments").replaceChildren(el("li", { class: "muted", text: t("No comments yet.") }));
  $("events").replaceChildren(...a.events.map((e) => el("tr", {},
    el("td", { text: fmtTime(e.time) }), el("td", { class: "mono", text: e.source }), el("td", { class: "mono", text: e.type }),
    el("td", { class: "num", text: e.value ?? "—" }), el("td", { text: zoneName(e.zone) }))));
  if (!a.events.length) $("events").replaceChildren(el("tr", {}, el("td", { colspan: 5, class: "muted", text: t("No stored events (they may have been purged).") })));
  if (map) {
    map.update([a], a.id);
    map.focus(a);
  }
}

function summaryRow(h) {
  const [what, text] = summary(h);
  return [what, h.actor, text];
}

function renderActions(a) {
  let any = false;
  for (const row of document.querySelectorAll(".action-row[data-when]")) {
    row.hidden = !can(a, row.dataset.when);
    any = any || !row.hidden;
  }
  const none = $("act-none");
  none.hidden = any;
  none.textContent = config.actions.length
    ? t("No actions are possible on a {state} alarm.", { state: word(a.state) })
    : t("Your role ({role}) can look at alarms but not act on them.", { role: config.role });
  const select = $("assign-to");
  if (!select) return;
  const people = [...new Set([...(config.users || []), ...(a.assignee ? [a.assignee] : [])])];
  select.replaceChildren(...people.map((u) => el("option", { value: u, text: u, selected: u === (a.assignee || config.user) })));
}

// The rule's description, the type's description and the card's steps (console/guide.py): loaded once.
async function loadGuide() {
  try {
    const g = await api(`/console/alarms/${id}/guide`);
    const rule = g.rule?.description;
    $("g-rule").textContent = rule || (g.rule ? t("The rule has no description.") : t("The rule that raised it is no longer in force."));
    $("g-type").textContent = g.type.description || "";
    $("g-type").hidden = !g.type.description;
    $("g-type-name").textContent = g.type.name || humanType(g.type.id);
    $("g-steps").replaceChildren(...g.card.map((step) => el("li", { text: step })));
    $("g-card").hidden = !g.card.length;
    $("g-no-card").hidden = g.card.length > 0;
  } catch (err) {
    if (err instanceof ApiError && err.status !== 401) $("g-rule").textContent = err.detail;
  }
}

async function load() {
  try {
    alarm = await api(`/api/v1/alarms/${id}`);
    render(alarm);
  } catch (err) {
    if (err instanceof ApiError && err.status !== 401) say("error", err.detail);
  }
}

async function run(action, body, button) {
  button.disabled = true;
  message.hidden = true;
  try {
    await act(id, action, body);
    say("ok", DONE[action]);
    await load();
    return true;
  } catch (err) {
    say("error", err instanceof ApiError ? err.detail : String(err));
    return false;
  } finally {
    button.disabled = false;
  }
}

if (config.actions.length) wireActions();

function wireActions() {
  $("do-ack").addEventListener("click", (e) => run("ack", undefined, e.currentTarget));
  $("do-assign").addEventListener("click", (e) => run("assign", { to: $("assign-to").value }, e.currentTarget));
  $("do-comment").addEventListener("click", async (e) => {
    if (await run("comment", { text: $("comment-text").value.trim() }, e.currentTarget)) $("comment-text").value = "";
  });
  $("do-resolve").addEventListener("click", async (e) => {
    const body = { disposition: $("resolve-disp").value };
    const note = $("resolve-text").value.trim();
    if (note) body.note = note;
    if (await run("resolve", body, e.currentTarget)) $("resolve-text").value = "";
  });
  $("do-reopen").addEventListener("click", async (e) => {
    if (await run("reopen", { reason: $("reopen-reason").value.trim() }, e.currentTarget)) $("reopen-reason").value = "";
  });
}

const visibleRow = (when) => document.querySelector(`.action-row[data-when="${when}"]`)?.hidden === false;
onKeys({
  a: () => visibleRow("ack") && $("do-ack").click(),
  r: () => visibleRow("resolve") && $("resolve-disp").focus(),
  c: () => visibleRow("comment") && $("comment-text").focus(),
  Escape: () => document.activeElement?.blur(),
  u: () => location.assign("/"),
});

let timer = null;
live({
  onChange(change) {
    if (change.alarm.id !== id) return;
    clearTimeout(timer);
    timer = setTimeout(load, 150); // a burst of changes becomes one reload
  },
  onReset: load,
});
load();
loadGuide();
