#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine, then runs every test.
# Used verbatim by the README and by .ci/run. Extra arguments go to pytest:
#     bash tests/run.sh -m "not browser"       # the fast tests alone
# Uses the virtual environment you activated, or creates and reuses the project's own .venv
# (tools/env.sh), and installs requirements-dev.txt only when a requirements file changed.
set -euo pipefail
cd "$(dirname "$0")/.."

source tools/env.sh
if ! command -v chromium >/dev/null 2>&1; then
    # Browser tests drive Debian's Chromium; Playwright's own browser download is not reachable here.
    emviz_say "chromium is missing: installing Debian's chromium with apt-get (root or sudo)"
    emviz_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    emviz_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
fi
emviz_env requirements-dev.txt
exec "$EMVIZ_PY" -m pytest "$@"
