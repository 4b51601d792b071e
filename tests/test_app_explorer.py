"""The explorer page (app.py) under Streamlit's AppTest: runs, steps, never refits, shares links."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from emviz import fitting
from emviz.datasets import DATASETS, load_dataset
from emviz.fitting import INIT_LABELS
from pagetest import APP, run_app


def _run(session=None, query=None) -> AppTest:
    return run_app(query, session)


def _stepper(at: AppTest) -> dict:
    """What the page sent the browser's stepping component on the last run."""
    components = at.get("bidi_component")
    assert len(components) == 1, "the explorer must mount exactly one stepper"
    return json.loads(components[0].proto.json)


def _title(at: AppTest) -> str:
    """The title the browser shows: the one packed with the current step."""
    data = _stepper(at)
    return data["frames"][str(data["step"])]["title"]


def _browser_reports(at: AppTest, step: int) -> AppTest:
    """What the stepper's report does on the server (its callback sets the page's step), then a rerun."""
    at.session_state["step"] = step
    return at.run()


def test_first_screen_shows_mouse_mid_fit():
    at = _run()
    assert "Mouse" in at.caption[0].value or "mouse" in at.caption[0].value.lower()
    assert at.session_state["dataset"] == "mouse"
    assert at.session_state["n_components"] == 3
    title = _title(at)
    assert "M-step" in title, title
    data = _stepper(at)
    frame = data["frames"][str(data["step"])]
    assert [t["name"] for t in frame["data"]][0] == "points", "the main chart is missing its points"
    assert frame["caption"] and data["n"] == 50
    assert at.get("plotly_chart"), "the side panel chart is missing"


@pytest.mark.parametrize("key", list(DATASETS))
def test_every_builtin_data_set_runs(key):
    at = _run({"dataset": key})
    assert at.session_state["dataset"] == key
    assert _title(at)


@pytest.mark.parametrize("init", list(INIT_LABELS))
def test_every_initialisation_runs(init):
    at = _run({"init": init})
    assert at.session_state["init"] == init
    assert not at.error, [e.value for e in at.error]


def test_browser_steps_never_refit_and_never_move_the_browser_back():
    at = _run()
    before = fitting.FIT_CALLS["count"]
    start, seq = at.session_state["step"], _stepper(at)["seq"]
    title = _title(at)
    # The browser stepped on its own and reported it: the page follows without telling it to jump.
    _browser_reports(at, start + 1)
    data = _stepper(at)
    assert (data["step"], data["seq"]) == (start + 1, seq)
    assert _title(at) != title
    assert at.query_params["step"] in ([str(start + 1)], str(start + 1)), "the link must follow the browser's step"
    _browser_reports(at, 0)
    assert "k-means" in _title(at)
    _browser_reports(at, data["n"] - 1)
    assert "Converged" in " ".join(f["html"] for f in _stepper(at)["frames"][str(data["n"] - 1)]["flags"])
    assert _stepper(at)["seq"] == seq
    assert fitting.FIT_CALLS["count"] == before, "moving through steps must never refit"


def test_a_new_fit_tells_the_browser_to_jump():
    at = _run({"seed": 3})
    seq = _stepper(at)["seq"]
    _browser_reports(at, 0)
    at.session_state["seed"] = 4
    at.run()
    data = _stepper(at)
    assert data["seq"] > seq, "the browser must leave step 0 of the old fit for the new fit's first step"
    assert data["step"] == at.session_state["step"] > 0


def test_steps_near_the_current_one_arrive_once_each():
    at = _run()
    data = _stepper(at)
    assert {data["step"], data["step"] + 1} <= {int(i) for i in data["frames"]}, "the first screen and the next"
    held: set[int] = set()
    for _ in range(30):
        arrived = {int(i) for i in data["frames"]}
        assert not arrived & held, "a step the browser holds was sent again"
        held |= arrived
        if data["complete"]:
            break
        # The idle browser says what it holds and asks for the rest.
        at.session_state["stepper"] = {"nav": {"id": data["id"], "step": data["step"],
                                               "have": [[i, i] for i in sorted(held)]}}
        data = _stepper(at.run())
    assert data["complete"]
    assert {data["step"], data["step"] + 1, 0, data["n"] - 1} <= held


