// The venue map: the site plan as inline SVG (fully offline), zones filled by their worst active alarm,
// one marker per alarm at its device's location or its zone's centre. Plan y points north; SVG y points down.

import { humanType, sevRank, zoneName } from "./common.js";

const NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

// The highest point of a polygon's outline straight above or below x: labels sit just inside the top edge,
// leaving the zone's centre free for its alarm markers.
function topAt(polygon, x) {
  let top = -Infinity;
  polygon.forEach(([x1, y1], i) => {
    const [x2, y2] = polygon[(i + 1) % polygon.length];
    if ((x1 <= x && x <= x2) || (x2 <= x && x <= x1)) {
      top = Math.max(top, x1 === x2 ? Math.max(y1, y2) : y1 + ((x - x1) * (y2 - y1)) / (x2 - x1));
    }
  });
  return Number.isFinite(top) ? top : Math.max(...polygon.map((p) => p[1]));
}

export class VenueMap {
  constructor(container, site, { planUrl = null } = {}) {
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
      "aria-label": `Venue map of ${site.name}`,
    });
    this.root.append(svg("rect", { class: "ground", x: 0, y: 0, width: this.W, height: this.H }));
    if (planUrl) {
      this.root.append(svg("image", { href: planUrl, x: 0, y: 0, width: this.W, height: this.H, class: "plan-image", preserveAspectRatio: "none", "aria-hidden": "true" }));
    }
    this.zoneLayer = svg("g", { class: "zones" });
    this.labelLayer = svg("g", { class: "labels", "aria-hidden": "true" });
    this.markerLayer = svg("g", { class: "markers" });
    this.root.append(this.zoneLayer, this.labelLayer, this.markerLayer);
    this.polygons = new Map();
    for (const z of site.zones) this.drawZone(z);
    container.style.setProperty("--plan-aspect", String(this.W / this.H));
    container.replaceChildren(this.root);
  }

  y(v) { return this.H - v; }

  drawZone(z) {
    const points = z.polygon.map(([x, y]) => `${x},${this.y(y)}`).join(" ");
    const poly = svg("polygon", { points, class: "zone", "data-zone": z.id });
    poly.append(svg("title", {}, `${z.name} — capacity ${z.capacity.toLocaleString("en-GB")}`));
    this.zoneLayer.append(poly);
    this.polygons.set(z.id, poly);
    const [lx] = z.label_at;
    const top = topAt(z.polygon, lx);
    this.labelLayer.append(svg("text", { class: "zone-label", x: lx, y: this.y(top) + 19 * this.u }, z.name));
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
  }

  // The nearest spot to (x, y) at least one marker width away from every taken spot, searched ring by ring.
  free(x, y, taken) {
    const gap = 21 * this.u;
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
    this.root.setAttribute("viewBox", `${x0} ${y0} ${w} ${h}`);
  }

  marker(a, x, y, selected) {
    const r = (a.severity === "critical" ? 10 : 8.5) * this.u;
    const unacked = a.state === "open";
    const label = `${a.severity} ${humanType(a.type)} in ${zoneName(a.zone)}, ${unacked ? "unacknowledged" : a.state}`;
    const link = svg("a", {
      href: `/alarms/${a.id}`,
      class: `marker sev-${a.severity} ${unacked ? "unacked" : "acked"}${selected ? " selected" : ""}`,
      "data-id": a.id,
      "aria-label": `Alarm ${a.id}: ${label}`,
    });
    link.append(svg("title", {}, `#${a.id} ${label}`));
    link.append(svg("circle", { class: "ring", cx: x, cy: y, r }));
    if (selected) link.append(svg("circle", { class: "halo", cx: x, cy: y, r: r + 5 * this.u }));
    link.append(svg("circle", { class: "dot", cx: x, cy: y, r }));
    if (unacked) link.append(svg("text", { x, y: y + 0.5 }, "!"));
    return link;
  }
}
