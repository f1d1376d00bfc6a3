// Zoom and pan of the venue map by its SVG viewBox: wheel (around the pointer), drag and pinch (pointer events,
// so mouse, pen and touch alike), keyboard on the focused map (+ / - zoom, arrows pan, 0 shows the whole plan).

const MIN_SCALE = 1 / 8; // zoomed in at most 8x
const STEP = 1.25; // one key press or button click
const DRAG_PX = 4; // a press that moves less is a click (markers stay clickable)

export class Zoom {
  constructor(svg, width, height, onChange = () => {}) {
    this.svg = svg;
    this.W = width;
    this.H = height;
    this.onChange = onChange;
    this.pointers = new Map();
    this.drag = null;
    this.set({ x: 0, y: 0, w: width, h: height });
    svg.setAttribute("tabindex", "0");
    svg.setAttribute("aria-keyshortcuts", "+ - 0 ArrowUp ArrowDown ArrowLeft ArrowRight");
    svg.addEventListener("wheel", (e) => this.wheel(e), { passive: false });
    svg.addEventListener("keydown", (e) => this.key(e));
    svg.addEventListener("pointerdown", (e) => this.down(e));
    svg.addEventListener("pointermove", (e) => this.move(e));
    for (const type of ["pointerup", "pointercancel", "lostpointercapture"]) svg.addEventListener(type, (e) => this.up(e));
    svg.addEventListener("click", (e) => { if (this.dragged) { e.preventDefault(); e.stopPropagation(); this.dragged = false; } }, true);
  }

  // The view: the plan's shape, covering (x, y, w, h), kept inside the plan and between the whole plan and 8x.
  set({ x, y, w, h }) {
    const scale = Math.min(1, Math.max(MIN_SCALE, w / this.W, h / this.H));
    const nw = this.W * scale;
    const nh = this.H * scale;
    const cx = x + w / 2;
    const cy = y + h / 2;
    const nx = Math.min(Math.max(cx - nw / 2, 0), this.W - nw);
    const ny = Math.min(Math.max(cy - nh / 2, 0), this.H - nh);
    this.view = { x: nx, y: ny, w: nw, h: nh };
    this.svg.setAttribute("viewBox", `${round(nx)} ${round(ny)} ${round(nw)} ${round(nh)}`);
    this.onChange(this.view);
  }

  reset() { this.set({ x: 0, y: 0, w: this.W, h: this.H }); }

  // Zoom by `factor` (> 1 zooms in) keeping the plan point (px, py) where it is on screen.
  zoom(factor, px = this.view.x + this.view.w / 2, py = this.view.y + this.view.h / 2) {
    const v = this.view;
    const w = v.w / factor;
    const h = v.h / factor;
    this.set({ x: px - ((px - v.x) * w) / v.w, y: py - ((py - v.y) * h) / v.h, w, h });
  }

  pan(dx, dy) { const v = this.view; this.set({ ...v, x: v.x + dx, y: v.y + dy }); }

  // Screen point -> plan (SVG user) point.
  at(clientX, clientY) {
    const ctm = this.svg.getScreenCTM();
    if (!ctm) return [this.view.x + this.view.w / 2, this.view.y + this.view.h / 2];
    const p = new DOMPoint(clientX, clientY).matrixTransform(ctm.inverse());
    return [p.x, p.y];
  }

  wheel(e) {
    e.preventDefault();
    const lines = e.deltaMode === 1 ? 40 : e.deltaMode === 2 ? 400 : 1;
    const factor = Math.pow(1.0015, -e.deltaY * lines);
    this.zoom(factor, ...this.at(e.clientX, e.clientY));
  }

  key(e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const v = this.view;
    const moves = { ArrowLeft: [-v.w / 8, 0], ArrowRight: [v.w / 8, 0], ArrowUp: [0, -v.h / 8], ArrowDown: [0, v.h / 8] };
    if (e.key === "+" || e.key === "=") this.zoom(STEP);
    else if (e.key === "-" || e.key === "_") this.zoom(1 / STEP);
    else if (e.key === "0") this.reset();
    else if (moves[e.key]) this.pan(...moves[e.key]);
    else return;
    e.preventDefault();
    e.stopPropagation();
  }

  down(e) {
    if (e.button !== undefined && e.button > 0) return;
    this.dragged = false;
    this.pointers.set(e.pointerId, [e.clientX, e.clientY]);
    this.drag = { view: { ...this.view }, start: this.centre(), spread: this.spread(), moved: false };
  }

  move(e) {
    if (!this.pointers.has(e.pointerId) || !this.drag) return;
    this.pointers.set(e.pointerId, [e.clientX, e.clientY]);
    const [sx, sy] = this.drag.start;
    const [cx, cy] = this.centre();
    if (!this.drag.moved && Math.hypot(cx - sx, cy - sy) < DRAG_PX && this.pointers.size < 2) return;
    if (!this.drag.moved) {
      this.drag.moved = true;
      try { this.svg.setPointerCapture(e.pointerId); } catch { /* the pointer is already gone */ }
      this.svg.classList.add("panning");
    }
    const box = this.svg.getBoundingClientRect();
    const v = this.drag.view;
    const perPx = Math.max(v.w / box.width, v.h / box.height); // "meet": the plan's larger ratio
    const factor = this.pointers.size > 1 && this.drag.spread > 0 ? this.spread() / this.drag.spread : 1;
    const w = v.w / factor;
    const h = v.h / factor;
    const [px, py] = [v.x + v.w / 2 - (cx - sx) * perPx, v.y + v.h / 2 - (cy - sy) * perPx];
    this.set({ x: px - w / 2, y: py - h / 2, w, h });
  }

  up(e) {
    if (!this.pointers.delete(e.pointerId)) return;
    if (this.drag?.moved) this.dragged = true;
    this.svg.classList.remove("panning");
    // the remaining finger of a pinch starts a fresh drag from here
    this.drag = this.pointers.size ? { view: { ...this.view }, start: this.centre(), spread: this.spread(), moved: true } : null;
  }

  centre() {
    const pts = [...this.pointers.values()];
    if (!pts.length) return [0, 0];
    return [pts.reduce((s, p) => s + p[0], 0) / pts.length, pts.reduce((s, p) => s + p[1], 0) / pts.length];
  }

  spread() {
    const pts = [...this.pointers.values()];
    return pts.length < 2 ? 0 : Math.hypot(pts[0][0] - pts[1][0], pts[0][1] - pts[1][1]);
  }
}

const round = (v) => Math.round(v * 100) / 100;
