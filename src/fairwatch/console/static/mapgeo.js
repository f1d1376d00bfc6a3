// The map page's geo view (docs/console.md#geo-view): a Leaflet map (Leaflet is served by the console from the
// XStatic-Leaflet package: no CDN, nothing fetched from anywhere else) with the site's base map — an image overlay
// or offline XYZ tiles shipped with the site (site.basemap) — and on top the zones (their polygons in lat/lon,
// `zone.geo`, converted on the server with the site's georef), the devices with their state, and one marker per
// active alarm. Loaded only when the operator opens the view; the plan view stays the default.

import { fmtAge, humanType, now, sevRank, t, word, zoneName } from "./common.js";
import { deviceStates, deviceWord, iconSvg } from "./mapdevices.js";

let loading = null;
let styles = null;

function stylesheet(href) {
  return new Promise((resolve, reject) => {
    const link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = href;
    link.addEventListener("load", resolve, { once: true });
    link.addEventListener("error", () => reject(new Error(`cannot load ${href}`)), { once: true });
    document.head.append(link);
  });
}

// The geo view's own styles (and the Plan / Geo switch's), once per page.
export function geoStyles() {
  styles ??= stylesheet("/static/console/mapgeo.css");
  return styles;
}

// Leaflet's module and both style sheets, once per page.
export function loadLeaflet(base) {
  loading ??= Promise.all([import(`${base}/leaflet-src.esm.js`), stylesheet(`${base}/leaflet.css`), geoStyles()])
    .then(([L]) => L);
  return loading;
}

export class GeoMap {
  // `container` must be visible (Leaflet measures it); `basemap` is config.basemap.
  static async open(container, site, basemap) {
    return new GeoMap(await loadLeaflet(basemap.leaflet), container, site, basemap);
  }

  constructor(L, container, site, basemap) {
    this.L = L;
    this.site = site;
    this.container = container;
    this.map = L.map(container, { zoomControl: false, attributionControl: false, zoomSnap: 0.25, zoomDelta: 0.5 });
    container.setAttribute("aria-label", t("Geo map of {site}", { site: site.name }));
    // The view first (Leaflet adds layers only to a map that has one): the zones with a margin, else the base map.
    const corners = site.zones.flatMap((z) => z.geo || []);
    this.home = corners.length ? L.latLngBounds(corners).pad(0.05) : L.latLngBounds(basemap.bounds || [[-85, -180], [85, 180]]);
    this.fit();
    if (basemap.kind === "image") this.map.setMaxBounds(L.latLngBounds(basemap.bounds).pad(0.1));
    // names read over device icons (marker pane: 600); alarm markers stay on top of everything
    this.map.createPane("geo-labels").style.zIndex = "620";
    this.map.createPane("geo-alarms").style.zIndex = "640";
    if (basemap.kind === "tiles") {
      this.base = L.tileLayer(basemap.url, {
        minZoom: basemap.min_zoom, maxZoom: basemap.max_zoom, maxNativeZoom: basemap.max_zoom, className: "geo-base",
      });
    } else {
      this.base = L.imageOverlay(basemap.url, basemap.bounds, { className: "geo-base", alt: "" });
    }
    this.base.addTo(this.map);
    this.zones = new Map();
    for (const z of site.zones) {
      if (!z.geo) continue;
      const poly = L.polygon(z.geo, { className: "geo-zone", weight: 1.5 }).addTo(this.map);
      poly.bindTooltip(z.name, { sticky: true, className: "geo-tip" });
      poly.getElement().setAttribute("data-zone", z.id);
      this.zones.set(z.id, poly);
      const name = document.createElement("span");
      name.textContent = z.name; // text, never markup
      const label = L.marker(z.label_geo, {
        icon: L.divIcon({ className: "geo-label", html: name, iconSize: null }),
        interactive: false, keyboard: false, pane: "geo-labels",
      });
      label.addTo(this.map).getElement().setAttribute("data-zone", z.id);
    }
    this.deviceLayer = L.layerGroup().addTo(this.map);
    this.devices = new Map();
    for (const d of site.devices || []) if (d.geo) this.drawDevice(d);
    this.alarmLayer = L.layerGroup().addTo(this.map);
    this.alarms = [];
    this.lastSeen = {};
    // from a little wider than the site to close up: tiles stop at their own zoom range, a picture 4 levels in
    this.map.setMinZoom(Math.max(this.map.getZoom() - 2, basemap.min_zoom ?? 0));
    this.map.setMaxZoom(basemap.kind === "tiles" ? basemap.max_zoom : this.map.getZoom() + 4);
    this.map.on("zoomend", () => this.container.setAttribute("data-zoom", String(this.map.getZoom())));
    this.container.setAttribute("data-zoom", String(this.map.getZoom()));
  }

