// The control log in the console, shared by the incident page and the site log: the quick entry that keeps the
// keyboard in its text box, a refused write's problems shown by their fields, and the timeline. Text only.

import { ApiError, config, el, fmtTime, now, t } from "./common.js";

const LATE_MS = 5 * 60 * 1000; // an entry about something longer ago needs late_reason (docs/incidents.md)

// -- a refused write: each problem by its field, the rest in the form's message box ---------------------------
export function clearProblems(form) {
  for (const span of form.querySelectorAll(".field-error")) { span.hidden = true; span.textContent = ""; }
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  const box = form.querySelector('[data-role="message"]');
  if (box) box.hidden = true;
}

export function showProblems(form, err, box = form.querySelector('[data-role="message"]')) {
  clearProblems(form);
  const problems = err instanceof ApiError ? err.body.problems || [] : [];
  const unplaced = [];
  for (const p of problems) {
    const span = form.querySelector(`.field-error[data-for="${CSS.escape(p.field)}"]`);
    if (!span) { unplaced.push(`${p.field}: ${p.message}`); continue; }
    span.textContent = `${p.field}: ${p.message}`;
    span.hidden = false;
    span.closest(".field")?.removeAttribute("hidden");
    span.closest(".field")?.querySelector("input, select, textarea")?.setAttribute("aria-invalid", "true");
  }
  if (!box) return;
  box.classList.remove("ok");
  box.classList.add("error");
  const head = err instanceof ApiError ? err.message : String(err);
  box.textContent = unplaced.length ? `${head}: ${unplaced.join("; ")}` : head;
  box.hidden = false;
}

// Editing a field takes its refusal and its form's message away.
export function clearOnEdit(root) {
  const clear = (e) => {
    const field = e.target.closest?.(".field");
    const span = field?.querySelector(".field-error");
    if (span) { span.hidden = true; span.textContent = ""; }
    e.target.removeAttribute?.("aria-invalid");
    const box = e.target.closest?.("form")?.querySelector('[data-role="message"]');
    if (box) box.hidden = true;
  };
  root.addEventListener("input", clear);
  root.addEventListener("change", clear);
}

// -- a wall-clock time typed in the site's timezone, as an RFC 3339 instant today (or yesterday) -----------------
function zoneOffsetMs(instant) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: config.timezone || "UTC", hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(new Date(instant));
  const f = Object.fromEntries(parts.map((p) => [p.type, Number(p.value)]));
  return Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second) - Math.floor(instant / 1000) * 1000;
}

export function siteTimeToIso(hhmmss) {
  const [h, m, s = 0] = hhmmss.split(":").map(Number);
  const t = now();
  const local = new Date(t + zoneOffsetMs(t)); // the site's wall clock now, read in UTC fields
  let guess = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate(), h, m, s);
  guess -= zoneOffsetMs(guess);
  if (guess - t > LATE_MS) guess -= 86_400_000; // 23:58 typed at 00:03 means yesterday
  return new Date(guess).toISOString().replace(/\.\d{3}Z$/, "Z");
}

// -- the quick entry: Enter logs it and the cursor stays in the text box -----------------------------------------
export function quickLog(form, post, onLogged) {
  const text = form.querySelector('[name="text"]');
  const occurred = form.querySelector('[name="occurred"]');
  const late = form.querySelector('[name="late_reason"]');
  const lateField = late.closest(".field");
  const isLate = () => occurred.value && now() - Date.parse(siteTimeToIso(occurred.value)) > LATE_MS;
  occurred.addEventListener("input", () => { lateField.hidden = !isLate(); });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { kind: form.querySelector('[name="kind"]:checked').value, text: text.value.trim() };
    if (occurred.value) body.occurred_at = siteTimeToIso(occurred.value);
    if (late.value.trim()) body.late_reason = late.value.trim();
    const typed = text.value;
    text.value = ""; // the next radio message can be typed while this one is saved
    text.focus();
    try {
      await post(body);
      clearProblems(form);
      occurred.value = "";
      late.value = "";
      lateField.hidden = true;
      onLogged();
    } catch (err) {
      if (!text.value) text.value = typed;
      showProblems(form, err);
    }
    text.focus();
  });
}

// -- the timeline: entries with both times; a correction and the entry it corrects both stay ----------------------
export const KIND_NAMES = { radio: t("Radio"), phone: t("Phone"), note: t("Note"), decision: t("Decision"), methane: "M/ETHANE",
  status: t("Status"), system: t("System"), correction: t("Correction") };
const METHANE_NAMES = { major_incident: t("Major incident"), exact_location: t("Exact location"),
  type_of_incident: t("Type"), hazards: t("Hazards"), access: t("Access"), casualties: t("Casualties"),
  emergency_services: t("Emergency services") };

