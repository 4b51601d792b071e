"""How fast the explorer feels in a real browser, beside a bare one-chart Streamlit page.

Starts ``streamlit run app.py`` and, from a temporary file, a bare page (a button
that reruns the script and redraws one scatter chart), both on free localhost
ports, then drives them in headless Chromium (Debian's ``/usr/bin/chromium``)::

    python benchmarks/bench_app.py            # N = 490 (mouse data) and N = 10^4 (an uploaded CSV)
    python benchmarks/bench_app.py --repeats 25 --json results.json

Measured in the page itself (``performance.now()``):

* **Next → step shown**: from the click on *Next* until the step title has changed
  (MutationObserver) AND the main chart has been redrawn (Plotly's
  ``plotly_react`` / ``plotly_afterplot`` event). The explorer answers in the browser
  (its stepping component, ``emviz/stepper.js``, swaps in a step it already holds);
  the bare page's button gives the same figure for a full script rerun with a new
  490-point (or 10^4-point) chart.
* **open → first chart**: from navigation start (``performance.timeOrigin``) until
  the main chart has its points drawn. Each load is a new browser context, i.e. a
  new Streamlit session; the server's caches are warm (one unmeasured load first).
  At N = 10^4 the app cannot be opened on an upload, so its row is the time from
  handing the file to the file input until the chart shows the new data.

Targets: Next ≤ 0.7× the bare rerun at N = 490 and ≤ 1.0× at N = 10^4; first chart ≤ 1.5× the bare page.
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

CHROMIUM = chromium_path() or "/usr/bin/chromium"
TARGETS = {"next_490": 0.7, "next_10000": 1.0, "first": 1.5}

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
        return context, context.new_page()

    @staticmethod
    def idle(page, timeout: float = 120_000) -> None:
        page.wait_for_function(IDLE_JS, timeout=timeout, polling=50)

    def open(self, url: str):
        """(context, page, ms from navigation start to the first drawn main chart)."""
        context, page = self.new_page()
        page.goto(url)
        page.wait_for_function("() => window.__bench.firstChartAt !== null && window.__bench.title() !== null",
                               timeout=120_000, polling=50)
        self.idle(page)
        return context, page, page.evaluate("() => window.__bench.firstChartAt")

    def first_chart(self, url: str) -> list[float]:
        context, _, _ = self.open(url)  # warm the server (fit cache, imports)
        context.close()
        times = []
        for _ in range(self.loads):
            context, _, ms = self.open(url)
            times.append(ms)
            context.close()
        return times

    def clicks(self, page, label: str = "Next", back: str | None = "First") -> list[float]:
        times = []
        for _ in range(self.repeats + 1):  # the first click is a warm-up
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
        return times[1:]

    def trace_type(self, page) -> str:
        return page.evaluate("() => [...new Set(window.__bench.mainChart()._fullData.map(t => t.type))].join('+')")


def progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def median(values: list[float]) -> float:
    return statistics.median(values)


def measure_bare(bench, bare_url: str, n: int, app_trace: str, raw: dict, info: dict) -> None:
    """First chart and Next clicks on the bare page with ``n`` points, drawn like the app's chart."""
    gl = "&gl=1" if "scattergl" in app_trace else ""
    url = f"{bare_url}/?n={n}{gl}"
    progress(f"bare_first_{n}")
    raw[f"bare_first_{n}"] = bench.first_chart(url)
    context, page, _ = bench.open(url)
    progress(f"bare_next_{n}")
    raw[f"bare_next_{n}"] = bench.clicks(page, back=None)
    info[f"bare_remounts_{n}"] = page.evaluate("() => window.__bench.remounts")
    context.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=15, help="measured clicks per configuration")
    parser.add_argument("--loads", type=int, default=5, help="measured page loads per configuration")
    parser.add_argument("--json", type=Path, help="also write the raw timings here")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still stop both servers on `kill`

    work = Path(tempfile.mkdtemp(prefix="emviz-bench-"))
    bare_script = work / "bare_page.py"
    bare_script.write_text(BARE_PAGE)
    big_csv = ten_thousand_rows_csv(work / "ten_thousand.csv")
    app_proc, app_url = start_streamlit(REPO / "app.py", log_path=work / "app.log")
    bare_proc, bare_url = start_streamlit(bare_script, log_path=work / "bare.log")
    raw: dict[str, list[float]] = {}
    info: dict[str, str] = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            bench = Bench(browser, args.repeats, args.loads)

            # N = 490: the mouse data, the app's default.
            progress("app_first_490")
            raw["app_first_490"] = bench.first_chart(app_url)
            context, page, _ = bench.open(app_url)
            info["trace_490"] = bench.trace_type(page)
            progress("app_next_490")
            raw["app_next_490"] = bench.clicks(page)
            info["remounts_490"] = page.evaluate("() => window.__bench.remounts")
            context.close()
            measure_bare(bench, bare_url, 490, info["trace_490"], raw, info)

            # N = 10^4: a CSV uploaded through the sidebar's file input.
            progress("app_upload_10000")
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
            progress("app_next_10000")
            raw["app_next_10000"] = bench.clicks(page)
            info["remounts_10000"] = page.evaluate("() => window.__bench.remounts")
            context.close()
            measure_bare(bench, bare_url, 10000, info["trace_10000"], raw, info)
            browser.close()
    finally:
        stop_process_group(app_proc)
        stop_process_group(bare_proc)

    rows = [
        ("Next → step shown", "490", "app_next_490", "bare_next_490", TARGETS["next_490"]),
        ("Next → step shown", "10^4", "app_next_10000", "bare_next_10000", TARGETS["next_10000"]),
        ("open → first chart", "490", "app_first_490", "bare_first_490", TARGETS["first"]),
        ("upload → chart (vs bare open)", "10^4", "app_upload_10000", "bare_first_10000", TARGETS["first"]),
    ]
    print(f"\nemviz browser benchmark · Chromium headless · medians of {args.repeats} clicks / {args.loads} loads")
    print(f"main chart trace types: N=490 {info['trace_490']}, N=10^4 {info['trace_10000']}"
          f" (the bare page uses the same)\n")
    header = f"{'measure':32} {'N':>5} {'app ms':>9} {'bare ms':>9} {'ratio':>7} {'target':>8}  verdict"
    print(header)
    print("-" * len(header))
    summary = []
    for name, n, app_key, bare_key, target in rows:
        app_ms, bare_ms = median(raw[app_key]), median(raw[bare_key])
        ratio = app_ms / bare_ms
        verdict = "ok" if ratio <= target else "MISSED"
        summary.append({"measure": name, "N": n, "app_ms": app_ms, "bare_ms": bare_ms, "ratio": ratio,
                        "target": target, "met": ratio <= target})
        print(f"{name:32} {n:>5} {app_ms:9.0f} {bare_ms:9.0f} {ratio:7.2f} {'≤ ' + format(target, 'g') + '×':>8}  "
              f"{verdict}")
    clicks = args.repeats + 1
    print(f"\nClicks after which the main chart was a new plot div (remounted: full newPlot, not Plotly.react): "
          f"app {info['remounts_490']}/{clicks} at N=490, {info['remounts_10000']}/{clicks} at N=10^4; "
          f"bare page {info['bare_remounts_490']}/{clicks} and {info['bare_remounts_10000']}/{clicks}.")
    print(f"(first app load of the run, cold fit cache, excluded from the medians; server logs in {work})")
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "raw_ms": raw, "info": info}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