  fit() { if (this.home) this.map.fitBounds(this.home); }

  zoom(factor) { this.map.setZoom(this.map.getZoom() + Math.log2(factor)); }

  // Leaflet measures its container: call when the container was hidden and is shown again.
  resize() { this.map.invalidateSize(); }

  showDevices(on) { this.container.classList.toggle("hide-devices", !on); }

  drawDevice(d) {
    const icon = this.L.divIcon({ className: "geo-device state-ok", html: iconSvg(d.kind), iconSize: [22, 22] });
    const marker = this.L.marker(d.geo, { icon, keyboard: false, title: `${deviceWord(d.kind)} ${d.id}: ${t("ok")}` });
    marker.addTo(this.deviceLayer);
    const node = marker.getElement();
    node.setAttribute("data-device", d.id);
    node.setAttribute("data-state", "ok");
    this.devices.set(d.id, { device: d, node });
  }

  // The active alarms, as the plan view gets them: zone fill by the worst, one marker per alarm.
  update(alarms) {
    this.alarms = alarms;
    const worst = new Map();
    for (const a of alarms) {
      if (a.zone && (!worst.has(a.zone) || sevRank(a.severity) < sevRank(worst.get(a.zone)))) worst.set(a.zone, a.severity);
    }
    for (const [id, poly] of this.zones) {
      const path = poly.getElement();
      if (worst.has(id)) path.setAttribute("data-severity", worst.get(id));
      else path.removeAttribute("data-severity");
    }
    this.alarmLayer.clearLayers();
    const ordered = [...alarms].sort((a, b) => sevRank(b.severity) - sevRank(a.severity) || b.id - a.id);
    const used = new Map();
    for (const a of ordered) { // least severe first: the most severe is drawn last, on top
      const at = this.place(a);
      if (!at) continue;
      const key = at.join(",");
      const n = used.get(key) || 0;
      used.set(key, n + 1);
      this.alarmLayer.addLayer(this.marker(a, at, n));
    }
    this.paintDevices();
  }

  place(a) {
    for (const source of a.sources || []) {
      const d = this.devices.get(source);
      if (d) return d.device.geo;
    }
    const zone = this.site.zones.find((z) => z.id === a.zone);
    return zone?.label_geo || null;
  }

  marker(a, at, n) {
    const unacked = a.state === "open";
    const label = t("{severity} {what} in {zone}, {state}", { severity: word(a.severity), what: humanType(a.type), zone: zoneName(a.zone), state: unacked ? t("unacknowledged") : word(a.state) });
    const link = document.createElement("a");
    link.href = `/alarms/${a.id}`;
    link.className = `geo-alarm sev-${a.severity} ${unacked ? "unacked" : "acked"}`;
    link.setAttribute("data-id", String(a.id));
    link.setAttribute("aria-label", `${t("Alarm {id}", { id: a.id })}: ${label}`);
    link.title = `#${a.id} ${label}`;
    link.textContent = unacked ? "!" : "";
    const size = a.severity === "critical" ? 26 : 22;
    // several alarms at one spot are laid side by side
    const icon = this.L.divIcon({ className: "geo-alarm-icon", html: link, iconSize: [size, size], iconAnchor: [size / 2 - n * (size + 2), size / 2] });
    return this.L.marker(at, { icon, keyboard: false, pane: "geo-alarms", zIndexOffset: (5 - sevRank(a.severity)) * 100 });
  }

  paintDevices() {
    const states = deviceStates(this.site.devices || [], this.alarms);
    for (const [id, { device, node }] of this.devices) {
      const state = states.get(id) || "ok";
      const seen = this.lastSeen[id];
      const heard = seen === null || seen === undefined ? t("not heard from yet") : t("last heard {age} ago", { age: fmtAge(now() - seen * 1000) });
      node.setAttribute("data-state", state);
      node.classList.remove("state-ok", "state-alarming", "state-offline");
      node.classList.add(`state-${state}`);
      node.title = `${deviceWord(device.kind)} ${id}: ${t(state)} · ${heard}`;
    }
  }

  // Live crowd measures (GET /api/v1/zones): the zones' level of service and when each device was last heard.
  updateMeasures(data) {
    for (const z of data.zones) this.zones.get(z.id)?.getElement().setAttribute("data-los", z.los || "");
    this.lastSeen = Object.fromEntries(data.devices.map((d) => [d.id, d.last_seen]));
    this.paintDevices();
  }
}
