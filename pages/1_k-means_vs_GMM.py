"""k-means vs GMM: the hard partition and the soft mixture from the same start, side by side."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from emviz import compare, explain, fitting, pagekit, ui
from emviz.ellipse_levels import DEFAULT_LEVEL_KIND, ELLIPSE_LEVELS

lecture, selection, options = pagekit.preamble()
forced = options.init != "kmeans"
options = replace(options, init="kmeans")

st.title("k-means vs a Gaussian mixture")
st.caption(f"{selection.title} · {selection.X.shape[0]:,} points · K = {options.n_components} · "
           f"{options.covariance_type} covariances · seed {options.seed}. EM starts from the k-means partition "
           "on the left, so both sides share the same data and the same initialisation.")
if forced:
    st.caption("This page always starts EM from k-means (the sidebar's other initialisation is used elsewhere).")
ui.show_messages(selection)
st.info(compare.why_they_differ(selection.source))

history = pagekit.fit_or_stop(selection.X, options)
view = pagekit.make_view(history, selection)
kmeans_steps = compare.kmeans_step_indices(history)
em_steps = compare.em_step_indices(history)
fit_id = fitting.fit_key(selection.X, options)

left, right = st.columns(2)
with left:
    st.header("k-means: hard partition")
    k_index = st.select_slider(
        "k-means step", options=kmeans_steps, value=kmeans_steps[-1], key=f"kvg_kmeans_{fit_id}",
        format_func=lambda i: explain.step_title(history, i),
        help="Scrub through Lloyd's algorithm: each round assigns every point to its nearest centroid, then moves "
             "each centroid to the mean of its points. The last step is the k-means result.")
    pagekit.draw_step(history, k_index, view, key="kvg_kmeans_chart", lecture=lecture)
with right:
    st.header("EM: soft assignments")
    # pagekit.draw_step draws with the default ellipse levels, so the words come from that option's entry.
    drawn = ("each component's weighted density is drawn over the histogram" if selection.X.shape[1] == 1
             else ELLIPSE_LEVELS[DEFAULT_LEVEL_KIND].sentence)
    g_index = st.select_slider(
        "EM step", options=em_steps, value=em_steps[-1], key=f"kvg_em_{fit_id}",
        format_func=lambda i: explain.step_title(history, i),
        help="Scrub through EM, from the parameters of the k-means partition to the final fit. Points are "
             f"coloured by their responsibilities; {drawn}.")
    pagekit.draw_step(history, g_index, view, key="kvg_em_chart", lecture=lecture)

kmeans_labels = history.labels(k_index)
gmm_labels = history.labels(g_index)
agreement = compare.agreement_table(kmeans_labels, gmm_labels, selection.labels)
st.header("How much do they agree?")
metric_cols = st.columns(len(agreement))
for col, row in zip(metric_cols, agreement.itertuples()):
    col.metric(f"ARI {row.comparison}", f"{row.ARI:.3f}",
               help="Adjusted Rand index of the two hard labelings shown above (GMM: most responsible "
                    "component): 1 means the same partition, about 0 what chance would give.")

if selection.labels is None:
    st.caption("This data has no true labels, so only the two methods are compared with each other.")
else:
    st.markdown("**Confusion tables** against the true labels. Clusters are matched to classes one-to-one so "
                "that the total of the matched counts is as large as possible (Hungarian algorithm); a cluster "
                "need not get the class it overlaps most. Matched counts lie on the diagonal.")
    table_cols = st.columns(2)
    for col, (name, labels) in zip(table_cols, (("k-means", kmeans_labels), ("GMM", gmm_labels))):
        frame, accuracy = compare.confusion_frame(labels, selection.labels, name=name)
        col.dataframe(frame, key=f"kvg_confusion_{name}")
        col.caption(f"{name}: {accuracy:.1%} of points in the cluster matched to their own class.")

st.divider()
st.header("k-means is a Gaussian mixture in the limit")
st.markdown("Hold every weight at 1/K and every covariance at σ²I, and start EM from the **same k-means++ seeds** "
            "as k-means above: only the means are fitted. Slide σ down and watch the soft responsibilities "
            "harden into the k-means partition (the theory page's section 2 derives why).")
spread = compare.data_spread(selection.X)
notches = list(compare.LIMIT_NOTCHES)
factor = st.select_slider("σ, as a multiple of the data's spread", options=notches, value=notches[2],
                          key="kvg_sigma", format_func=lambda f: f"{f:g} × {spread:.3g}",
                          help="A log scale: each notch is σ for every component, relative to the root mean "
                               "variance of the data's columns.")
soft = fitting.soft_kmeans(selection.X, options, history, factor * spread)
final_kmeans = history.labels(kmeans_steps[-1])
summary = compare.limit_summary(soft, final_kmeans)
st.info(compare.limit_sentence(factor, summary))
soft_col, hard_col = st.columns(2)
with soft_col:
    st.markdown(f"**EM with σ = {factor * spread:.3g}, weights 1/K** (its final step; colours: responsibilities)")
    pagekit.draw_step(soft, -1, view, key="kvg_soft_chart", lecture=lecture)
with hard_col:
    st.markdown("**k-means from the same seeds** (its final partition)")
    pagekit.draw_step(history, kmeans_steps[-1], view, key="kvg_hard_chart", lecture=lecture)
cols = st.columns(4)
cols[0].metric("ARI soft vs k-means", f"{summary['ari']:.3f}",
               help="Adjusted Rand index of the soft fit's most responsible components and the k-means clusters.")
cols[1].metric("Mean max γ", f"{summary['hardness']:.3f}", help="1 means every responsibility is 0 or 1 (hard).")
cols[2].metric("J of the soft fit", f"{summary['J']:,.1f}",
               delta=f"{summary['J'] - history[kmeans_steps[-1]].kmeans_objective:+,.1f} vs k-means",
               delta_color="inverse", help="The k-means objective of the soft fit's means and partition.")
cols[3].metric("Log-likelihood", f"{summary['log_likelihood']:,.1f}",
               help="Of the soft fit's mixture (σ²I, weights 1/K). As σ shrinks it is dominated by "
                    "−J / 2σ²: maximising it is minimising J.")

