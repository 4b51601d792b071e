"""Downloads: the history as data and as a standalone HTML animation.

Pure functions; the pages pass them to ``st.download_button`` as callables so
nothing is built until the user asks for it.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

import em_core


def history_frame(history: em_core.History, feature_names=None) -> pd.DataFrame:
    """One row per step and component: kind, iteration, weight, mean, covariance, log-likelihood."""
    d = history.n_features
    names = list(feature_names or [f"x{j + 1}" for j in range(d)])
    rows = []
    for step in history:
        full = em_core.expand_covariances(np.asarray(step.covariances), history.covariance_type,
                                          history.n_components, d)
        for k in range(history.n_components):
            row = {"step": step.index, "kind": step.kind, "iteration": step.iteration, "component": k + 1,
                   "weight": step.weights[k], "N_k": step.counts[k],
                   "log_likelihood": step.log_likelihood, "lower_bound": step.lower_bound,
                   "kmeans_objective": step.kmeans_objective,
                   "flags": ";".join(f"{n}:{','.join(str(c + 1) for c in comps)}" if comps else n
                                     for n, comps in step.flags.items())}
            for j, name in enumerate(names):
                row[f"mean[{name}]"] = step.means[k, j]
            for i in range(d):
                for j in range(i, d):
                    row[f"cov[{names[i]},{names[j]}]"] = full[k, i, j]
            rows.append(row)
    return pd.DataFrame(rows)


def history_csv(history: em_core.History, feature_names=None) -> str:
    """The history as CSV text (see :func:`history_frame`)."""
    return history_frame(history, feature_names).to_csv(index=False)


def history_json(history: em_core.History, feature_names=None) -> str:
    """The history as JSON: options, then every step's parameters in scikit-learn's shapes."""
    payload = {
        "options": dict(history.options),
        "feature_names": list(feature_names or []),
        "converged": history.converged,
        "n_iter": history.n_iter,
        "steps": [
            {"index": s.index, "kind": s.kind, "iteration": s.iteration, "weights": s.weights.tolist(),
             "means": s.means.tolist(), "covariances": s.covariances.tolist(), "counts": s.counts.tolist(),
             "log_likelihood": s.log_likelihood, "lower_bound": s.lower_bound,
             "kmeans_objective": s.kmeans_objective, "flags": {k: list(v) for k, v in s.flags.items()}}
            for s in history
        ],
    }
    return json.dumps(payload, indent=1)


def responsibilities_csv(history: em_core.History, index: int, row_numbers=None) -> str:
    """The responsibilities in force at step ``index``, one row per data point."""
    resp = history.responsibilities(index)
    frame = pd.DataFrame(resp, columns=[f"gamma_{k + 1}" for k in range(history.n_components)])
    frame.insert(0, "row", np.arange(resp.shape[0]) if row_numbers is None else np.asarray(row_numbers))
    return frame.to_csv(index=False)


def animation_html(figure) -> str:
    """A self-contained HTML page (plotly.js embedded) that replays an animation figure offline."""
    return figure.to_html(include_plotlyjs=True, full_html=True, auto_play=False,
                          config={"displaylogo": False, "responsive": True})
