// emviz stepper: the explorer's buttons, words and chart, stepping in the browser.
//
// Python (emviz/stepper.py) sends packed step figures: skeletons whose bulky values
// are {"$ref": id} placeholders into a shared pool. This module keeps them per fit
// (a page-wide cache, so a remount loses nothing), shows a step with Plotly.react the
// moment a button or key asks, and reports the step and the steps it holds back to
// Python, whose rerun updates the panels and sends the steps that come next.

const CACHE = (window.__emvizStepper = window.__emvizStepper || { fits: new Map(), plotly: null });
const KEEP_FITS = 4;

function loadPlotly(url) {
  if (window.Plotly && typeof window.Plotly.react === "function") return Promise.resolve(window.Plotly);
  if (!CACHE.plotly) {
    CACHE.plotly = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url;
      script.async = true;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => { CACHE.plotly = null; reject(new Error("plotly.js could not be loaded from " + url)); };
      document.head.appendChild(script);
    });
  }
  return CACHE.plotly;
}

function fitCache(id) {
  let fit = CACHE.fits.get(id);
  if (!fit) {
    fit = { frames: new Map(), pool: new Map(), users: new Map() };
    CACHE.fits.set(id, fit);
  }
  // Most recently used last; forget the oldest fits.
  CACHE.fits.delete(id);
  CACHE.fits.set(id, fit);
  while (CACHE.fits.size > KEEP_FITS) CACHE.fits.delete(CACHE.fits.keys().next().value);
  return fit;
}

function refsOf(skeleton) {
  const refs = [];
  const visit = (obj) => {
    for (const value of Object.values(obj)) {
      if (value && typeof value === "object" && typeof value.$ref === "string") refs.push(value.$ref);
    }
  };
  (skeleton.data || []).forEach(visit);
  visit(skeleton.layout || {});
  return refs;
}

const TYPED = { f8: Float64Array, f4: Float32Array, i1: Int8Array, u1: Uint8Array, i2: Int16Array,
  u2: Uint16Array, i4: Int32Array, u4: Uint32Array };

function decodeArray(spec) {
  const bytes = Uint8Array.from(atob(spec.bdata), (c) => c.charCodeAt(0));
  const flat = new TYPED[spec.dtype](bytes.buffer);
  const shape = spec.shape === undefined ? [flat.length] : String(spec.shape).split(",").map(Number);
  if (shape.length !== 2) return flat;
  const rows = [];
  for (let r = 0; r < shape[0]; r++) rows.push(flat.subarray(r * shape[1], (r + 1) * shape[1]));
  return rows;
}

// Decode plotly.py's base64 arrays once, here, into typed arrays. Plotly.react compares
// arrays by reference: left as base64 it would decode them into new arrays on every step,
// see every trace as changed and redraw everything.
function decode(value) {
  if (!value || typeof value !== "object") return value;
  if (typeof value.bdata === "string" && TYPED[value.dtype]) return decodeArray(value);
  if (Array.isArray(value)) return value.map(decode);
  const out = {};
  for (const [key, item] of Object.entries(value)) out[key] = decode(item);
  return out;
}

function addFrames(fit, frames, pool) {
  for (const [ref, value] of Object.entries(pool || {})) if (!fit.pool.has(ref)) fit.pool.set(ref, decode(value));
  for (const [key, skeleton] of Object.entries(frames || {})) {
    const index = Number(key);
    if (fit.frames.has(index)) continue;
    const refs = refsOf(skeleton);
    if (refs.some((ref) => !fit.pool.has(ref))) continue; // incomplete: ask again later
    refs.forEach((ref) => fit.users.set(ref, (fit.users.get(ref) || 0) + 1));
    fit.frames.set(index, { skeleton, refs });
  }
}

function evict(fit, current, maxFrames) {
  if (fit.frames.size <= maxFrames) return;
  const far = [...fit.frames.keys()].sort((a, b) => Math.abs(b - current) - Math.abs(a - current));
  for (const index of far) {
    if (fit.frames.size <= maxFrames) break;
    const frame = fit.frames.get(index);
    fit.frames.delete(index);
    frame.refs.forEach((ref) => {
      const left = (fit.users.get(ref) || 1) - 1;
      if (left <= 0) { fit.users.delete(ref); fit.pool.delete(ref); } else fit.users.set(ref, left);
    });
  }
}

function heldRanges(fit) {
  const keys = [...fit.frames.keys()].sort((a, b) => a - b);
  const ranges = [];
  for (const k of keys) {
    const last = ranges[ranges.length - 1];
    if (last && last[1] === k - 1) last[1] = k; else ranges.push([k, k]);
  }
  return ranges;
}

