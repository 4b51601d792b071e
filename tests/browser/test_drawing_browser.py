""""Draw your own" in headless Chromium: click, paint, erase, undo and redo on the canvas, fit, share.

The canvas is ``emviz/drawing.js``; the page cache ``window.__emvizDrawing`` exposes the
points in data units (``api.points()``) and where a data point is on the screen
(``api.toClient(x, y)``), so that the tests click at known data coordinates.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from test_app_browser import assert_no_error, open_explorer, wait_for_chart, wait_idle

pytestmark = pytest.mark.browser

CANVAS = '[data-testid="stMain"] [data-testid="emvizDrawing"]'
#: Client-side edits show at once; what the server does with a report waits for a rerun.
CLIENT_TIMEOUT = 5_000
SERVER_TIMEOUT = 30_000


def points(page: Page) -> list[list[float]]:
    return page.evaluate("() => window.__emvizDrawing.api.points()")


def click_at(page: Page, x: float, y: float) -> None:
    where = page.evaluate("([x, y]) => window.__emvizDrawing.api.toClient(x, y)", [x, y])
    page.mouse.click(where["x"], where["y"])


def stroke(page: Page, start: tuple, end: tuple, steps: int = 12) -> None:
    a = page.evaluate("([x, y]) => window.__emvizDrawing.api.toClient(x, y)", list(start))
    b = page.evaluate("([x, y]) => window.__emvizDrawing.api.toClient(x, y)", list(end))
    page.mouse.move(a["x"], a["y"])
    page.mouse.down()
    page.mouse.move(b["x"], b["y"], steps=steps)
    page.mouse.up()


def choose(page: Page, group: str, value) -> None:
    """Press a tool button: group ``mode``, ``brush``, ``spread`` or ``class``."""
    button = page.locator(f'{CANVAS} .emviz-draw-{group} button[data-value="{value}"]')
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")


def edit_button(page: Page, name: str):
    return page.locator(f"{CANVAS} button.emviz-draw-{name}")


def pixel(page: Page) -> float:
    """One screen pixel in data units (the larger of the two axes'), or one grid step if larger."""
    return page.evaluate("""() => { const d = window.__emvizDrawing.active; const [x0, x1, y0, y1] = d.st.axes;
                                    return Math.max((x1 - x0) / d.plot.w, (y1 - y0) / d.plot.h,
                                                    (x1 - x0) / 1000, (y1 - y0) / 1000); }""")


def wait_points(page: Page, n: int) -> list:
    page.wait_for_function("(n) => window.__emvizDrawing.api.points().length === n", arg=n, timeout=CLIENT_TIMEOUT)
    return points(page)


def wait_fitted(page: Page, n: int) -> None:
    """Until the page has taken the canvas's drawing of ``n`` points and finished its rerun."""
    page.wait_for_function(f"(n) => document.querySelector('{CANVAS} canvas.emviz-draw-canvas')"
                           "?.dataset.serverPoints === String(n)", arg=n, timeout=SERVER_TIMEOUT)
    wait_idle(page)


def open_canvas(page: Page, app_url: str, query: str = "?data=drawn") -> None:
    """The page at ``query``, once its canvas is on it (in its expander, which may be closed)."""
    page.goto(app_url + query)
    expect(page.locator(f"{CANVAS} canvas.emviz-draw-canvas")).to_be_attached(timeout=60_000)
    wait_idle(page, 60_000)


def near(point, x, y, tolerance) -> bool:
    return abs(point[0] - x) <= tolerance and abs(point[1] - y) <= tolerance


def test_draw_erase_undo_redo_clear_fit_and_share(page: Page, app_url: str, browser):
    open_explorer(page, app_url)
    # "Draw your own" is a data source like the others, chosen in the sidebar.
    page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name="Data set").click()
    page.get_by_role("option", name="Draw your own").click()
    expect(page.locator(f"{CANVAS} canvas.emviz-draw-canvas")).to_be_visible(timeout=30_000)
    wait_idle(page)
    expect(page.locator('[data-testid="stMain"]').get_by_text("The canvas is empty")).to_be_visible()
    assert points(page) == []
    expect(edit_button(page, "undo")).to_be_disabled()
    expect(edit_button(page, "redo")).to_be_disabled()
    page.locator(f"{CANVAS} canvas.emviz-draw-canvas").focus()
    page.keyboard.press("Control+z")  # undo before the first edit does nothing
    assert points(page) == []
    assert_no_error(page, "an empty canvas")

    # One point per click lands where the click was (to a pixel); the click's class goes with it.
    choose(page, "brush", 1)
    choose(page, "class", 1)
    tolerance = pixel(page)
    for x, y in [(2.0, 2.0), (3.0, 3.0), (8.0, 8.0)]:
        click_at(page, x, y)
    drawn = wait_points(page, 3)
    for point, (x, y) in zip(drawn, [(2.0, 2.0), (3.0, 3.0), (8.0, 8.0)]):
        assert near(point, x, y, tolerance) and point[2] == 1, (point, x, y, tolerance)

    # Five per click scatter around the click with the chosen spread (1 % of the axis: sd 0.1).
    choose(page, "brush", 5)
    choose(page, "spread", 0.01)
    choose(page, "class", 0)
    click_at(page, 5.0, 5.0)
    scattered = wait_points(page, 8)[3:]
    assert all(near(p, 5.0, 5.0, 0.6) and p[2] == 0 for p in scattered), scattered

    # A stroke paints points along its path, as one edit.
    choose(page, "brush", 1)
    stroke(page, (1.0, 9.0), (4.0, 9.0))
    after_stroke = points(page)
    painted = after_stroke[8:]
    assert len(painted) >= 4, f"a 3-unit stroke painted only {len(painted)} points"
    assert all(0.9 <= p[0] <= 4.1 and abs(p[1] - 9.0) <= tolerance for p in painted), painted
    edit_button(page, "undo").click()
    assert wait_points(page, 8) == after_stroke[:8], "Undo takes the whole stroke back"
    expect(edit_button(page, "redo")).to_be_enabled()
    page.locator(f"{CANVAS} canvas.emviz-draw-canvas").focus()
    page.keyboard.press("Control+y")
    assert wait_points(page, len(after_stroke)) == after_stroke
    page.keyboard.press("Control+z")
    wait_points(page, 8)
    page.keyboard.press("Control+Shift+z")
    assert wait_points(page, len(after_stroke)) == after_stroke

    # Erase removes the points under the brush (here the five around (5, 5)) and nothing else.
    choose(page, "mode", "erase")
    choose(page, "spread", 0.06)
    click_at(page, 5.0, 5.0)
    erased = wait_points(page, len(after_stroke) - 5)
    assert erased == after_stroke[:3] + after_stroke[8:]
    edit_button(page, "undo").click()
    assert sorted(wait_points(page, len(after_stroke))) == sorted(after_stroke)
    edit_button(page, "redo").click()
    assert wait_points(page, len(erased)) == erased
    # A click outside the axes is ignored, with a hint.
    box = page.locator(f"{CANVAS} canvas.emviz-draw-canvas").bounding_box()
    page.mouse.click(box["x"] + 5, box["y"] + box["height"] - 5)
    expect(page.locator(f"{CANVAS} .emviz-draw-status")).to_contain_text("inside the axes")
    assert points(page) == erased

    # Clear, and Undo brings everything back.
    edit_button(page, "clear").click()
    wait_points(page, 0)
    edit_button(page, "undo").click()
    assert wait_points(page, len(erased)) == erased

    # Fit the drawing: the explorer fits exactly these points.
    edit_button(page, "fit").click()
    wait_fitted(page, len(erased))
    after = wait_for_chart(page)
    assert after["points"] >= len(erased), after
    expect(page.locator('[data-testid="stMain"]').get_by_text(f"{len(erased)} points", exact=False).first).to_be_visible()
    assert_no_error(page, "after fitting the drawing")

    # The link carries the drawing: a new session opens the very same points.
    assert "pts=" in page.url and "data=drawn" in page.url, page.url
    other = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        viewer = other.new_page()
        open_canvas(viewer, page.url.split("?")[0], "?" + page.url.split("?", 1)[1])
        wait_for_chart(viewer)
        assert points(viewer) == erased
        # A drawing that arrives with a link and can be fitted leaves the page to the fit; the canvas
        # stays a click away.
        canvas = viewer.locator(f"{CANVAS} canvas.emviz-draw-canvas")
        expect(canvas).to_be_hidden()
        viewer.locator('[data-testid="stMain"] [data-testid="stExpander"] summary', has_text="Your drawing").click()
        expect(canvas).to_be_visible()
        assert_no_error(viewer, "the shared link")
    finally:
        other.close()


