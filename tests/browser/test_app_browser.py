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
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

pytestmark = pytest.mark.browser

#: The pages the README promises, as the sidebar navigation labels them (case-insensitive substrings).
EXPECTED_PAGES = ["k-means vs GMM", "Several initialisations", "Choose K", "scikit-learn", "Theory"]

#: Client-side stepping shows the new step without the server: a few seconds at most, even on a busy
#: machine (this is not a timing target). The page's server-side follow-ups (the link, the side panel,
#: the maths) wait for a fragment rerun, possibly behind another test's server: generous.
CLIENT_TIMEOUT = 5_000
SERVER_TIMEOUT = 20_000

STEPPER = '[data-testid="stMain"] [data-testid="emvizStepper"]'

# ---------------------------------------------------------------------------------------------
# What the page shows, read in one go. The buttons, step slider, title, caption and chart belong
# to the stepping component (emviz/stepper.js, in the page's own DOM); its chart is a Plotly graph
# div whose ``data-step`` names the step it last drew. What the server shows after a rerun: the
# ``step`` in the page's link and the current-step line of the side panel's log-likelihood chart.
# ---------------------------------------------------------------------------------------------
_STATE_JS = """
() => {
  const main = document.querySelector('[data-testid="stMain"]') || document;
  const root = main.querySelector('[data-testid="emvizStepper"]');
  const q = (sel) => root ? root.querySelector(sel) : null;
  const text = (sel) => { const e = q(sel); return e ? e.textContent.trim() : null; };
  const position = (text('.emviz-position') || '').match(/step (\\d+) of (\\d+)/);
  const range = q('input.emviz-slider');
  const linked = new URLSearchParams(window.location.search).get('step');
  const panel = main.querySelector('.st-key-panel_chart .js-plotly-plot');
  let panel_step = null, panel_kmeans = false;
  if (panel && panel.layout) {
    const line = (panel.layout.shapes || []).find(s => s.name === 'current step');
    if (line) panel_step = Number(line.x0);
    panel_kmeans = (panel.layout.annotations || []).some(a => a.name === 'phase note');
  }
  const gd = q('.emviz-chart');
  let sig = null, drawn = null, points = null, selected = null;
  if (gd && gd._fullData && gd.querySelector('.main-svg')) {
    drawn = gd.hasAttribute('data-step') ? Number(gd.getAttribute('data-step')) : null;
    const layout = gd.layout || {};
    const s = JSON.stringify([gd.data, layout.shapes, layout.annotations, layout.title]);
    let h = 0;
    for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
    sig = s.length + ':' + h;
    points = gd._fullData.filter(t => (t.type || '').startsWith('scatter') && (t.mode || '').includes('markers'))
                         .reduce((n, t) => n + (t.x ? t.x.length : 0), 0);
    const ring = gd._fullData.find(t => t.meta && t.meta.role === 'selected row');
    if (ring && ring.x && ring.x.length && ring.customdata && ring.customdata.length) {
      selected = Number(ring.customdata[0][0]);
    }
  }
  const disabled = {};
  for (const name of ['first', 'previous', 'next', 'last']) {
    const b = q('button.emviz-' + name);
    disabled[name] = b ? b.disabled : null;
  }
  return {title: text('.emviz-title'), caption: text('.emviz-caption'), status: text('.emviz-status'),
          pos: position ? Number(position[1]) : null, last: position ? Number(position[2]) : null,
          slider: range ? Number(range.value) : null, play: text('button.emviz-play'), disabled,
          sig, drawn, points, selected, lecture: root ? root.classList.contains('emviz-lecture') : null,
          page_step: linked === null ? null : Number(linked), panel_step, panel_kmeans};
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


#: JS condition on a state ``s``: the component has drawn the step that its position line and its
#: slider name, and waits for nothing.
_SHOWS_ITS_STEP = ("(s.title && s.sig !== null && s.pos !== null && s.drawn === s.pos && s.slider === s.pos"
                   " && !s.status)")
#: JS condition: the server-side part of the page shows step ``want`` (the link and the side panel).
_PAGE_AT = "(s.page_step === want && (s.panel_step === want || (s.panel_step === null && s.panel_kmeans)))"


def wait_for_chart(page: Page, timeout: float = 60_000) -> dict:
    """Until the explorer shows the stepper's title and drawn chart, and the page agrees on the step."""
    page.wait_for_function(
        f"() => {{ const s = ({_STATE_JS})(); const want = s.pos; return {_SHOWS_ITS_STEP} && {_PAGE_AT}; }}",
        timeout=timeout, polling=100)
    wait_idle(page, timeout)
    return state(page)


