// Zone labels that never overlap each other and never spill out of their zone. Deterministic: no randomness,
// the same site always gives the same layout. Coordinates here are SVG user units (y down).
//
// Zones are placed smallest first (they have the fewest spots). For each zone, sizes from large to small and
// one line before two: the first text box that fits wholly inside the polygon, clear of labels already
// placed, wins; among the spots that fit, the one nearest the zone's pole of inaccessibility (the inside
// point farthest from its outline), with a penalty for covering a device or the zone's alarm spot. A zone too
// small for its name at the smallest size gets its initials.

const SIZES = [15, 13, 11.5, 10, 9, 8, 7, 6]; // font sizes for an 800-unit-wide plan
const PAD = 2; // clear space around a label's box, in the same units
const AVOID_R = 12; // radius of a device icon or alarm marker a label should rather not cover

export function inside([x, y], poly) {
  let hit = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i];
    const [xj, yj] = poly[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) hit = !hit;
  }
  return hit;
}

function segmentDistance([px, py], [ax, ay], [bx, by]) {
  const dx = bx - ax;
  const dy = by - ay;
  const len = dx * dx + dy * dy;
  const t = len ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len)) : 0;
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

function edgeDistance(p, poly) {
  let best = Infinity;
  for (let i = 0; i < poly.length; i++) best = Math.min(best, segmentDistance(p, poly[i], poly[(i + 1) % poly.length]));
  return best;
}

export function bounds(poly) {
  const xs = poly.map((p) => p[0]);
  const ys = poly.map((p) => p[1]);
  return { x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys) };
}

function grid(poly, fine) {
  const b = bounds(poly);
  const w = b.x1 - b.x0;
  const h = b.y1 - b.y0;
  const step = Math.max(fine, Math.min(w, h) / 16, Math.max(w, h) / 80);
  const points = [];
  for (let y = b.y0 + step / 2; y < b.y1; y += step) for (let x = b.x0 + step / 2; x < b.x1; x += step) points.push([x, y]);
  return points;
}

// The inside point farthest from the outline, on a grid (ties: the first in row order).
export function pole(poly, fine = 1) {
  let best = null;
  let far = -1;
  for (const p of grid(poly, fine)) {
    if (!inside(p, poly)) continue;
    const d = edgeDistance(p, poly);
    if (d > far) { far = d; best = p; }
  }
  return best || poly[0];
}

// A box (x0, y0, x1, y1) lies wholly inside the polygon: its corners are inside and no vertex pokes into it.
export function boxInside(box, poly) {
  const corners = [[box.x0, box.y0], [box.x1, box.y0], [box.x1, box.y1], [box.x0, box.y1]];
  if (!corners.every((c) => inside(c, poly))) return false;
  return !poly.some(([x, y]) => x > box.x0 && x < box.x1 && y > box.y0 && y < box.y1);
}

export const overlaps = (a, b) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

const area = (poly) => Math.abs(poly.reduce((s, [x, y], i) => {
  const [nx, ny] = poly[(i + 1) % poly.length];
  return s + x * ny - nx * y;
}, 0)) / 2;

// Two lines split at the space nearest the middle, or null for a single word.
function wrapped(name) {
  const spaces = [...name.matchAll(/ /g)].map((m) => m.index);
  if (!spaces.length) return null;
  const mid = name.length / 2;
  const at = spaces.reduce((a, b) => (Math.abs(b - mid) < Math.abs(a - mid) ? b : a));
  return [name.slice(0, at), name.slice(at + 1)];
}

// "Medical Tent" -> "MT"; a single word is cut to its first three letters.
function initials(name) {
  const words = name.split(/[\s()/-]+/).filter(Boolean);
  return words.length > 1 ? words.map((w) => w[0].toUpperCase()).join("") : name.slice(0, 3);
}

// Lays out one label per zone. `measure(lines, size)` returns the text's {width, height}; `avoid` are points
// (devices, alarm spots) a label should rather not cover. Returns Map zoneId -> {lines, size, box, x, y}.
export function layoutLabels(zones, measure, { unit = 1, avoid = [] } = {}) {
  const placed = [];
  const out = new Map();
  const order = [...zones].sort((a, b) => area(a.poly) - area(b.poly) || (a.id < b.id ? -1 : 1));
  for (const zone of order) {
    const spot = pole(zone.poly, unit);
    const options = [];
    for (const size of SIZES) {
      options.push([[zone.name], size * unit]);
      const two = wrapped(zone.name);
      if (two) options.push([two, size * unit]);
    }
    const short = initials(zone.name); // a zone too small for its name gets its initials (full name in the tooltip)
    if (short !== zone.name) for (const size of SIZES) options.push([[short], size * unit]);
    let chosen = null;
    for (const [lines, size] of options) {
      chosen = bestSpot(zone, lines, size, measure(lines, size), spot, placed, avoid, unit);
      if (chosen) break;
    }
    if (!chosen) { // nothing fits: the smallest size at the pole (never happens with sane zones)
      const [lines, size] = options[options.length - 1];
      const m = measure(lines, size);
      chosen = { lines, size, ...boxAt(spot, m, unit) };
    }
    placed.push(chosen.box);
    out.set(zone.id, chosen);
  }
  return out;
}

function boxAt([x, y], m, unit) {
  const pad = PAD * unit;
  return { x, y, box: { x0: x - m.width / 2 - pad, y0: y - m.height / 2 - pad, x1: x + m.width / 2 + pad, y1: y + m.height / 2 + pad } };
}

function bestSpot(zone, lines, size, m, spot, placed, avoid, unit) {
  let best = null;
  let bestScore = Infinity;
  for (const p of [spot, ...grid(zone.poly, unit)]) {
    const at = boxAt(p, m, unit);
    if (!boxInside(at.box, zone.poly) || placed.some((b) => overlaps(b, at.box))) continue;
    const r = AVOID_R * unit; // a marker or icon drawn there is this big
    const covered = avoid.filter(([x, y]) => x > at.box.x0 - r && x < at.box.x1 + r && y > at.box.y0 - r && y < at.box.y1 + r).length;
    const score = Math.hypot(p[0] - spot[0], p[1] - spot[1]) + covered * 1000 * unit;
    if (score < bestScore) { bestScore = score; best = { lines, size, ...at }; }
  }
  return best;
}
