"""Hands on the model in the browser: place the starting means by clicking, drag a mean and continue EM.

Clicks go to known data coordinates (converted to pixels with the chart's own axes), and the
fit that results is read back from the history the page downloads, so a test fails if a click
lands anywhere but where it was aimed (to the pixel's resolution).
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from test_app_browser import STEPPER, _download, assert_no_error, open_explorer, wait_for_chart, wait_idle

pytestmark = pytest.mark.browser

CHART = f"{STEPPER} .emviz-chart"
HINT = f'{STEPPER} [data-testid="emvizHandsHint"]'

# Data coordinates -> page pixels, and one pixel's size in data units, from the chart's own axes.
_PIXELS_JS = """
(points) => {
  const gd = document.querySelector('[data-testid="stMain"] [data-testid="emvizStepper"] .emviz-chart');
  const full = gd._fullLayout, box = gd.getBoundingClientRect();
  const xa = full.xaxis, ya = full.yaxis;
  return {
    at: points.map(([x, y]) => [box.left + xa._offset + xa.d2p(x), box.top + ya._offset + ya.d2p(y)]),
    unit: [Math.abs(xa.p2d(1) - xa.p2d(0)), Math.abs(ya.p2d(1) - ya.p2d(0))],
    outside: [box.left + xa._offset + xa._length + 20, box.top + ya._offset + 10],
  };
}
"""
# The means placed so far, where the placement chart draws them (data coordinates).
_PLACED_JS = """
() => {
  const gd = document.querySelector('[data-testid="stMain"] [data-testid="emvizStepper"] .emviz-chart');
  const t = gd.data.find(t => t.meta && t.meta.role === 'placed means');
  return Array.from(t.x, (x, i) => [x, t.y[i]]);
}
"""
# Where the chart draws each mean (component order), in data coordinates.
_MEANS_JS = """
() => {
  const gd = document.querySelector('[data-testid="stMain"] [data-testid="emvizStepper"] .emviz-chart');
  return gd.data.filter(t => t.meta && t.meta.role === 'mean')
                .sort((a, b) => a.meta.component - b.meta.component).map(t => [t.x[0], t.y[0]]);
}
"""


def _wait_placing(page: Page, placed: int) -> None:
    """Until the placement chart is drawn and counts ``placed`` means."""
    page.wait_for_function(f"""() => {{ const gd = document.querySelector('{CHART}');
                                      return gd && gd._fullLayout && gd.hasAttribute('data-step')
                                          && gd.getAttribute('data-placed') === '{placed}'; }}""",
                           timeout=30_000, polling=50)


def _history_json(page: Page, tmp_path) -> dict:
    path = tmp_path / "history.json"
    _download(page, "Download history (JSON)").save_as(path)
    return json.loads(path.read_text())


def _query(page: Page) -> dict:
    return {key: values[0] for key, values in parse_qs(urlparse(page.url).query).items()}


def test_clicking_places_the_means_and_em_starts_exactly_there(page: Page, app_url: str, tmp_path):
    page.goto(app_url + "?data=mouse&k=3&init=placed")
    expect(page.locator(f"{STEPPER} .emviz-title")).to_have_text("Place the starting means", timeout=60_000)
    _wait_placing(page, 0)
    wait_idle(page)
    assert_no_error(page, "placement mode")
    # All three in one ear: the lecture's "bad start".
    wanted = [(-1.5, 2.0), (-1.0, 1.6), (-1.9, 1.5)]
    pixels = page.evaluate(_PIXELS_JS, wanted)

    page.mouse.click(*pixels["outside"])
    expect(page.locator(HINT)).to_contain_text("outside the plotting area")
    _wait_placing(page, 0)

    page.mouse.click(*pixels["at"][0])
    _wait_placing(page, 1)
    page.mouse.click(*pixels["at"][1])
    _wait_placing(page, 2)
    expect(page.locator(HINT)).to_contain_text("2 of 3 placed")
    # A click on a placed mean removes it; placing it again puts it back.
    page.mouse.click(*pixels["at"][1])
    _wait_placing(page, 1)
    wait_idle(page)
    page.mouse.click(*pixels["at"][1])
    _wait_placing(page, 2)
    wait_idle(page)
    page.evaluate(f"() => {{ window.__placementChart = document.querySelector('{CHART}'); }}")
    page.mouse.click(*pixels["at"][2])

    # The third mean starts EM: the explorer opens the fit at its init step, in the same chart (redrawn,
    # not mounted anew), and the rest of the page follows: the sidebar's table, the panels, the exports.
    s = wait_for_chart(page)
    assert s["pos"] == 0 and "Place" not in s["title"], s
    assert page.evaluate(f"() => window.__placementChart === document.querySelector('{CHART}')")
    expect(page.locator('[data-testid="stSidebar"]').get_by_text("3 of 3 means placed")).to_be_visible()
    expect(page.get_by_role("heading", name="Replay and export")).to_be_visible()
    expect(page.locator('[data-testid="stMain"] [data-testid="stPlotlyChart"]').first).to_be_visible()
    assert_no_error(page, "after placing the third mean")
    query = _query(page)
    assert query["init"] == "placed" and len(query["means"].split(";")) == 3
    start = np.asarray(_history_json(page, tmp_path)["steps"][0]["means"])
    tolerance = 1.5 * np.asarray(pixels["unit"])
    assert np.all(np.abs(start - np.asarray(wanted)) <= tolerance), (start, wanted, tolerance)


def test_placing_on_one_column_data_clicks_on_the_axis(page: Page, app_url: str, tmp_path):
    page.goto(app_url + "?data=bimodal_1d&k=2&init=placed")
    _wait_placing(page, 0)
    wait_idle(page)
    wanted = [(-2.0, 0.0), (3.0, 0.0)]
    pixels = page.evaluate(_PIXELS_JS, wanted)
    page.mouse.click(*pixels["at"][0])
    _wait_placing(page, 1)
    wait_idle(page)
    page.mouse.click(*pixels["at"][1])
    wait_for_chart(page)
    assert_no_error(page, "1-D placement")
    start = np.asarray(_history_json(page, tmp_path)["steps"][0]["means"])[:, 0]
    assert np.all(np.abs(start - np.array([-2.0, 3.0])) <= 1.5 * pixels["unit"][0]), start


def _drag_the_first_mean(page: Page) -> tuple[list, dict]:
    """Move a mean, then drag mean 1 by 40 pixels right and up; the means before, and its pixels."""
    before = page.evaluate(_MEANS_JS)
    page.locator(f"{STEPPER} button.emviz-move").click()
    pixels = page.evaluate(_PIXELS_JS, [before[0]])
    x, y = pixels["at"][0]
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 9):
        page.mouse.move(x + 5 * i, y - 5 * i)
    page.mouse.up()
    expect(page.locator(HINT)).to_contain_text("Moved mean 1")
    return before, pixels


def test_dragging_a_mean_and_continuing_em_then_going_back(page: Page, app_url: str, tmp_path):
    s = open_explorer(page, app_url, "?data=mouse&k=3&step=21")
    assert s["pos"] == 21 and "M-step" in s["title"], s
    before, pixels = _drag_the_first_mean(page)
    moved = page.evaluate(_MEANS_JS)
    unit = np.asarray(pixels["unit"])
    assert np.allclose(np.subtract(moved[0], before[0]), [40 * unit[0], 40 * unit[1]], atol=2 * unit.max()), \
        (before[0], moved[0])
    assert moved[1:] == before[1:], "only the dragged mean moves"

    page.locator(f"{STEPPER} button.emviz-continue").click()
    expect(page.get_by_text("Edited by hand")).to_be_visible(timeout=30_000)
    s = wait_for_chart(page)
    assert s["pos"] == 0
    assert_no_error(page, "the edited run")
    assert _query(page)["edit"].startswith("21@0:")
    start = np.asarray(_history_json(page, tmp_path)["steps"][0]["means"])
    assert np.allclose(start[0], moved[0], atol=2 * unit.max()), (start[0], moved[0])

    page.get_by_role("button", name="Back to the original run").click()
    expect(page.get_by_text("Edited by hand")).to_have_count(0, timeout=30_000)
    wait_for_chart(page)
    assert "edit" not in _query(page)


_HANDLES_JS = """
() => {
  const gd = document.querySelector('[data-testid="stMain"] [data-testid="emvizStepper"] .emviz-chart');
  const t = gd.data.find(t => t.meta && t.meta.role === 'resize handles');
  return t ? Array.from(t.x, (x, i) => [x, t.y[i]]) : null;
}
"""


def test_stretching_an_ellipse_along_its_major_axis_and_continuing(page: Page, app_url: str, tmp_path):
    open_explorer(page, app_url, "?data=mouse&k=3&step=21")
    original = np.asarray(_history_json(page, tmp_path)["steps"][21]["covariances"][1])
    means = page.evaluate(_MEANS_JS)
    page.locator(f"{STEPPER} button.emviz-move").click()
    expect(page.locator(HINT)).to_contain_text("square handle")
    page.wait_for_function(f"() => ({_HANDLES_JS})() !== null", timeout=5_000)
    handles = page.evaluate(_HANDLES_JS)
    assert len(handles) == 6, "two handles (major, minor axis) per component"
    # Component 2's major-axis handle, pulled out to 1.5 times its distance from the mean.
    pixels = page.evaluate(_PIXELS_JS, [means[1], handles[2]])
    (mx, my), (hx, hy) = pixels["at"]
    page.mouse.move(hx, hy)
    page.mouse.down()
    for i in range(1, 11):
        page.mouse.move(hx + 0.05 * i * (hx - mx), hy + 0.05 * i * (hy - my))
    page.mouse.up()
    expect(page.locator(HINT)).to_contain_text("Moved mean 2")
    assert page.evaluate(_MEANS_JS) == means, "stretching an ellipse leaves every mean where it was"

    page.locator(f"{STEPPER} button.emviz-continue").click()
    expect(page.get_by_text("ellipse reshaped")).to_be_visible(timeout=30_000)
    wait_for_chart(page)
    assert_no_error(page, "the reshaped run")
    move = _query(page)["edit"].split("@", 1)[1]
    assert move.startswith("1:") and move.count(":") == 2, move
    start = np.asarray(_history_json(page, tmp_path)["steps"][0]["covariances"][1])
    ratio = np.sqrt(np.linalg.eigvalsh(start)[-1] / np.linalg.eigvalsh(original)[-1])
    assert abs(ratio - 1.5) < 0.05, ratio
    np.testing.assert_allclose(np.linalg.eigvalsh(start)[0], np.linalg.eigvalsh(original)[0], rtol=1e-6)


def test_clear_after_a_placed_fit_goes_back_to_placing_and_stays(page: Page, app_url: str):
    """The sidebar's Clear after a fit: placement mode, and no late request of the fit's stepper brings the
    fit back (a page that stops early must forget the explorer's fragment)."""
    open_explorer(page, app_url, "?data=mouse&k=3&init=placed&means=-1.5,2.0;0.0,-0.5;1.5,2.0")
    page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Clear").click()
    _wait_placing(page, 0)
    for _ in range(6):  # three seconds: any stale fragment rerun would have redrawn the fit by then
        page.wait_for_timeout(500)
        expect(page.locator(f"{STEPPER} .emviz-title")).to_have_text("Place the starting means")
    pixels = page.evaluate(_PIXELS_JS, [(0.0, 0.0)])
    page.mouse.click(*pixels["at"][0])
    _wait_placing(page, 1)
    wait_idle(page)
    expect(page.locator(HINT)).to_contain_text("1 of 3 placed")
    assert_no_error(page, "placing again after Clear")


def _placing_page(page: Page, app_url: str, *, first_placed: bool = False) -> tuple[list, dict]:
    """The explorer placing K = 3 means on the mouse data, drawn and idle: a mean for each lobe, and
    their pixels; ``first_placed``: the first of them clicked, and the server has it."""
    page.goto(app_url + "?data=mouse&k=3&init=placed")
    _wait_placing(page, 0)
    wait_idle(page)
    wanted = [(-1.5, 2.0), (0.0, -0.5), (1.5, 2.0)]
    pixels = page.evaluate(_PIXELS_JS, wanted)
    if first_placed:
        page.mouse.click(*pixels["at"][0])
        _sidebar_says(page, "1 of 3 means placed").to_be_visible(timeout=15_000)
        wait_idle(page)
    return wanted, pixels


def _means_are_at(page: Page, wanted, pixels) -> None:
    """The fitted run's means (component order) are where they were clicked, to the pixel's resolution."""
    means = np.asarray(page.evaluate(_MEANS_JS))
    assert np.all(np.abs(means - np.asarray(wanted)) <= 1.5 * np.asarray(pixels["unit"])), means


def _leave_for_theory_and_come_back(page: Page) -> None:
    """The explorer's chart goes from the page and comes back afresh (the session and its state stay)."""
    page.get_by_role("link", name="Theory").click()
    expect(page.locator(CHART)).to_have_count(0, timeout=30_000)
    wait_idle(page)
    page.get_by_role("link", name="Explorer").click()


def _sidebar_says(page: Page, text: str):
    return expect(page.locator('[data-testid="stSidebar"]').get_by_text(text))


class _LosingLine:
    """The page's websocket to the server, which loses every message the page sends while ``losing``."""

    def __init__(self, page: Page):
        self.losing, self.lost = False, 0
        page.route_web_socket("**/_stcore/stream", self._route)

    def _route(self, ws) -> None:
        server = ws.connect_to_server()

        def to_server(message):
            if self.losing:
                self.lost += 1
            else:
                server.send(message)
        ws.on_message(to_server)

    def lose_what(self, page: Page, act) -> None:
        """Do ``act()``; whatever the page sends in the next 400 ms is lost (and something must be)."""
        self.losing, self.lost = True, 0
        act()
        page.wait_for_timeout(400)
        self.losing = False
        assert self.lost >= 1, "the page sent nothing to lose"


def test_a_click_whose_report_is_lost_on_the_way_is_sent_again(page: Page, app_url: str):
    """A report can be lost on the way (Streamlit drops the rerun of a fragment its last full run did
    not draw where the report came from); the browser sends its list again until the server says it
    heard it. Here the report of the second click is lost on the websocket."""
    line = _LosingLine(page)
    wanted, pixels = _placing_page(page, app_url, first_placed=True)

    line.lose_what(page, lambda: page.mouse.click(*pixels["at"][1]))
    _sidebar_says(page, "1 of 3 means placed").to_be_visible()  # the server has not heard it yet
    _sidebar_says(page, "2 of 3 means placed").to_be_visible(timeout=10_000)  # sent again, and heard
    wait_idle(page)
    page.mouse.click(*pixels["at"][2])
    s = wait_for_chart(page)
    assert s["pos"] == 0 and "Place" not in s["title"], s
    _means_are_at(page, wanted, pixels)
    assert_no_error(page, "after a lost report")


def test_continue_em_whose_report_is_lost_on_the_way_is_sent_again(page: Page, app_url: str):
    """The same for "Continue EM from here": the edit is not lost with its first report."""
    line = _LosingLine(page)
    open_explorer(page, app_url, "?data=mouse&k=3&step=21")
    _drag_the_first_mean(page)
    line.lose_what(page, page.locator(f"{STEPPER} button.emviz-continue").click)
    expect(page.get_by_text("Edited by hand")).to_be_visible(timeout=15_000)
    s = wait_for_chart(page)
    assert s["pos"] == 0 and _query(page)["edit"].startswith("21@0:"), s
    assert_no_error(page, "after a lost edit report")


def test_quick_clicks_leave_the_server_with_the_browsers_list_and_the_last_starts_em(page: Page, app_url: str):
    """Clicks faster than the page reruns: the server ends up with the list the browser shows, and the
    K-th click starts EM from exactly those means.

    Each click is reported during the runs of the clicks before it (the explorer's fragment, the full
    rerun it asks for); a report lost there is sent again. On a busy server Streamlit now and then mounts
    the chart afresh during such a burst (it then starts from the list the server holds, and a click made
    while it is drawn is refused with a hint), so the test asks for agreement, not for a count of toggles.
    """
    wanted, pixels = _placing_page(page, app_url)
    page.mouse.click(*pixels["at"][0])
    # The second mean placed and removed again and again, at gaps that land inside those runs.
    for gap in (0, 10, 20, 30, 40, 50, 60, 80, 100, 120, 0, 15, 25, 35, 45, 55):
        page.mouse.click(*pixels["at"][1])
        page.wait_for_timeout(gap)
    page.wait_for_timeout(500)
    wait_idle(page)
    placed = page.evaluate(_PLACED_JS)
    _sidebar_says(page, f"{len(placed)} of 3 means placed").to_be_visible(timeout=15_000)  # the server agrees
    wait_idle(page)
    pixels = page.evaluate(_PIXELS_JS, wanted)
    unit = np.asarray(pixels["unit"])
    assert all(min(np.abs(np.subtract(p, w) / unit).max() for w in wanted) <= 1.5 for p in placed), placed
    for point, at in zip(wanted, pixels["at"]):
        if not any(np.abs(np.subtract(p, point) / unit).max() <= 1.5 for p in placed):
            page.mouse.click(*at)
            page.wait_for_timeout(30)
    s = wait_for_chart(page)
    assert s["pos"] == 0 and "Place" not in s["title"], s
    _sidebar_says(page, "3 of 3 means placed").to_be_visible()
    means = sorted(map(tuple, page.evaluate(_MEANS_JS)))
    assert np.all(np.abs(np.subtract(means, sorted(wanted))) <= 1.5 * unit), means
    assert_no_error(page, "after quick clicks")

def test_leaving_the_explorer_while_placing_and_coming_back_shows_the_means_placed(page: Page, app_url: str):
    """A chart mounted afresh starts from the list the server holds (not from the list the server last set)."""
    wanted, pixels = _placing_page(page, app_url)
    for placed, at in enumerate(pixels["at"][:2], start=1):
        page.mouse.click(*at)
        _sidebar_says(page, f"{placed} of 3 means placed").to_be_visible(timeout=15_000)
        wait_idle(page)
    _leave_for_theory_and_come_back(page)
    _wait_placing(page, 2)
    wait_idle(page)
    pixels = page.evaluate(_PIXELS_JS, wanted)
    page.mouse.click(*pixels["at"][1])  # on the second mean: removes it, so it is where it was placed
    _sidebar_says(page, "1 of 3 means placed").to_be_visible(timeout=15_000)
    wait_idle(page)
    page.mouse.click(*pixels["at"][1])
    _sidebar_says(page, "2 of 3 means placed").to_be_visible(timeout=15_000)
    wait_idle(page)
    page.mouse.click(*pixels["at"][2])
    wait_for_chart(page)
    _means_are_at(page, wanted, pixels)
    assert_no_error(page, "placing after coming back")


def test_a_chart_mounted_afresh_takes_over_a_click_the_server_has_not_heard(page: Page, app_url: str):
    """The second click's report is lost and the chart goes away at once (the explorer left for the
    theory page, as when Streamlit mounts the chart afresh): the chart that comes back shows the click
    and sends it, so it is not lost with the old chart."""
    line = _LosingLine(page)
    wanted, pixels = _placing_page(page, app_url, first_placed=True)
    line.lose_what(page, lambda: page.mouse.click(*pixels["at"][1]))
    _leave_for_theory_and_come_back(page)
    _wait_placing(page, 2)
    _sidebar_says(page, "2 of 3 means placed").to_be_visible(timeout=15_000)
    wait_idle(page)
    page.mouse.click(*page.evaluate(_PIXELS_JS, wanted)["at"][2])
    wait_for_chart(page)
    _means_are_at(page, wanted, pixels)
