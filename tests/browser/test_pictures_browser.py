"""The lecture's pictures in Chromium: the layers over the explorer's picture and the bound along θ, stepped with."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from test_app_browser import STEPPER, assert_no_error, button, open_explorer, state, wait_for_step_change, wait_idle

pytestmark = pytest.mark.browser

# What the stepper's chart holds: the layers' traces by role, and the posterior map's layout image.
_LAYERS_JS = f"""() => {{
  const gd = document.querySelector('{STEPPER} .emviz-chart');
  if (!gd || !gd._fullData) return null;
  const roles = gd._fullData.map(t => (t.meta && t.meta.role) || null);
  const sample = gd._fullData.find(t => t.meta && t.meta.role === 'beliefs');
  const contours = gd._fullData.find(t => t.meta && t.meta.role === 'density contours');
  return {{roles, images: (gd.layout.images || []).length,
           sample: sample ? sample.x.length : 0, contours: contours ? (contours.z || []).length : 0,
           svgImages: gd.querySelectorAll('.layer-below image, .layer-above image, image').length}};
}}"""


def _toggle(page: Page, label: str) -> None:
    page.locator('[data-testid="stSidebar"]').get_by_text(label, exact=True).click()


def test_each_layer_turns_on_and_stays_on_while_stepping(page: Page, app_url: str):
    before = open_explorer(page, app_url)
    for label in ("Mixture density (log contours)", "Posterior regions", "What the model believes (a sample)"):
        _toggle(page, label)
    page.wait_for_function(f"() => {{ const s = ({_LAYERS_JS})(); return s && s.images === 1 && s.sample > 0 "
                           "&& s.contours > 0; }", timeout=60_000, polling=200)
    wait_idle(page)
    shown = page.evaluate(_LAYERS_JS)
    assert shown["sample"] == 490 and shown["contours"] == 120 and shown["svgImages"] >= 1, shown
    assert_no_error(page, "after turning the layers on")
    now = state(page)
    button(page, "next").click()
    after = wait_for_step_change(page, now)
    assert after["pos"] == now["pos"] + 1
    layers = page.evaluate(_LAYERS_JS)
    assert layers["images"] == 1 and layers["sample"] == 490 and layers["contours"] == 120, layers
    assert before["sig"] != after["sig"]


def test_the_bound_along_theta_follows_the_step(page: Page, app_url: str):
    open_explorer(page, app_url)
    main = page.locator('[data-testid="stMain"]')
    main.get_by_text("Bound along θ", exact=True).click()
    panel = main.locator(".st-key-panel_chart .js-plotly-plot").last  # a rerun may briefly hold the old one too
    expect(panel).to_contain_text("The bound EM climbs", timeout=60_000)
    expect(panel).to_contain_text("KL(q ‖ posterior)")
    wait_idle(page)
    title = page.evaluate("() => [...document.querySelectorAll('.st-key-panel_chart .gtitle')].pop().textContent")
    now = state(page)
    button(page, "next").click()
    wait_for_step_change(page, now)
    button(page, "next").click()  # an E-step and its M-step: the next iteration
    page.wait_for_function("(old) => { const t = [...document.querySelectorAll('.st-key-panel_chart .gtitle')].pop(); "
                           "return t && t.textContent !== old; }", arg=title, timeout=60_000, polling=200)
    assert_no_error(page, "after stepping with the bound panel")
