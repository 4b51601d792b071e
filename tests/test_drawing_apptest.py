"""The "Draw your own" data source under AppTest: the canvas's reports, the fit, the link, the refusals.

The browser's canvas reports its drawing as ``st.session_state["drawing"]["drawing"]`` (the
component's state value, which its callback and every run read): the tests set that value,
as the browser does, and rerun.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from emviz import drawn_data, fitting
from emviz.datasets import DATASETS, load_dataset
from pagetest import open_page, run_app

KMEANS_VS_GMM = "pages/1_k-means_vs_GMM.py"


def _canvas(at) -> dict:
    """What the page sent the drawing canvas on the last run."""
    found = [json.loads(c.proto.json) for c in at.get("bidi_component") if c.proto.component_name == "emviz_drawing"]
    assert len(found) == 1, "the page must mount exactly one drawing canvas"
    return found[0]


def _two_blobs(n_per: int = 40, seed: int = 0) -> tuple[np.ndarray, list[int]]:
    rng = np.random.default_rng(seed)
    xy = np.vstack([rng.normal((2.5, 3.0), 0.6, (n_per, 2)), rng.normal((7.0, 6.5), 0.9, (n_per, 2))])
    return np.clip(xy, 0, 10), [1] * n_per + [2] * n_per


def _report(at, xy, classes, *, rev: int = 1, origin: str | None = None, **changes) -> None:
    """The canvas's report of this drawing, as the browser sends it (data units, blank axes)."""
    report = {"origin": _canvas(at)["origin"] if origin is None else origin, "rev": rev, "axes": [0, 10, 0, 10],
              "x": [float(v) for v in xy[:, 0]], "y": [float(v) for v in xy[:, 1]], "cls": list(classes)}
    report.update(changes)
    at.session_state["drawing"] = {"drawing": report}
    at.run()
    assert not at.exception, [e.message for e in at.exception]


def _texts(elements) -> str:
    return " ".join(e.value for e in elements)


def test_a_report_is_the_data_the_explorer_fits_and_links():
    at = run_app(session={"dataset": "drawn"})
    assert "empty" in _texts(at.info), "an empty canvas says what to do"
    xy, classes = _two_blobs()
    before = fitting.FIT_CALLS["count"]
    _report(at, xy, classes)
    assert not at.error, [e.value for e in at.error]
    drawing = at.session_state["drawn"]
    snapped = drawn_data.coordinates(drawn_data.drawing_from_points(xy, axes=drawn_data.BLANK_AXES))
    assert np.array_equal(drawn_data.coordinates(drawing), snapped)
    assert drawn_data.class_labels(drawing).tolist() == ["A"] * 40 + ["B"] * 40
    assert fitting.FIT_CALLS["count"] == before + 1, "the report is fitted once"
    stepper = [json.loads(c.proto.json) for c in at.get("bidi_component") if c.proto.component_name == "emviz_stepper"]
    assert len(stepper) == 1 and stepper[0]["n"] > 3, "the explorer shows the fit's steps"
    assert "Your drawing** · 80 points" in _texts(at.caption), _texts(at.caption)
    assert _canvas(at)["n"] == 80
    # The link carries exactly these points, and opens them in a new session.
    link = at.query_params["pts"]
    link = link[0] if isinstance(link, list) else link
    assert drawn_data.decode_link(link) == drawing
    again = run_app(query={"data": "drawn", "pts": link, "k": "2"})
    assert again.session_state["drawn"] == drawing
    assert again.session_state["n_components"] == 2
    # The same report again (a rerun) is not taken twice, and an older revision never replaces a newer one.
    fitted = fitting.FIT_CALLS["count"]
    at.run()
    assert fitting.FIT_CALLS["count"] == fitted and len(at.session_state["drawn"]) == 80
    _report(at, xy[:10], classes[:10], rev=0)
    assert len(at.session_state["drawn"]) == 80, "an older revision must not replace the drawing"


def test_too_few_points_say_so_and_nothing_is_fitted():
    at = run_app(session={"dataset": "drawn", "n_components": 3})
    before = fitting.FIT_CALLS["count"]
    _report(at, np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 1.0]]), [0, 0, 0])
    assert "Draw at least 4 points" in _texts(at.warning), _texts(at.warning)
    assert fitting.FIT_CALLS["count"] == before, "no fit below K + 1 points"
    assert [c.proto.component_name for c in at.get("bidi_component")] == ["emviz_drawing"], "no stepper, no chart"
    assert len(at.session_state["drawn"]) == 3, "the drawing is kept"
    assert _canvas(at)["n"] == 3
    link = at.query_params["pts"]  # and it travels in the link, as a bigger drawing does
    assert drawn_data.decode_link(link[0] if isinstance(link, list) else link) == at.session_state["drawn"]
    # K = 2 needs three points: now the page fits.
    at.session_state["n_components"] = 2
    at.run()
    assert not at.exception and fitting.FIT_CALLS["count"] == before + 1
    assert "emviz_stepper" in [c.proto.component_name for c in at.get("bidi_component")]


