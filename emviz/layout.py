"""Page chrome shared by every page: a compact header, readable small print, and lecture mode.

Every page calls :func:`lecture_toggle` first (through ``pagekit.preamble``), so the
page-wide CSS lives here:

- a compact header, so that on a 1280x720 window the explorer's chart starts on the
  first screen: the lecture toggle sits in Streamlit's header bar beside its menu, the
  gap under the header is smaller, and titles are a size smaller;
- captions (Streamlit draws them in 60 % of the text colour, 3.88:1 on white) at 80 %,
  above the 4.5:1 that WCAG asks for small text, in the light and the dark theme alike;
- a display formula wider than its column scrolls sideways (Streamlit's choice, right for a
  phone), and a small script makes each such scroll box reachable by the keyboard (WCAG 2.1.1;
  axe-core's "scrollable-region-focusable"), which CSS alone cannot do.
"""

from __future__ import annotations

import streamlit as st

_PAGE_CSS = """
<style>
[data-testid="stMainBlockContainer"] { padding-top: 3.75rem; }
[data-testid="stMain"] h1 { font-size: 2.2rem; padding-top: 0.25rem; padding-bottom: 0.5rem; }
[data-testid="stMain"] h2 { font-size: 1.75rem; }
[data-testid="stMain"] h3 { font-size: 1.4rem; }
[data-testid="stCaptionContainer"] { color: inherit; opacity: 0.8; }
/* The lecture toggle: in the header bar, left of Streamlit's menu (the bar is 3.75rem tall). */
.st-key-lecture_row { position: fixed; top: 0.9rem; right: 3.75rem; width: auto; z-index: 999991; }
</style>
"""

# Marks every display formula that scrolls with tabindex=0 and a name, now and after each rerun.
_FOCUSABLE_FORMULAS_JS = """
<script>
(() => {
  if (window.__emvizFormulas) return;
  window.__emvizFormulas = true;
  let queued = false, count = 0;
  const mark = () => {
    queued = false;
    for (const box of document.querySelectorAll('.katex-display:not([tabindex])')) {
      if (box.scrollWidth > box.clientWidth) {
        box.setAttribute('tabindex', '0');
        box.setAttribute('role', 'region');
        // Named by its TeX source (KaTeX keeps it), so that two such regions never share a name.
        const tex = (box.querySelector('annotation') || {}).textContent || String(++count);
        box.setAttribute('aria-label', 'Formula (scrolls sideways): ' + tex.trim().slice(0, 200));
      }
    }
  };
  new MutationObserver(() => { if (!queued) { queued = true; requestAnimationFrame(mark); } })
    .observe(document.body, {childList: true, subtree: true});
  window.addEventListener('resize', () => requestAnimationFrame(mark));
  mark();
})();
</script>
"""

_LECTURE_CSS = """
<style>
html, body, [data-testid="stAppViewContainer"] { font-size: 21px; }
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"] { display: none; }
[data-testid="stMainBlockContainer"] { padding-top: 0.5rem; }
[data-testid="stMainBlockContainer"] { max-width: 100%; padding-left: 1.5rem; padding-right: 1.5rem;
                                      padding-bottom: 1rem; }
h1 { font-size: 2.3rem !important; }
/* No header bar in lecture mode: the toggle goes back to the top of the page, at the right. */
.st-key-lecture_row { position: static; }
</style>
"""


def lecture_toggle() -> bool:
    """A lecture-mode switch at the top right of the page; returns whether it is on.

    It lives in the main area, not the sidebar, because lecture mode hides the sidebar.
    """
    if "lecture" not in st.session_state:
        st.session_state["lecture"] = st.query_params.get("lecture") == "1"
    st.session_state["w_lecture"] = st.session_state["lecture"]
    st.html(_PAGE_CSS)  # style only: Streamlit sends it to the page without taking up a row
    # A row of its own, as wide as its label: in a narrow column the label was clipped to "Lecture …".
    row = st.container(key="lecture_row", horizontal=True, horizontal_alignment="right")
    row.html(_FOCUSABLE_FORMULAS_JS, width="content", unsafe_allow_javascript=True)
    on = row.toggle("Lecture mode", key="w_lecture", on_change=_remember_lecture,
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
