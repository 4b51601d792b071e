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
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

sync_api = pytest.importorskip("playwright.sync_api")

REPO = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
HEALTH_TIMEOUT_S = 60.0
ARTIFACTS = Path(os.environ.get("EMVIZ_TEST_ARTIFACTS", Path(tempfile.gettempdir()) / "emviz-test-artifacts"))


def chromium_path() -> str | None:
    """Debian's Chromium, or the one named by ``$EMVIZ_CHROMIUM``."""
    for candidate in (os.environ.get("EMVIZ_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_streamlit(script: str | Path, *, cwd: Path = REPO, log_path: Path | None = None,
                    timeout: float = HEALTH_TIMEOUT_S) -> tuple[subprocess.Popen, str]:
    """Start ``streamlit run script`` in its own process group; return (process, base URL) once healthy."""
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port),
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return proc, url
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.25)
    stop_process_group(proc)
    tail = log_path.read_text(errors="replace")[-3000:] if log_path and log_path.exists() else ""
    raise RuntimeError(f"streamlit run {script} did not answer /_stcore/health within {timeout:.0f} s "
                       f"(exit code {proc.returncode}).\n{tail}")


def stop_process_group(proc: subprocess.Popen) -> None:
    """Terminate the process group started by :func:`start_streamlit` (SIGKILL after 10 s)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


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
    if executable is None:
        pytest.skip("Chromium not found (apt-get install chromium, or set EMVIZ_CHROMIUM)")
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


@pytest.fixture
def page(context, request, artifacts_dir: Path):
    """A page of the fresh context; screenshot to ``artifacts_dir`` if the test fails."""
    pg = context.new_page()
    console_errors: list[str] = []
    pg.on("pageerror", lambda exc: console_errors.append(str(exc)))
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
