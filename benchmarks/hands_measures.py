"""The hands-on measurements of ``bench_app.py`` (issue 10): placing the K-th mean, and a brush click.

Both drive the app as a user does (real clicks in Chromium) and time inside the page with
``performance.now()``; ``bench_app.py`` runs them against its servers and prints them with the rest.
"""

from __future__ import annotations


def brush_clicks(bench, app_url: str, repeats: int, n_points: int = 2_000) -> dict[str, list[float]]:
    """In-page ms of brush clicks on the "Draw your own" canvas holding ``n_points`` points.

    The canvas (``emviz/drawing.js``) times each click itself: from the pointer event's time stamp
    to the end of its redraw (``draw``) and to the next animation frame after it (``frame``, when
    the new points reach the screen), both with ``performance.now()``. The points are brushed on
    with real clicks (20 a click), the page refits once they pause, then each measured click adds 5
    to a quiet page.
    """
    context, page = bench.new_page()
    page.goto(app_url + "/?data=drawn&k=3")
    page.wait_for_selector('[data-testid="emvizDrawing"] canvas', timeout=120_000)
    bench.idle(page)

    def press(group: str, value) -> None:
        page.locator(f'[data-testid="emvizDrawing"] .emviz-draw-{group} button[data-value="{value}"]').click()

    def click(x: float, y: float) -> None:
        where = page.evaluate("([x, y]) => window.__emvizDrawing.api.toClient(x, y)", [x, y])
        page.mouse.click(where["x"], where["y"])

    count = "() => window.__emvizDrawing.api.points().length"
    press("brush", 20)
    press("spread", 0.06)
    i = 0
    while page.evaluate(count) < n_points:
        click(1.5 + (i % 12) * 0.6, 1.5 + (i // 12 % 12) * 0.6)
        i += 1
    page.wait_for_timeout(1_500)  # the pause after the last edit: the page refits the drawing
    bench.idle(page)
    press("brush", 5)
    times: dict[str, list[float]] = {"frame": [], "draw": [], "points": []}
    for k in range(repeats + 1):
        before = page.evaluate(count)
        click(2.0 + (k % 7), 8.0)
        page.wait_for_function("(n) => (window.__emvizDrawing.lastClick || {}).points > n", arg=before,
                               timeout=10_000, polling=20)
        last = page.evaluate("() => window.__emvizDrawing.lastClick")
        for key in times:
            times[key].append(last[key])
        page.wait_for_timeout(1_000)  # let the pause's refit run, so each click lands on a quiet page
        bench.idle(page)
    context.close()
    return {key: values[1:] for key, values in times.items()}  # the first click warms up



# Placing the K-th mean: from the click (its pointerdown, in the page) until the fitted run's first step
# (the init step holding the placed means) is drawn by the stepper. A new spot each round, so every
# round fits anew.
PLACE_WATCH_JS = """
() => {
  const B = window.__bench;
  B.placedAt = null; B.pressAt = null;
  const chart = () => document.querySelector('[data-testid="stMain"] .emviz-chart');
  document.addEventListener('pointerdown', (e) => { if (B.pressAt === null) B.pressAt = e.timeStamp; },
                            {capture: true, once: true});
  const look = () => {
    const gd = chart(), title = B.title();
    if (gd && title && title !== 'Place the starting means' && gd.getAttribute('data-step') === '0'
        && (gd.data || []).some(t => t.meta && t.meta.role === 'mean')) { B.placedAt = performance.now(); return; }
    requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
}
"""
PIXELS_JS = """
(points) => {
  const gd = document.querySelector('[data-testid="stMain"] .emviz-chart');
  const f = gd._fullLayout, box = gd.getBoundingClientRect();
  return points.map(([x, y]) => [box.left + f.xaxis._offset + f.xaxis.d2p(x), box.top + f.yaxis._offset + f.yaxis.d2p(y)]);
}
"""
PLACING_JS = """(n) => { const gd = document.querySelector('[data-testid="stMain"] .emviz-chart');
  return gd && gd._fullLayout && gd.hasAttribute('data-step') && gd.getAttribute('data-placed') === String(n); }"""


def place_in_turns(bench, app_url: str, bare_page, rounds: int) -> tuple[list[float], list[float]]:
    """Place K = 3 means on the mouse data, timing the third click; a bare rerun between rounds."""
    context, page, _ = bench.open(app_url + "/?data=mouse&k=3&init=placed")
    app, bare = [], []
    try:
        for i in range(rounds + 1):
            page.wait_for_function(PLACING_JS, arg=0, timeout=60_000, polling=50)
            bench.idle(page)
            # Spots a few pixels apart from round to round (0.06 data units): every round is a new fit.
            spots = [(-1.5 + 0.06 * i, 2.0), (0.0, -0.5 + 0.06 * i), (1.5, 2.0 - 0.06 * i)]
            page.evaluate("() => document.querySelector('[data-testid=\"stMain\"] .emviz-chart')"
                          ".scrollIntoView({block: 'center'})")
            page.wait_for_timeout(100)
            pixels = page.evaluate(PIXELS_JS, spots)
            for placed, (x, y) in enumerate(pixels[:-1], start=1):
                page.mouse.click(x, y)
                page.wait_for_function(PLACING_JS, arg=placed, timeout=30_000, polling=50)
                bench.idle(page)
            page.wait_for_timeout(150)
            page.evaluate(PLACE_WATCH_JS)
            page.mouse.click(*pixels[-1])
            page.wait_for_function("() => window.__bench.placedAt !== null", timeout=60_000, polling=50)
            app.append(page.evaluate("() => window.__bench.placedAt - window.__bench.pressAt"))
            bench.idle(page)
            bare += bench.clicks(bare_page, back=None, repeats=0)
            page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Clear").click()
        return app[1:], bare[1:]
    finally:
        context.close()