function resolve(fit, skeleton) {
  const pick = (value) => (value && typeof value === "object" && typeof value.$ref === "string"
    ? fit.pool.get(value.$ref) : value);
  const data = skeleton.data.map((trace) => {
    const out = {};
    for (const [key, value] of Object.entries(trace)) out[key] = pick(value);
    return out;
  });
  const layout = {};
  // Plotly writes into the layout (zoom, autorange): give it copies, never the shared pool values.
  for (const [key, value] of Object.entries(skeleton.layout)) {
    const v = pick(value);
    layout[key] = v && typeof v === "object" ? structuredClone(v) : v;
  }
  return { data, layout };
}

function themeColours(element) {
  const style = getComputedStyle(element);
  const text = style.getPropertyValue("--st-text-color").trim() || style.color || "#31333F";
  const background = style.getPropertyValue("--st-background-color").trim() || "#FFFFFF";
  return { text, background, key: text + "|" + background };
}

const BUTTONS = [
  ["first", "First", "Home", "Back to the first recorded step (Home key)."],
  ["previous", "Previous", "ArrowLeft", "One step back (← key)."],
  ["next", "Next", "ArrowRight", "One step forward (→ key)."],
  ["last", "Last", "End", "Jump to the final fit (End key)."],
];

class Stepper {
  constructor(parent) {
    this.parent = parent;
    this.current = null;
    this.seq = null;
    this.playing = false;
    this.timer = null;
    this.clicks = 0;
    this.rendered = null;
    this.root = el("div", "emviz-stepper");
    this.root.setAttribute("data-testid", "emvizStepper");
    const nav = el("div", "emviz-nav");
    nav.setAttribute("role", "toolbar");
    nav.setAttribute("aria-label", "Step through the fit");
    this.buttons = {};
    for (const [name, label, key, help] of BUTTONS) {
      const button = el("button", "emviz-" + name, label);
      button.type = "button";
      button.title = help;
      button.setAttribute("aria-keyshortcuts", key);
      button.addEventListener("click", () => this.act(name));
      nav.appendChild(button);
      this.buttons[name] = button;
    }
    this.playButton = el("button", "emviz-play", "Play");
    this.playButton.type = "button";
    this.playButton.title = "Advance through the steps by itself.";
    this.playButton.addEventListener("click", () => this.togglePlay());
    nav.appendChild(this.playButton);
    this.speed = el("select", "emviz-speed");
    this.speed.setAttribute("aria-label", "Speed");
    this.speed.title = "Time per step while playing.";
    this.speed.addEventListener("change", () => { if (this.playing) this.schedule(); });
    this.position = el("span", "emviz-position");
    this.position.setAttribute("aria-live", "polite");
    // The step slider: dragging shows the steps the page holds at once and reports where it is
    // every so often, so the server sends the steps around it.
    this.slider = el("input", "emviz-slider");
    this.slider.type = "range";
    this.slider.min = "0";
    this.slider.step = "1";
    this.slider.setAttribute("aria-label", "Step");
    this.slider.title = "Every recorded step: k-means rounds, the initial parameters, then each E-step and M-step.";
    this.slider.addEventListener("input", () => {
      if (this.playing) this.stopPlay();
      this.show(Number(this.slider.value));
      this.reportSoon();
    });
    this.slider.addEventListener("change", () => this.report());
    const scrub = el("div", "emviz-scrub");
    scrub.append(this.slider, this.position, this.speed);
    const body = el("div", "emviz-body");
    this.words = el("div", "emviz-words");
    this.title = el("h2", "emviz-title");
    this.caption = el("p", "emviz-caption");
    this.flags = el("div", "emviz-flags");
    this.note = el("p", "emviz-note");
    this.status = el("div", "emviz-status");
    this.status.setAttribute("role", "status");
    this.words.append(this.title, this.caption, this.flags, this.note, this.status);
    this.chart = el("div", "emviz-chart");
    body.append(this.words, this.chart);
    this.hands = new Hands(this);
    this.root.append(nav, scrub, body, this.hands.bar);
    parent.appendChild(this.root);
    this.onKey = (event) => this.key(event);
    document.addEventListener("keydown", this.onKey);
  }

  destroy() {
    this.stopPlay();
    clearTimeout(this.reportTimer);
    clearTimeout(this.pullTimer);
    this.hands.destroy();
    document.removeEventListener("keydown", this.onKey);
    if (this.Plotly && this.chart.data) this.Plotly.purge(this.chart);
  }

