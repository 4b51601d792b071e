"""The stepping component's own guarantees, in Chromium: its own plotly.js, fast clicks, the theme."""

from __future__ import annotations

import contextlib
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

# Hides the plotly.js that Streamlit's own charts put on window, so the stepper must fetch the
# copy that the installed plotly package ships (served by this Streamlit server, not the network).
HIDE_PAGE_PLOTLY = """
Object.defineProperty(window, 'Plotly', {
  configurable: true,
  get() { return undefined; },
  set(value) {
    const src = document.currentScript && document.currentScript.src || '';
    if (src.includes('plotly.min.js')) {
      Object.defineProperty(window, 'Plotly', {value, writable: true, configurable: true});
    }
  },
});
"""


@contextlib.contextmanager
def _session(browser, url: str, *, scheme: str = "light", init_script: str | None = None):
    """A fresh Streamlit session in its own browser context; yields (page, requested URLs).

    Fails the test if the page logged an error or an uncaught exception.
    """
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, color_scheme=scheme)
    context.set_default_timeout(30_000)
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    try:
        page.goto(url)
        page.locator(".emviz-chart .main-svg").first.wait_for(timeout=90_000)
        # Until the first run is over and its stale elements are gone, a page may briefly hold two.
        page.wait_for_function("""() => document.querySelector('[data-testid="stApp"]')
            .getAttribute('data-test-script-state') === 'notRunning'""", timeout=60_000)
        expect(page.locator(".emviz-stepper")).to_have_count(1, timeout=30_000)
        yield page, requests
        assert not errors, errors
    finally:
        context.close()


def _step(page) -> int:
    return int(re.match(r"step (\d+) of", page.locator(".emviz-position").text_content()).group(1))


def test_stepper_loads_its_own_plotly_when_the_page_has_none(browser, app_url):
    with _session(browser, app_url, init_script=HIDE_PAGE_PLOTLY) as (page, requests):
        fetched = [u for u in requests if u.endswith("plotly.min.js")]
        assert fetched and all(u.startswith(app_url) for u in fetched), fetched
        before = _step(page)
        title = page.locator(".emviz-title").text_content()
        page.locator("button.emviz-next").click()
        expect(page.locator(".emviz-chart")).to_have_attribute("data-step", str(before + 1), timeout=10_000)
        assert page.locator(".emviz-title").text_content() != title


def test_fast_clicks_end_on_the_right_step_and_the_page_follows(browser, app_url):
    with _session(browser, app_url) as (page, _):
        start = _step(page)
        for _ in range(8):
            page.locator("button.emviz-next").click()
        assert _step(page) == start + 8, "every click counts, none waits for the server"
        expect(page.locator(".emviz-chart")).to_have_attribute("data-step", str(start + 8), timeout=10_000)
        # The server catches up with the last report, not an intermediate one: the link says so.
        expect(page).to_have_url(re.compile(rf"[?&]step={start + 8}(&|$)"), timeout=20_000)
        assert page.locator("input.emviz-slider").input_value() == str(start + 8)
        page.wait_for_timeout(1500)
        assert _step(page) == start + 8, "a late rerun must not pull the picture back"


def test_dragging_the_slider_scrubs_in_the_browser(browser, app_url):
    with _session(browser, app_url) as (page, _):
        slider = page.locator("input.emviz-slider")
        slider.focus()
        page.keyboard.press("Home")  # the range input's own keys: the page's arrow keys stand aside
        assert _step(page) == 0 and "k-means" in page.locator(".emviz-title").text_content()
        expect(page).to_have_url(re.compile(r"[?&]step=0(&|$)"), timeout=20_000)
        slider.fill("5")  # sets the value and fires input and change, as a drag does
        assert _step(page) == 5
        expect(page.locator(".emviz-chart")).to_have_attribute("data-step", "5", timeout=10_000)
        expect(page).to_have_url(re.compile(r"[?&]step=5(&|$)"), timeout=20_000)


def test_chart_follows_the_dark_theme(browser, app_url):
    with _session(browser, app_url, scheme="dark") as (page, _):
        colours = page.evaluate("""() => { const gd = document.querySelector('.emviz-chart');
            return [gd._fullLayout.paper_bgcolor, gd._fullLayout.font.color]; }""")
        background, text = colours

        def brightness(colour: str) -> float:
            if colour.startswith("#"):
                r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
            else:
                r, g, b = (float(v) for v in re.findall(r"[\d.]+", colour)[:3])
            return (r + g + b) / 3

        assert brightness(background) < 80 < 170 < brightness(text), colours
