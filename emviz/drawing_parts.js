// emviz drawing, part 1 of 2 (emviz/drawing.py joins dom.js, this file and drawing.js into the component's
// module): the drawn points in grid units and their edits, the packed drawing Python sends, and
// painting axes and points on a 2-D canvas context. No DOM and no Streamlit here.

const MARGIN = { left: 56, right: 16, top: 14, bottom: 42 };
const RADIUS = 3.5; // marker size in CSS pixels

// ------------------------------------------------------------------ the points (grid units)
function emptyState(axes) {
  return { origin: null, axes: axes.slice(), n: 0, gx: new Uint16Array(1024), gy: new Uint16Array(1024),
    c: new Uint8Array(1024), undo: [], redo: [], rev: 0, reportedRev: 0 };
}

function reserve(st, extra) {
  if (st.n + extra <= st.gx.length) return;
  const size = Math.max(st.n + extra, st.gx.length * 2);
  for (const name of ["gx", "gy", "c"]) {
    const grown = new st[name].constructor(size);
    grown.set(st[name].subarray(0, st.n));
    st[name] = grown;
  }
}

function snapshot(st) {
  return { axes: st.axes.slice(), n: st.n, gx: st.gx.slice(0, st.n), gy: st.gy.slice(0, st.n), c: st.c.slice(0, st.n) };
}

function restore(st, snap) {
  st.axes = snap.axes.slice();
  st.n = 0;
  reserve(st, snap.n);
  st.gx.set(snap.gx); st.gy.set(snap.gy); st.c.set(snap.c);
  st.n = snap.n;
}

// The inverse of drawn_data.pack: base64url of [version, flags, 4 x float64 axes, uint16 pairs, classes].
function unpack(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
  const view = new DataView(bytes.buffer);
  const flags = bytes[1];
  const axes = [0, 1, 2, 3].map((i) => view.getFloat64(2 + 8 * i, true));
  const n = (bytes.length - 34) / (flags ? 5 : 4);
  const snap = { axes, n, gx: new Uint16Array(n), gy: new Uint16Array(n), c: new Uint8Array(n) };
  for (let i = 0; i < n; i++) {
    snap.gx[i] = view.getUint16(34 + 4 * i, true);
    snap.gy[i] = view.getUint16(36 + 4 * i, true);
    snap.c[i] = flags ? bytes[34 + 4 * n + i] : 0;
  }
  return snap;
}

function gaussian() {
  // Box-Muller; 1 - random() avoids log(0).
  return Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
}

// Tick values 1, 2 or 5 times a power of ten, about `count` of them across [lo, hi].
function ticks(lo, hi, count) {
  const raw = (hi - lo) / count;
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw * 0.999);
  const out = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) out.push(k * step);
  return out;
}

function label(value) {
  return String(Number(value.toPrecision(6)));
}


// Undo (forward = false) or redo an edit: "add" appended points at `start`; "replace" swaps snapshots.
function applyEdit(st, edit, forward) {
  if (edit.kind !== "add") { restore(st, forward ? edit.after : edit.before); return; }
  st.n = edit.start;
  if (!forward) return;
  reserve(st, edit.gx.length);
  st.gx.set(edit.gx, st.n); st.gy.set(edit.gy, st.n); st.c.set(edit.c, st.n);
  st.n += edit.gx.length;
}

function marker(ctx, shape, x, y, r) {
  switch (shape) {
    case "square": ctx.rect(x - r, y - r, 2 * r, 2 * r); break;
    case "triangle": ctx.moveTo(x, y - 1.2 * r); ctx.lineTo(x + 1.1 * r, y + 0.8 * r); ctx.lineTo(x - 1.1 * r, y + 0.8 * r); ctx.closePath(); break;
    case "diamond": ctx.moveTo(x, y - 1.3 * r); ctx.lineTo(x + 1.3 * r, y); ctx.lineTo(x, y + 1.3 * r); ctx.lineTo(x - 1.3 * r, y); ctx.closePath(); break;
    case "cross": ctx.rect(x - 1.2 * r, y - 0.45 * r, 2.4 * r, 0.9 * r); ctx.rect(x - 0.45 * r, y - 1.2 * r, 0.9 * r, 2.4 * r); break;
    default: ctx.moveTo(x + r, y); ctx.arc(x, y, r, 0, 2 * Math.PI);
  }
}

// Axes with ticks, labels and light grid lines around the plotting area `plot` ({l, t, w, h}, CSS px).
function paintAxes(ctx, axes, plot, size, colour, font) {
  const { l, t, w, h } = plot;
  const [x0, x1, y0, y1] = axes;
  const px = (v) => l + ((v - x0) / (x1 - x0)) * w, py = (v) => t + h - ((v - y0) / (y1 - y0)) * h;
  ctx.font = "12px " + font;
  ctx.fillStyle = colour;
  ctx.strokeStyle = colour;
  ctx.lineWidth = 1;
  ctx.globalAlpha = 0.12;
  ctx.beginPath();
  const xt = ticks(x0, x1, Math.max(3, Math.round(w / 90)));
  const yt = ticks(y0, y1, Math.max(3, Math.round(h / 60)));
  for (const v of xt) { const x = Math.round(px(v)) + 0.5; ctx.moveTo(x, t); ctx.lineTo(x, t + h); }
  for (const v of yt) { const y = Math.round(py(v)) + 0.5; ctx.moveTo(l, y); ctx.lineTo(l + w, y); }
  ctx.stroke();
  ctx.globalAlpha = 0.6;
  ctx.strokeRect(l + 0.5, t + 0.5, w, h);
  ctx.globalAlpha = 0.85;
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const v of xt) ctx.fillText(label(v), px(v), t + h + 5);
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const v of yt) ctx.fillText(label(v), l - 6, py(v));
  ctx.textAlign = "center";
  ctx.textBaseline = "alphabetic";
  ctx.fillText("x", l + w / 2, size.height - 4);
  ctx.save();
  ctx.translate(14, t + h / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText("y", 0, 0);
  ctx.restore();
}

// What to do, written on an empty canvas.
function paintHint(ctx, plot, font) {
  const { l, t, w, h } = plot;
  ctx.globalAlpha = 0.7;
  ctx.textAlign = "center";
  ctx.font = "16px " + font;
  ctx.fillText("Click to add points · drag to paint a stroke", l + w / 2, t + h / 2 - 10);
  ctx.font = "13px " + font;
  ctx.fillText("pick a class above to label them; Fit the drawing (or a pause) fits the mixture", l + w / 2, t + h / 2 + 14);
}

// The points from index `from` on, one path per class: thousands of markers in a handful of fills.
function paintPoints(ctx, st, plot, grid, classes, from = 0) {
  const { l, t, w, h } = plot;
  ctx.save();
  ctx.beginPath();
  ctx.rect(l, t, w, h);
  ctx.clip();
  ctx.globalAlpha = 0.85;
  const sx = w / grid, sy = h / grid;
  for (const cls of classes) {
    ctx.beginPath();
    let any = false;
    for (let i = from; i < st.n; i++) {
      if (st.c[i] !== cls.code) continue;
      any = true;
      marker(ctx, cls.shape, l + st.gx[i] * sx, t + h - st.gy[i] * sy, RADIUS);
    }
    if (any) { ctx.fillStyle = cls.colour; ctx.fill(); }
  }
  ctx.restore();
}
