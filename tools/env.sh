# Project environment for the README's two commands, sourced by run.sh and tests/run.sh:
#
#     source tools/env.sh
#     emviz_env requirements.txt        # or requirements-dev.txt; sets EMVIZ_PY
#     "$EMVIZ_PY" -m streamlit run app.py
#
# Which Python:
#   * inside a virtual environment the user activated (VIRTUAL_ENV set and python3's
#     sys.prefix != sys.base_prefix): that environment's python3;
#   * otherwise the project's own environment `.venv` (git-ignored), created on first use with
#     `python3 -m venv`. On Debian, whose system python3 refuses `pip install` (PEP 668) and ships
#     venv/ensurepip separately, Debian's `python3-venv` is installed with apt-get when missing
#     (as root, or with sudo), after saying so.
# Requirements are installed with pip only when they changed: a stamp file in the environment holds
# the hash of every requirements*.txt, the requirement file asked for and the Python version, so a
# second run skips pip and starts in seconds.
#
# EMVIZ_PYTHON overrides the python3 used to create `.venv` (default: python3 on PATH).

emviz_say() { printf 'emviz: %s\n' "$*" >&2; }

# Runs a command as root: directly when we are root, with sudo otherwise.
emviz_as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        emviz_say "needs root to run: $* (no sudo found); run it as root, then try again"
        return 1
    fi
}

# Debian's python3-venv (venv + ensurepip) when `python3 -m venv` cannot work.
emviz_ensure_venv_module() {
    local base="$1"
    if "$base" -c 'import venv, ensurepip' >/dev/null 2>&1; then
        return 0
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        emviz_say "'$base -m venv' is not available and there is no apt-get: install Python's venv module, then try again"
        return 1
    fi
    emviz_say "'$base -m venv' is missing: installing Debian's python3-venv with apt-get (root or sudo)"
    emviz_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q || return 1
    emviz_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv || return 1
    if ! "$base" -c 'import venv, ensurepip' >/dev/null 2>&1; then
        emviz_say "python3-venv is installed but '$base' still has no venv/ensurepip (is it Debian's python3?)"
        return 1
    fi
}

# emviz_env REQUIREMENTS_FILE: choose or create the environment, install what changed, set EMVIZ_PY.
emviz_env() {
    local req="$1" root prefix
    root="$(pwd)"
    if [ -n "${VIRTUAL_ENV:-}" ] && command -v python3 >/dev/null 2>&1 \
        && python3 -c 'import sys; sys.exit(sys.prefix == sys.base_prefix)' 2>/dev/null; then
        EMVIZ_PY="$(command -v python3)"
        prefix="$(python3 -c 'import sys; print(sys.prefix)')"
    else
        local venv="$root/.venv"
        local base="${EMVIZ_PYTHON:-python3}"
        # A usable .venv: its python runs and has pip (a half-made one from an interrupted run is remade).
        if ! "$venv/bin/python" -c 'import pip' >/dev/null 2>&1; then
            command -v "$base" >/dev/null 2>&1 || { emviz_say "no $base found: install Python 3.11 or newer"; return 1; }
            emviz_ensure_venv_module "$base" || return 1
            emviz_say "creating the project environment .venv (first run only)"
            rm -rf "$venv"
            "$base" -m venv "$venv" || { rm -rf "$venv"; emviz_say "could not create .venv"; return 1; }
        fi
        EMVIZ_PY="$venv/bin/python"
        prefix="$venv"
    fi
    export EMVIZ_PY

    local want
    want="$(emviz_req_hash "$root" "$req")"
    if [ "$(cat "$(emviz_stamp "$prefix" "$req")" 2>/dev/null)" = "$want" ]; then
        return 0
    fi
    emviz_say "installing $req into $prefix (skipped next time unless a requirements file changes)"
    "$EMVIZ_PY" -m pip install -q --disable-pip-version-check -r "$root/$req" || return 1
    # A read-only environment just means pip runs again next time.
    printf '%s\n' "$want" 2>/dev/null >"$(emviz_stamp "$prefix" "$req")" || true
    # What it includes with `-r other.txt` is installed too.
    local inc
    for inc in $(sed -n 's/^[[:space:]]*-r[[:space:]]*\([^[:space:]#]*\).*/\1/p' "$root/$req"); do
        [ -f "$root/$inc" ] && { emviz_req_hash "$root" "$inc" 2>/dev/null >"$(emviz_stamp "$prefix" "$inc")" || true; }
    done
    return 0
}

# The stamp file of a requirements file inside the environment at PREFIX.
emviz_stamp() { printf '%s/.emviz-%s.sha256' "$1" "$(basename "$2" .txt)"; }

# Hash of what an install of REQ depends on: its name, the Python (minor version: patch releases keep
# the ABI) and every requirements*.txt.
emviz_req_hash() {
    {
        printf '%s\n' "$2"
        "$EMVIZ_PY" -c 'import sys; print(sys.implementation.cache_tag, sys.version_info[:2])'
        cat "$1"/requirements*.txt
    } | sha256sum | cut -d' ' -f1
}
