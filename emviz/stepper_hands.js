// emviz stepper, hands on the model: place the starting means by clicking, drag a mean and continue EM.
//
// Read between dom.js and stepper.js: emviz/stepper.py joins them into the component's one module, so
// el (dom.js) and resolve (stepper.js) are in scope. The Stepper owns a Hands and calls accept()
// with every run's data and redrawn() after every draw.
// Everything here happens in the browser at once; Python hears the result once per click (the
// placed means) or once per request (Continue EM from here), and fits.

const NEAR_PX = 16; // a click this close to a placed mean removes it; a press this close to a mean drags it
const KTH_MARKER_WAIT_MS = 300; // the K-th placed mean's marker, if the fitted picture has not come by then
// A report (the placed means, Continue EM from here) the server has not said it heard is sent again
// after this long, a few times: Streamlit drops a report for a fragment its last full run did not draw
// where the report came from, and a chart mounted afresh takes its unanswered report with it.
const RESEND_MS = 1200;
const MAX_RESENDS = 3;
// Shared by the charts this page mounts (Streamlit may mount one afresh): one name and count for reports,
// and the last list of placed means sent, which a new chart takes over while the server has not heard it.
const PAGE = window.__emvizHands || (window.__emvizHands = { name: Math.random().toString(36).slice(2), reports: 0 });
const MOVED_ROLES = new Set(["mean", "ellipse", "component density"]);

// Pixel <-> data for the chart's one pair of (linear) axes, as plotly.js last finished drawing them.
// Kept when a plot is finished, not read at the click: while a redraw is under way plotly.js rebuilds
// its axes (the y range autoranged before the equal-aspect constraint widens it), and a click read
// against them can land far from where it was aimed on the picture the user sees.
function axesSnapshot(chart) {
  const full = chart._fullLayout;
  if (!full || !full.xaxis || !full.yaxis || !full.xaxis._m || !full.yaxis._m) return null;
  const frozen = (axis) => {
    const { _offset, _length, _m: m, _b: b } = axis;
    return { _offset, _length, d2p: (d) => m * d + b, p2d: (p) => (p - b) / m };
  };
  return { xa: frozen(full.xaxis), ya: frozen(full.yaxis) };
}

