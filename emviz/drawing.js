// emviz drawing, part 2 of 2: "Draw your own" data on a plain <canvas>, edited in the browser.
//
// Python (emviz/drawing.py) sends the drawing it holds, packed as emviz/drawn_data.py packs a
// link: axes, then each point's position on a grid of GRID steps per axis and its class. Every
// edit (a click, a stroke, an erase stroke, Clear, a drawing the server replaces) happens here at
// once and can be undone; the whole point list goes back to Python only when the user asks
// ("Fit the drawing") or after a pause, never once per point. The drawing, its undo history
// and the brush settings live in a page-wide cache, so a remount (a page switch) loses nothing.

const CACHE = (window.__emvizDrawing = window.__emvizDrawing || { state: null, settings: null, lastClick: null });
const PAUSE_MS = 800; // no edits for this long: report the drawing, so the page refits
const MAX_UNDO = 500;

// ------------------------------------------------------------------ the component
class Drawing {
  constructor(parent) {
    this.parent = parent;
    this.root = el("div", "emviz-drawing");
    this.root.setAttribute("data-testid", "emvizDrawing");
    this.tools = el("div", "emviz-draw-tools");
    this.tools.setAttribute("role", "toolbar");
    this.tools.setAttribute("aria-label", "Drawing tools");
    this.edits = el("div", "emviz-draw-tools");
    this.edits.setAttribute("role", "toolbar");
    this.edits.setAttribute("aria-label", "Edits");
    this.stage = el("div", "emviz-draw-stage");
    this.canvas = el("canvas", "emviz-draw-canvas");
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute("role", "application");
    this.canvas.setAttribute("aria-label", "Drawing canvas: click to add points, drag to paint a stroke; "
      + "Ctrl+Z undoes, Ctrl+Y redoes.");
    this.cursor = el("canvas", "emviz-draw-cursor");
    this.cursor.setAttribute("aria-hidden", "true");
    this.stage.append(this.canvas, this.cursor);
    this.status = el("div", "emviz-draw-status");
    this.status.setAttribute("role", "status");
    this.root.append(this.tools, this.edits, this.stage, this.status);
    parent.appendChild(this.root);
    this.buttons = {};
    this.stroke = null;
    this.hint = "";
    this.bindPointer();
    this.root.addEventListener("keydown", (event) => this.key(event));
    this.resizer = new ResizeObserver(() => this.resize());
    this.resizer.observe(this.stage);
  }

  destroy() {
    this.resizer.disconnect();
    clearTimeout(this.reportTimer);
    cancelAnimationFrame(this.frame);
  }

