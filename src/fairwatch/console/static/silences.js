// Silences: the list (everyone), and for supervisors a form to create one and a button to expire it early.
// The API (/api/v1/silences) checks every field and the role; its refusals are shown as they come.

import { ApiError, SEVERITIES, announce, api, config, el, fmtTime, humanType, live, now, t, word, zoneName } from "./common.js";

const capital = (text) => (text ? text[0].toUpperCase() + text.slice(1) : text);

const body = document.getElementById("silences-body");
const empty = document.getElementById("silences-empty");
const message = document.getElementById("silence-message");
const form = document.getElementById("silence-form");

function say(kind, text) {
  message.className = `message ${kind}`;
  message.textContent = text;
  message.hidden = false;
}

function matchersText(m) {
  const parts = [];
  if (m.type) parts.push(t("type {type}", { type: m.type.includes("*") || m.type.includes("?") ? m.type : humanType(m.type) }));
  if (m.zone) parts.push(t("zone {zone}", { zone: zoneName(m.zone) }));
  if (m.source) parts.push(t("source {source}", { source: m.source }));
  if (m.severity) parts.push(t("severity {severity}", { severity: Array.isArray(m.severity) ? m.severity.map(word).join(", ") : m.severity }));
  return parts.join(" · ");
}

function row(s) {
  const cell = el("td", { class: "actions" });
  if (config.can_silence && s.status !== "expired") {
    cell.append(el("button", { type: "button", class: "btn small danger", text: t("Expire"), "aria-label": t("Expire silence {id}", { id: s.id }),
      onclick: (e) => expire(s.id, e.currentTarget) }));
  }
  return el("tr", { "data-silence-id": s.id, "data-status": s.status },
    el("td", {}, el("span", { class: `silence-status status-${s.status}`, text: t(s.status) })),
    el("td", { text: matchersText(s.matchers) }),
    el("td", {}, el("time", { datetime: s.starts_at, text: fmtTime(s.starts_at) })),
    el("td", {}, el("time", { datetime: s.ends_at, text: fmtTime(s.ends_at) })),
    el("td", { class: "reason", text: s.reason }),
    el("td", { text: s.created_by }),
    cell);
}

async function load() {
  try {
    const data = await api("/api/v1/silences");
    body.replaceChildren(...data.silences.map(row));
    empty.hidden = data.silences.length > 0;
  } catch (err) {
    if (err instanceof ApiError && err.status !== 401) say("error", err.detail);
  }
}

async function expire(id, button) {
  button.disabled = true;
  try {
    await api(`/api/v1/silences/${id}`, { method: "DELETE" });
    say("ok", t("Silence {id} expired.", { id }));
    announce(t("Silence {id} expired.", { id }));
  } catch (err) {
    if (err instanceof ApiError) say("error", err.detail);
  }
  await load();
}

if (form) {
  form.severity.append(...SEVERITIES.map((s) => el("option", { value: s, text: capital(word(s)) })),
    ...SEVERITIES.slice(1, 4).map((s) => el("option", { value: `>= ${s}`, text: t("{severity} or worse", { severity: capital(word(s)) }) })));
  form.zone.append(...(config.site?.zones || []).map((z) => el("option", { value: z.id, text: z.name })));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const matchers = {};
    for (const f of ["type", "zone", "source", "severity"]) {
      const v = form[f].value.trim();
      if (v) matchers[f] = v;
    }
    const ends = new Date(now() + Number(form.minutes.value) * 60_000).toISOString();
    try {
      const made = await api("/api/v1/silences", { method: "POST", body: { matchers, ends_at: ends, reason: form.reason.value.trim() } });
      say("ok", t("Silence {id} created.", { id: made.id }));
      announce(t("Silence {id} created.", { id: made.id }));
      form.reset();
    } catch (err) {
      if (err instanceof ApiError) say("error", err.detail);
    }
    await load();
  });
}

live({ onChange: () => {}, onReset: load }); // the connection status is honest on this page too
load();
setInterval(load, 30_000); // statuses move from pending to active to expired with time
