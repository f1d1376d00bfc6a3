// The units board: every unit's status, check-in and assignment, live from the event stream (`event: unit`);
// supervisors add units and make one-time sign-in links (shown as a link and a QR code).
import { api, config, el, fmtTime, live, t } from "/static/console/common.js";

// Unit kinds and statuses and readiness words, shown from data values; marked with N_ for `make i18n`.
const N_ = (text) => text;
export const UNIT_WORDS = [N_("steward"), N_("security"), N_("medic"), N_("fire"), N_("police liaison"),
  N_("available"), N_("dispatched"), N_("en route"), N_("on scene"), N_("clear"), N_("off duty"), N_("low"), N_("medium"), N_("high"), N_("critical")];
const says = (value) => t(String(value).replaceAll("_", " "));

const units = new Map((config.units || []).map((u) => [u.id, u]));
const body = document.getElementById("units-body");
const message = document.getElementById("units-message");

function assignment(u) {
  const a = u.assignment;
  if (!a) return "—";
  const what = a.incident ? t("incident {n}", { n: a.incident }) : t("alarm {id}", { id: a.alarm });
  return a.accepted_at ? t("{what} (accepted)", { what }) : what;
}
function where(u) {
  if (!u.location) return "—";
  return Object.entries(u.location).map(([k, v]) => `${k} ${Number(v).toFixed(5)}`).join(", ");
}

function actions(u) {
  const cell = el("td", { class: "actions" });
  if (config.dispatch) {
    const input = el("input", { type: "number", min: "1", placeholder: t("alarm id"), "aria-label": t("Alarm to dispatch {unit} to", { unit: u.name }), class: "dispatch-id" });
    const go = el("button", { type: "button", class: "btn small", text: t("Dispatch"), onclick: async () => {
      try { await api(`/api/v1/units/${u.id}/dispatch`, { method: "POST", body: { alarm: Number(input.value) } }); message.textContent = t("{unit} dispatched", { unit: u.name }); }
      catch (e) { message.textContent = e.detail || e.message; }
    } });
    cell.append(input, go);
  }
  if (config.manage) {
    cell.append(el("button", { type: "button", class: "btn small invite", text: t("Sign-in link"), onclick: () => invite(u) }));
  }
  return cell;
}

function row(u) {
  return el("tr", { id: `unit-${u.id}`, "data-status": u.status },
    el("td", { text: u.name }), el("td", { text: says(u.kind) }), el("td", { text: String(u.members) }),
    el("td", {}, el("span", { class: `unit-status st-${u.status}`, text: says(u.status) })),
    el("td", { text: fmtTime(u.status_since) }), el("td", { text: fmtTime(u.last_check_in) }),
    el("td", { text: assignment(u) }), el("td", { text: where(u) }), actions(u));
}

function render() {
  const list = [...units.values()].sort((a, b) => a.name.localeCompare(b.name));
  body.replaceChildren(...list.map(row));
  document.getElementById("units-empty").hidden = list.length > 0;
}

async function reload() {
  const data = await api("/api/v1/units");
  units.clear();
  for (const u of data.units) units.set(u.id, u);
  render();
}

async function invite(u) {
  try {
    const made = await api(`/api/v1/units/${u.id}/invites`, { method: "POST", body: {} });
    const url = new URL(made.link, location.origin).href;
    const link = document.getElementById("invite-link");
    link.href = url;
    link.textContent = url;
    document.getElementById("invite-expires").textContent = fmtTime(made.expires);
    const img = el("img", { alt: t("QR code of the sign-in link for {unit}", { unit: u.name }), src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(made.qr_svg)}` });
    document.getElementById("invite-qr").replaceChildren(img);
    document.getElementById("invite-dialog").showModal();
  } catch (e) { message.textContent = e.detail || e.message; }
}
document.getElementById("invite-close").addEventListener("click", () => document.getElementById("invite-dialog").close());

document.getElementById("unit-create")?.addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = e.target;
  try {
    await api("/api/v1/units", { method: "POST", body: { name: f.name.value.trim(), kind: f.kind.value, members: Number(f.members.value) } });
    f.reset();
    message.textContent = t("Unit added");
  } catch (err) { message.textContent = err.detail || err.message; }
});

// -- readiness per zone; supervisors resolve or override a failed item with a reason ---------------------------------
async function loadReadiness() {
  const { zones } = await api("/api/v1/readiness");
  document.getElementById("readiness-panel").hidden = zones.length === 0;
  document.getElementById("readiness-body").replaceChildren(...zones.map((z) => {
    const failed = el("td", {});
    for (const c of z.checklists) {
      for (const i of c.items.filter((x) => x.state === "failed")) {
        const line = el("div", { class: "failed-item", text: `${c.checkpoint}: ${i.text} (${says(i.severity)}) ` });
        if (config.manage) {
          line.append(el("button", { type: "button", class: "btn small", text: t("Resolve"), onclick: async () => {
            const reason = prompt(t("Why is \"{item}\" resolved or overridden?", { item: i.text }));
            if (!reason) return;
            try { await api(`/api/v1/checklists/${c.id}/items/${i.id}/override`, { method: "POST", body: { reason } }); }
            catch (e) { message.textContent = e.detail || e.message; }
          } }));
        }
        failed.append(line);
      }
    }
    return el("tr", { "data-zone": z.zone || "" }, el("td", { text: z.zone || "—" }),
      el("td", {}, el("span", { class: `unit-status ${z.ready ? "st-available" : "st-dispatched"}`, text: z.ready ? t("ready") : t("not ready") })),
      el("td", { text: String(z.ok) }), el("td", { text: String(z.failed) }), el("td", { text: String(z.pending) }),
      el("td", { text: String(z.resolved) }), failed);
  }));
}
loadReadiness().catch(() => {});

render();
// Units arrive on the same stream as alarms, as `event: unit`; after a reconnect the board is read again.
live({
  onChange: () => {},
  onReset: () => { reload(); loadReadiness(); },
  on: { unit: (u) => { units.set(u.id, u); render(); }, readiness: () => loadReadiness().catch(() => {}) },
});