  accept(component) {
    const { data } = component;
    this.setStateValue = component.setStateValue;
    this.data = data;
    this.fit = fitCache(data.id);
    // A first visit gets only the steps around the current one: ask for the rest right after drawing.
    const firstFrames = this.fit.frames.size === 0;
    addFrames(this.fit, data.frames, data.pool);
    this.root.classList.toggle("emviz-lecture", !!data.lecture);
    this.hands.accept(data);
    // Placing the starting means is one picture, not a run of steps: no buttons to step with, and the
    // placement hint takes their place above the chart. Otherwise the hands-on buttons sit under the
    // chart, where they act, so the chart still starts on a 1280x720 projector's first screen.
    this.root.classList.toggle("emviz-placing", !!data.placing);
    if (data.placing) this.root.insertBefore(this.hands.bar, this.root.firstChild);
    else this.root.appendChild(this.hands.bar);
    if (this.speed.options.length === 0) {
      for (const seconds of data.speeds) {
        const option = el("option", "", `${seconds} s per step`);
        option.value = String(seconds);
        if (seconds === 0.8) option.selected = true;
        this.speed.appendChild(option);
      }
    }
    const fitChanged = this.fitId !== data.id;
    this.fitId = data.id;
    // The page drew this chart first and has the rest to show: say so once the step is on screen.
    this.followId = data.follow ? data.id : null;
    if (fitChanged || this.seq !== data.seq || this.current === null) {
      // The page moved the step (a link, a new fit or new drawing options): follow it.
      this.seq = data.seq;
      if (fitChanged) this.stopPlay();
      this.show(data.step);
    } else if (this.rendered !== this.current || this.themeChanged()) {
      this.show(this.current); // the step we were waiting for has arrived, or the theme changed
    }
    evict(this.fit, this.current, data.max_frames);
    // More steps are wanted around here than this run had time or room for: ask for them once the
    // chart shows the current step and the page is idle (a click in between asks anyway); soon after
    // a first visit's first chart, which came with only the steps around it.
    this.pullWanted = data.complete === false && Object.keys(data.frames || {}).length > 0;
    this.pullDelay = firstFrames ? 100 : 300;
    this.schedulePull();
    if (!this.fit.frames.has(this.current)) {
      // Still missing (it did not fit this run's budget, or its pool entries went with an evicted
      // step): say again what we hold, once per distinct answer, and the next run sends it.
      const ask = JSON.stringify([data.id, this.current, heldRanges(this.fit)]);
      if (ask !== this.lastAsk) { this.lastAsk = ask; this.report(); }
    }
  }

  themeChanged() {
    const colours = themeColours(this.parent);
    if (this.colours && colours.key === this.colours.key) return false;
    this.colours = colours;
    return true;
  }

