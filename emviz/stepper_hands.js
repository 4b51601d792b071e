// emviz stepper, hands on the model: place the starting means by clicking, drag a mean and continue EM.
//
// Read before stepper.js (emviz/stepper.py joins the two into the component's one module): the
// Stepper owns a Hands and calls accept() with every run's data and redrawn() after every draw.
// Everything here happens in the browser at once; Python hears the result once per click (the
// placed means) or once per request (Continue EM from here), and fits.

const NEAR_PX = 16; // a click this close to a placed mean removes it; a press this close to a mean drags it
const MOVED_ROLES = new Set(["mean", "ellipse", "component density"]);

function hel(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// Pixel <-> data for the chart's one pair of axes (plotly.js keeps them on the graph div).
function axesOf(chart) {
  const full = chart._fullLayout;
  if (!full || !full.xaxis || !full.yaxis || typeof full.xaxis.p2d !== "function") return null;
  const box = chart.getBoundingClientRect();
  return { xa: full.xaxis, ya: full.yaxis, left: box.left, top: box.top };
}

function pointerAt(axes, event) {
  const px = event.clientX - axes.left - axes.xa._offset;
  const py = event.clientY - axes.top - axes.ya._offset;
  const inside = px >= 0 && px <= axes.xa._length && py >= 0 && py <= axes.ya._length;
  return { px, py, x: axes.xa.p2d(px), y: axes.ya.p2d(py), inside };
}

function shifted(values, by) {
  if (!values || by === 0) return values;
  return Array.from(values, (v) => (v === null || v === undefined ? v : v + by));
}

class Hands {
  constructor(stepper) {
    this.stepper = stepper;
    this.chart = stepper.chart;
    this.placing = null; // {k, seq, dims, items: [{kept} | {at}, with x and y on screen]}
    this.moves = new Map(); // component -> {dx, dy}, relative to the step on screen
    this.movedStep = null;
    this.reports = 0;
    this.bar = hel("div", "emviz-hands");
    this.bar.setAttribute("role", "toolbar");
    this.bar.setAttribute("aria-label", "Change the model by hand");
    this.moveButton = hel("button", "emviz-move", "Move a mean");
    this.moveButton.type = "button";
    this.moveButton.title = "Then drag a mean (its ellipse follows) and press Continue EM from here.";
    this.moveButton.setAttribute("aria-pressed", "false");
    this.moveButton.addEventListener("click", () => this.setMoving(!this.moving));
    this.continueButton = hel("button", "emviz-continue", "Continue EM from here");
    this.continueButton.type = "button";
    this.continueButton.title = "Start EM again from this step's parameters with the means where you moved them.";
    this.continueButton.addEventListener("click", () => this.continueEm());
    this.putBackButton = hel("button", "emviz-put-back", "Put back");
    this.putBackButton.type = "button";
    this.putBackButton.title = "Undo the moves on this step.";
    this.putBackButton.addEventListener("click", () => this.putBack());
    this.hint = hel("span", "emviz-hands-hint");
    this.hint.setAttribute("aria-live", "polite");
    this.hint.setAttribute("data-testid", "emvizHandsHint");
    this.bar.append(this.moveButton, this.continueButton, this.putBackButton, this.hint);
    this.chart.addEventListener("click", (event) => this.click(event));
    this.chart.addEventListener("pointerdown", (event) => this.press(event), true);
    this.chart.addEventListener("pointermove", (event) => this.dragTo(event), true);
    this.chart.addEventListener("pointerup", (event) => this.release(event), true);
    this.chart.addEventListener("pointercancel", (event) => this.release(event), true);
    this.setMoving(false);
  }

  accept(data) {
    this.editable = !!data.editable && !data.placing;
    this.bar.hidden = !this.editable && !data.placing;
    for (const button of [this.moveButton, this.continueButton, this.putBackButton]) button.hidden = !this.editable;
    if (!this.editable) this.setMoving(false);
    const placing = data.placing;
    if (!placing) { this.placing = null; return; }
    if (!this.placing || this.placing.seq !== placing.seq || this.placing.k !== placing.k) {
      // The server set the list (a new screen, the table, a button, a link): start from it.
      const items = placing.base.map((xy, i) => ({ kept: i, x: xy[0], y: xy.length > 1 ? xy[1] : 0 }));
      this.placing = { k: placing.k, seq: placing.seq, dims: placing.dims, items };
    }
    this.sayPlaced();
  }

  // ------------------------------------------------------------------ placing the starting means
  click(event) {
    if (!this.placing) return;
    const axes = axesOf(this.chart);
    if (!axes) return;
    const at = pointerAt(axes, event);
    const near = this.nearestPlaced(axes, at);
    if (near !== null) {
      this.placing.items.splice(near, 1);
    } else if (!at.inside) {
      this.hint.textContent = "That click was outside the plotting area: click between the axes to place a mean.";
      return;
    } else if (this.placing.items.length >= this.placing.k) {
      this.hint.textContent = `All ${this.placing.k} means are placed: click one to remove it first.`;
      return;
    } else {
      const y = this.placing.dims === 1 ? 0 : at.y;
      this.placing.items.push({ at: this.placing.dims === 1 ? [at.x] : [at.x, at.y], x: at.x, y });
    }
    this.drawPlaced();
    this.sayPlaced();
    this.reports += 1;
    this.stepper.setStateValue("placed", {
      seq: this.placing.seq, click: this.reports,
      means: this.placing.items.map((item) => (item.at ? { at: item.at } : { kept: item.kept })),
    });
  }

  nearestPlaced(axes, at) {
    let best = null;
    let bestDistance = NEAR_PX;
    this.placing.items.forEach((item, i) => {
      const dx = axes.xa.d2p(item.x) - at.px;
      const dy = axes.ya.d2p(item.y) - at.py;
      const distance = Math.hypot(dx, dy);
      if (distance <= bestDistance) { best = i; bestDistance = distance; }
    });
    return best;
  }

  sayPlaced() {
    if (!this.placing) return;
    const { k, items } = this.placing;
    this.chart.setAttribute("data-placed", String(items.length));
    this.hint.textContent = items.length >= k
      ? `${k} of ${k} placed: EM starts from them.`
      : `${items.length} of ${k} placed: click to place mean ${items.length + 1}; click a placed mean to remove it.`;
  }

  drawPlaced() {
    const Plotly = this.stepper.Plotly;
    const traces = this.chart.data || [];
    const index = traces.findIndex((trace) => trace.meta && trace.meta.role === "placed means");
    if (!Plotly || index < 0 || !this.placing) return;
    const meta = traces[index].meta;
    const items = this.placing.items;
    Plotly.restyle(this.chart, {
      x: [items.map((item) => item.x)], y: [items.map((item) => item.y)],
      text: [items.map((_, i) => String(i + 1))],
      "marker.color": [meta.colors.slice(0, items.length)], "marker.symbol": [meta.symbols.slice(0, items.length)],
    }, [index]);
  }

  // ------------------------------------------------------------------ moving a mean at a step
  setMoving(on) {
    this.moving = !!on;
    this.moveButton.setAttribute("aria-pressed", String(this.moving));
    this.moveButton.classList.toggle("emviz-active", this.moving);
    this.chart.classList.toggle("emviz-moving", this.moving);
    this.sayMoves();
  }

  press(event) {
    if (!this.moving || !this.editable || event.button > 0) return;
    const axes = axesOf(this.chart);
    if (!axes) return;
    const at = pointerAt(axes, event);
    let best = null;
    let bestDistance = NEAR_PX;
    this.names = this.names || new Map();
    (this.chart.data || []).forEach((trace) => {
      const meta = trace.meta || {};
      if (meta.role !== "mean" || !trace.x || trace.x.length === 0) return;
      const y = trace.y && trace.y.length ? trace.y[0] : 0;
      const distance = Math.hypot(axes.xa.d2p(trace.x[0]) - at.px, axes.ya.d2p(y) - at.py);
      if (distance <= bestDistance) { best = meta.component; bestDistance = distance; }
      // "mean 2" or, during k-means, "centroid 2": what the hint calls a moved one.
      this.names.set(meta.component, trace.name || `mean ${meta.component + 1}`);
    });
    if (best === null) return;
    // Ours, not plotly's: no zoom box, no click on a point.
    event.preventDefault();
    event.stopPropagation();
    this.chart.setPointerCapture(event.pointerId);
    const before = this.moves.get(best) || { dx: 0, dy: 0 };
    this.drag = { component: best, start: at, before, axes };
  }

  dragTo(event) {
    if (!this.drag) return;
    event.preventDefault();
    event.stopPropagation();
    const at = pointerAt(this.drag.axes, event);
    const oneD = this.stepper.data && this.stepper.data.dims === 1;
    const move = { dx: this.drag.before.dx + at.x - this.drag.start.x,
      dy: oneD ? 0 : this.drag.before.dy + at.y - this.drag.start.y };
    this.moves.set(this.drag.component, move);
    this.movedStep = this.stepper.current;
    if (!this.frameRequested) {
      this.frameRequested = true;
      requestAnimationFrame(() => { this.frameRequested = false; this.drawMoves(); });
    }
  }

  release(event) {
    if (!this.drag) return;
    event.stopPropagation();
    this.drag = null;
    this.sayMoves();
  }

  // Shift every trace of a moved component (its mean, its ellipses or its density curve) by its move,
  // from the step's own arrays (shared with other steps, so never changed in place).
  drawMoves() {
    const Plotly = this.stepper.Plotly;
    const frame = this.stepper.fit && this.stepper.fit.frames.get(this.stepper.current);
    if (!Plotly || !frame) return;
    const original = resolve(this.stepper.fit, frame.skeleton).data;
    const xs = [], ys = [], indices = [];
    original.forEach((trace, i) => {
      const meta = trace.meta || {};
      const move = this.moves.get(meta.component);
      if (!move || !MOVED_ROLES.has(meta.role)) return;
      xs.push(shifted(trace.x, move.dx));
      ys.push(meta.role === "component density" ? trace.y : shifted(trace.y, move.dy));
      indices.push(i);
    });
    if (indices.length) Plotly.restyle(this.chart, { x: xs, y: ys }, indices);
    this.sayMoves();
  }

  sayMoves() {
    const moved = this.moves.size > 0 && this.movedStep === this.stepper.current;
    this.continueButton.disabled = !moved;
    this.putBackButton.disabled = !moved;
    if (this.placing || !this.editable) return;
    const names = this.names || new Map();
    const list = [...this.moves.keys()].sort((a, b) => a - b).map((k) => names.get(k) || `mean ${k + 1}`).join(", ");
    this.hint.textContent = moved ? `Moved ${list}: Continue EM from here, or Put back.`
      : this.moving ? "Drag a mean (its marker) to move it and its ellipses." : "";
  }

  putBack() {
    this.moves.clear();
    this.stepper.show(this.stepper.current);
  }

  // The step on screen changed or was redrawn: moves belong to the step they were made on.
  redrawn(index) {
    if (this.placing) { this.drawPlaced(); return; }
    if (this.movedStep !== index) { this.moves.clear(); this.movedStep = null; this.sayMoves(); return; }
    if (this.moves.size) this.drawMoves();
  }

  continueEm() {
    if (!this.moves.size || this.movedStep !== this.stepper.current) return;
    this.reports += 1;
    const moves = [...this.moves.entries()].map(([k, move]) => [k, move.dx, move.dy]);
    this.stepper.setStateValue("edited", { id: this.stepper.data.id, step: this.stepper.current, moves,
      click: this.reports });
    this.hint.textContent = "Fitting from your edit…";
    this.moves.clear();
    this.setMoving(false);
  }
}