  // Build the tool rows once, from the vocabulary Python sends (emviz/drawn_data.py VOCABULARY).
  build(vocab) {
    const settings = (CACHE.settings = CACHE.settings || { mode: "draw", brush: vocab.default_brush,
      spread: vocab.default_spread, cls: 0 });
    const group = (labelText, items, current, onPick, className) => {
      const box = el("div", "emviz-draw-group " + className);
      box.setAttribute("role", "group");
      box.setAttribute("aria-label", labelText);
      box.appendChild(el("span", "emviz-draw-label", labelText));
      const buttons = items.map(([value, text, title, swatch]) => {
        const b = el("button", "emviz-draw-choice", text);
        b.type = "button";
        b.title = title;
        b.dataset.value = String(value);
        if (swatch) { const dot = el("span", "emviz-draw-swatch"); dot.style.background = swatch; b.prepend(dot); }
        b.addEventListener("click", () => { onPick(value); mark(); this.drawCursor(); });
        box.appendChild(b);
        return b;
      });
      const mark = () => buttons.forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.value === String(current()))));
      mark();
      this.tools.appendChild(box);
    };
    group("Mode", [["draw", "Draw", "Click or drag to add points."], ["erase", "Erase", "Click or drag to remove points under the brush."]],
      () => settings.mode, (v) => { settings.mode = v; }, "emviz-draw-mode");
    group("Points per click", vocab.brush_sizes.map((b) => [b, String(b), b === 1
      ? "One point exactly where you click." : `${b} points scattered around where you click.`]),
      () => settings.brush, (v) => { settings.brush = Number(v); }, "emviz-draw-brush");
    group("Spread", vocab.spreads.map((s) => [s, `${Math.round(s * 100)} %`,
      `Scatter with a standard deviation of ${Math.round(s * 100)} % of each axis (also the eraser's size).`]),
      () => settings.spread, (v) => { settings.spread = Number(v); }, "emviz-draw-spread");
    group("Class", vocab.classes.map((c) => [c.code, c.name, c.code === 0 ? "New points have no class."
      : `New points belong to class ${c.name} (k-means vs GMM compares the clusters with the classes).`, c.colour]),
      () => settings.cls, (v) => { settings.cls = Number(v); }, "emviz-draw-class");
    const action = (name, text, title, run) => {
      const b = el("button", "emviz-draw-" + name, text);
      b.type = "button";
      b.title = title;
      b.addEventListener("click", run);
      this.edits.appendChild(b);
      this.buttons[name] = b;
    };
    action("undo", "Undo", "Undo the last edit (Ctrl+Z).", () => this.undo());
    action("redo", "Redo", "Redo what was undone (Ctrl+Y or Ctrl+Shift+Z).", () => this.redo());
    action("clear", "Clear", "Remove every point (Undo brings them back).", () => this.clear());
    action("fit", "Fit the drawing", "Fit the mixture to the drawing now (it also refits by itself after a short pause).",
      () => this.report());
    this.buttons.fit.classList.add("emviz-draw-primary");
    this.settings = settings;
  }

  accept(component) {
    const { data } = component;
    this.setStateValue = component.setStateValue;
    this.data = data;
    this.grid = data.vocab.grid;
    if (!this.settings) this.build(data.vocab);
    let st = CACHE.state;
    if (!st) {
      st = CACHE.state = emptyState([0, 1, 0, 1]);
      restore(st, unpack(data.packed));
      st.origin = data.origin;
    } else if (st.origin !== data.origin) {
      // The server replaced the drawing (a built-in set to start from, a link): take it, as an edit
      // that Undo takes back. The server holds it already, so there is nothing to report.
      const before = snapshot(st);
      restore(st, unpack(data.packed));
      st.origin = data.origin;
      if (before.n > 0 || st.undo.length) this.push({ kind: "replace", before, after: snapshot(st) });
      st.reportedRev = st.rev;
    }
    this.st = st;
    this.canvas.dataset.serverPoints = String(data.n); // what the page fits (tests wait for it)
    // Edits the server has not seen yet (the canvas was remounted, e.g. by a page switch, before its
    // pause was over): report them after the pause, so that they are fitted too.
    if (st.rev !== st.reportedRev && !this.reportTimer) this.reportLater();
    this.root.classList.toggle("emviz-lecture", !!data.lecture);
    this.theme();
    this.resize();
    this.draw(); // the drawing or the theme may have changed
    this.refresh();
  }

  // The page's text colour and font, read once per run: reading styles on every click forces the
  // browser to recompute the styles of the whole page, which cost milliseconds per brush click.
  theme() {
    const style = getComputedStyle(this.parent);
    this.colour = style.getPropertyValue("--st-text-color").trim() || style.color || "#31333F";
    this.font = style.getPropertyValue("--st-font").trim() || "sans-serif";
  }

  // ---------------------------------------------------------------- geometry
  resize() {
    // A plotting area at most 1.3 times as wide as tall, so that a share-of-the-axis spread stays nearly
    // round on the blank 0-10 x 0-10 canvas, and the canvas never runs wider than its column.
    const room = Math.max(240, Math.floor(this.stage.clientWidth || 600));
    const height = Math.round(Math.min(520, Math.max(300, room * 0.58)));
    const plotH = height - MARGIN.top - MARGIN.bottom;
    const width = Math.min(room, MARGIN.left + MARGIN.right + Math.round(1.3 * plotH));
    const dpr = window.devicePixelRatio || 1;
    if (this.width === width && this.height === height && this.dpr === dpr) return;
    this.width = width; this.height = height; this.dpr = dpr;
    for (const c of [this.canvas, this.cursor]) {
      c.width = Math.round(width * dpr);
      c.height = Math.round(height * dpr);
      c.style.width = width + "px";
      c.style.height = height + "px";
    }
    this.stage.style.height = height + "px";
    this.plot = { l: MARGIN.left, t: MARGIN.top, w: width - MARGIN.left - MARGIN.right, h: plotH };
    this.canvas.dataset.plot = [this.plot.l, this.plot.t, this.plot.w, this.plot.h].join(",");
    if (this.st) this.draw();
  }

  // Pointer position (CSS px in the canvas) -> fractional grid units, and whether it is inside the axes.
  toGrid(px, py) {
    const { l, t, w, h } = this.plot;
    return { gx: ((px - l) / w) * this.grid, gy: ((t + h - py) / h) * this.grid,
      inside: px >= l && px <= l + w && py >= t && py <= t + h };
  }

  local(event) {
    const box = this.canvas.getBoundingClientRect();
    return { x: event.clientX - box.left, y: event.clientY - box.top };
  }

  // ---------------------------------------------------------------- drawing on the canvas
  draw() {
    const ctx = this.canvas.getContext("2d");
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.clearRect(0, 0, this.width, this.height);
    paintAxes(ctx, this.st.axes, this.plot, this, this.colour, this.font);
    if (this.st.n === 0) paintHint(ctx, this.plot, this.font);
    paintPoints(ctx, this.st, this.plot, this.grid, this.data.vocab.classes);
    this.canvas.dataset.points = String(this.st.n);
  }

  // Points added from index `from` on, painted over what is there: a brush click costs its own
  // points, not the whole drawing's (the first points also wipe the empty canvas's hint).
  drawAdded(from) {
    if (from === 0) { this.draw(); return; }
    const ctx = this.canvas.getContext("2d");
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    paintPoints(ctx, this.st, this.plot, this.grid, this.data.vocab.classes, from);
    this.canvas.dataset.points = String(this.st.n);
  }

  // The brush outline under the pointer, on a canvas of its own so that hovering never redraws the points.
  drawCursor(at) {
    if (at !== undefined) this.hover = at;
    const ctx = this.cursor.getContext("2d");
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.clearRect(0, 0, this.width, this.height);
    const p = this.hover;
    if (!p || !this.plot || !this.toGrid(p.x, p.y).inside) return;
    const s = this.settings;
    ctx.strokeStyle = this.colour;
    ctx.globalAlpha = 0.55;
    ctx.setLineDash(s.mode === "erase" ? [4, 3] : []);
    ctx.beginPath();
    if (s.mode === "erase") ctx.arc(p.x, p.y, this.eraseRadius(), 0, 2 * Math.PI);
    else if (s.brush > 1) ctx.ellipse(p.x, p.y, 2 * s.spread * this.plot.w, 2 * s.spread * this.plot.h, 0, 0, 2 * Math.PI);
    else { ctx.moveTo(p.x - 6, p.y); ctx.lineTo(p.x + 6, p.y); ctx.moveTo(p.x, p.y - 6); ctx.lineTo(p.x, p.y + 6); }
    ctx.stroke();
  }

  eraseRadius() {
    return Math.max(10, 2 * this.settings.spread * Math.min(this.plot.w, this.plot.h));
  }

  // ---------------------------------------------------------------- edits
  bindPointer() {
    const c = this.canvas;
    c.addEventListener("pointerdown", (event) => {
      if (event.button !== 0 || !this.st) return;
      const p = this.local(event);
      if (!this.toGrid(p.x, p.y).inside) { this.say("Click inside the axes to add or erase points."); return; }
      c.setPointerCapture(event.pointerId);
      const st = this.st;
      this.stroke = { mode: this.settings.mode, last: p, start: st.n, before: null, changed: false };
      if (this.stroke.mode === "erase") {
        this.stroke.before = snapshot(st);
        this.eraseAt(p);
        this.draw();
      } else {
        const from = st.n;
        this.stamp(p);
        this.drawAdded(from);
      }
      // The brush click's in-page time: from the event to the redrawn canvas, then to the next frame.
      const drawn = performance.now();
      const started = event.timeStamp;
      requestAnimationFrame(() => {
        CACHE.lastClick = { points: st.n, draw: drawn - started, frame: performance.now() - started };
      });
      this.refresh();
    });
    c.addEventListener("pointermove", (event) => {
      const p = this.local(event);
      this.drawCursor(p);
      const s = this.stroke;
      if (!s) return;
      // Paint along the path: one stamp per `spacing` pixels, throttled by distance, not per event.
      const spacing = s.mode === "erase" ? this.eraseRadius() / 2 : this.settings.brush === 1 ? 8
        : Math.max(8, 1.5 * this.settings.spread * Math.min(this.plot.w, this.plot.h));
      const dx = p.x - s.last.x, dy = p.y - s.last.y;
      const steps = Math.min(60, Math.floor(Math.hypot(dx, dy) / spacing));
      if (steps < 1) return;
      const from = this.st.n;
      for (let k = 1; k <= steps; k++) {
        const q = { x: s.last.x + (dx * k) / steps, y: s.last.y + (dy * k) / steps };
        if (s.mode === "erase") this.eraseAt(q); else this.stamp(q);
      }
      s.last = p;
      // Painting adds its points on top at once; erasing redraws everything, once per frame.
      if (s.mode === "erase") this.drawSoon(); else { this.drawAdded(from); this.refresh(); }
    });
    const end = () => {
      const s = this.stroke;
      if (!s) return;
      this.stroke = null;
      const st = this.st;
      if (s.mode === "erase") {
        if (s.changed) this.edited({ kind: "replace", before: s.before, after: snapshot(st) });
      } else if (st.n > s.start) {
        this.edited({ kind: "add", start: s.start, gx: st.gx.slice(s.start, st.n), gy: st.gy.slice(s.start, st.n),
          c: st.c.slice(s.start, st.n) });
      }
    };
    c.addEventListener("pointerup", end);
    c.addEventListener("pointercancel", end);
    c.addEventListener("pointerleave", () => { if (!this.stroke) this.drawCursor(null); });
  }

  drawSoon() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => { this.frame = null; this.draw(); this.refresh(); });
  }

  stamp(p) {
    const st = this.st, s = this.settings, G = this.grid;
    const at = this.toGrid(p.x, p.y);
    if (!at.inside) return;
    const count = Math.min(s.brush, this.data.vocab.max_points - st.n);
    if (count <= 0) { this.say(`A drawing holds at most ${this.data.vocab.max_points.toLocaleString()} points.`); return; }
    reserve(st, count);
    for (let k = 0; k < count; k++) {
      // One point goes exactly where the pointer is; a bigger brush scatters around it.
      const gx = Math.round(s.brush === 1 ? at.gx : at.gx + gaussian() * s.spread * G);
      const gy = Math.round(s.brush === 1 ? at.gy : at.gy + gaussian() * s.spread * G);
      if (gx < 0 || gx > G || gy < 0 || gy > G) continue; // scattered off the canvas: not drawn
      st.gx[st.n] = gx; st.gy[st.n] = gy; st.c[st.n] = s.cls;
      st.n += 1;
    }
  }

  eraseAt(p) {
    const st = this.st, r2 = this.eraseRadius() ** 2;
    const { l, t, w, h } = this.plot;
    const sx = w / this.grid, sy = h / this.grid;
    let kept = 0;
    for (let i = 0; i < st.n; i++) {
      const dx = l + st.gx[i] * sx - p.x, dy = t + h - st.gy[i] * sy - p.y;
      if (dx * dx + dy * dy <= r2) continue;
      st.gx[kept] = st.gx[i]; st.gy[kept] = st.gy[i]; st.c[kept] = st.c[i];
      kept += 1;
    }
    if (kept !== st.n) { st.n = kept; this.stroke.changed = true; }
  }

  push(edit) {
    const st = this.st;
    st.undo.push(edit);
    if (st.undo.length > MAX_UNDO) st.undo.shift();
    st.redo = [];
  }

  edited(edit) {
    this.push(edit);
    this.changed();
  }

  changed() {
    this.st.rev += 1;
    this.hint = "";
    this.reportLater();
    this.refresh();
  }

  reportLater() {
    clearTimeout(this.reportTimer);
    // Never in the middle of a stroke: the stroke is one edit, reported whole.
    this.reportTimer = setTimeout(() => (this.stroke ? this.reportLater() : this.report()), PAUSE_MS);
  }

  undo() {
    this.replay(this.st.undo, this.st.redo, false);
  }

  redo() {
    this.replay(this.st.redo, this.st.undo, true);
  }

  // Move the newest edit from one history to the other, undoing or redoing it; nothing before the
  // first edit or after the last, and never in the middle of a stroke.
  replay(from, to, forward) {
    if (this.stroke || !from.length) return;
    const edit = from.pop();
    applyEdit(this.st, edit, forward);
    to.push(edit);
    this.draw();
    this.changed();
  }

  clear() {
    if (this.stroke || this.st.n === 0) return;
    const before = snapshot(this.st);
    this.st.n = 0;
    this.edited({ kind: "replace", before, after: snapshot(this.st) });
    this.draw();
  }

  key(event) {
    if (!(event.ctrlKey || event.metaKey) || event.altKey) return;
    const k = event.key.toLowerCase();
    if (k === "z" && !event.shiftKey) this.undo();
    else if (k === "y" || (k === "z" && event.shiftKey)) this.redo();
    else return;
    event.preventDefault();
  }

  // ---------------------------------------------------------------- reporting
  // The whole point list in data units (Python snaps it to the grid again and checks it).
  points() {
    const st = this.st, G = this.grid;
    const [x0, x1, y0, y1] = st.axes;
    const x = new Array(st.n), y = new Array(st.n), cls = new Array(st.n);
    for (let i = 0; i < st.n; i++) {
      x[i] = x0 + (st.gx[i] * (x1 - x0)) / G;
      y[i] = y0 + (st.gy[i] * (y1 - y0)) / G;
      cls[i] = st.c[i];
    }
    return { x, y, cls };
  }

  report() {
    clearTimeout(this.reportTimer);
    this.reportTimer = null;
    const st = this.st;
    if (!st || !this.setStateValue) return;
    st.reportedRev = st.rev;
    this.setStateValue("drawing", Object.assign({ origin: st.origin, rev: st.rev, axes: st.axes.slice() }, this.points()));
    this.refresh();
  }

  say(text) {
    this.hint = text;
    this.refresh();
  }

  refresh() {
    const st = this.st;
    this.buttons.undo.disabled = st.undo.length === 0;
    this.buttons.redo.disabled = st.redo.length === 0;
    this.buttons.clear.disabled = st.n === 0;
    const need = this.data.need;
    const parts = [`${st.n.toLocaleString()} point${st.n === 1 ? "" : "s"}`];
    if (st.n < need) parts.push(`draw at least ${need} to fit K = ${this.data.k}`);
    if (st.rev !== st.reportedRev) parts.push("fitting after a short pause (or press Fit the drawing)");
    if (this.hint) parts.push(this.hint);
    this.status.textContent = parts.join(" · ");
  }
}

export default function (component) {
  return mountOnce(component, Drawing, "emviz-drawing", CACHE);
}

// For tests and the benchmark: the points in data units, and where a data point is on the screen.
CACHE.api = {
  points: () => {
    const d = CACHE.active;
    if (!d || !d.st) return [];
    const { x, y, cls } = d.points();
    return x.map((v, i) => [v, y[i], cls[i]]);
  },
  toClient: (x, y) => {
    const d = CACHE.active;
    const [x0, x1, y0, y1] = d.st.axes;
    const box = d.canvas.getBoundingClientRect();
    return { x: box.left + d.plot.l + ((x - x0) / (x1 - x0)) * d.plot.w,
      y: box.top + d.plot.t + d.plot.h - ((y - y0) / (y1 - y0)) * d.plot.h };
  },
};
