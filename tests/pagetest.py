"""Opening a page of the app under AppTest the way a user reaches it (shared by the page tests).

``app.py`` is the entry point (its ``st.navigation`` lists the pages) and
``switch_page`` opens the page, so only that page's script runs, with the
navigation's paths resolving as they do in the browser.
"""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def open_page(page: str, dataset: str, **state) -> AppTest:
    """``page`` (a path under ``pages/``) on built-in data set ``dataset``, with extra session ``state``.

    Fails the test on an exception or an error element.
    """
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["dataset"] = dataset
    for key, value in state.items():
        at.session_state[key] = value
    at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def run_app(query: dict | None = None, session: dict | None = None) -> AppTest:
    """The explorer (the navigation's start page) with these link parameters and session values, run once.

    Fails the test on an exception.
    """
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (session or {}).items():
        at.session_state[key] = value
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at
