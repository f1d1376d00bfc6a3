// The alarm page's "Field units" panel: dispatch a unit to this alarm and see which units are on it.
import { api, config, el, t } from "/static/console/common.js";

const alarmId = config.alarm_id;
const select = document.getElementById("dispatch-unit");
const list = document.getElementById("dispatched-units");
const message = document.getElementById("dispatch-message");
const says = (value) => t(String(value).replaceAll("_", " "));
const DISPATCHABLE = new Set(["available", "clear", "dispatched", "en_route"]);

async function load() {
  const { units } = await api("/api/v1/units");
  const free = units.filter((u) => DISPATCHABLE.has(u.status) && u.assignment?.alarm !== alarmId);
  select.replaceChildren(...free.map((u) => el("option", { value: String(u.id), text: `${u.name} (${says(u.kind)}, ${says(u.status)})` })));
  document.getElementById("do-dispatch").disabled = free.length === 0;
  const here = units.filter((u) => u.assignment?.alarm === alarmId);
  list.replaceChildren(...here.map((u) => el("li", { text: `${u.name}: ${says(u.status)}${u.assignment.accepted_at ? ` ${t("(accepted)")}` : ""}` })));
}

document.getElementById("do-dispatch").addEventListener("click", async () => {
  try {
    await api(`/api/v1/units/${select.value}/dispatch`, { method: "POST", body: { alarm: alarmId } });
    message.textContent = t("Unit dispatched.");
    await load();
  } catch (e) { message.textContent = e.detail || e.message; }
});
load().catch((e) => { message.textContent = e.detail || e.message; });
setInterval(() => load().catch(() => {}), 15_000);
