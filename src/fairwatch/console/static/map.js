// The venue map: the site plan as inline SVG (fully offline). Zones are filled by their worst active alarm and
// outlined in their level-of-service colour; links show their flow's level of service; one marker per alarm at
// its device's location or its zone's centre; a device layer with an icon per kind and its state; one label per
// zone laid out so that labels never overlap or leave their zone (maplabels.js). Zoom and pan: mapzoom.js.
// Plan y points north; SVG y points down.

import { fmtAge, humanType, now, sevRank, t, word, zoneName } from "./common.js";
import { deviceNode, deviceStates, iconDefs, setDeviceState } from "./mapdevices.js";
import { boxInside, layoutLabels, overlaps } from "./maplabels.js";
import { Zoom } from "./mapzoom.js";

const NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

// Link kinds, shown in the links' tooltips; marked with N_ for `make i18n`.
const N_ = (text) => text;
export const LINK_WORDS = [N_("gate"), N_("corridor"), N_("stairs down"), N_("stairs up"), N_("turnstile"), N_("outside")];
const linkWord = (kind) => t(String(kind).replaceAll("_", " "));

// "full in ~8 min" from seconds (null: not filling).
export function fullIn(seconds) {
  if (seconds === null || seconds === undefined) return null;
  if (seconds <= 0) return t("full now");
  if (seconds < 60) return t("full in < 1 min");
  const min = Math.round(seconds / 60);
  return min < 90 ? t("full in ~{n} min", { n: min }) : t("full in ~{n} h", { n: Math.round(min / 60) });
}

export class VenueMap {
  constructor(container, site, { planUrl = null, interactive = true, onView = () => {} } = {}) {
    this.site = site;
    this.W = site.plan.width;
    this.H = site.plan.height;
    this.u = Math.max(this.W, this.H) / 800; // sizes below are tuned for an 800-unit-wide plan
    this.zones = new Map(site.zones.map((z) => [z.id, z]));
    this.devices = new Map(
      (site.devices || []).filter((d) => d.location && d.location.x !== undefined).map((d) => [d.id, d.location]),
    );
    this.root = svg("svg", {
      viewBox: `0 0 ${this.W} ${this.H}`,
      preserveAspectRatio: "xMidYMid meet",
      role: "group",
      "aria-label": t("Venue map of {site}", { site: site.name }),
    });
    this.root.append(iconDefs());
    this.root.append(svg("rect", { class: "ground", x: 0, y: 0, width: this.W, height: this.H }));
    if (planUrl) {
      this.root.append(svg("image", { href: planUrl, x: 0, y: 0, width: this.W, height: this.H, class: "plan-image", preserveAspectRatio: "none", "aria-hidden": "true" }));
    }
    this.zoneLayer = svg("g", { class: "zones" });
    this.losLayer = svg("g", { class: "los-outlines", "aria-hidden": "true" });
    this.linkLayer = svg("g", { class: "links" });
    this.labelLayer = svg("g", { class: "labels", "aria-hidden": "true" });
    this.badgeLayer = svg("g", { class: "badges", "aria-hidden": "true" });
    this.deviceLayer = svg("g", { class: "devices" });
    this.markerLayer = svg("g", { class: "markers" });
    // names read over device icons; alarm markers stay on top of everything
    this.root.append(this.zoneLayer, this.losLayer, this.linkLayer, this.deviceLayer, this.labelLayer, this.badgeLayer, this.markerLayer);
    this.polygons = new Map();
    this.outlines = new Map();
    for (const z of site.zones) this.drawZone(z);
    this.links = new Map();
    for (const link of site.links || []) this.drawLink(link);
    this.deviceNodes = new Map();
    for (const d of site.devices || []) this.drawDevice(d);
    this.lastSeen = {};
    this.alarms = [];
    container.style.setProperty("--plan-aspect", String(this.W / this.H));
    container.replaceChildren(this.root);
    this.labels = this.layOutLabels();
    this.zoom = interactive ? new Zoom(this.root, this.W, this.H, onView) : null;
  }

  y(v) { return this.H - v; }

  svgPolygon(z) { return z.polygon.map(([x, y]) => [x, this.y(y)]); }