function axesOf(chart, snapshot) {
  if (!snapshot) return null;
  const box = chart.getBoundingClientRect();
  return { xa: snapshot.xa, ya: snapshot.ya, left: box.left, top: box.top };
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
    this.bar = el("div", "emviz-hands");
    this.bar.setAttribute("role", "toolbar");
    this.bar.setAttribute("aria-label", "Change the model by hand");
    const button = (name, text, title, act) => {
      const made = Object.assign(el("button", name, text), { type: "button", title });
      made.addEventListener("click", act);
      return made;
    };
    this.moveButton = button("emviz-move", "Move a mean", "Then drag a mean (its ellipses follow) or an ellipse's "
      + "square handle, and press Continue EM from here.", () => this.setMoving(!this.moving));
    this.moveButton.setAttribute("aria-pressed", "false");
    this.continueButton = button("emviz-continue", "Continue EM from here", "Start EM again from this step's "
      + "parameters with the means where you moved them.", () => this.continueEm());
    this.putBackButton = button("emviz-put-back", "Put back", "Undo the moves on this step.", () => this.putBack());
    this.axes = null; // axesSnapshot of the last finished plot
    this.hint = el("span", "emviz-hands-hint");
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

  destroy() { clearTimeout(this.resendTimer); clearTimeout(this.markerTimer); }

  accept(data) {
    this.editable = !!data.editable && !data.placing;
    this.bar.hidden = !this.editable && !data.placing;
    for (const button of [this.moveButton, this.continueButton, this.putBackButton]) button.hidden = !this.editable;
    if (!this.editable) this.setMoving(false);
    const placing = data.placing;
    if (!placing) { this.placing = null; return; }
    let unheard = false;
    if (!this.placing || this.placing.seq !== placing.seq || this.placing.k !== placing.k) {
      // The server set the list (a new screen, the table, a button, a link), or this chart is drawn afresh:
      // start from the list the server holds, or from the one this page last sent if it has not heard it.
      const key = `${data.id}|${placing.seq}|${placing.k}`, last = PAGE.placing;
      unheard = !this.placing && last && last.key === key && !this.heardBy(placing.heard, last.sent);
      const items = unheard ? last.items.slice() : placing.entries.map((entry) => {
        const xy = entry.at || placing.base[entry.kept];
        return Object.assign({}, entry, { x: xy[0], y: xy.length > 1 ? xy[1] : 0 });
      });
      this.placing = { key, k: placing.k, seq: placing.seq, dims: data.dims, items, sent: 0 };
    }
    this.placing.heard = placing.heard || {};
    if (unheard) this.sendPlaced();
    this.sayPlaced();
  }

  // Whether the server's echo {from, click} says it took this chart's report number `sent`.
  heardBy(echo, sent) {
    return !!echo && echo.from === PAGE.name && echo.click >= sent;
  }

  // Send a report now, and again (with a new number) every RESEND_MS until answered() says the server
  // heard it, at most MAX_RESENDS times; a later report takes over from an earlier one.
  sendUntilAnswered(send, answered) {
    clearTimeout(this.resendTimer);
    let resends = -1; // the first attempt is the report itself
    const attempt = () => {
      if (resends >= 0 && (answered() || !this.chart.isConnected)) return; // heard, or a chart gone
      if (resends >= MAX_RESENDS) {
        this.hint.textContent = "The server has not answered: reload the page if nothing changes.";
        return;
      }
      resends += 1;
      PAGE.reports += 1;
      send(PAGE.reports);
      this.resendTimer = setTimeout(attempt, RESEND_MS);
    };
    attempt();
  }

  // The whole list, to the server (it keeps the last one it hears), until it says it heard.
  sendPlaced() {
    const placing = this.placing;
    this.sendUntilAnswered((click) => {
      placing.sent = click;
      PAGE.placing = { key: placing.key, sent: click, items: placing.items.slice() }; // items never change in place
      this.stepper.setStateValue("placed", {
        seq: placing.seq, from: PAGE.name, click,
        means: placing.items.map((item) => (item.at ? { at: item.at } : { kept: item.kept })),
      });
    }, () => this.placing !== placing || this.heardBy(placing.heard, placing.sent));
  }

  // ------------------------------------------------------------------ placing the starting means
  click(event) {
    if (!this.placing) return;
    const axes = axesOf(this.chart, this.axes);
    if (!axes) { this.hint.textContent = "The chart is still being drawn: click again in a moment."; return; }
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
    // Report first: the K-th mean starts the fit on the server, and the marker costs a restyle (about
    // 30 ms). Streamlit sends the report from a zero-delay timer, so the restyle waits for a timer after
    // it. The K-th marker waits longer: the fitted run's first step usually replaces this picture
    // sooner, and the restyle would hold up drawing it; the marker shows only if the fit takes longer.
    this.sendPlaced();
    this.sayPlaced();
    clearTimeout(this.markerTimer);
    this.markerTimer = setTimeout(() => this.drawPlaced(),
                                  this.placing.items.length >= this.placing.k ? KTH_MARKER_WAIT_MS : 0);
  }

  nearestPlaced(axes, at) {
    let best = null, bestDistance = NEAR_PX;
    this.placing.items.forEach((item, i) => {
      const distance = Math.hypot(axes.xa.d2p(item.x) - at.px, axes.ya.d2p(item.y) - at.py);
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
    if (this.stepper.Plotly && this.chart.data) this.drawMoves();
    this.sayMoves();
  }

  // The step on screen, resolved once (not on every pointer move): its traces, as the step draws
  // them, and the shapes of its components.
  stepOnScreen() {
    const frame = this.stepper.fit && this.stepper.fit.frames.get(this.stepper.current);
    if (!frame) return null;
    if (!this.onScreen || this.onScreen.frame !== frame) {
      const data = resolve(this.stepper.fit, frame.skeleton).data;
      this.onScreen = { frame, data, shapes: this.shapes(data) };
    }
    return this.onScreen;
  }

  // Each component's mean and, with full covariances in 2-D, the axes of its outermost ellipse, as
  // the step draws them (before any move). An outline sampled evenly around the ellipse has the
  // covariance r²Σ/2, so its eigenvectors are the ellipse's axes and sqrt(2λ) their half-lengths.
  shapes(original) {
    const shapes = new Map();
    original.forEach((trace) => {
      const meta = trace.meta || {};
      if (meta.role === "mean" && trace.x && trace.x.length) {
        const shape = shapes.get(meta.component) || {};
        shape.cx = trace.x[0];
        shape.cy = trace.y && trace.y.length ? trace.y[0] : 0;
        shape.name = trace.name;
        shapes.set(meta.component, shape);
      }
    });
    if (!this.stepper.data.resizable) return shapes;
    original.forEach((trace) => {
      const meta = trace.meta || {};
      const shape = shapes.get(meta.component);
      if (meta.role !== "ellipse" || !shape || (shape.mass !== undefined && shape.mass >= meta.mass)) return;
      let n = 0, a = 0, b = 0, d = 0;
      for (let i = 0; i < trace.x.length; i++) {
        const x = trace.x[i] - shape.cx, y = trace.y[i] - shape.cy;
        if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
        n += 1; a += x * x; b += x * y; d += y * y;
      }
      if (n < 8) return;
      a /= n; b /= n; d /= n;
      const mid = (a + d) / 2, half = Math.sqrt(((a - d) / 2) ** 2 + b * b);
      const major = mid + half, minor = Math.max(mid - half, 0);
      let ux = b, uy = major - a;
      if (Math.hypot(ux, uy) < 1e-12) { ux = a >= d ? 1 : 0; uy = a >= d ? 0 : 1; }
      const norm = Math.hypot(ux, uy);
      shape.mass = meta.mass;
      shape.axes = [{ ux: ux / norm, uy: uy / norm, length: Math.sqrt(2 * major) },
        { ux: -uy / norm, uy: ux / norm, length: Math.sqrt(2 * minor) }];
    });
    return shapes;
  }

  // Where a point of component k's picture goes under its edit: scaled about the mean along the
  // ellipse's axes, then moved with the mean.
  static place(shape, edit, x, y) {
    let px = x - shape.cx, py = y - shape.cy;
    if (shape.axes && (edit.scale[0] !== 1 || edit.scale[1] !== 1)) {
      let qx = 0, qy = 0;
      shape.axes.forEach((axis, i) => {
        const along = (px * axis.ux + py * axis.uy) * edit.scale[i];
        qx += along * axis.ux; qy += along * axis.uy;
      });
      px = qx; py = qy;
    }
    return [shape.cx + px + edit.dx, shape.cy + py + edit.dy];
  }

  handlesOf(shapes) {
    const handles = [];
    for (const [k, shape] of shapes) {
      if (!shape.axes) continue;
      const edit = this.moves.get(k) || { dx: 0, dy: 0, scale: [1, 1] };
      shape.axes.forEach((axis, i) => {
        const [x, y] = Hands.place(shape, edit, shape.cx + axis.length * axis.ux, shape.cy + axis.length * axis.uy);
        handles.push({ component: k, axis: i, x, y });
      });
    }
    return handles;
  }

  press(event) {
    if (!this.moving || !this.editable || event.button > 0) return;
    const axes = axesOf(this.chart, this.axes);
    const step = this.stepOnScreen();
    if (!axes || !step) return;
    const at = pointerAt(axes, event);
    const { shapes } = step;
    const near = (x, y) => Math.hypot(axes.xa.d2p(x) - at.px, axes.ya.d2p(y) - at.py);
    let best = null;
    let bestDistance = NEAR_PX;
    for (const handle of this.handlesOf(shapes)) {
      const distance = near(handle.x, handle.y);
      if (distance <= bestDistance) { best = { component: handle.component, axis: handle.axis }; bestDistance = distance; }
    }
    for (const [k, shape] of shapes) {
      const edit = this.moves.get(k) || { dx: 0, dy: 0 };
      const distance = near(shape.cx + edit.dx, shape.cy + edit.dy);
      if (distance <= bestDistance) { best = { component: k, axis: null }; bestDistance = distance; }
    }
    if (best === null) return;
    // Ours, not plotly's: no zoom box, no click on a point.
    event.preventDefault();
    event.stopPropagation();
    this.chart.setPointerCapture(event.pointerId);
    this.names = new Map([...shapes].map(([k, shape]) => [k, shape.name || `mean ${k + 1}`]));
    const before = this.moves.get(best.component) || { dx: 0, dy: 0, scale: [1, 1] };
    this.drag = { ...best, start: at, before: { ...before, scale: [...before.scale] }, axes,
      shape: shapes.get(best.component) };
  }

  dragTo(event) {
    if (!this.drag) return;
    event.preventDefault();
    event.stopPropagation();
    const at = pointerAt(this.drag.axes, event);
    const { before, shape } = this.drag;
    const edit = { dx: before.dx, dy: before.dy, scale: [...before.scale] };
    if (this.drag.axis === null) {
      edit.dx += at.x - this.drag.start.x;
      if (this.stepper.data.dims !== 1) edit.dy += at.y - this.drag.start.y;
    } else {
      // The handle follows the pointer along its axis: the axis' new half-length over its old one.
      const axis = shape.axes[this.drag.axis];
      const along = (at.x - shape.cx - edit.dx) * axis.ux + (at.y - shape.cy - edit.dy) * axis.uy;
      edit.scale[this.drag.axis] = Math.min(Math.max(along / axis.length, 0.05), 20);
    }
    this.moves.set(this.drag.component, edit);
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

  // Every trace of an edited component (its mean, its ellipses or its density curve) placed by its
  // edit, from the step's own arrays (shared with other steps, so never changed in place); while
  // moving, handles at the ends of each ellipse's axes.
  drawMoves() {
    const Plotly = this.stepper.Plotly;
    const step = this.stepOnScreen();
    if (!Plotly || !step || this.placing) return;
    const { data: original, shapes } = step;
    const xs = [], ys = [], indices = [];
    original.forEach((trace, i) => {
      const meta = trace.meta || {};
      const edit = this.moves.get(meta.component);
      const shape = shapes.get(meta.component);
      if (!edit || !shape || !MOVED_ROLES.has(meta.role)) return;
      if (meta.role === "component density") {
        xs.push(shifted(trace.x, edit.dx));
        ys.push(trace.y);
      } else {
        const placed = Array.from(trace.x, (x, j) => (Number.isFinite(x) && Number.isFinite(trace.y[j])
          ? Hands.place(shape, edit, x, trace.y[j]) : [x, trace.y[j]]));
        xs.push(placed.map((p) => p[0]));
        ys.push(placed.map((p) => p[1]));
      }
      indices.push(i);
    });
    if (indices.length) Plotly.restyle(this.chart, { x: xs, y: ys }, indices);
    const handles = this.moving ? this.handlesOf(shapes) : [];
    const at = (this.chart.data || []).findIndex((trace) => trace.meta && trace.meta.role === "resize handles");
    if (at >= 0) Plotly.restyle(this.chart, { x: [handles.map((h) => h.x)], y: [handles.map((h) => h.y)] }, [at]);
    this.sayMoves();
  }

  // An empty trace for the resize handles in every step this stepper draws (restyled, never added:
  // adding a trace to a drawn chart makes plotly.js size it anew, to its container's minimum height).
  decorate(data) {
    if (!this.editable || !this.stepper.data.resizable) return;
    data.push({ type: "scatter", mode: "markers", name: "resize handles", x: [], y: [], showlegend: false,
      hoverinfo: "skip", cliponaxis: false,
      marker: { symbol: "square", size: 11, color: "white", line: { color: "#333", width: 1.5 } },
      meta: { role: "resize handles" } });
  }

  sayMoves() {
    const moved = this.moves.size > 0 && this.movedStep === this.stepper.current;
    this.continueButton.disabled = !moved;
    this.putBackButton.disabled = !moved;
    if (this.placing || !this.editable) return;
    const names = this.names || new Map();
    const list = [...this.moves.keys()].sort((a, b) => a - b).map((k) => names.get(k) || `mean ${k + 1}`).join(", ");
    const resizable = this.stepper.data && this.stepper.data.resizable;
    this.hint.textContent = moved ? `Moved ${list}: Continue EM from here, or Put back.`
      : this.moving ? ("Drag a mean (its marker) to move it and its ellipses"
        + (resizable ? "; drag a square handle to stretch or shrink an ellipse along that axis." : "."))
        : "";
  }

  putBack() {
    this.moves.clear();
    this.stepper.show(this.stepper.current);
  }

  // Every finished plot (a step, a restyle, a resize): the axes clicks and drags are read against.
  plotted() {
    this.axes = axesSnapshot(this.chart) || this.axes;
  }

  // The step on screen changed or was redrawn: moves belong to the step they were made on.
  redrawn(index) {
    this.plotted();
    if (this.placing) { this.drawPlaced(); return; }
    if (this.movedStep !== index) { this.moves.clear(); this.movedStep = null; }
    if (this.moves.size || this.moving) this.drawMoves(); else this.sayMoves();
  }

  // The edit, until the server says it heard it or the page shows another run (the edited one).
  continueEm() {
    if (!this.moves.size || this.movedStep !== this.stepper.current) return;
    const moves = [...this.moves.entries()].map(([k, edit]) => [k, edit.dx, edit.dy, edit.scale[0], edit.scale[1]]);
    const { id } = this.stepper.data, step = this.stepper.current;
    let sent = 0;
    this.sendUntilAnswered((click) => {
      sent = click;
      this.stepper.setStateValue("edited", { id, step, moves, from: PAGE.name, click });
    }, () => this.stepper.data.id !== id || this.heardBy(this.stepper.data.edit_heard, sent));
    this.hint.textContent = "Fitting from your edit…";
    this.moves.clear();
    this.setMoving(false);
  }
}