// `onCorrect(entry)`, when given, adds a "Correct" button to each entry a person wrote.
export function renderTimeline(list, entries, order, { alarmLinks = true, onCorrect = null } = {}) {
  const correctedBy = new Map();
  for (const e of entries) if (e.corrects) correctedBy.set(e.corrects, [...(correctedBy.get(e.corrects) || []), e.id]);
  list.replaceChildren(...entries.map((e) => {
    const li = entryItem(e, order, correctedBy.get(e.id) || [], alarmLinks);
    if (onCorrect && e.id && e.kind !== "system") {
      li.lastChild.append(el("button", { type: "button", class: "linkish correct no-print", text: t("Correct"),
        "aria-label": t("Correct entry {id}", { id: e.id }), onclick: () => onCorrect(e) }));
    }
    return li;
  }));
  if (!entries.length) list.replaceChildren(el("li", { class: "muted", text: t("Nothing logged yet.") }));
}

function entryItem(e, order, corrections, alarmLinks) {
  const shown = order === "entered" ? e.entered_at : e.occurred_at;
  const other = order === "entered" ? e.occurred_at : e.entered_at;
  const differs = Math.abs(Date.parse(e.entered_at) - Date.parse(e.occurred_at)) >= 60_000;
  const li = el("li", { class: `entry kind-${e.kind}${e.source === "alarm" ? " from-alarm" : ""}${corrections.length ? " corrected" : ""}`,
    "data-kind": e.kind, ...(e.id ? { id: `entry-${e.id}`, "data-id": e.id } : {}) });
  const head = el("div", { class: "entry-head" },
    el("span", { class: "kind", text: KIND_NAMES[e.kind] || e.kind }),
    e.id ? el("span", { class: "muted ref", text: `#${e.id}` }) : null,
    " ", el("span", { class: "by", text: t("by {name}", { name: e.author }) }),
    differs ? el("span", { class: "muted other-time", text: " · " + (order === "entered" ? t("happened {time}", { time: fmtTime(other) }) : t("written {time}", { time: fmtTime(other) })) }) : null);
  const body = el("div", {}, head);
  if (e.text) body.append(el("div", { class: "txt", text: e.text }));
  if (e.reason) body.append(el("div", { class: "reason" }, el("b", { text: `${t("Reason:")} ` }), e.reason));
  if (e.late_reason) body.append(el("div", { class: "late-reason muted" }, el("b", { text: `${t("Logged late:")} ` }), e.late_reason));
  if (e.methane) body.append(methane(e.methane));
  if (e.corrects) body.append(el("div", { class: "corrects" }, `${t("Corrects")} `, el("a", { href: `#entry-${e.corrects}`, text: `#${e.corrects}` })));
  if (corrections.length) {
    body.append(el("div", { class: "corrected-by" }, `${t("Corrected by")} `,
      ...corrections.flatMap((id, i) => [i ? ", " : "", el("a", { href: `#entry-${id}`, text: `#${id}` })])));
  }
  if (alarmLinks && e.alarm_id) body.append(el("a", { class: "alarm-link", href: `/alarms/${e.alarm_id}`, text: t("Alarm {id}", { id: e.alarm_id }) }));
  li.append(el("time", { datetime: shown, text: fmtTime(shown) }), body);
  return li;
}

function methane(m) {
  const dl = el("dl", { class: "methane" });
  for (const [k, name] of Object.entries(METHANE_NAMES)) {
    if (m[k] === undefined) continue;
    dl.append(el("dt", { text: name }), el("dd", { text: String(m[k]) }));
  }
  return dl;
}

// -- the order toggle: occurred_at or entered_at, remembered in the URL -----------------------------------------
export function orderToggle(onChange) {
  const buttons = { occurred: document.getElementById("order-occurred"), entered: document.getElementById("order-entered") };
  let order = new URLSearchParams(location.search).get("order") === "entered" ? "entered" : "occurred";
  const set = (next, notify = true) => {
    order = next;
    for (const [k, b] of Object.entries(buttons)) b.setAttribute("aria-pressed", String(k === order));
    const q = new URLSearchParams(location.search);
    if (order === "entered") q.set("order", "entered"); else q.delete("order");
    history.replaceState(null, "", q.toString() ? `?${q}` : location.pathname);
    if (notify) onChange(order);
  };
  buttons.occurred.addEventListener("click", () => set("occurred"));
  buttons.entered.addEventListener("click", () => set("entered"));
  set(order, false);
  return { get: () => order, toggle: () => set(order === "occurred" ? "entered" : "occurred") };
}
