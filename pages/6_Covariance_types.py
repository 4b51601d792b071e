"""Covariance types side by side: full, tied, diagonal and spherical fits from one start, on the same axes."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from emviz import compare, pagekit, ui
from emviz.fitting import COVARIANCE_LABELS

lecture, selection, options = pagekit.preamble()

st.title("Four covariance types, one start")
st.markdown("The same data, K, initialisation and seed, fitted with each covariance type. **Full** lets every "
            "component take any ellipse; **tied** gives all components one shared ellipse; **diagonal** keeps "
            "each ellipse's axes parallel to the coordinate axes; **spherical** allows only circles. Freer "
            "shapes fit the data more closely (a higher log-likelihood) but cost more free parameters *p*; "
            "BIC = −2 log L + p log N weighs the two (lower is better).")
ui.show_messages(selection)

jobs = {covariance_type: replace(options, covariance_type=covariance_type) for covariance_type in COVARIANCE_LABELS}
histories = pagekit.fit_many(selection.X, jobs, noun="fits")
grid = compare.criteria_grid({(cov, options.n_components): h for cov, h in histories.items()}).set_index(
    "covariance_type")
best = grid["BIC"].idxmin()
# One view for all four pictures: the same axes, so the shapes compare at a glance.
view = pagekit.make_view(histories.get("full", next(iter(histories.values()))), selection)

columns = st.columns(2) if lecture or len(histories) > 2 else st.columns(len(histories))
for i, (covariance_type, history) in enumerate(histories.items()):
    row = grid.loc[covariance_type]
    with columns[i % len(columns)]:
        st.subheader(COVARIANCE_LABELS[covariance_type] + (" · lowest BIC" if covariance_type == best else ""))
        pagekit.draw_step(history, -1, view, key=f"covtypes_{covariance_type}", lecture=lecture, height=420)
        st.markdown(f"log-likelihood **{row['log_likelihood']:,.1f}** · BIC **{row['BIC']:,.1f}** · "
                    f"p = **{int(row['n_parameters'])}** free parameters · {int(row['iterations'])} iterations")
        if st.button("Open in explorer", key=f"covtypes_open_{covariance_type}",
                     help="Step through this fit in the explorer (sets the sidebar's covariance type)."):
            pagekit.open_explorer(covariance_type=covariance_type, step=len(history) - 1)