  key(event) {
    if (CACHE.active !== this || !this.root.isConnected || event.defaultPrevented || event.altKey || event.ctrlKey
        || event.metaKey) return;
    const target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)
        || (target.getAttribute && target.getAttribute("role") === "slider"))) return;
    const action = { ArrowRight: "next", ArrowLeft: "previous", Home: "first", End: "last" }[event.key];
    if (!action) return;
    event.preventDefault();
    this.act(action);
  }

  act(name) {
    const last = this.data.n - 1;
    const target = { first: 0, previous: this.current - 1, next: this.current + 1, last }[name];
    if (this.playing && name !== "next") this.stopPlay();
    this.go(target);
  }

  go(target) {
    const index = Math.min(Math.max(target, 0), this.data.n - 1);
    if (index === this.current) return;
    this.show(index);
    this.report();
  }

  schedulePull() {
    clearTimeout(this.pullTimer);
    // Not while the first chart still waits for plotly.js: the rest of the window would compete with it.
    if (!this.pullWanted || this.drawnStep !== this.current) return;
    this.pullTimer = setTimeout(() => this.report(), this.pullDelay);
  }

  report() {
    this.pullWanted = false;
    clearTimeout(this.pullTimer);
    clearTimeout(this.reportTimer);
    this.reportTimer = null;
    this.setStateValue("nav", { id: this.data.id, step: this.current, have: heldRanges(this.fit) });
  }

  reportSoon() {
    if (this.reportTimer === null || this.reportTimer === undefined) {
      this.reportTimer = setTimeout(() => this.report(), 150);
    }
  }

  togglePlay() {
    if (this.playing) { this.stopPlay(); return; }
    this.playing = true;
    this.playButton.textContent = "Pause";
    if (this.current >= this.data.n - 1) this.go(0);
    this.schedule();
  }

  schedule() {
    clearTimeout(this.timer);
    if (!this.playing) return;
    this.timer = setTimeout(() => {
      if (!this.playing) return;
      if (this.current >= this.data.n - 1) { this.stopPlay(); return; }
      // Wait for a step that has not arrived yet instead of skipping it.
      if (this.fit.frames.has(this.current + 1)) this.go(this.current + 1);
      this.schedule();
    }, Number(this.speed.value || 0.8) * 1000);
  }

  stopPlay() {
    this.playing = false;
    clearTimeout(this.timer);
    this.playButton.textContent = "Play";
  }

  show(index) {
    const last = this.data.n - 1;
    this.current = Math.min(Math.max(index, 0), last);
    this.buttons.first.disabled = this.current === 0;
    this.buttons.previous.disabled = this.current === 0;
    this.buttons.next.disabled = this.current === last;
    this.buttons.last.disabled = this.current === last;
    this.position.textContent = `step ${this.current} of ${last}`;
    this.slider.max = String(last);
    this.slider.value = String(this.current);
    this.slider.setAttribute("aria-valuetext", `step ${this.current} of ${last}`);
    const frame = this.fit.frames.get(this.current);
    if (!frame) {
      this.status.textContent = `Loading step ${this.current}…`;
      return;
    }
    this.status.textContent = "";
    const { skeleton } = frame;
    this.rendered = this.current;
    this.title.textContent = skeleton.title;
    this.caption.innerHTML = skeleton.caption;
    this.note.innerHTML = skeleton.note || "";
    this.flags.replaceChildren(...skeleton.flags.map((flag) => {
      const box = el("div", `emviz-flag emviz-flag-${flag.kind}`);
      box.setAttribute("role", flag.kind === "warning" ? "alert" : "note");
      box.innerHTML = flag.html;
      return box;
    }));
    this.draw(skeleton, this.current);
  }

  draw(skeleton, index) {
    const { data, layout } = resolve(this.fit, skeleton);
    this.hands.decorate(data);
    // plotly.js forgets the layout's height once the window resizes (responsive) and then sizes the
    // chart to its container on the next recalculation (a restyle that adds points): the container
    // holds the figure's height itself.
    if (layout.height) this.chart.style.height = `${layout.height}px`;
    // Follow the viewer's light or dark theme, as st.plotly_chart does; an opaque paper so that a
    // PNG saved from the toolbar reads on any background.
    this.colours = this.colours || themeColours(this.parent);
    layout.font = Object.assign({}, layout.font, { color: this.colours.text });
    layout.paper_bgcolor = this.colours.background;
    const config = this.config || (this.config = Object.assign({ responsive: true }, this.data.config));
    const plot = (Plotly) => {
      // Keep the Plotly that drew this chart, even if the page loads another one later.
      this.Plotly = Plotly;
      const first = !this.chart.classList.contains("js-plotly-plot");
      Plotly.react(this.chart, data, layout, config).then(() => {
        this.chart.setAttribute("data-step", String(index));
        this.drawnStep = index;
        this.hands.redrawn(index);
        if (this.followId === this.data.id && index === this.current) {
          this.followId = null;
          this.report();
        }
        this.schedulePull();
      });
      if (first) {
        this.chart.on("plotly_click", (event) => this.pick(event));
        // A finished plot or a relayout (a resize, a zoom): the axes clicks are read against change.
        this.chart.on("plotly_afterplot", () => this.hands.plotted());
        this.chart.on("plotly_relayout", () => this.hands.plotted());
      }
    };
    const token = (this.drawToken = (this.drawToken || 0) + 1);
    const ready = this.Plotly || (window.Plotly && typeof window.Plotly.react === "function" ? window.Plotly : null);
    if (ready) { plot(ready); return; }
    loadPlotly(this.data.plotly_url).then((Plotly) => {
      if (token === this.drawToken) plot(Plotly); // else a newer step was asked for meanwhile
    }).catch((error) => { this.status.textContent = String(error.message || error); });
  }

  pick(event) {
    if (this.hands.placing || this.hands.moving) return; // a click there places or moves a mean
    for (const point of (event && event.points) || []) {
      const custom = point.customdata;
      const first = Array.isArray(custom) || ArrayBuffer.isView(custom) ? custom[0] : custom;
      const row = Number(first);
      if (Number.isFinite(row)) {
        this.clicks += 1;
        this.setStateValue("picked", { row: Math.round(row), click: this.clicks });
        return;
      }
    }
  }
}

export default function (component) {
  return mountOnce(component, Stepper, "emviz-stepper", CACHE);
}