  drawZone(z) {
    const points = z.polygon.map(([x, y]) => `${x},${this.y(y)}`).join(" ");
    const poly = svg("polygon", { points, class: "zone", "data-zone": z.id });
    poly.append(svg("title", {}, t("{zone} — capacity {n}", { zone: z.name, n: z.capacity.toLocaleString("en-GB") })));
    this.zoneLayer.append(poly);
    this.polygons.set(z.id, poly);
    const outline = svg("polygon", { points, class: "los-outline", "data-los-zone": z.id }); // `polygon[data-zone]` stays the zone itself
    this.losLayer.append(outline);
    this.outlines.set(z.id, outline);
  }

  // A link is drawn as a short arrow from its `from` zone towards its `to` zone, at its counter if placed.
  drawLink(link) {
    const from = this.zones.get(link.from);
    const to = this.zones.get(link.to);
    const counter = (this.site.devices || []).find((d) => d.link === link.id && d.location?.x !== undefined);
    const a = from ? [from.label_at[0], this.y(from.label_at[1])] : null;
    let at = counter ? [counter.location.x, this.y(counter.location.y)] : null;
    let b = to ? [to.label_at[0], this.y(to.label_at[1])] : null;
    if (!b && (at || a)) b = this.nearestEdge(at || a); // `outside`: towards the nearest edge of the plan
    if (!at && a && b) at = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
    if (!at || !a || !b) return;
    let [dx, dy] = [b[0] - a[0], b[1] - a[1]];
    const len = Math.hypot(dx, dy) || 1;
    [dx, dy] = [dx / len, dy / len];
    const half = 16 * this.u;
    const [x1, y1, x2, y2] = [at[0] - dx * half, at[1] - dy * half, at[0] + dx * half, at[1] + dy * half];
    const head = 7 * this.u;
    const g = svg("g", { class: "link los-none", "data-link": link.id });
    g.append(svg("title", {}, `${linkWord(link.kind)} ${link.id} (${link.width_m} m): ${t("no count yet")}`));
    g.append(svg("line", { x1, y1, x2, y2 }));
    const tip = [x2 + dx * head, y2 + dy * head];
    const side = [-dy * head * 0.7, dx * head * 0.7];
    g.append(svg("polygon", { points: `${tip.join(",")} ${x2 + side[0]},${y2 + side[1]} ${x2 - side[0]},${y2 - side[1]}` }));
    this.linkLayer.append(g);
    this.links.set(link.id, g);
  }

  nearestEdge([x, y]) {
    const options = [[0, y, x], [this.W, y, this.W - x], [x, 0, y], [x, this.H, this.H - y]];
    const [ex, ey] = options.reduce((best, o) => (o[2] < best[2] ? o : best));
    return [ex, ey];
  }

  drawDevice(d) {
    if (!d.location || d.location.x === undefined) return;
    const node = deviceNode(d, [d.location.x, this.y(d.location.y)], 9 * this.u);
    this.deviceLayer.append(node);
    this.deviceNodes.set(d.id, node);
  }

  showDevices(on) { this.root.classList.toggle("hide-devices", !on); }

  // One label per zone (maplabels.js); each <text> carries data-zone.
  layOutLabels() {
    const measure = (lines, size) => {
      const t = this.labelText(lines, size, 0, 0);
      this.labelLayer.append(t);
      const box = t.getBBox();
      t.remove();
      const width = box.width || lines.reduce((m, l) => Math.max(m, l.length), 0) * size * 0.6;
      const height = box.height || lines.length * size * 1.2;
      return { width, height, mid: box.height ? box.y + box.height / 2 : -size * 0.35 + ((lines.length - 1) * size * 1.15) / 2 };
    };
    const avoid = [...this.devices.values()].map((l) => [l.x, this.y(l.y)]);
    for (const z of this.site.zones) avoid.push([z.label_at[0], this.y(z.label_at[1])]);
    const zones = this.site.zones.map((z) => ({ id: z.id, name: z.name, poly: this.svgPolygon(z) }));
    // a small map (queue, alarm page) starts its labels larger, as its CSS did: they are read from afar
    const unit = this.root.parentElement?.classList.contains("mini") ? this.u * (17 / 15) : this.u;
    const layout = layoutLabels(zones, measure, { unit, avoid });
    const texts = [];
    for (const z of this.site.zones) {
      const spot = layout.get(z.id);
      const m = measure(spot.lines, spot.size);
      const t = this.labelText(spot.lines, spot.size, spot.x, spot.y - m.mid);
      t.setAttribute("data-zone", z.id);
      texts.push(t);
    }
    this.labelLayer.replaceChildren(...texts);
    return layout;
  }

