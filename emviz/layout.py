"""Page chrome shared by every page: lecture mode (large type, no sidebar clutter)."""

from __future__ import annotations

import streamlit as st

_LECTURE_CSS = """
<style>
html, body, [data-testid="stAppViewContainer"] { font-size: 21px; }
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"] { display: none; }
[data-testid="stMainBlockContainer"] { padding-top: 0.5rem; }
[data-testid="stMainBlockContainer"] { max-width: 100%; padding-left: 1.5rem; padding-right: 1.5rem;
                                      padding-bottom: 1rem; }
h1 { font-size: 2.3rem !important; }
</style>
"""


def lecture_toggle() -> bool:
    """A lecture-mode switch at the top right of the page; returns whether it is on.

    It lives in the main area, not the sidebar, because lecture mode hides the sidebar.
    """
    if "lecture" not in st.session_state:
        st.session_state["lecture"] = st.query_params.get("lecture") == "1"
    st.session_state["w_lecture"] = st.session_state["lecture"]
    _, right = st.columns([5, 1])
    on = right.toggle("Lecture mode", key="w_lecture", on_change=_remember_lecture,
                      help="Large type and a full-width picture for a projector (1280×720); hides the sidebar.")
    if on:
        st.markdown(_LECTURE_CSS, unsafe_allow_html=True)
    return bool(on)


def _remember_lecture() -> None:
    on = st.session_state["w_lecture"]
    st.session_state["lecture"] = on
    # In the URL too, so a shared link opens in lecture mode.
    if on:
        st.query_params["lecture"] = "1"
    elif "lecture" in st.query_params:
        del st.query_params["lecture"]