@pytest.mark.parametrize(("change", "why"), [
    ({"x": "not a list"}, "not lists"),
    ({"x": [1.0, float("nan")], "y": [1.0, 2.0], "cls": [0, 0]}, "finite"),
    ({"x": [1.0, 2.0], "y": [1.0], "cls": [0, 0]}, "different lengths"),
    ({"x": [1.0] * 20_001, "y": [1.0] * 20_001, "cls": [0] * 20_001}, "20,000"),
])
def test_a_malformed_report_is_refused_and_nothing_is_lost(change, why):
    at = run_app(session={"dataset": "drawn", "n_components": 2})
    xy, classes = _two_blobs(10)
    _report(at, xy, classes, rev=1)
    kept = at.session_state["drawn"]
    assert len(kept) == 20
    _report(at, xy, classes, rev=2, **change)
    warnings = _texts(at.warning)
    assert "cannot use" in warnings and why in warnings, warnings
    assert at.session_state["drawn"] == kept, "the last good drawing is kept"
    at.run()
    assert "cannot use" not in _texts(at.warning), "the refusal is shown once"


def test_a_report_about_a_replaced_drawing_is_dropped():
    at = run_app(session={"dataset": "drawn", "n_components": 2})
    xy, classes = _two_blobs(10)
    _report(at, xy, classes, origin="an-older-drawing")
    assert len(at.session_state["drawn"]) == 0
    assert not at.warning or "cannot use" not in _texts(at.warning)


def test_a_malformed_link_is_ignored_with_a_note():
    at = run_app(query={"data": "drawn", "pts": "AQAA-not-points"})
    warnings = _texts(at.warning)
    assert "Drawn points" in warnings and "canvas starts blank" in warnings, warnings
    assert len(at.session_state["drawn"]) == 0
    assert "empty" in _texts(at.info)
    too_many = drawn_data.pack(drawn_data.drawing_from_points(np.full((301, 2), 5.0), axes=drawn_data.BLANK_AXES))
    at = run_app(query={"data": "drawn", "pts": too_many})
    assert "at most 300" in _texts(at.warning)


def test_a_big_drawing_is_shared_as_csv_not_in_the_link():
    at = run_app(session={"dataset": "drawn", "n_components": 2})
    xy, classes = _two_blobs(200)
    _report(at, xy, classes)
    assert "pts" not in at.query_params
    assert "download the CSV to share it" in _texts(at.caption)
    assert at.query_params["data"] in ("drawn", ["drawn"])


def test_kmeans_vs_gmm_compares_with_the_drawn_classes():
    at = open_page(KMEANS_VS_GMM, "drawn", n_components=2)
    xy, classes = _two_blobs(40)
    _report(at, xy, classes)
    assert not at.error, [e.value for e in at.error]
    ari = {m.label: float(m.value) for m in at.metric if m.label.startswith("ARI")}
    assert "ARI GMM vs true labels" in ari and "ARI k-means vs true labels" in ari, ari
    assert ari["ARI GMM vs true labels"] > 0.9, "two well separated drawn blobs are found again"
    # Without classes there are no true labels to compare with.
    _report(at, xy, [0] * 80, rev=2)
    assert not any("true labels" in m.label for m in at.metric)


@pytest.mark.parametrize("key", ["mouse", "iris"])
def test_starting_from_a_built_in_set_loads_its_first_two_columns_and_labels(key):
    at = run_app(session={"dataset": key})
    at.selectbox(key="w_dataset").set_value("drawn").run()
    assert at.selectbox(key="w_draw_start").value == key, "the set chosen last is offered to start from"
    at.button(key="draw_start_button").click().run()
    assert not at.exception and not at.error
    info = DATASETS[key]
    frame = load_dataset(key)
    drawing = at.session_state["drawn"]
    xy = frame[list(info.feature_columns[:2])].to_numpy(dtype=float)
    x0, x1, y0, y1 = drawing.axes
    assert np.allclose(drawn_data.coordinates(drawing), xy, atol=max(x1 - x0, y1 - y0) / 1000)
    labels = drawn_data.class_labels(drawing)
    assert len(set(labels)) == frame[info.label_column].nunique()
    assert _canvas(at)["n"] == len(xy)
    assert "Started from" in at.session_state["drawn_about"]


def test_one_column_sets_are_not_offered_to_start_from():
    at = run_app(session={"dataset": "drawn"})
    options = at.selectbox(key="w_draw_start").options
    assert all("1-D" not in o and "bimodal" not in o.lower() for o in options), options
    assert len(options) == 1 + sum(len(i.feature_columns) >= 2 for i in DATASETS.values())


def _navigation() -> list[str]:
    import re
    from pathlib import Path

    from pagetest import APP
    return re.findall(r'st\.Page\("(pages/[^"]+\.py)"', Path(APP).read_text())


@pytest.mark.parametrize("page", _navigation())
def test_every_page_works_on_a_drawing(page):
    """A drawing is a data set like any other: every page runs on it (here opened from a link)."""
    from streamlit.testing.v1 import AppTest

    from pagetest import APP
    xy, classes = _two_blobs(30)
    link = drawn_data.encode_link(drawn_data.drawing_from_points(xy, np.array(classes).astype(str),
                                                                 axes=drawn_data.BLANK_AXES))
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in {"data": "drawn", "pts": link, "k": "2"}.items():
        at.query_params[key] = value
    if page != "pages/explorer.py":
        at.switch_page(page)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert len(at.session_state["drawn"]) == 60
    assert _canvas(at)["n"] == 60, "the canvas heads every page"
    assert not any("Draw at least" in w.value for w in at.warning)
