"""emviz: the EM algorithm for Gaussian mixtures, step by step. Run with ``streamlit run app.py``.

The entry point lists the pages (``st.navigation``), after freezing what the
imports made out of Streamlit's collection after every run (:mod:`emviz.long_lived`).
The explorer is the start page, and every page keeps the URL it had before the app
used a navigation (``/k-means_vs_GMM`` and so on), so shared links still open. Each
page script in ``pages/`` starts with :func:`emviz.pagekit.preamble` (lecture
toggle, data and model sidebars) and keeps only its own layout.
"""

from __future__ import annotations

import streamlit as st

# Every page imports these; with them loaded, the objects the imports made are frozen out of the
# full garbage collection Streamlit runs after every run (about 100 ms each here otherwise).
import emviz.figures  # noqa: F401
import emviz.pagekit  # noqa: F401
from emviz.long_lived import freeze_import_time_objects

freeze_import_time_objects()

PAGES = [
    st.Page("pages/explorer.py", title="Explorer", default=True),
    st.Page("pages/1_k-means_vs_GMM.py", title="k-means vs GMM", url_path="k-means_vs_GMM"),
    st.Page("pages/2_Several_initialisations.py", title="Several initialisations",
            url_path="Several_initialisations"),
    st.Page("pages/3_Choose_K.py", title="Choose K", url_path="Choose_K"),
    st.Page("pages/4_Check_against_scikit-learn.py", title="Check against scikit-learn",
            url_path="Check_against_scikit-learn"),
    st.Page("pages/6_Covariance_types.py", title="Covariance types", url_path="Covariance_types"),
    st.Page("pages/5_Theory.py", title="Theory", url_path="Theory"),
]

page = st.navigation(PAGES)
st.set_page_config(page_title=f"emviz · {page.title}", page_icon="◎", layout="wide")
page.run()