def test_changing_a_control_refits_once():
    at = _run({"seed": 12345})
    before = fitting.FIT_CALLS["count"]
    at.session_state["seed"] = 54321
    at.run()
    assert fitting.FIT_CALLS["count"] == before + 1
    at.run()
    assert fitting.FIT_CALLS["count"] == before + 1, "a rerun with the same options must hit the cache"


def test_query_parameters_reopen_the_same_step():
    at = _run(query={"data": "blobs", "k": "3", "seed": "7", "step": "4"})
    assert at.session_state["dataset"] == "blobs"
    assert at.session_state["seed"] == 7
    assert at.session_state["step"] == 4
    title = _title(at)
    # The page writes its state back into the URL, so the link it shows reopens this step.
    assert at.query_params["step"] == ["4"] or at.query_params["step"] == "4"
    again = _run(query={k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items()})
    assert _title(again) == title


def test_bad_query_parameters_are_ignored():
    at = _run(query={"data": "<script>", "k": "many", "step": "-3"})
    assert at.session_state["dataset"] == "mouse"
    assert not at.error


def test_lecture_mode_hides_the_sidebar_and_keeps_working():
    at = _run({"lecture": True})
    assert any("stSidebar" in m.value for m in at.markdown if "<style>" in m.value)
    data = _stepper(at)
    assert data["lecture"] is True
    # At 1280x720 the note under the chart would be cut off: it stands beside it with the words.
    frame = data["frames"][str(data["step"])]
    assert "Ellipses enclose" in frame["note"]
    assert frame["layout"]["annotations"] == [] and not (frame["layout"].get("title") or {}).get("text")
    _browser_reports(at, at.session_state["step"] + 1)
    assert not at.exception


def test_lecture_mode_from_a_shared_link():
    at = _run(query={"lecture": "1"})
    assert at.session_state["lecture"] is True
    assert any("stSidebar" in m.value for m in at.markdown if "<style>" in m.value)


def test_client_side_animation_has_a_frame_per_step():
    at = _run({"dataset": "blobs"})
    charts_before = len(at.get("plotly_chart"))
    at.toggle(key="show_animation").set_value(True).run()
    assert not at.exception
    charts = at.get("plotly_chart")
    assert len(charts) == charts_before + 1
    spec = json.loads(charts[-1].proto.spec)
    X = load_dataset("blobs")[["x", "y"]].to_numpy(dtype=float)
    history = fitting.fit(X, fitting.FitOptions(n_components=4))
    assert len(spec["frames"]) == len(history)


def test_one_column_data_shows_a_histogram():
    at = _run({"dataset": "bimodal_1d"})
    assert not at.error
    frame = _stepper(at)["frames"][str(_stepper(at)["step"])]
    assert any(t["type"] == "bar" for t in frame["data"]), "one-column data is drawn as a histogram"
    _browser_reports(at, at.session_state["step"] + 1)
    assert not at.exception


def test_one_column_data_names_its_axis_and_offers_the_html_animation():
    at = _run({"dataset": "bimodal_1d"})
    data = _stepper(at)
    frame = data["frames"][str(data["step"])]
    assert frame["layout"]["xaxis"]["title"]["text"] == "x", "the axis says the column's name, not x1"
    labels = [button.proto.label for button in at.get("download_button")]
    assert "Download HTML animation" in labels, labels
    charts_before = len(at.get("plotly_chart"))
    at.toggle(key="show_animation").set_value(True).run()
    assert not at.exception
    spec = json.loads(at.get("plotly_chart")[-1].proto.spec)
    assert len(at.get("plotly_chart")) == charts_before + 1 and len(spec["frames"]) == data["n"]
    assert spec["layout"]["xaxis"]["title"]["text"] == "x"