def wait_for_step_change(page: Page, before: dict, timeout: float = CLIENT_TIMEOUT) -> dict:
    """Until the component shows another step than ``before``: title, caption, chart and ``data-step``.

    Client-side: no server round trip is needed, so the timeout is short.
    """
    page.wait_for_function(
        f"""(b) => {{ const s = ({_STATE_JS})();
                     return {_SHOWS_ITS_STEP} && s.pos !== b.pos && s.title !== b.title
                         && s.caption !== b.caption && s.sig !== b.sig; }}""",
        arg=before, timeout=timeout, polling=50)
    return state(page)


def wait_for_page(page: Page, step: int, timeout: float = SERVER_TIMEOUT) -> dict:
    """Until the server-side part of the page (link, side panel) shows ``step`` and the rerun is over."""
    page.wait_for_function(f"(want) => {{ const s = ({_STATE_JS})(); return {_PAGE_AT}; }}",
                           arg=step, timeout=timeout, polling=100)
    wait_idle(page)
    now = state(page)
    assert now["page_step"] == now["pos"] == now["drawn"] == step, f"the page moved on after showing {step}: {now}"
    return now


EXCEPTION = '[data-testid="stException"], .stException'


def assert_no_error(page: Page, where: str) -> None:
    exceptions = page.locator(EXCEPTION)
    assert exceptions.count() == 0, f"{where}: Streamlit shows an exception: {exceptions.first.inner_text()[:800]}"
    body = page.locator("body").inner_text()
    assert "Traceback" not in body, f"{where}: the page shows a traceback:\n{body[:1500]}"
    errors = getattr(page, "console_errors", [])
    assert not errors, f"{where}: errors in the browser console: " + " | ".join(errors[:10])


def open_explorer(page: Page, app_url: str, query: str = "") -> dict:
    page.goto(app_url + query)
    return wait_for_chart(page)


def button(page: Page, name: str):
    """One of the stepping component's buttons: first, previous, next, last or play."""
    return page.locator(f"{STEPPER} button.emviz-{name}")


def blur_inputs(page: Page) -> None:
    """Focus the page body, never an input, so that the keyboard shortcuts apply."""
    page.evaluate("() => { if (document.activeElement) document.activeElement.blur(); document.body.focus(); }")


def assert_ends(page: Page, s: dict) -> None:
    """First/Previous are disabled exactly on step 0, Next/Last exactly on the last step."""
    at_first, at_last = s["pos"] == 0, s["pos"] == s["last"]
    assert s["disabled"] == {"first": at_first, "previous": at_first, "next": at_last, "last": at_last}, s
    for name, off in (("first", at_first), ("previous", at_first), ("next", at_last), ("last", at_last)):
        (expect(button(page, name)).to_be_disabled if off else expect(button(page, name)).to_be_enabled)()


