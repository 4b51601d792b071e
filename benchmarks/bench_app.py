"""How fast the explorer feels in a real browser, beside a bare one-chart Streamlit page.

Starts ``streamlit run app.py`` and, from a temporary file, a bare page (a button
that reruns the script and redraws one scatter chart), both on free localhost
ports, then drives them in headless Chromium (Debian's ``/usr/bin/chromium``)::

    python benchmarks/bench_app.py            # N = 490 (mouse data) and N = 10^4 (an uploaded CSV)
    python benchmarks/bench_app.py --repeats 25 --json results.json
    python benchmarks/bench_app.py --repo /path/to/other/checkout   # measure another checkout's app

The app and the bare page are measured in turns (one app click, one bare click,
...; one app load, one bare load, ...), so that a machine shared with other work
slows both alike and the ratios stay comparable.

Measured in the page itself (``performance.now()``):

* **Next → step shown**: from the click on *Next* until the step title has changed
  (MutationObserver) AND the main chart has been redrawn (Plotly's
  ``plotly_react`` / ``plotly_afterplot`` event). The explorer answers in the browser
  (its stepping component, ``emviz/stepper.js``, swaps in a step it already holds);
  the bare page's button gives the same figure for a full script rerun with a new
  490-point (or 10^4-point) chart.
* **open → first chart**: from navigation start (``performance.timeOrigin``) until
  the main chart has its points drawn. Each load is a new browser context, i.e. a
  new Streamlit session. **warm**: the server's caches are warm (one unmeasured
  load first). **cold**: a newly started server per load (``--cold`` of them, the
  app's and the bare page's started the same way), measured from the first
  visitor's navigation: imports, the fit and the first payload all count. The
  bytes the browser received over the WebSocket during each load are reported too.
  At N = 10^4 the app cannot be opened on an upload, so its row is the time from
  handing the file to the file input until the chart shows the new data.

* **K-th mean placed → fit shown** (``hands_measures.place_in_turns``): the explorer in placement
  mode on the mouse data, K = 3; two means are clicked, then from the third click's pointer event
  until the stepper has drawn the fitted run's first step (the init step holding the placed means).
  Each round places at a new spot, so each round fits anew; a bare rerun (Next) between rounds.

Targets (issue 13): Next ≤ 0.35× the bare rerun at N = 490 and ≤ 0.5× at N = 10^4; first chart ≤ 1.2×
the bare page on a warm server and ≤ 1.3× on a freshly started one. Issue 10: the K-th mean placed →
fit shown ≤ 1.0× the bare rerun.

One row is an absolute time, not a ratio: **brush click → drawn** on the "Draw your own" canvas with
2,000 points drawn, measured by the canvas itself (issue 10: ≤ 50 ms in-page).
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as a script from anywhere: emviz is importable

from emviz.devserver import CHROMIUM_ARGS, chromium_path, start_streamlit, stop_process_group  # noqa: E402
from hands_measures import brush_clicks, place_in_turns  # noqa: E402  (benchmarks/ is the script's folder)

CHROMIUM = chromium_path() or "/usr/bin/chromium"
TARGETS = {"next_490": 0.35, "next_10000": 0.5, "first": 1.2, "cold": 1.3, "upload": 1.5, "place": 1.0}
BRUSH_TARGET_MS = 50  # issue 10: a brush click redrawn within this, in-page, at 2,000 drawn points

BARE_PAGE = textwrap.dedent('''
    """Bare one-chart page: a button that reruns the script and redraws a scatter chart."""
    import numpy as np
    import plotly.graph_objects as go
    import streamlit as st

    n = int(st.query_params.get("n", 490))
    gl = st.query_params.get("gl") == "1"
    st.session_state["runs"] = st.session_state.get("runs", 0) + 1
    st.button("Next")
    rng = np.random.default_rng(st.session_state["runs"])
    X = rng.normal(size=(n, 2))
    st.subheader(f"Run {st.session_state['runs']}")
    trace = go.Scattergl if gl else go.Scatter
    fig = go.Figure(trace(x=X[:, 0], y=X[:, 1], mode="markers", marker=dict(size=5, color=rng.random(n))))
    st.plotly_chart(fig, key="main_chart")
''')

# Installed before any page script runs: records when the main chart first has points on screen.
INIT_JS = """
(() => {
  const B = window.__bench = {firstChartAt: null, uploadedAt: null, wantCaption: null, remounts: 0};
  B.mainChart = () => {
    const main = document.querySelector('[data-testid="stMain"]');
    if (!main) return null;
    return main.querySelector('.emviz-chart.js-plotly-plot')
        || main.querySelector('.st-key-main_chart .js-plotly-plot')
        || main.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
  };
  B.drawn = (gd) => !!(gd && gd._fullLayout && gd._fullData
      && gd.querySelector('.scatterlayer .trace .point, .gl-container canvas'));
  B.title = () => {
    const h = document.querySelector('[data-testid="stMain"] .emviz-title')
        || document.querySelector('[data-testid="stMain"] [data-testid="stHeading"] h3');
    return h ? h.textContent.trim() : null;
  };
  B.points = (gd) => gd._fullData.filter(t => (t.type || '').startsWith('scatter') && (t.mode || '').includes('markers'))
                                 .reduce((n, t) => n + (t.x ? t.x.length : 0), 0);
  const check = () => {
    const gd = B.mainChart();
    if (B.firstChartAt === null && B.drawn(gd)) B.firstChartAt = performance.now();
    if (B.wantCaption && B.uploadedAt === null && B.drawn(gd)
        && document.querySelector('[data-testid="stMain"]').innerText.includes(B.wantCaption)
        && B.points(gd) >= B.wantPoints) B.uploadedAt = performance.now();
  };
  B.check = check;
  const start = () => {
    // Precise while waiting for the first chart, then only the (cheap) animation-frame poll remains.
    const observer = new MutationObserver(() => { check(); if (B.firstChartAt !== null) observer.disconnect(); });
    observer.observe(document.documentElement, {subtree: true, childList: true, characterData: true,
                                                attributes: true});
    const poll = () => { check(); requestAnimationFrame(poll); };
    requestAnimationFrame(poll);
  };
  if (document.documentElement) start(); else document.addEventListener('DOMContentLoaded', start);

  // Click a button and resolve when the title has changed AND the main chart has been redrawn.
  B.clickAndWait = (label) => new Promise((resolve) => {
    const gd = B.mainChart();
    const target = [...document.querySelectorAll('[data-testid="stMain"] button')]
        .find(b => b.offsetParent !== null && b.innerText.trim().split('\\n')[0] === label);
    if (!gd || !target) { resolve({error: 'no chart or no button ' + label}); return; }
    const oldTitle = B.title();
    let t0 = null, titleAt = null, chartAt = null, done = false;
    const finish = (extra) => {
      if (done) return; done = true;
      observer.disconnect();
      if (gd.removeListener) {  // a purged (replaced) plot div has lost its event methods
        gd.removeListener('plotly_react', onDraw); gd.removeListener('plotly_afterplot', onDraw);
      }
      resolve(Object.assign({title: titleAt - t0, chart: chartAt - t0, total: Math.max(titleAt, chartAt) - t0},
                            extra || {}));
    };
    const maybe = () => { if (titleAt !== null && chartAt !== null) finish(); };
    const onDraw = () => { if (chartAt === null && t0 !== null) { chartAt = performance.now(); maybe(); } };
    // The chart counts as redrawn when the old plot div emits plotly_react/afterplot, or when a new plot
    // div (Streamlit may remount the chart) has its points drawn.
    const look = () => {
      if (t0 === null || done) return;
      if (titleAt === null && B.title() !== oldTitle) titleAt = performance.now();
      const now = B.mainChart();
      if (chartAt === null && now && now !== gd && B.drawn(now)) { chartAt = performance.now(); B.remounts += 1; }
      maybe();
    };
    const observer = new MutationObserver(look);
    const poll = () => { look(); if (!done) requestAnimationFrame(poll); };
    requestAnimationFrame(poll);
    observer.observe(document.querySelector('[data-testid="stMain"]'), {subtree: true, childList: true,
                                                                           characterData: true});
    gd.on('plotly_react', onDraw); gd.on('plotly_afterplot', onDraw);
    setTimeout(() => finish({error: 'timeout', titleAt, chartAt}), 60000);
    t0 = performance.now();
    target.click();
  });
})();
"""

IDLE_JS = """() => { const app = document.querySelector('[data-testid="stApp"]');
  return app && app.getAttribute('data-test-connection-state') === 'CONNECTED'
      && app.getAttribute('data-test-script-state') === 'notRunning'
      && !document.querySelector('[data-testid="stStatusWidgetRunningIcon"]'); }"""






def ten_thousand_rows_csv(path: Path, n: int = 10_000) -> Path:
    import numpy as np

    rng = np.random.default_rng(2024)
    centres = np.array([[-4.0, 0.0], [0.0, 4.0], [4.0, 0.0]])
    X = centres[rng.integers(0, 3, n)] + rng.normal(scale=1.0, size=(n, 2))
    path.write_text("x,y\n" + "\n".join(f"{a:.5f},{b:.5f}" for a, b in X) + "\n")
    return path


class Bench:
    def __init__(self, browser, repeats: int, loads: int):
        self.browser, self.repeats, self.loads = browser, repeats, loads

    def new_page(self):
        context = self.browser.new_context(viewport={"width": 1400, "height": 1000})
        context.add_init_script(INIT_JS)
        page = context.new_page()
        page.ws_bytes = [0]

        def on_socket(ws):
            def count(payload):
                page.ws_bytes[0] += len(payload)
            ws.on("framereceived", count)

        page.on("websocket", on_socket)
        return context, page

    @staticmethod
    def idle(page, timeout: float = 120_000) -> None:
        page.wait_for_function(IDLE_JS, timeout=timeout, polling=50)

    def open(self, url: str):
        """(context, page, ms from navigation start to the first drawn main chart)."""
        context, page = self.new_page()
        page.goto(url)
        page.wait_for_function("() => window.__bench.firstChartAt !== null && window.__bench.title() !== null",
                               timeout=120_000, polling=50)
        page.first_bytes = page.ws_bytes[0]  # what the first chart waited for (the idle browser asks for more)
        self.idle(page)
        return context, page, page.evaluate("() => window.__bench.firstChartAt")

    def load(self, url: str) -> tuple[float, int]:
        """One new session: ms to its first chart and the bytes it received over the WebSocket."""
        context, page, ms = self.open(url)
        received = page.first_bytes
        context.close()
        return ms, received

    def first_charts(self, urls: dict[str, str]) -> dict[str, list[tuple[float, int]]]:
        """Warm loads of several pages in turns (after one unmeasured load of each)."""
        for url in urls.values():
            self.load(url)  # warm the server (fit cache, imports)
        times: dict[str, list] = {name: [] for name in urls}
        for _ in range(self.loads):
            for name, url in urls.items():
                times[name].append(self.load(url))
        return times

    def cold_charts(self, starts: dict, count: int) -> dict[str, list[tuple[float, int]]]:
        """``count`` loads per page, each the first visit to a newly started server, in turns."""
        times: dict[str, list] = {name: [] for name in starts}
        for i in range(count):
            for name, start in starts.items():
                proc, url = start(i)
                try:
                    times[name].append(self.load(url))
                finally:
                    stop_process_group(proc)
        return times

    def clicks_in_turns(self, pages: dict, backs: dict) -> dict[str, list[float]]:
        """Next clicks on several pages in turns, one click each per round (the first round is a warm-up)."""
        times: dict[str, list[float]] = {name: [] for name in pages}
        for _ in range(self.repeats + 1):
            for name, page in pages.items():
                times[name] += self.clicks(page, back=backs.get(name), repeats=0)
        return {name: values[1:] for name, values in times.items()}

    def clicks(self, page, label: str = "Next", back: str | None = "First", repeats: int | None = None) -> list[float]:
        times = []
        for _ in range((self.repeats if repeats is None else repeats) + 1):
            self.idle(page)
            page.wait_for_timeout(150)
            enabled = page.evaluate(f"""() => {{ const b = [...document.querySelectorAll('[data-testid="stMain"] button')]
                                        .find(b => b.offsetParent !== null && b.innerText.trim().split('\\n')[0] === {label!r});
                                        return b && !b.disabled; }}""")
            if not enabled and back:
                title = page.evaluate("() => window.__bench.title()")
                page.get_by_role("button", name=re.compile(rf"^{back}(\s|$)")).click()
                page.wait_for_function("(t) => window.__bench.title() !== t", arg=title, timeout=60_000)
                self.idle(page)
                page.wait_for_timeout(150)
            result = page.evaluate("(label) => window.__bench.clickAndWait(label)", label)
            if "error" in result:
                raise RuntimeError(f"click on {label}: {result}")
            times.append(result["total"])
        return times[1:] if repeats is None else times

    def trace_type(self, page) -> str:
        return page.evaluate("() => [...new Set(window.__bench.mainChart()._fullData.map(t => t.type))].join('+')")


def progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def median(values: list[float]) -> float:
    return statistics.median(values)


def bare_query(n: int, app_trace: str) -> str:
    """The bare page's query for ``n`` points, drawn with the trace type the app's chart uses."""
    return f"/?n={n}" + ("&gl=1" if "scattergl" in app_trace else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=15, help="measured clicks per configuration")
    parser.add_argument("--loads", type=int, default=5, help="measured page loads per configuration (warm server)")
    parser.add_argument("--cold", type=int, default=3, help="measured loads from a newly started server, each")
    parser.add_argument("--repo", type=Path, default=REPO, help="the checkout whose app.py is measured")
    parser.add_argument("--json", type=Path, help="also write the raw timings here")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still stop both servers on `kill`
    repo = args.repo.resolve()

    work = Path(tempfile.mkdtemp(prefix="emviz-bench-"))
    bare_script = work / "bare_page.py"
    bare_script.write_text(BARE_PAGE)
    big_csv = ten_thousand_rows_csv(work / "ten_thousand.csv")

    def start_app(tag):
        return start_streamlit(repo / "app.py", cwd=repo, log_path=work / f"app-{tag}.log")

    def start_bare(tag):
        return start_streamlit(bare_script, cwd=repo, log_path=work / f"bare-{tag}.log")

    raw: dict[str, list[float]] = {}
    received: dict[str, list[int]] = {}
    info: dict[str, str] = {}

    def next_in_turns(app_page, bare_page, n: str) -> None:
        """Next clicked on the app and the bare page in turns; the times and how often each chart remounted."""
        clicks = bench.clicks_in_turns({"app": app_page, "bare": bare_page}, {"app": "First"})
        raw[f"app_next_{n}"], raw[f"bare_next_{n}"] = clicks["app"], clicks["bare"]
        info[f"remounts_{n}"] = app_page.evaluate("() => window.__bench.remounts")
        info[f"bare_remounts_{n}"] = bare_page.evaluate("() => window.__bench.remounts")

    def record(times: dict[str, list[tuple[float, int]]]) -> None:
        for name, values in times.items():
            raw[name] = [ms for ms, _ in values]
            received[name] = [size for _, size in values]

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        bench = Bench(browser, args.repeats, args.loads)

        # Cold first: a new app server and a new bare server per load, in turns.
        progress("cold first charts (a new server per load)")
        trace_probe = {}

        def cold_app(i):
            proc, url = start_app(f"cold{i}")
            return proc, url + "/"

        def cold_bare(i):
            proc, url = start_bare(f"cold{i}")
            return proc, url + bare_query(490, trace_probe.get("trace", "scatter"))

        # The bare page draws like the app: learn the app's trace type from one unmeasured cold start.
        proc, url = start_app("probe")
        try:
            context, page, _ = bench.open(url)
            trace_probe["trace"] = bench.trace_type(page)
            context.close()
        finally:
            stop_process_group(proc)
        record({f"{k}_cold_490": v for k, v in
                bench.cold_charts({"app": cold_app, "bare": cold_bare}, args.cold).items()})

        app_proc, app_url = start_app("warm")
        bare_proc, bare_url = start_bare("warm")
        try:
            # N = 490: the mouse data, the app's default.
            context, page, _ = bench.open(app_url)
            info["trace_490"] = bench.trace_type(page)
            context.close()
            bare_490 = bare_url + bare_query(490, info["trace_490"])
            progress("warm first charts at N=490, app and bare page in turns")
            record({f"{k}_first_490": v for k, v in bench.first_charts({"app": app_url, "bare": bare_490}).items()})
            progress("Next at N=490, app and bare page in turns")
            app_ctx, app_page, _ = bench.open(app_url)
            bare_ctx, bare_page, _ = bench.open(bare_490)
            next_in_turns(app_page, bare_page, "490")
            progress("placing the K-th mean at N=490, app and bare page in turns")
            raw["app_place_490"], raw["bare_place_490"] = place_in_turns(bench, app_url, bare_page, args.repeats)
            app_ctx.close()
            bare_ctx.close()

            # N = 10^4: a CSV uploaded through the sidebar's file input.
            progress("upload at N=10^4")
            uploads = []
            for attempt in range(args.loads + 1):
                context, page, _ = bench.open(app_url)
                page.evaluate("() => { window.__bench.wantCaption = 'Your file'; window.__bench.wantPoints = 10000;"
                              "        window.__bench.uploadedAt = null; window.__bench.t0 = performance.now(); }")
                page.locator('[data-testid="stSidebar"] input[type="file"]').set_input_files(str(big_csv))
                page.wait_for_function("() => window.__bench.uploadedAt !== null", timeout=180_000, polling=50)
                uploads.append(page.evaluate("() => window.__bench.uploadedAt - window.__bench.t0"))
                if attempt < args.loads:
                    context.close()
            raw["app_upload_10000"] = uploads[1:]
            bench.idle(page)
            info["trace_10000"] = bench.trace_type(page)
            bare_10k = bare_url + bare_query(10000, info["trace_10000"])
            progress("bare first charts at N=10^4")
            record({"bare_first_10000": bench.first_charts({"bare": bare_10k})["bare"]})
            progress("Next at N=10^4, app and bare page in turns")
            bare_ctx, bare_page, _ = bench.open(bare_10k)
            next_in_turns(page, bare_page, "10000")
            context.close()
            bare_ctx.close()
            progress("brush clicks on the drawing canvas at 2,000 points")
            brush = brush_clicks(bench, app_url, args.repeats)
            raw["brush_frame_2000"], raw["brush_draw_2000"] = brush["frame"], brush["draw"]
        finally:
            stop_process_group(app_proc)
            stop_process_group(bare_proc)
        browser.close()

    rows = [
        ("Next → step shown", "490", "app_next_490", "bare_next_490", TARGETS["next_490"]),
        ("Next → step shown", "10^4", "app_next_10000", "bare_next_10000", TARGETS["next_10000"]),
        ("open → first chart, warm server", "490", "app_first_490", "bare_first_490", TARGETS["first"]),
        ("open → first chart, new server", "490", "app_cold_490", "bare_cold_490", TARGETS["cold"]),
        ("upload → chart (vs bare open)", "10^4", "app_upload_10000", "bare_first_10000", TARGETS["upload"]),
        ("K-th mean placed → fit shown", "490", "app_place_490", "bare_place_490", TARGETS["place"]),
    ]
    print(f"\nemviz browser benchmark · {repo} · Chromium headless · medians of {args.repeats} clicks, "
          f"{args.loads} warm loads, {args.cold} cold loads (app and bare page measured in turns)")
    print(f"main chart trace types: N=490 {info['trace_490']}, N=10^4 {info['trace_10000']}"
          f" (the bare page uses the same)\n")
    header = f"{'measure':34} {'N':>5} {'app ms':>9} {'bare ms':>9} {'ratio':>7} {'target':>8}  verdict"
    print(header)
    print("-" * len(header))
    summary = []
    for name, n, app_key, bare_key, target in rows:
        app_ms, bare_ms = median(raw[app_key]), median(raw[bare_key])
        ratio = app_ms / bare_ms
        verdict = "ok" if ratio <= target else "MISSED"
        summary.append({"measure": name, "N": n, "app_ms": app_ms, "bare_ms": bare_ms, "ratio": ratio,
                        "target": target, "met": ratio <= target})
        print(f"{name:34} {n:>5} {app_ms:9.0f} {bare_ms:9.0f} {ratio:7.2f} {'≤ ' + format(target, 'g') + '×':>8}  "
              f"{verdict}")
    brush_ms = median(raw["brush_frame_2000"])
    summary.append({"measure": "brush click → drawn (in-page)", "N": "2000", "app_ms": brush_ms,
                    "target_ms": BRUSH_TARGET_MS, "met": brush_ms <= BRUSH_TARGET_MS})
    print(f"{'brush click → drawn (in-page ms)':34} {'2000':>5} {brush_ms:9.1f} {'':>9} {'':>7} "
          f"{'≤ ' + str(BRUSH_TARGET_MS) + ' ms':>8}  {'ok' if brush_ms <= BRUSH_TARGET_MS else 'MISSED'}"
          f"  (click to the frame that shows it; to the end of the redraw {median(raw['brush_draw_2000']):.1f} ms)")
    print("\nWebSocket bytes a new session had received when its first chart showed (median): "
          + ", ".join(f"{key.replace('_', ' ')} {median(values) / 1024:,.0f} KB" for key, values in received.items()))
    clicks = args.repeats
    print(f"Clicks after which the main chart was a new plot div (remounted: full newPlot, not Plotly.react): "
          f"app {info['remounts_490']}/{clicks} at N=490, {info['remounts_10000']}/{clicks} at N=10^4; "
          f"bare page {info['bare_remounts_490']}/{clicks} and {info['bare_remounts_10000']}/{clicks}.")
    print(f"(first warm load of each page excluded from the medians; server logs in {work})")
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "raw_ms": raw, "received_bytes": received,
                                         "info": info}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
