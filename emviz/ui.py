"""Sidebar controls shared by every page: data selection and fit options.

Streamlit forgets a widget's value when the user switches to a page that does
not draw it, so every choice is mirrored into a plain session-state key and
written back into the widget on the next page. The built-in data set, the
options and the step also live in the URL so that a link reopens the same view.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import streamlit as st

from . import csv_loader, drawing, drawn_data, placed_means, saved_fit
from .datasets import DATASETS, load_dataset
from .fitting import COVARIANCE_LABELS, INIT_LABELS, FitOptions
from .settings import MAX_COMPONENTS, MEANS_PARAMETER, SETTINGS, encode_means, parse_link_value, setting_for_key

UPLOAD = "upload"
#: The data source "Draw your own" (emviz.drawing); its points travel in the link as ``pts``.
DRAWN = "drawn"
POINTS_PARAMETER = "pts"

@dataclass(frozen=True)
class DataSelection:
    """The data every page works on.

    Attributes
    ----------
    source : str
        Built-in data set key, or ``"upload"``.
    title, note : str
        Name and teaching note shown to the user.
    X : numpy.ndarray of shape (N, d)
        The numeric matrix that is fitted.
    feature_names : tuple of str
    labels : numpy.ndarray or None
        True labels (strings) when known; used to compare, never to fit.
    row_numbers : numpy.ndarray of shape (N,)
        Row numbers in the original table (uploads may drop rows).
    default_k : int
    messages : tuple of str
        What the loader dropped or noticed, in plain sentences.
    n_rows_in_file : int or None
        The file's data rows when the loader kept only a random sample of them (its row
        cap); None when every row was read.
    """

    source: str
    title: str
    note: str
    X: np.ndarray
    feature_names: tuple[str, ...]
    labels: np.ndarray | None
    row_numbers: np.ndarray
    default_k: int
    messages: tuple[str, ...] = ()
    n_rows_in_file: int | None = None


def restore_from_url() -> None:
    """Seed the session from the URL once per session (shared links open the same view).

    A value the widget cannot show is not used: the default stays, and a note
    (shown by :func:`show_messages`) says which value was refused and what is allowed.
    """
    if st.session_state.get("_url_restored"):
        return
    st.session_state["_url_restored"] = True
    params = st.query_params
    notes = []
    for setting in SETTINGS:
        if setting.url in params:
            try:
                st.session_state[setting.key] = parse_link_value(setting, params[setting.url])
            except ValueError as reason:
                default = "the data set's default" if setting.default is None else f"{setting.default:g}" \
                    if isinstance(setting.default, float) else f"{setting.default}"
                notes.append(f"{setting.what}: the link's value “{csv_loader.safe_label(params[setting.url][:40])}” "
                             f"{reason} (allowed: {setting.allowed_text()}); {default} is used instead.")
    if MEANS_PARAMETER in params:
        st.session_state[placed_means.LINK_KEY] = params[MEANS_PARAMETER]  # read once K and the data are known
    if POINTS_PARAMETER in params:
        try:
            drawing.replace(drawn_data.decode_link(params[POINTS_PARAMETER]), "Opened from a link.")
        except ValueError as reason:
            notes.append(f"Drawn points: {reason}, so they were left out; the canvas starts blank.")
    if "step" in params:
        try:
            st.session_state["pending_step"] = int(params["step"])
        except ValueError:
            notes.append("Step: the link's value is not a whole number; the explorer's default step is shown.")
    st.session_state["url_notes"] = notes


def write_url(options: FitOptions | None, dataset: str, step: int | None = None) -> None:
    """Mirror the shareable settings into the URL (an uploaded file cannot travel in a link).

    A drawing travels as ``pts`` when it is small (:data:`emviz.drawn_data.MAX_LINK_POINTS`).
    """
    values = {} if dataset == UPLOAD else {"data": dataset}
    points = drawing.link_value() if dataset == DRAWN else None
    if points is not None:
        values[POINTS_PARAMETER] = points
    elif POINTS_PARAMETER in st.query_params:
        del st.query_params[POINTS_PARAMETER]  # another data source, or a drawing too big for a link
    if options is not None:
        values.update({s.url: getattr(options, s.key) for s in SETTINGS if hasattr(options, s.key)})
    if options is not None and options.means_init is not None:
        values[MEANS_PARAMETER] = encode_means(options.means_init)
    elif MEANS_PARAMETER in st.query_params:
        del st.query_params[MEANS_PARAMETER]  # another start: the placed means no longer describe the fit
    if step is not None:
        values["step"] = step
    current = st.query_params.to_dict()
    wanted = {k: str(v) for k, v in values.items()}
    if any(current.get(k) != v for k, v in wanted.items()):
        st.query_params.update(wanted)


def _remember(key: str) -> None:
    st.session_state[key] = st.session_state[f"w_{key}"]


def _widget_key(key: str, default=None) -> str:
    """Key of the widget mirroring ``key``, seeded with the remembered value (else ``default``,
    else the shareable setting's default)."""
    if key not in st.session_state:
        st.session_state[key] = setting_for_key(key).default if default is None else default
    st.session_state[f"w_{key}"] = st.session_state[key]
    return f"w_{key}"


def _store_upload() -> None:
    uploaded = st.session_state.get("w_upload")
    if uploaded is not None:
        st.session_state["upload_bytes"] = uploaded.getvalue()
        st.session_state["upload_name"] = uploaded.name
        st.session_state["dataset"] = UPLOAD


def data_sidebar() -> DataSelection | None:
    """Data controls in the sidebar; returns the selection, or None if nothing usable is loaded."""
    restore_from_url()
    sb = st.sidebar
    sb.header("Data")
    options = list(DATASETS) + [DRAWN] + ([UPLOAD] if "upload_bytes" in st.session_state else [])
    if st.session_state.get("dataset") == UPLOAD and "upload_bytes" not in st.session_state:
        st.session_state["dataset"] = "mouse"
    key = sb.selectbox(
        "Data set", options, key=_widget_key("dataset"), on_change=_remember, args=("dataset",),
        format_func=lambda k: f"Your file: {st.session_state.get('upload_name', 'upload')}" if k == UPLOAD
        else "Draw your own" if k == DRAWN else DATASETS[k].title,
        help="Built-in teaching data sets, your own points drawn on a canvas, or the CSV you uploaded below.")
    sb.file_uploader(
        "Upload your own CSV (or a saved fit)", type=["csv", "txt", "tsv", "emviz"], key="w_upload",
        on_change=_store_upload,
        help="Comma, semicolon, tab or pipe separated; a header row is optional. "
             "Rows with missing or non-numeric values in the chosen columns are dropped and listed. "
             "A .emviz file (the explorer's download, or `python -m em_core fit`) opens a saved fit.")
    if key == UPLOAD:
        name, data = st.session_state.get("upload_name", "upload.csv"), st.session_state["upload_bytes"]
        if saved_fit.looks_saved(name, data):
            return _saved_selection(name, data)
        return _uploaded_selection(sb)
    if key == DRAWN:
        X, labels, note = drawing.selection_parts()
        return DataSelection(DRAWN, "Your drawing", note, X, ("x", "y"), labels, np.arange(X.shape[0]), default_k=3)
    st.session_state[drawing.BASE] = key  # the set "Draw your own" offers to start from
    info = DATASETS[key]
    X = dataset_matrix(key)
    labels = load_dataset(key)[info.label_column].astype(str).to_numpy() if info.label_column else None
    return DataSelection(key, info.title, info.note, X, tuple(info.feature_columns), labels,
                         np.arange(X.shape[0]), info.default_k)


def dataset_matrix(key: str) -> np.ndarray:
    """The numeric matrix of built-in data set ``key``, as every page fits it."""
    return load_dataset(key)[list(DATASETS[key].feature_columns)].to_numpy(dtype=float)


def _saved_selection(name: str, data: bytes) -> DataSelection | None:
    """A saved fit: its display sample is the data every picture draws; nothing is refitted."""
    try:
        history = saved_fit.load(data)
    except ValueError as err:
        st.error(f"Could not open **{csv_loader.safe_label(name)}** as a saved fit: {csv_loader.safe_label(str(err))}")
        return None
    shown = history.n_samples
    note = (f"A saved fit of {history.n_samples_total:,} rows with {len(history)} recorded steps; the pictures "
            + ("show all of its rows." if shown == history.n_samples_total else
               f"show its display sample of {shown:,} rows (the fit itself used every row)."))
    return DataSelection(saved_fit.SAVED, f"Saved fit: {csv_loader.safe_label(name)}", note, history.X,
                         tuple(history.column_names or (f"x{j + 1}" for j in range(history.n_features))), None,
                         history.row_numbers if history.row_numbers is not None else np.arange(shown),
                         default_k=history.n_components)


def _uploaded_selection(sb) -> DataSelection | None:
    name = st.session_state.get("upload_name", "upload.csv")
    try:
        table = csv_loader.load_csv(st.session_state["upload_bytes"], name)
    except csv_loader.CsvError as err:
        st.error(f"Could not use **{csv_loader.safe_label(name)}**: {csv_loader.safe_label(str(err))}")
        return None
    numeric = list(table.numeric_columns)  # never empty: load_csv refuses a table without numbers
    default_columns = csv_loader.default_feature_columns(table)
    chosen_key = f"columns::{name}::{len(st.session_state['upload_bytes'])}"
    if chosen_key not in st.session_state or not set(st.session_state[chosen_key]) <= set(numeric):
        st.session_state[chosen_key] = list(default_columns)
    st.session_state["w_columns"] = st.session_state[chosen_key]
    columns = sb.multiselect(
        "Columns to fit", numeric, key="w_columns",
        on_change=lambda: st.session_state.__setitem__(chosen_key, st.session_state["w_columns"]),
        help="Numeric columns used by the fit. One column gives the 1-D histogram view.")
    label_options = ["(none)"] + [c for c in table.frame.columns if c not in columns]
    if st.session_state.get("label_column", "(none)") not in label_options:
        st.session_state["label_column"] = "(none)"
    label_column = sb.selectbox("Label column (compare only)", label_options,
                                key=_widget_key("label_column", "(none)"), on_change=_remember,
                                args=("label_column",),
                                help="Known classes, used only to compare clusterings, never to fit.")
    standardise = sb.checkbox("Standardise columns", key=_widget_key("standardise", False),
                              on_change=_remember, args=("standardise",),
                              help="Rescale every column to mean 0 and standard deviation 1 before fitting.")
    if not columns:
        st.warning("Choose at least one column to fit in the sidebar.")
        return None
    try:
        X, report = csv_loader.select_features(table, columns, standardise=standardise, min_rows=2)
    except csv_loader.CsvError as err:
        st.error(csv_loader.safe_label(str(err)))
        return None
    # The frame's index is the file line of each row; the report lists the lines it dropped.
    lines = table.frame.index.to_numpy()
    kept = ~np.isin(lines, np.asarray(report.dropped_rows, dtype=lines.dtype))
    kept_rows = lines[kept]
    labels = None
    if label_column and label_column != "(none)":
        labels = table.frame[label_column].fillna("(missing)").astype(str).to_numpy()[kept]
    messages = tuple(table.report.messages) + tuple(m for m in report.messages if m not in table.report.messages)
    return DataSelection(UPLOAD, f"Your file: {csv_loader.safe_label(name)}", "Your own data.", X, tuple(columns), labels,
                         np.asarray(kept_rows), default_k=min(3, X.shape[0]), messages=messages,
                         n_rows_in_file=table.report.n_rows_read if table.report.sampled else None)


def show_messages(selection: DataSelection) -> None:
    """Link values that were refused (once), then the loader's remarks as a collapsed note (never a traceback)."""
    for note in st.session_state.pop("url_notes", ()):
        st.warning(f"This link asked for something the app does not offer. {note}")
    if selection.messages:
        with st.expander(f"Notes on your file ({len(selection.messages)})", expanded=False):
            for message in selection.messages:
                st.text(message)


def options_sidebar(selection: DataSelection, *, n_components_default: int | None = None) -> FitOptions:
    """Fit options in the sidebar; changing any of them refits (once, then cached).

    A saved fit has its options already: they are stated, not offered.
    """
    sb = st.sidebar
    if selection.source == saved_fit.SAVED:
        options = saved_fit.options_of(saved_fit.load(st.session_state["upload_bytes"]))
        sb.header("Model")
        sb.caption(f"Saved with K = {options.n_components}, {options.covariance_type} covariances, "
                   f"{options.init} start, seed {options.seed}, reg_covar {options.reg_covar:g}. "
                   "Upload a CSV or pick a built-in data set to fit anew.")
        return options
    sb.header("Model")
    # Uploads keep at least two rows (select_features(min_rows=2)), so K = 2 is always possible. A drawing
    # keeps the whole range: it is refused below K + 1 points (pagekit), and K must not shrink while it grows.
    max_k = MAX_COMPONENTS if selection.source == DRAWN else int(min(MAX_COMPONENTS, max(selection.X.shape[0], 2)))
    k_default = min(n_components_default or selection.default_k, max_k)
    if st.session_state.get("n_components") is not None and st.session_state["n_components"] > max_k:
        st.session_state["n_components"] = max_k
    n_components = sb.slider("Components K", 1, max_k, key=_widget_key("n_components", k_default),
                             on_change=_remember, args=("n_components",),
                             help="Number of Gaussian components (and k-means clusters).")
    covariance_type = sb.selectbox("Covariance type", list(COVARIANCE_LABELS),
                                   key=_widget_key("covariance_type"), on_change=_remember,
                                   args=("covariance_type",), format_func=COVARIANCE_LABELS.get,
                                   help="Shape each component's ellipse may take.")
    init = sb.selectbox("Initialisation", list(INIT_LABELS), key=_widget_key("init"),
                        on_change=_remember, args=("init",), format_func=INIT_LABELS.get,
                        help="How EM's starting point is chosen. k-means is recorded step by step.")
    seed = sb.number_input("Random seed", *setting_for_key("seed").bounds, step=1, key=_widget_key("seed"),
                           on_change=_remember, args=("seed",),
                           help="The same seed gives exactly the same fit; change it to see another start.")
    with sb.expander("Stopping and regularisation"):
        max_iter = st.number_input("Max EM iterations", *setting_for_key("max_iter").bounds, step=1,
                                   key=_widget_key("max_iter"), on_change=_remember, args=("max_iter",),
                                   help="EM stops after this many E/M pairs even if not converged.")
        tol = st.select_slider("Tolerance", options=list(setting_for_key("tol").choices),
                               key=_widget_key("tol"), on_change=_remember, args=("tol",),
                               format_func=lambda t: "0 (run all iterations)" if t == 0 else f"{t:g}",
                               help="Stop when the mean log-likelihood per point improves by less than this.")
        reg_covar = st.select_slider("reg_covar", options=list(setting_for_key("reg_covar").choices),
                                     key=_widget_key("reg_covar"), on_change=_remember,
                                     args=("reg_covar",), format_func=lambda t: f"{t:g}",
                                     help="Added to every variance so no covariance becomes singular.")
        n_init = st.number_input("k-means restarts", *setting_for_key("n_init").bounds, step=1,
                                 key=_widget_key("n_init"), on_change=_remember, args=("n_init",),
                                 help="Run k-means this many times and keep the lowest objective J.")
    means_init = None
    if init == "placed" and selection.X.shape[0] >= n_components:  # fewer rows: no fit is tried (a drawing)
        means_init = placed_means.means_table(selection.X, selection.feature_names, n_components, int(seed), sb)
    options = FitOptions(n_components=n_components, covariance_type=covariance_type, init=init,
                         seed=int(seed), max_iter=int(max_iter), tol=float(tol), reg_covar=float(reg_covar),
                         n_init=int(n_init), means_init=means_init)
    if init not in ("kmeans", "kmeans++"):
        options = replace(options, n_init=1)
    return options