# ---------------------------------------------------------------------------------------------
# Stepping
# ---------------------------------------------------------------------------------------------
def test_step_with_buttons_and_arrow_keys(page: Page, app_url: str):
    first = open_explorer(page, app_url)
    assert first["last"] > 2, first
    assert 0 < first["pos"] < first["last"], f"the explorer opens mid-way through EM: {first}"
    assert re.search(r"Iteration \d+ · (E-step|M-step)", first["title"]), first["title"]
    assert first["caption"], "no caption under the step title"
    assert 490 <= first["points"] < 600, f"the mouse data has 490 points, the chart shows {first['points']}"
    assert_ends(page, first)
    assert_no_error(page, "explorer")

    button(page, "next").click()
    after_next = wait_for_step_change(page, first)
    assert after_next["pos"] == after_next["drawn"] == first["pos"] + 1
    assert_ends(page, after_next)
    wait_for_page(page, after_next["pos"])

    button(page, "previous").click()
    back = wait_for_step_change(page, after_next)
    assert (back["pos"], back["title"], back["caption"], back["sig"]) == \
        (first["pos"], first["title"], first["caption"], first["sig"])
    wait_for_page(page, first["pos"])

    blur_inputs(page)
    page.keyboard.press("ArrowRight")
    by_key = wait_for_step_change(page, back)
    assert by_key["pos"] == first["pos"] + 1 and by_key["title"] == after_next["title"]
    assert by_key["sig"] == after_next["sig"]
    wait_for_page(page, by_key["pos"])

    blur_inputs(page)
    page.keyboard.press("ArrowLeft")
    assert wait_for_step_change(page, by_key)["pos"] == first["pos"]
    wait_for_page(page, first["pos"])

    button(page, "last").click()
    at_last = wait_for_step_change(page, back)
    assert at_last["pos"] == at_last["last"]
    assert_ends(page, at_last)
    wait_for_page(page, at_last["last"])

    button(page, "first").click()
    at_first = wait_for_step_change(page, at_last)
    assert at_first["pos"] == 0
    assert_ends(page, at_first)
    wait_for_page(page, 0)

    blur_inputs(page)
    page.keyboard.press("End")
    assert wait_for_step_change(page, at_first)["pos"] == at_first["last"]
    wait_for_page(page, at_first["last"])
    blur_inputs(page)
    page.keyboard.press("Home")
    assert wait_for_step_change(page, at_last)["pos"] == 0
    wait_for_page(page, 0)
    assert_no_error(page, "explorer after stepping")


def test_the_step_slider_moves_the_picture(page: Page, app_url: str):
    start = open_explorer(page, app_url)
    slider = page.locator(f"{STEPPER} input.emviz-slider")
    expect(slider).to_have_attribute("max", str(start["last"]))
    slider.focus()
    page.keyboard.press("ArrowRight")
    moved = wait_for_step_change(page, start)
    # The key moved the slider by one; the page's own arrow-key shortcut stays out of a slider.
    assert moved["pos"] == start["pos"] + 1, moved
    wait_for_page(page, start["pos"] + 1)

    slider.focus()
    page.keyboard.press("Home")
    at_first = wait_for_step_change(page, moved)
    assert at_first["pos"] == 0, at_first
    assert_ends(page, at_first)
    wait_for_page(page, 0)

    # A click on the slider, three quarters of the way along.
    box = slider.bounding_box()
    assert box, "the step slider is not on screen"
    page.mouse.click(box["x"] + 0.75 * box["width"], box["y"] + box["height"] / 2)
    clicked = wait_for_step_change(page, at_first)
    assert 0.6 * clicked["last"] <= clicked["pos"] <= 0.9 * clicked["last"], clicked
    wait_for_page(page, clicked["pos"])

    # The buttons step on from where the slider put the picture.
    button(page, "next").click()
    assert wait_for_step_change(page, clicked)["pos"] == clicked["pos"] + 1
    wait_for_page(page, clicked["pos"] + 1)
    assert_no_error(page, "explorer after moving the slider")


