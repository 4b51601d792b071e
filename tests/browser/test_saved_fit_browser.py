"""A saved fit (.emviz) uploaded through the sidebar is scrubbed in the browser like a live fit."""

from __future__ import annotations

import io

import numpy as np
import pytest
from playwright.sync_api import Page
from test_app_browser import _STATE_JS, assert_no_error, button, open_explorer, upload, wait_for_step_change

import em_core

pytestmark = pytest.mark.browser


def _saved_fit() -> tuple[bytes, em_core.History]:
    rng = np.random.default_rng(11)
    X = np.vstack([rng.normal(c, 0.8, (150, 2)) for c in ((-3, 0), (0, 3), (3, 0))])
    history = em_core.fit_history(X, 3, seed=4, max_iter=12, tol=0.0)
    buffer = io.BytesIO()
    history.save(buffer, sample=200, column_names=["width", "height"])
    return buffer.getvalue(), history


def test_a_saved_fit_opens_and_steps_in_the_explorer(page: Page, app_url: str):
    data, history = _saved_fit()
    before = open_explorer(page, app_url)
    upload(page, "lecture.emviz", data, mime="application/zip")
    page.wait_for_function(f"""(b) => {{ const s = ({_STATE_JS})();
        return s.last === {len(history) - 1} && s.points >= 200 && s.points < 260 && s.sig !== b.sig; }}""",
                           arg=before, timeout=60_000, polling=100)
    assert_no_error(page, "after opening a saved fit")
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert "Saved fit: lecture.emviz" in main and "200 points" in main
    assert "Saved with K = 3" in page.locator('[data-testid="stSidebar"]').inner_text()

    button(page, "first").click()
    at_first = wait_for_step_change(page, before)
    assert at_first["pos"] == 0
    button(page, "next").click()
    after = wait_for_step_change(page, at_first)
    assert after["pos"] == 1
    assert_no_error(page, "after stepping through a saved fit")