  labelText(lines, size, x, y) {
    const t = svg("text", { class: "zone-label", x, y });
    t.style.fontSize = `${size}px`;
    lines.forEach((line, i) => t.append(svg("tspan", { x, dy: i ? "1.15em" : null }, line)));
    return t;
  }

  // Where an alarm goes: the first of its sources that is a placed device, else the centre of its zone.
  place(alarm) {
    for (const source of alarm.sources || []) {
      const loc = this.devices.get(source);
      if (loc) return { x: loc.x, y: this.y(loc.y), key: `d:${source}` };
    }
    const zone = this.zones.get(alarm.zone);
    if (zone) return { x: zone.label_at[0], y: this.y(zone.label_at[1]), key: `z:${zone.id}` };
    return null;
  }

  update(alarms, selectedId = null) {
    this.alarms = alarms;
    const worst = new Map();
    for (const a of alarms) {
      if (!a.zone) continue;
      const best = worst.get(a.zone);
      if (best === undefined || sevRank(a.severity) < sevRank(best)) worst.set(a.zone, a.severity);
    }
    for (const [id, poly] of this.polygons) {
      const sev = worst.get(id);
      poly.setAttribute("class", sev ? `zone sev-${sev}` : "zone");
    }
    // Most severe first, so they keep their true spot; the others move aside until nothing overlaps.
    const ordered = [...alarms].sort((a, b) => sevRank(a.severity) - sevRank(b.severity) || a.id - b.id);
    const taken = [];
    const placed = [];
    for (const a of ordered) {
      const at = this.place(a);
      if (!at) continue;
      const [x, y] = this.free(at.x, at.y, taken);
      taken.push([x, y]);
      placed.push(this.marker(a, x, y, a.id === selectedId));
    }
    this.markerLayer.replaceChildren(...placed.reverse()); // drawn last is on top: the most severe
    this.paintDevices();
  }

  paintDevices() {
    const states = deviceStates(this.site.devices || [], this.alarms);
    const ago = (t) => fmtAge(now() - t * 1000);
    for (const d of this.site.devices || []) {
      const node = this.deviceNodes.get(d.id);
      if (node) setDeviceState(node, d, states.get(d.id), this.lastSeen[d.id], ago);
    }
  }

  // Live crowd measures (GET /api/v1/zones): level-of-service colours, time-to-capacity badges, last heard.
  updateMeasures(data) {
    for (const z of data.zones) {
      const outline = this.outlines.get(z.id);
      if (outline) outline.setAttribute("class", `los-outline los-${z.los || "none"}`);
      if (outline) outline.setAttribute("data-los", z.los || "");
    }
    for (const l of data.links) {
      const g = this.links.get(l.id);
      if (!g) continue;
      g.setAttribute("class", `link los-${l.los || "none"}`);
      g.setAttribute("data-los", l.los || "");
      const spec = (this.site.links || []).find((s) => s.id === l.id);
      const text = l.total === null ? t("no count yet")
        : t("{forward} p/m/min {from} → {to}, {backward} back · level of service {los}", {
          forward: l.forward, from: zoneName(spec.from), to: spec.to === "outside" ? t("outside") : zoneName(spec.to), backward: l.backward, los: l.los,
        });
      g.querySelector("title").textContent = `${linkWord(spec.kind)} ${l.id} (${spec.width_m} m): ${text}`;
    }
    this.lastSeen = Object.fromEntries(data.devices.map((d) => [d.id, d.last_seen]));
    this.paintDevices();
    this.drawBadges(data.zones);
  }

