#!/usr/bin/env bash
# The README's app command: bash run.sh [streamlit options, e.g. --server.port 8502]
# Uses the virtual environment you activated, or creates and reuses the project's own .venv
# (tools/env.sh), installs requirements.txt only when it changed, then serves app.py.
set -euo pipefail
cd "$(dirname "$0")"
source tools/env.sh
emviz_env requirements.txt
exec "$EMVIZ_PY" -m streamlit run app.py "$@"
