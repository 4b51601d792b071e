"""The README's two commands, as a new user runs them (issue 13).

The app command is read from README.md's "Two commands" section, so the README and this test cannot
drift: it is run in a clean ``git clone`` of this repository's HEAD, and the test waits until the
app's ``/_stcore/health`` answers ``ok``, then stops the server's process group.

When the tests run inside a virtual environment (``bash tests/run.sh`` runs them in ``.venv`` or in
the one you activated) the clone is given that environment as an activated one, which the command
must use as it is: nothing is installed and the app is up in a few seconds. Outside any virtual
environment the clone's command creates its own ``.venv`` and installs the runtime requirements
(about a minute).
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from emviz.devserver import free_port

REPO = Path(__file__).resolve().parents[1]
IN_VENV = sys.prefix != sys.base_prefix


def readme_commands() -> list[str]:
    """The shell commands of the README's "Two commands" section, in order."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Two commands\n(.*?)(?=^## )", text, flags=re.S | re.M)
    assert section, 'README.md has no "## Two commands" section'
    blocks = re.findall(r"^```(?:bash|sh|console)?\n(.*?)^```", section.group(1), flags=re.S | re.M)
    return [block.strip() for block in blocks]


def test_readme_has_exactly_two_one_line_commands_and_ci_runs_the_test_command_verbatim():
    commands = readme_commands()
    assert len(commands) == 2, commands
    assert all("\n" not in command for command in commands), commands
    app_command, test_command = commands
    assert "tests/run.sh" in test_command and "run.sh" in app_command
    ci_lines = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()]
    assert test_command in ci_lines, ".ci/run must call the README's test command verbatim"


def _health(url: str) -> str | None:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().decode(errors="replace").strip()
    except (urllib.error.URLError, ConnectionError, OSError):
        return None


@pytest.mark.timeout(600)
def test_readme_app_command_serves_the_app_from_a_clean_clone(tmp_path):
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout: nothing to clone")
    app_command = readme_commands()[0]
    argv = shlex.split(app_command)
    assert not set(argv) & {"&&", "||", ";", "|"}, f"the app command should be one simple command: {app_command}"

    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True, timeout=120)

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if IN_VENV:
        # An environment the user activated: the command must use it rather than make .venv.
        env["VIRTUAL_ENV"] = sys.prefix
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    else:
        env.pop("VIRTUAL_ENV", None)
        env["EMVIZ_PYTHON"] = sys.executable
    port = free_port()
    log_path = tmp_path / "app.log"
    started = time.monotonic()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(argv + ["--server.port", str(port), "--server.headless", "true"],
                                cwd=clone, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    answer = None
    try:
        deadline = started + (60 if IN_VENV else 540)
        while time.monotonic() < deadline and proc.poll() is None:
            answer = _health(url)
            if answer == "ok":
                break
            time.sleep(0.25)
        elapsed = time.monotonic() - started
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=15)
    log = log_path.read_text(errors="replace")
    assert answer == "ok", (f"`{app_command}` in a clean clone: no 'ok' from {url}/_stcore/health "
                            f"(exit code {proc.returncode}).\n{log[-3000:]}")
    print(f"\n[emviz] `{app_command}` from a clean clone answered /_stcore/health after {elapsed:.1f} s")
    if IN_VENV:
        assert not (clone / ".venv").exists(), "the command made .venv instead of using the activated environment"