def test_layers_travel_with_every_step_sent_to_the_browser():
    at = _run()
    for key in ("density", "posterior", "beliefs"):
        at.sidebar.toggle(key=f"overlay_{key}").set_value(True)
    at.run()
    assert not at.exception
    data = _stepper(at)
    frame = data["frames"][str(data["step"])]
    names = [t["name"] for t in frame["data"]]
    assert names[0] == "points" and names[-2:] == ["density contours", "sample from this step's model"]
    assert len(frame["layout"]["images"]) == 1, "the posterior map rides with the step"
    assert "Background: each point of the plane" not in frame.get("note", "")  # the note sits in the figure
    # No layer for one-column data: the toggles are not even offered.
    one = _run({"dataset": "bimodal_1d"})
    assert not [t for t in one.sidebar.toggle if t.key and t.key.startswith("overlay_")]


# --------------------------------------------------------------------------- saved fits
def _saved(sample=150):
    import io

    import em_core
    import numpy as np

    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal(c, 0.7, (100, 2)) for c in ((-3, 0), (3, 0), (0, 4))])
    history = em_core.fit_history(X, 3, seed=2, max_iter=10, tol=0.0)
    buffer = io.BytesIO()
    history.save(buffer, sample=sample, column_names=["a", "b"])
    return buffer.getvalue(), history


def _with_upload(name: str, data: bytes) -> dict:
    return {"upload_bytes": data, "upload_name": name, "dataset": "upload"}


def test_a_saved_fit_is_scrubbed_like_a_live_fit_without_refitting():
    data, history = _saved()
    before = fitting.FIT_CALLS["count"]
    at = _run(_with_upload("class.emviz", data))
    assert fitting.FIT_CALLS["count"] == before, "a saved fit is never refitted"
    stepper_data = _stepper(at)
    assert stepper_data["n"] == len(history)
    frame = stepper_data["frames"][str(stepper_data["step"])]
    assert frame["data"][0]["name"] == "points"
    shown = " ".join([e.label for e in at.expander] + [c.value for c in at.caption]
                     + [m.value for m in at.markdown]).replace("\\", "")  # markdown escapes: class\.emviz
    assert "Saved fit: class.emviz" in shown and "display sample of 150 rows" in shown
    assert any("Saved with K = 3" in c.value for c in at.sidebar.caption)
    # Every step of the saved history is what the browser gets to scrub.
    for index, frame in stepper_data["frames"].items():
        assert frame["title"].startswith(em_core_title(history, int(index)))
    # Pages that refit the data say so instead of breaking.
    other = AppTest.from_file(APP, default_timeout=60)
    for key, value in _with_upload("class.emviz", data).items():
        other.session_state[key] = value
    other.switch_page("pages/3_Choose_K.py").run()
    assert not other.exception and "A saved fit is loaded" in other.info[0].value


def em_core_title(history, index):
    from emviz import explain

    return explain.step_title(history, index)


def test_a_broken_saved_fit_gets_a_sentence_not_a_traceback():
    data, _ = _saved()
    at = _run(_with_upload("class.emviz", data[: len(data) // 2]))
    assert not at.exception
    assert any("Could not open" in e.value and "saved fit" in e.value for e in at.error)


def test_the_explorers_download_reopens_as_the_same_fit():
    import io

    import em_core
    import numpy as np

    from emviz import saved_fit

    data, history = _saved(sample=300)
    again = em_core.load_history(io.BytesIO(saved_fit.emviz_bytes(saved_fit.load(data), ["a", "b"])))
    assert len(again) == len(history) and again.column_names == ("a", "b")
    for one, two in zip(history, again):
        np.testing.assert_array_equal(one.means, two.means)
        assert one.log_likelihood == two.log_likelihood


def test_a_saved_fits_maths_counts_every_fitted_row_and_names_rows_by_their_number():
    from emviz import explain, saved_fit

    data, history = _saved(sample=150)
    loaded = saved_fit.load(data)
    index = loaded.indices_of("m_step")[1]
    assert f"N = {history.n_samples}," in explain.m_step_numbers(loaded, index)  # 300 fitted rows, not 150 shown
    blocks = explain.point_arithmetic(loaded, index, 7)
    assert blocks[0][1][0].startswith(f"x_{{{int(loaded.row_numbers[7])}}}")
    # The arithmetic is the sample row's own: its γ is the one the picture shows for that row.
    shown = loaded.responsibilities(index - 1)[7]
    assert blocks[0][1][-1] == r"\gamma = (" + ", ".join(f"{g:.3f}" for g in shown) + ")"
