"""Write ``docs/screenshot.png``: the real explorer at 1280×800 in headless Chromium.

    python docs/make_screenshot.py               # docs/screenshot.png
    python docs/make_screenshot.py --lecture     # also docs/screenshot_lecture.png (lecture mode, 1280×720)

Starts ``streamlit run app.py`` on a free localhost port, opens the default view
(the mouse data, mid-way through EM), waits until the stepping component has drawn
the step's title and its chart and the page has been idle for a moment (the component
fetches the steps around the current one in a few quick reruns after the first load),
takes the screenshot and stops the server. Uses Debian's Chromium
(``/usr/bin/chromium`` or ``$EMVIZ_CHROMIUM``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as a script from anywhere: emviz is importable

from emviz.devserver import CHROMIUM_ARGS, chromium_path, start_streamlit, stop_process_group  # noqa: E402

CHROMIUM = chromium_path() or "/usr/bin/chromium"

READY_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const main = document.querySelector('[data-testid="stMain"]');
  if (!app || !main || app.getAttribute('data-test-script-state') !== 'notRunning'
      || document.querySelector('[data-testid="stStatusWidgetRunningIcon"]')) return false;
  // The stepping component (emviz/stepper.js) draws the step's title and its Plotly chart in the browser;
  // the chart's data-step says which step it drew last, the position line which step is shown.
  const stepper = main.querySelector('[data-testid="emvizStepper"]');
  const gd = stepper && stepper.querySelector('.emviz-chart');
  const title = stepper && stepper.querySelector('.emviz-title');
  const position = stepper && (stepper.querySelector('.emviz-position') || {}).textContent || '';
  const shown = (position.match(/step (\\d+) of/) || [])[1];
  return !!(gd && gd._fullLayout && gd.querySelector('.main-svg')
            && gd.querySelector('.scatterlayer .trace .point, .gl-container canvas')
            && shown !== undefined && gd.getAttribute('data-step') === shown
            && title && title.textContent.trim()
            && !(stepper.querySelector('.emviz-status') || {}).textContent);
}"""


# True once the app has been idle (no script or fragment run) for QUIET_MS in a row.
QUIET_MS = 1500
QUIET_JS = """(quiet) => {
  const app = document.querySelector('[data-testid="stApp"]');
  const busy = !app || app.getAttribute('data-test-script-state') !== 'notRunning'
      || !!document.querySelector('[data-testid="stStatusWidgetRunningIcon"]');
  const now = performance.now();
  if (busy || window.__emvizIdleSince === undefined) window.__emvizIdleSince = busy ? undefined : now;
  return !busy && now - window.__emvizIdleSince >= quiet;
}"""


def capture(browser, url: str, out: Path, *, width: int, height: int, scroll: str | None = "buttons") -> None:
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
    page = context.new_page()
    page.goto(url)
    page.wait_for_function(READY_JS, timeout=120_000, polling=100)
    page.wait_for_function(QUIET_JS, arg=QUIET_MS, timeout=60_000, polling=100)
    page.wait_for_function(READY_JS, timeout=60_000, polling=100)
    errors = page.locator('[data-testid="stException"]')
    if errors.count():
        raise RuntimeError(f"the app shows an exception: {errors.first.inner_text()[:500]}")
    if scroll:
        # The page header (title, data note) fills the first screen; show the controls, the step and the chart.
        page.evaluate("""(anchor) => {
          const main = document.querySelector('[data-testid="stMain"]');
          const target = anchor === 'heading'
              ? main.querySelector('[data-testid="emvizStepper"] .emviz-title')
              : main.querySelector('[data-testid="emvizStepper"] .emviz-nav');
          const box = target.closest('[data-testid="stHorizontalBlock"], [data-testid="stElementContainer"]');
          box.style.scrollMarginTop = '64px';  // below Streamlit's fixed header
          box.scrollIntoView({block: 'start'});
        }""", scroll)
    page.mouse.move(0, height - 1)  # no hover label on the chart
    page.wait_for_timeout(800)      # let Plotly's and Streamlit's enter transitions finish
    page.screenshot(path=str(out))
    context.close()
    print(f"wrote {out.relative_to(REPO) if out.is_relative_to(REPO) else out}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshot.png")
    parser.add_argument("--lecture", action="store_true",
                        help="also capture lecture mode (1280×720) to docs/screenshot_lecture.png")
    parser.add_argument("--top", action="store_true", help="keep the top of the page (no scrolling to the chart)")
    parser.add_argument("--lecture-out", type=Path, default=REPO / "docs" / "screenshot_lecture.png")
    args = parser.parse_args(argv)

    log = Path(tempfile.mkdtemp(prefix="emviz-screenshot-")) / "streamlit.log"
    proc, url = start_streamlit("app.py", log_path=log)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            capture(browser, url, args.out.resolve(), width=1280, height=800, scroll=None if args.top else "buttons")
            if args.lecture:
                capture(browser, f"{url}/?lecture=1", args.lecture_out.resolve(), width=1280, height=720,
                        scroll=None)
            browser.close()
    finally:
        stop_process_group(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
