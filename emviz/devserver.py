"""Development tooling: the real app under ``streamlit run`` and Debian's headless Chromium.

Shared by the browser tests, the app benchmark and the README screenshot script;
the app itself never imports it. Chromium is Debian's (``/usr/bin/chromium``, or
``$EMVIZ_CHROMIUM``): Playwright's own browser download is not reachable here.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: Headless, and no background traffic: the machine has no network beyond localhost.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def chromium_path() -> str | None:
    """Debian's Chromium, or the one named by ``$EMVIZ_CHROMIUM``; None if there is none."""
    for candidate in (os.environ.get("EMVIZ_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_streamlit(script: str | Path, *, cwd: Path = REPO, log_path: Path | None = None,
                    timeout: float = 60.0) -> tuple[subprocess.Popen, str]:
    """Start ``streamlit run script`` on a free localhost port, in its own process group.

    Returns
    -------
    process : subprocess.Popen
        Stop it with :func:`stop_process_group`.
    url : str
        Base URL, returned once ``/_stcore/health`` answers.

    Raises
    ------
    RuntimeError
        If the server does not answer within ``timeout`` seconds (with the log's tail).
    """
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port),
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
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