def test_kmeans_vs_gmm_on_drawn_classes(page: Page, app_url: str):
    open_canvas(page, app_url, "/k-means_vs_GMM?data=drawn&k=2")
    choose(page, "brush", 20)
    choose(page, "spread", 0.03)
    for cls, (x, y) in [(1, (2.5, 3.0)), (1, (3.0, 2.5)), (2, (7.0, 7.0)), (2, (7.5, 6.5))]:
        choose(page, "class", cls)
        click_at(page, x, y)
    n = len(points(page))
    assert n >= 70, n  # 80, less any scattered off the canvas
    # No "Fit the drawing" press: the pause after the last edit refits by itself.
    wait_fitted(page, n)
    ari = page.locator('[data-testid="stMetric"]', has_text="GMM vs true labels")
    expect(ari).to_be_visible(timeout=SERVER_TIMEOUT)
    value = float(ari.locator('[data-testid="stMetricValue"]').inner_text())
    assert value > 0.9, f"two well separated drawn classes: ARI {value}"
    assert_no_error(page, "k-means vs GMM on a drawing")


def test_a_brush_click_at_2000_points_stays_quick(page: Page, app_url: str):
    """Thousands of brushed points stay responsive (the real measurement: benchmarks/bench_app.py)."""
    open_canvas(page, app_url)
    choose(page, "brush", 20)
    choose(page, "spread", 0.12)
    for i in range(100):
        click_at(page, 2.0 + (i % 10) * 0.6, 2.0 + (i // 10) * 0.6)
    n = len(points(page))
    assert n >= 1900, n
    choose(page, "brush", 5)
    times = []
    for i in range(5):
        click_at(page, 3.0 + i, 5.0)
        page.wait_for_function("(n) => window.__emvizDrawing.lastClick && window.__emvizDrawing.lastClick.points > n",
                               arg=n, timeout=CLIENT_TIMEOUT)
        last = page.evaluate("() => window.__emvizDrawing.lastClick")
        n = last["points"]
        times.append(last["frame"])
    # Generous: a shared, loaded test machine; the target (≤ 50 ms) is measured by the benchmark.
    assert sorted(times)[2] < 250, times
    wait_fitted(page, n)
    assert_no_error(page, "2,000 drawn points")


def test_a_page_switch_keeps_the_drawing_and_its_undo_history(page: Page, app_url: str):
    open_canvas(page, app_url, "?data=drawn&k=3")
    choose(page, "brush", 1)
    spots = [(2.0, 2.0), (4.0, 6.0), (6.0, 3.0), (8.0, 8.0), (5.0, 5.0)]
    for x, y in spots:
        click_at(page, x, y)
    drawn = wait_points(page, 5)
    # Switch at once, before the pause has sent the drawing: the edits must not be lost on the way.
    page.locator('[data-testid="stSidebarNav"] a', has_text="k-means vs GMM").click()
    page.wait_for_url("**/k-means_vs_GMM**")
    expect(page.locator(f"{CANVAS} canvas.emviz-draw-canvas")).to_be_attached(timeout=SERVER_TIMEOUT)
    wait_fitted(page, 5)
    assert points(page) == drawn
    expect(page.locator('[data-testid="stMetric"]', has_text="k-means vs GMM").first).to_be_visible(timeout=SERVER_TIMEOUT)
    # The undo history came along: Undo on this page takes back the last click.
    expect(edit_button(page, "undo")).to_be_enabled()
    edit_button(page, "undo").click()
    assert wait_points(page, 4) == drawn[:4]
    wait_fitted(page, 4)
    assert_no_error(page, "a drawing across a page switch")


def test_axe_finds_nothing_serious_on_the_canvas(page: Page, app_url: str):
    from axe_playwright_python.sync_playwright import Axe
    from test_layout_a11y import _serious

    open_canvas(page, app_url)
    choose(page, "class", 2)
    click_at(page, 5.0, 5.0)
    wait_points(page, 5)
    found = _serious(Axe().run(page).response)
    assert not found, "axe-core, serious or critical:\n" + "\n".join(found)


def test_the_drawing_downloads_as_csv(page: Page, app_url: str, tmp_path):
    import csv

    open_canvas(page, app_url, "?data=drawn&k=2")
    choose(page, "class", 3)
    click_at(page, 3.0, 7.0)
    choose(page, "class", 0)
    click_at(page, 7.0, 3.0)
    drawn = wait_points(page, 10)
    edit_button(page, "fit").click()
    wait_fitted(page, 10)
    target = page.get_by_role("button", name="Download the drawing (CSV)")
    target.scroll_into_view_if_needed()
    with page.expect_download(timeout=30_000) as info:
        target.click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    rows = list(csv.reader(path.open()))
    assert rows[0] == ["x", "y", "class"]
    names = {0: "no class", 3: "C"}
    assert [[float(r[0]), float(r[1]), r[2]] for r in rows[1:]] == [[x, y, names[c]] for x, y, c in drawn]
