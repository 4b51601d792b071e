"""The real app in headless Chromium, driven the way a student drives it.

Run with ``python -m pytest tests/browser -q`` (or ``-m browser``). The fixtures in
``conftest.py`` start ``streamlit run app.py`` once and give each test a fresh
browser session.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

#: The pages the README promises, as the sidebar navigation labels them (case-insensitive substrings).
EXPECTED_PAGES = ["k-means vs GMM", "Several initialisations", "Choose K", "scikit-learn", "Theory"]

# ---------------------------------------------------------------------------------------------
# What the page shows, read in one go. The step title is the first h3 of the main area (the
# fragment's subheader); its caption is the element right after it; the main chart is the
# Plotly chart keyed "main_chart" (falling back to the first chart of the main area).
# ---------------------------------------------------------------------------------------------
_STATE_JS = """
() => {
  const main = document.querySelector('[data-testid="stMain"]') || document;
  const heading = main.querySelector('[data-testid="stHeading"] h3');
  let caption = null;
  if (heading) {
    const box = heading.closest('[data-testid="stElementContainer"]');
    const next = box && box.nextElementSibling;
    caption = next ? next.innerText.trim() : null;
  }
  let step = null, last = null;
  for (const s of main.querySelectorAll('[data-testid="stSlider"]')) {
    const label = s.querySelector('[data-testid="stWidgetLabel"]');
    if (label && label.innerText.trim() === 'Step') {
      const range = s.querySelector('input[type="range"]');
      const thumb = s.querySelector('[role="slider"]');
      if (range) { step = Number(range.value); last = Number(range.max); }
      else if (thumb) { step = Number(thumb.getAttribute('aria-valuenow')); last = Number(thumb.getAttribute('aria-valuemax')); }
    }
  }
  const gd = main.querySelector('.st-key-main_chart .js-plotly-plot')
          || main.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
  let sig = null, draws = null, points = null;
  if (gd && gd._fullData) {
    if (!gd.__emvizHooked && gd.on) {
      gd.__emvizHooked = true; gd.__emvizDraws = 0;
      gd.on('plotly_afterplot', () => { gd.__emvizDraws += 1; });
    }
    draws = gd.__emvizDraws;
    const s = JSON.stringify([gd.data, (gd.layout || {}).shapes, (gd.layout || {}).annotations]);
    let h = 0;
    for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
    sig = s.length + ':' + h;
    points = gd._fullData.filter(t => (t.type || '').startsWith('scatter') && (t.mode || '').includes('markers'))
                         .reduce((n, t) => n + (t.x ? t.x.length : 0), 0);
  }
  return {title: heading ? heading.textContent.trim() : null, caption, step, last, sig, draws, points,
          running: document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state')};
}
"""


def state(page: Page) -> dict:
    return page.evaluate(_STATE_JS)


def wait_idle(page: Page, timeout: float = 30_000) -> None:
    """Until the script (and any fragment rerun) has finished and the app is connected."""
    page.wait_for_function(
        """() => { const app = document.querySelector('[data-testid="stApp"]');
                   return app && app.getAttribute('data-test-connection-state') === 'CONNECTED'
                       && app.getAttribute('data-test-script-state') === 'notRunning'
                       && !document.querySelector('[data-testid="stStatusWidgetRunningIcon"]'); }""",
        timeout=timeout, polling=100)


def wait_for_chart(page: Page, timeout: float = 60_000) -> dict:
    """Until the explorer shows a step title, the Step slider and a drawn main chart."""
    page.wait_for_function(f"() => {{ const s = ({_STATE_JS})(); return s.title && s.sig && s.step !== null; }}",
                           timeout=timeout, polling=100)
    wait_idle(page, timeout)
    return state(page)


def wait_for_step_change(page: Page, before: dict, timeout: float = 15_000) -> dict:
    """Until the title, the caption and the chart all differ from ``before``."""
    page.wait_for_function(
        f"""(b) => {{ const s = ({_STATE_JS})();
                     return s.title && s.step !== b.step && s.title !== b.title && s.caption !== b.caption
                         && s.sig !== null && s.sig !== b.sig; }}""",
        arg=before, timeout=timeout, polling=50)
    wait_idle(page)
    return state(page)


EXCEPTION = '[data-testid="stException"], .stException'


def assert_no_error(page: Page, where: str) -> None:
    exceptions = page.locator(EXCEPTION)
    assert exceptions.count() == 0, f"{where}: Streamlit shows an exception: {exceptions.first.inner_text()[:800]}"
    body = page.locator("body").inner_text()
    assert "Traceback" not in body, f"{where}: the page shows a traceback:\n{body[:1500]}"


def open_explorer(page: Page, app_url: str) -> dict:
    page.goto(app_url)
    return wait_for_chart(page)


def button(page: Page, label: str):
    """A main-area button by its label (the accessible name also carries its shortcut, e.g. "Next Shortcut →")."""
    return page.locator('[data-testid="stMain"]').get_by_role("button", name=re.compile(rf"^{re.escape(label)}(\s|$)"))


def blur_inputs(page: Page) -> None:
    """Focus the page body, never an input, so that the keyboard shortcuts apply."""
    page.evaluate("() => { if (document.activeElement) document.activeElement.blur(); document.body.focus(); }")


# ---------------------------------------------------------------------------------------------
# Stepping
# ---------------------------------------------------------------------------------------------
def test_step_with_buttons_and_arrow_keys(page: Page, app_url: str):
    first = open_explorer(page, app_url)
    assert first["last"] > 2, first
    assert re.search(r"Iteration \d+ · (E-step|M-step)", first["title"]), first["title"]
    assert first["caption"], "no caption under the step title"
    assert 490 <= first["points"] < 600, f"the mouse data has 490 points, the chart shows {first['points']}"
    assert_no_error(page, "explorer")

    button(page, "Next").click()
    after_next = wait_for_step_change(page, first)
    assert after_next["step"] == first["step"] + 1
    assert after_next["draws"] is None or first["draws"] is None or after_next["draws"] > first["draws"] \
        or after_next["sig"] != first["sig"]

    button(page, "Previous").click()
    back = wait_for_step_change(page, after_next)
    assert (back["step"], back["title"], back["caption"], back["sig"]) == \
        (first["step"], first["title"], first["caption"], first["sig"])

    blur_inputs(page)
    page.keyboard.press("ArrowRight")
    by_key = wait_for_step_change(page, back)
    assert by_key["step"] == first["step"] + 1 and by_key["title"] == after_next["title"]

    blur_inputs(page)
    page.keyboard.press("ArrowLeft")
    assert wait_for_step_change(page, by_key)["step"] == first["step"]

    button(page, "Last").click()
    at_last = wait_for_step_change(page, back)
    assert at_last["step"] == at_last["last"]
    expect(button(page, "Next")).to_be_disabled()

    button(page, "First").click()
    at_first = wait_for_step_change(page, at_last)
    assert at_first["step"] == 0
    expect(button(page, "Previous")).to_be_disabled()

    blur_inputs(page)
    page.keyboard.press("End")
    assert wait_for_step_change(page, at_first)["step"] == at_first["last"]
    assert_no_error(page, "explorer after stepping")


def test_play_advances_by_itself_until_paused(page: Page, app_url: str):
    start = open_explorer(page, app_url)
    button(page, "Play").click()
    expect(button(page, "Pause")).to_be_visible(timeout=10_000)
    one = wait_for_step_change(page, start, timeout=10_000)
    two = wait_for_step_change(page, one, timeout=10_000)
    assert two["step"] > one["step"] > start["step"] or two["step"] < one["step"], (start, one, two)

    button(page, "Pause").click()
    expect(button(page, "Play")).to_be_visible(timeout=10_000)
    wait_idle(page)
    paused = state(page)
    page.wait_for_timeout(2_500)  # three ticks at the default 0.8 s per step: nothing may move now
    still = state(page)
    assert (still["step"], still["title"]) == (paused["step"], paused["title"]), "the step moved after Pause"
    assert_no_error(page, "explorer after Play/Pause")


# ---------------------------------------------------------------------------------------------
# Uploads
# ---------------------------------------------------------------------------------------------
def _good_csv(n_per_cluster: int = 100) -> bytes:
    import numpy as np

    rng = np.random.default_rng(7)
    centres = [(-2.5, 0.0), (0.0, 2.5), (2.5, 0.0)]
    rows = np.vstack([rng.normal(c, 1.0, size=(n_per_cluster, 2)) for c in centres])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["width", "height"])
    writer.writerows(rows.round(4).tolist())
    return out.getvalue().encode()


def upload(page: Page, name: str, payload: bytes, mime: str = "text/csv") -> None:
    file_input = page.locator('[data-testid="stSidebar"] input[type="file"]')
    file_input.set_input_files(files=[{"name": name, "mimeType": mime, "buffer": payload}])


def test_upload_good_csv_is_used(page: Page, app_url: str):
    before = open_explorer(page, app_url)
    upload(page, "good.csv", _good_csv())
    page.wait_for_function(
        """() => /Your file: good\\.csv\\s*·\\s*300 points/.test(document.querySelector('[data-testid="stMain"]').innerText)
                 || document.querySelector('[data-testid="stException"]')""", timeout=30_000, polling=100)
    assert_no_error(page, "after a good upload")
    page.wait_for_function(f"(b) => {{ const s = ({_STATE_JS})(); return s.points >= 300 && s.points < 490 && s.sig !== b.sig; }}",
                           arg=before, timeout=30_000)
    after = wait_for_chart(page)
    assert 300 <= after["points"] < 490, after
    chosen = page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name="Data set")
    assert "Your file: good.csv" in chosen.evaluate("e => e.value || e.innerText || ''"), "the data set select"
    assert_no_error(page, "after a good upload")

    button(page, "First").click()
    at_first = wait_for_step_change(page, after)
    button(page, "Next").click()
    assert wait_for_step_change(page, at_first)["step"] == 1
    assert_no_error(page, "stepping through an upload")


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("data.csv", b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + bytes(range(256)) * 8),
        ("empty.csv", b""),
        ("words.csv", b"name,colour\nann,red\nbob,blue\n"),
    ],
    ids=["excel-bytes-named-csv", "empty-file", "no-numeric-column"],
)
def test_upload_bad_file_shows_a_clear_error(page: Page, app_url: str, name: str, payload: bytes):
    open_explorer(page, app_url)
    upload(page, name, payload)
    error = page.locator('[data-testid="stMain"] [data-testid="stAlertContentError"]')
    expect(error.or_(page.locator(EXCEPTION)).first).to_be_visible(timeout=30_000)
    assert_no_error(page, f"after uploading {name}")
    wait_idle(page)
    message = error.first.inner_text()
    print(f"{name}: {message}")
    assert len(message) > 20, f"error message too terse: {message!r}"
    assert_no_error(page, f"after uploading {name}")
    # The sidebar still works: the built-in data sets can be chosen again.
    expect(page.locator('[data-testid="stSidebar"] input[type="file"]')).to_have_count(1)


# ---------------------------------------------------------------------------------------------
# Downloads and exports
# ---------------------------------------------------------------------------------------------
def _download(page: Page, label: str):
    target = page.get_by_role("button", name=label)
    target.scroll_into_view_if_needed()
    with page.expect_download(timeout=60_000) as info:
        target.click()
    return info.value


def test_html_animation_opens_offline_with_one_frame_per_step(page: Page, app_url: str, browser, tmp_path):
    steps = open_explorer(page, app_url)["last"] + 1
    download = _download(page, "Download HTML animation")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.suffix == ".html" and saved.stat().st_size > 1_000_000, "plotly.js should be embedded"

    offline = browser.new_context(offline=True)
    try:
        viewer = offline.new_page()
        outside: list[str] = []
        viewer.on("request", lambda r: None if r.url.startswith(("file:", "data:", "blob:")) else outside.append(r.url))
        viewer.goto(saved.as_uri())
        viewer.wait_for_function(
            "() => { const gd = document.querySelector('.js-plotly-plot');"
            "        return gd && gd._fullLayout && gd._transitionData && gd._transitionData._frames; }",
            timeout=30_000)
        frames = viewer.evaluate("() => document.querySelector('.js-plotly-plot')._transitionData._frames.length")
        has_slider = viewer.evaluate(
            "() => (document.querySelector('.js-plotly-plot')._fullLayout.sliders || []).length")
        assert frames == steps, f"the animation has {frames} frames, the explorer {steps} steps"
        assert has_slider >= 1, "the animation has no slider"
        assert outside == [], f"the animation fetched from the network: {outside}"
    finally:
        offline.close()


def test_history_downloads(page: Page, app_url: str, tmp_path):
    steps = open_explorer(page, app_url)["last"] + 1
    csv_path = tmp_path / "history.csv"
    _download(page, "Download history (CSV)").save_as(csv_path)
    rows = list(csv.DictReader(csv_path.open()))
    assert {int(r["step"]) for r in rows} == set(range(steps))

    json_path = tmp_path / "history.json"
    _download(page, "Download history (JSON)").save_as(json_path)
    payload = json.loads(json_path.read_text())
    assert len(payload["steps"]) == steps


def test_png_export_from_the_plotly_toolbar(page: Page, app_url: str, tmp_path):
    open_explorer(page, app_url)
    chart = page.locator('[data-testid="stMain"] .st-key-main_chart [data-testid="stPlotlyChart"]')
    if chart.count() == 0:
        chart = page.locator('[data-testid="stMain"] [data-testid="stPlotlyChart"]').first
    chart.scroll_into_view_if_needed()
    chart.hover()
    png_button = chart.locator('.modebar-btn[data-title="Download plot as a png" i]')
    expect(png_button).to_be_visible()
    with page.expect_download(timeout=30_000) as info:
        png_button.click()
    path = tmp_path / "plot.png"
    info.value.save_as(path)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width = int.from_bytes(data[16:20], "big")
    assert info.value.suggested_filename.endswith(".png")
    assert width >= 800, f"PNG only {width} px wide (toImageButtonOptions asks for scale 2)"


# ---------------------------------------------------------------------------------------------
# Every page
# ---------------------------------------------------------------------------------------------
def _wait_page_rendered(page: Page, timeout: float = 90_000) -> None:
    page.wait_for_function(
        """() => { const app = document.querySelector('[data-testid="stApp"]');
                   const main = document.querySelector('[data-testid="stMain"]');
                   return app && app.getAttribute('data-test-script-state') === 'notRunning'
                       && main && main.querySelector('[data-testid="stElementContainer"]'); }""",
        timeout=timeout, polling=200)
    wait_idle(page, timeout)


def test_every_page_renders_without_error(page: Page, app_url: str, artifacts_dir):
    open_explorer(page, app_url)
    links = page.locator('[data-testid="stSidebarNav"] a')
    expect(links.first).to_be_visible()
    pages = [(links.nth(i).inner_text().strip(), links.nth(i).get_attribute("href")) for i in range(links.count())]
    labels = [label.lower() for label, _ in pages]
    missing = [p for p in EXPECTED_PAGES if not any(p.lower() in label for label in labels)]
    assert not missing, f"pages missing from the sidebar navigation: {missing} (found {labels})"

    problems = []
    for label, href in pages:
        page.goto(href if href.startswith("http") else app_url.rstrip("/") + "/" + href.lstrip("/"))
        try:
            _wait_page_rendered(page)
            assert_no_error(page, f"page {label!r} ({href})")
            heading = page.locator('[data-testid="stMain"] h1, [data-testid="stMain"] h2').first
            expect(heading).to_be_visible(timeout=5_000)
        except (AssertionError, Exception) as err:  # noqa: BLE001 - collect every broken page, then fail
            shot = artifacts_dir / f"page-{re.sub(r'[^A-Za-z0-9_-]+', '_', label)}.png"
            page.screenshot(path=str(shot), full_page=True)
            problems.append(f"{label} ({href}): {str(err).splitlines()[0][:600]} [screenshot {shot}]")
    assert not problems, "pages that did not render cleanly:\n" + "\n".join(problems)