  // "full in ~8 min" just below (or above) the zone's label, only where it fits inside the zone.
  drawBadges(zones) {
    const boxes = [...this.labels.values()].map((s) => s.box);
    const badges = [];
    for (const z of zones) {
      const text = fullIn(z.full_in_s);
      const spot = this.labels.get(z.id);
      const zone = this.zones.get(z.id);
      if (!text || !spot || !zone) continue;
      const size = Math.max(spot.size * 0.85, 6 * this.u);
      const t = svg("text", { class: "full-in", x: spot.x, y: 0, "data-zone": z.id }, text);
      t.style.fontSize = `${size}px`;
      this.badgeLayer.append(t);
      const bb = t.getBBox();
      const h = bb.height || size * 1.2;
      const w = bb.width || text.length * size * 0.55;
      const poly = this.svgPolygon(zone);
      const fits = [spot.box.y1 + h / 2 + 1, spot.box.y0 - h / 2 - 1].map((cy) => ({
        cy, box: { x0: spot.x - w / 2, x1: spot.x + w / 2, y0: cy - h / 2, y1: cy + h / 2 },
      })).find((c) => boxInside(c.box, poly) && !boxes.some((b) => overlaps(b, c.box)));
      if (!fits) { t.remove(); continue; }
      t.setAttribute("y", String(fits.cy - (bb.height ? bb.y + bb.height / 2 : -size * 0.35)));
      boxes.push(fits.box);
      badges.push(t);
    }
    this.badgeLayer.replaceChildren(...badges);
  }

  // The nearest spot to (x, y) at least one marker width away from every taken spot, searched ring by ring.
  free(x, y, taken) {
    const gap = 28 * this.u;
    const clear = (px, py) => taken.every(([tx, ty]) => Math.hypot(px - tx, py - ty) >= gap);
    if (clear(x, y)) return [x, y];
    for (let ring = 1; ring <= 6; ring++) {
      const steps = 6 * ring;
      for (let i = 0; i < steps; i++) {
        const angle = (2 * Math.PI * i) / steps;
        const px = x + Math.cos(angle) * gap * ring;
        const py = y + Math.sin(angle) * gap * ring;
        if (clear(px, py)) return [px, py];
      }
    }
    return [x, y];
  }

  // Zoom to an alarm: its zone and marker with room around them, never past the plan's edges.
  focus(alarm) {
    const zone = this.zones.get(alarm.zone);
    const points = zone ? zone.polygon.map(([x, y]) => [x, this.y(y)]) : [];
    const at = this.place(alarm);
    if (at) points.push([at.x, at.y]);
    if (!points.length) return;
    const xs = points.map((p) => p[0]);
    const ys = points.map((p) => p[1]);
    const box = this.root.getBoundingClientRect();
    const aspect = box.width > 0 && box.height > 0 ? box.width / box.height : this.W / this.H;
    let w = Math.max((Math.max(...xs) - Math.min(...xs)) * 2.5, this.W * 0.6);
    const h = Math.max((Math.max(...ys) - Math.min(...ys)) * 2.5, w / aspect);
    w = Math.max(w, h * aspect);
    const clamp = (v, hi) => Math.min(Math.max(v, 0), Math.max(hi, 0));
    const x0 = clamp((Math.max(...xs) + Math.min(...xs)) / 2 - w / 2, this.W - w);
    const y0 = clamp((Math.max(...ys) + Math.min(...ys)) / 2 - h / 2, this.H - h);
    if (this.zoom) this.zoom.set({ x: x0, y: y0, w, h });
    else this.root.setAttribute("viewBox", `${x0} ${y0} ${w} ${h}`);
  }

  marker(a, x, y, selected) {
    const r = (a.severity === "critical" ? 13 : 11) * this.u;
    const unacked = a.state === "open";
    const label = t("{severity} {what} in {zone}, {state}", { severity: word(a.severity), what: humanType(a.type), zone: zoneName(a.zone), state: unacked ? t("unacknowledged") : word(a.state) });
    const link = svg("a", {
      href: `/alarms/${a.id}`,
      class: `marker sev-${a.severity} ${unacked ? "unacked" : "acked"}${selected ? " selected" : ""}`,
      "data-id": a.id,
      "aria-label": `${t("Alarm {id}", { id: a.id })}: ${label}`,
    });
    link.append(svg("title", {}, `#${a.id} ${label}`));
    link.append(svg("circle", { class: "ring", cx: x, cy: y, r }));
    if (selected) link.append(svg("circle", { class: "halo", cx: x, cy: y, r: r + 5 * this.u }));
    link.append(svg("circle", { class: "dot", cx: x, cy: y, r }));
    if (unacked) link.append(svg("text", { x, y: y + 0.5 }, "!"));
    return link;
  }
}