def test_play_advances_by_itself_until_paused(page: Page, app_url: str):
    start = open_explorer(page, app_url)
    assert start["play"] == "Play"
    expect(page.locator(f"{STEPPER} select.emviz-speed")).to_have_value("0.8")
    button(page, "play").click()
    expect(button(page, "play")).to_have_text("Pause", timeout=CLIENT_TIMEOUT)
    # 0.8 s per step by default; a step that has not arrived yet is waited for, not skipped.
    one = wait_for_step_change(page, start, timeout=10_000)
    two = wait_for_step_change(page, one, timeout=10_000)
    assert two["pos"] == one["pos"] + 1 == start["pos"] + 2, (start, one, two)

    button(page, "play").click()
    expect(button(page, "play")).to_have_text("Play", timeout=CLIENT_TIMEOUT)
    paused = state(page)
    page.wait_for_timeout(2_500)  # three ticks at 0.8 s per step: nothing may move now
    still = state(page)
    assert (still["pos"], still["drawn"], still["title"]) == (paused["pos"], paused["drawn"], paused["title"]), \
        "the step moved after Pause"
    wait_for_page(page, paused["pos"])
    page.wait_for_timeout(1_000)
    assert state(page)["pos"] == paused["pos"], "the step moved after Pause (after the page caught up)"

    # Faster, and to the end: Play stops by itself on the last step.
    page.locator(f"{STEPPER} select.emviz-speed").select_option("0.3")
    button(page, "play").click()
    expect(button(page, "play")).to_have_text("Pause", timeout=CLIENT_TIMEOUT)
    page.wait_for_function(
        f"() => {{ const s = ({_STATE_JS})(); return {_SHOWS_ITS_STEP} && s.pos === s.last && s.play === 'Play'; }}",
        timeout=60_000, polling=100)
    at_end = state(page)
    assert_ends(page, at_end)
    wait_for_page(page, at_end["last"])
    assert_no_error(page, "explorer after Play/Pause")


def _isolated_point(page: Page) -> dict | None:
    """Screen position and row of a data point of the chart's first trace, far from anything else drawn.

    Pixel positions come from Plotly's own axes (``l2p`` plus each axis's ``_offset``, which already
    accounts for the margins and the equal-aspect shrinking), so a click there is a click on that
    point and on no other.
    """
    return page.evaluate(
        """(sel) => {
          const gd = document.querySelector(sel + ' .emviz-chart');
          const fl = gd._fullLayout, box = gd.getBoundingClientRect();
          const marks = [], candidates = [];
          gd._fullData.forEach((t, ti) => {
            if (t.visible !== true || !t.x || !t.y) return;
            const ax = fl[(t.xaxis || 'x').replace(/^x/, 'xaxis')], ay = fl[(t.yaxis || 'y').replace(/^y/, 'yaxis')];
            for (let i = 0; i < t.x.length; i++) {
              if (t.x[i] === null || t.y[i] === null || t.x[i] === undefined || t.y[i] === undefined) continue;
              const px = box.left + ax._offset + ax.l2p(Number(t.x[i]));
              const py = box.top + ay._offset + ay.l2p(Number(t.y[i]));
              marks.push([px, py, ti, i]);
              if (ti === 0 && t.customdata) candidates.push([px, py, Number(t.customdata[i][0]), i]);
            }
          });
          const xa = fl.xaxis, ya = fl.yaxis;
          const inside = (x, y) => x > box.left + xa._offset + 20 && x < box.left + xa._offset + xa._length - 20
                                   && y > box.top + ya._offset + 40 && y < box.top + ya._offset + ya._length - 20
                                   && y > 10 && y < window.innerHeight - 10;
          let best = null;
          for (const [x, y, row, i] of candidates) {
            if (!inside(x, y) || row === 0) continue;
            let near = Infinity;
            for (const [mx, my, mt, mi] of marks) {
              if (mt === 0 && mi === i) continue;
              near = Math.min(near, Math.hypot(mx - x, my - y));
            }
            if (!best || near > best.distance) best = {x, y, row, distance: near};
          }
          return best;
        }""", STEPPER)


