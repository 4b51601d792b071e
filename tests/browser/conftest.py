"""Fixtures for the browser tests: the real app under ``streamlit run`` and headless Chromium.

The app runs once per test session on a free localhost port; every test gets a
fresh browser context (a new Streamlit session). When a test fails, a
screenshot of its page is written to a temporary folder outside the repository
and its path is printed.

Chromium is Debian's (``/usr/bin/chromium``, or ``$EMVIZ_CHROMIUM``): Playwright's
own browser download is not used.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

import pytest

from playwright import sync_api

from emviz.devserver import CHROMIUM_ARGS, chromium_path, start_streamlit, stop_process_group

ARTIFACTS = Path(os.environ.get("EMVIZ_TEST_ARTIFACTS", Path(tempfile.gettempdir()) / "emviz-test-artifacts"))


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def app_url(artifacts_dir: Path):
    """Base URL of ``streamlit run app.py`` on a free port; the server lives for the whole session."""
    log_path = artifacts_dir / "streamlit-app.log"
    proc, url = start_streamlit("app.py", log_path=log_path)
    yield url
    stop_process_group(proc)
    print(f"\n[emviz] app server log: {log_path}")


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    # Never skipped: tests/run.sh installs Debian's Chromium; a missing browser is a failure.
    assert executable, "Chromium not found: run tests/run.sh (it installs Debian's chromium) or set EMVIZ_CHROMIUM"
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def context(browser, request):
    """A fresh browser context per test (one Streamlit session), downloads allowed."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    ctx.set_default_timeout(30_000)
    yield ctx
    ctx.close()


# Streamlit itself, opened at a page's own URL (``/Theory``), first probes ``/Theory/_stcore/health``
# and ``host-config`` to find its base path; the 404s it logs on the way are not the app's errors.
_BENIGN_URL = re.compile(r"/_stcore/(health|host-config)$")


def _console_error(msg, errors: list[str]) -> None:
    if msg.type != "error":
        return
    url = (msg.location or {}).get("url", "")
    if msg.text.startswith("Failed to load resource") and _BENIGN_URL.search(url):
        return
    errors.append(f"console.error: {msg.text} ({url})")


@pytest.fixture
def page(context, request, artifacts_dir: Path):
    """A page of the fresh context; screenshot to ``artifacts_dir`` if the test fails.

    ``page.console_errors`` collects uncaught exceptions and ``console.error`` messages.
    """
    pg = context.new_page()
    console_errors: list[str] = []
    pg.on("pageerror", lambda exc: console_errors.append(f"uncaught: {exc}"))
    pg.on("console", lambda msg: _console_error(msg, console_errors))
    pg.console_errors = console_errors
    yield pg
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        name = "".join(c if c.isalnum() or c in "-_." else "_" for c in request.node.name)
        shot = artifacts_dir / f"{name}-{int(time.time())}.png"
        for open_page in context.pages:
            try:
                open_page.screenshot(path=str(shot), full_page=True, timeout=10_000)
                print(f"\n[emviz] screenshot of the failed test: {shot}")
            except Exception as err:  # noqa: BLE001 - best effort while reporting a failure
                print(f"\n[emviz] could not take a screenshot: {err}")
            shot = shot.with_name(shot.stem + "-more.png")
        if console_errors:
            print("[emviz] page errors:\n  " + "\n  ".join(console_errors))
