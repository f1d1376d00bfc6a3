// The site-wide control log: what belongs to no incident, read live, with the quick entry for operators.

import { ApiError, announce, api, config, live, onKeys, t } from "./common.js";
import { KIND_NAMES, clearOnEdit, orderToggle, quickLog, renderTimeline } from "./logform.js";

const list = document.getElementById("timeline");
const form = document.getElementById("quick-log");
const order = orderToggle(() => load());

let asked = 0; // only the newest answer is drawn: an older one may arrive last
async function load() {
  const mine = ++asked;
  try {
    const data = await api(`/api/v1/log?order=${order.get()}`);
    if (mine !== asked) return;
    renderTimeline(list, data.log, order.get(), { alarmLinks: false });
  } catch (err) {
    if (err instanceof ApiError && err.status !== 401) list.replaceChildren(err.detail);
  }
}

if (form && config.can_write) {
  clearOnEdit(form);
  quickLog(form, (body) => api("/api/v1/log", { method: "POST", body }), load);
}

onKeys({
  l: () => form?.querySelector('[name="text"]').focus(),
  t: () => order.toggle(),
  Escape: () => document.activeElement?.blur(),
});

let timer = null;
const soon = () => { clearTimeout(timer); timer = setTimeout(load, 150); };
live({
  onChange() {},
  onReset: load,
  on: {
    incident: (msg) => {
      if (msg.kind !== "logged" || msg.entry?.incident_id != null) return;
      if (msg.entry.author !== config.user) announce(t("New log entry ({kind}) by {name}", { kind: KIND_NAMES[msg.entry.kind] || msg.entry.kind, name: msg.entry.author }));
      soon();
    },
  },
});
load();