def test_clicking_a_point_explains_that_row(page: Page, app_url: str):
    start = open_explorer(page, app_url)
    row_input = page.locator('[data-testid="stMain"]').get_by_label("Point to explain (row)", exact=True)
    expect(row_input).to_have_value("0")
    assert start["selected"] is None, "no point is ringed before one is picked"

    page.locator(f"{STEPPER} .emviz-chart").scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    point = _isolated_point(page)
    assert point and point["distance"] >= 6, f"no data point stands apart enough to click: {point}"
    page.mouse.move(point["x"], point["y"])
    page.wait_for_timeout(150)  # Plotly picks the clicked point from the hover it just computed
    page.mouse.click(point["x"], point["y"])

    expect(row_input).to_have_value(str(point["row"]), timeout=SERVER_TIMEOUT)
    # The chart rings the picked row, on the same step.
    page.wait_for_function(f"(row) => {{ const s = ({_STATE_JS})(); return {_SHOWS_ITS_STEP} && s.selected === row; }}",
                           arg=point["row"], timeout=SERVER_TIMEOUT, polling=100)
    wait_idle(page)
    ringed = state(page)
    assert ringed["pos"] == ringed["page_step"] == start["pos"], ringed
    maths = page.locator('[data-testid="stMain"] [data-testid="stExpander"]',
                         has_text="The maths of this step").first
    # The first screen is an M-step: the arithmetic shows the γ the colours show, then the next E-step's.
    expect(maths).to_contain_text("γ in force (the colours)")
    expect(maths).to_contain_text("The next E-step will give")

    # Stepping goes on with the point ringed.
    button(page, "next").click()
    after = wait_for_step_change(page, ringed)
    assert after["pos"] == start["pos"] + 1 and after["selected"] == point["row"], after
    wait_for_page(page, after["pos"])
    expect(row_input).to_have_value(str(point["row"]))
    assert_no_error(page, "explorer after clicking a point")


def test_lecture_mode_puts_the_words_beside_the_chart(page: Page, app_url: str):
    start = open_explorer(page, app_url, "/?lecture=1")
    assert start["lecture"] is True, start
    title = page.locator(f"{STEPPER} .emviz-title").bounding_box()
    chart = page.locator(f"{STEPPER} .emviz-chart").bounding_box()
    assert title and chart and title["x"] >= chart["x"] + chart["width"] - 5, (title, chart)
    button(page, "next").click()
    after = wait_for_step_change(page, start)
    assert after["pos"] == start["pos"] + 1
    wait_for_page(page, after["pos"])
    assert_no_error(page, "explorer in lecture mode")


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

    button(page, "first").click()
    at_first = wait_for_step_change(page, after)
    assert at_first["pos"] == 0
    button(page, "next").click()
    assert wait_for_step_change(page, at_first)["pos"] == 1
    wait_for_page(page, 1)
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
def _wait_for_rerun_after_click(page: Page) -> None:
    """A download button reruns the app when clicked; wait until that rerun is over.

    Its file is built on demand (``data=`` a callable) under an id that the rerun replaces: a second
    download clicked during the rerun asks for the old id, which the server no longer knows, and
    the button spins for ever (Streamlit logs "Deferred file ... not found").
    """
    try:
        page.wait_for_function(
            """() => document.querySelector('[data-testid="stApp"]')
                         ?.getAttribute('data-test-script-state') === 'running'""",
            timeout=2_000, polling=20)
    except PlaywrightTimeoutError:
        pass  # the rerun was over before we looked
    wait_idle(page)


def _download(page: Page, label: str):
    target = page.get_by_role("button", name=label)
    target.scroll_into_view_if_needed()
    with page.expect_download(timeout=60_000) as info:
        target.click()
    download = info.value
    _wait_for_rerun_after_click(page)
    return download


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
    chart = page.locator(f"{STEPPER} .emviz-chart.js-plotly-plot")
    expect(chart).to_have_count(1)
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
