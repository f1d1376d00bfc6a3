// The full venue map with the active alarms and the zone table beside it: alarms follow the live stream, crowd
// measures (GET /api/v1/zones) are polled every few seconds. A site with a base map also has a Geo view
// (mapgeo.js, `?view=geo`); the plan view is the default.

import { activeAlarms, announce, api, beep, config, el, fmtAge, fmtTime, humanType, live, now, sevRank, t, word, zoneName } from "./common.js";
import { VenueMap } from "./map.js";
import { GeoMap, geoStyles } from "./mapgeo.js";
import { zoneRows } from "./mapzones.js";

const POLL_MS = 5000;
const alarms = new Map();
const container = document.getElementById("map");
const map = config.site ? new VenueMap(container, config.site, { planUrl: config.plan_url, interactive: true }) : null;
if (!map) container.replaceChildren(el("p", { class: "empty", text: t("No site plan is configured (set FAIRWATCH_SITE).") }));
const list = document.getElementById("map-list");
let pending = false;

const geoBox = document.getElementById("map-geo");
let geo = null; // the GeoMap, once the Geo view was first opened
let onGeo = false;

const devicesBox = document.getElementById("show-devices");
devicesBox.addEventListener("change", () => { map?.showDevices(devicesBox.checked); geo?.showDevices(devicesBox.checked); });
document.getElementById("zoom-in").addEventListener("click", () => (onGeo ? geo?.zoom(1.25) : map?.zoom.zoom(1.25)));
document.getElementById("zoom-out").addEventListener("click", () => (onGeo ? geo?.zoom(0.8) : map?.zoom.zoom(0.8)));
document.getElementById("zoom-reset").addEventListener("click", () => (onGeo ? geo?.fit() : map?.zoom.reset()));

// Plan / Geo: shown only when the site has a base map; the choice is kept in the URL (?view=geo).
async function showView(wantGeo) {
  if (!map || !config.basemap) return;
  document.getElementById("view-plan").setAttribute("aria-pressed", String(!wantGeo));
  document.getElementById("view-geo").setAttribute("aria-pressed", String(wantGeo));
  const url = new URL(location.href);
  if (wantGeo) url.searchParams.set("view", "geo"); else url.searchParams.delete("view");
  history.replaceState(null, "", url);
  onGeo = wantGeo;
  if (wantGeo) {
    geoBox.style.setProperty("--plan-aspect", String(config.site.plan.width / config.site.plan.height));
    geoBox.hidden = false;
    container.hidden = true;
    if (!geo) {
      try {
        geo = await GeoMap.open(geoBox, config.site, config.basemap);
      } catch (err) {
        geoBox.replaceChildren(el("p", { class: "empty", text: t("The geo view could not start: {reason}", { reason: err.message }) }));
        return;
      }
      geo.showDevices(devicesBox.checked);
      schedule();
      measures();
    } else {
      geo.resize();
    }
  } else {
    geoBox.hidden = true;
    container.hidden = false;
  }
}
if (map && config.basemap) {
  geoStyles().catch(() => {});
  document.getElementById("view-switch").hidden = false;
  document.getElementById("view-plan").addEventListener("click", () => showView(false));
  document.getElementById("view-geo").addEventListener("click", () => showView(true));
  if (new URLSearchParams(location.search).get("view") === "geo") showView(true);
}

function sorted() {
  return [...alarms.values()].sort((a, b) =>
    sevRank(a.severity) - sevRank(b.severity) || Date.parse(a.first_seen) - Date.parse(b.first_seen));
}

function render() {
  pending = false;
  const rows = sorted();
  if (map) map.update(rows);
  if (geo) geo.update(rows);
  list.replaceChildren(...rows.map((a) => el("li", { class: `sev-${a.severity}` },
    el("a", { href: `/alarms/${a.id}` },
      el("span", { class: "dotlg", "aria-hidden": "true" }),
      el("span", {}, `${humanType(a.type)}`, el("small", { text: `${zoneName(a.zone)} · ${a.state === "open" ? t("unacknowledged") : word(a.state)}` })),
      el("span", { class: "muted num", text: fmtAge(now() - Date.parse(a.first_seen)) })))));
  document.getElementById("map-empty").hidden = rows.length > 0;
}
const schedule = () => { if (!pending) { pending = true; requestAnimationFrame(render); } };

async function reload() {
  const fetched = await activeAlarms();
  alarms.clear();
  for (const a of fetched) alarms.set(a.id, a);
  schedule();
}

async function measures() {
  if (!map) return;
  try {
    const data = await api("/api/v1/zones");
    map.updateMeasures(data);
    geo?.updateMeasures(data);
    document.getElementById("zone-rows").replaceChildren(...zoneRows(data.zones));
    document.getElementById("zones-updated").textContent = t("updated {time}", { time: fmtTime(new Date(data.time * 1000).toISOString()) });
  } catch { /* the connection banner says when the server is unreachable; the next poll tries again */ }
}

live({
  onChange(change) {
    const a = change.alarm;
    if (a.state === "resolved" || a.state === "shelved") alarms.delete(a.id); else alarms.set(a.id, a);
    if (change.change === "raised" || change.change === "escalated") {
      announce(t("New {severity} alarm: {what} in {zone}", { severity: word(a.severity), what: humanType(a.type), zone: zoneName(a.zone) }), a.severity === "critical");
      if (a.severity === "critical") beep();
    }
    schedule();
  },
  onReset() { reload(); measures(); },
});
reload();
measures();
setInterval(schedule, 5000);
setInterval(measures, POLL_MS);
