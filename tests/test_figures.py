"""Tests for the pure figure builders (emviz.figures, emviz.palette)."""

from __future__ import annotations

import base64
import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from scipy import stats

import em_core
from emviz import export
from emviz import figures as F
from emviz.ellipse_levels import ELLIPSE_LEVELS
from emviz.palette import component_colors, mix_colors, to_rgb


# --------------------------------------------------------------------------- fixtures
def _blobs(n_per: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [4.0, 1.0], [1.5, 4.0]])
    scales = [np.array([[1.0, 0.4], [0.0, 0.5]]), np.array([[0.6, 0.0], [0.3, 0.8]]), np.eye(2) * 0.7]
    return np.vstack([rng.normal(size=(n_per, 2)) @ s + c for c, s in zip(centres, scales)])


@pytest.fixture(scope="module")
def hist2d():
    return em_core.fit_history(_blobs(100, 0), 3, seed=1, max_iter=8, tol=0.0)


@pytest.fixture(scope="module")
def view2d(hist2d):
    return F.make_view(hist2d, column_names=["a", "b"])


@pytest.fixture(scope="module")
def hist4d():
    rng = np.random.default_rng(2)
    X = np.vstack([rng.normal(size=(70, 4)) * [1.0, 0.5, 0.8, 0.3] + c
                   for c in ([0, 0, 0, 0], [3, 1, -2, 1], [-2, 3, 1, -1])])
    return em_core.fit_history(X, 3, seed=0, max_iter=10)


@pytest.fixture(scope="module")
def hist1d():
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.normal(-2.0, 0.7, 180), rng.normal(2.5, 1.2, 120)])[:, None]
    return em_core.fit_history(x, 2, seed=0, max_iter=6, tol=0.0)


def _trace(fig, name):
    matches = [t for t in fig.data if t.name == name]
    assert len(matches) == 1, f"expected one trace named {name!r}, got {[t.name for t in fig.data]}"
    return matches[0]


def _roles(fig, role):
    return [t for t in fig.data if t.meta and t.meta.get("role") == role]


def _xy(trace):
    x = np.asarray([np.nan if v is None else v for v in trace.x], dtype=float)
    y = np.asarray([np.nan if v is None else v for v in trace.y], dtype=float)
    return x, y


def _index_of(history, kind, nth=0):
    return history.indices_of(kind)[nth]


# --------------------------------------------------------------------------- palette
def test_component_colors_are_okabe_ito_and_distinct():
    colors = component_colors(7)
    assert colors[0] == "rgb(0,114,178)"
    assert len(set(colors)) == 7
    assert len(set(component_colors(12))) == 12


def test_one_hot_responsibility_gives_exactly_the_component_colour():
    colors = component_colors(3)
    resp = np.eye(3)
    assert mix_colors(resp, colors) == colors


def test_colour_mix_is_linear_in_rgb():
    colors = component_colors(3)
    table = np.array([to_rgb(c) for c in colors], dtype=float)
    resp = np.array([[0.25, 0.75, 0.0], [0.2, 0.3, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    expected = np.rint(resp @ table).astype(int)
    got = np.array([to_rgb(c) for c in mix_colors(resp, colors)])
    np.testing.assert_array_equal(got, expected)
    assert mix_colors([[0.5, 0.5]], ["#000000", "rgb(200,100,50)"]) == ["rgb(100,50,25)"]


def test_points_are_coloured_by_the_steps_responsibilities(hist2d, view2d):
    colors = component_colors(3)
    for i in (_index_of(hist2d, "e_step", 1), _index_of(hist2d, "kmeans_assign")):
        fig = F.step_figure(hist2d, i, view2d)
        resp = hist2d.responsibilities(i)
        assert list(_trace(fig, "points").marker.color) == mix_colors(resp, colors)
    # k-means steps are hard: every point wears exactly one component colour.
    fig = F.step_figure(hist2d, 0, view2d)
    assert set(_trace(fig, "points").marker.color) <= set(colors)


def test_uncertainty_mode_colours_by_one_minus_max_gamma(hist2d, view2d):
    i = _index_of(hist2d, "e_step", 1)
    fig = F.step_figure(hist2d, i, view2d, color_mode="uncertainty")
    marker = _trace(fig, "points").marker
    np.testing.assert_allclose(marker.color, 1.0 - hist2d.responsibilities(i).max(axis=1))
    assert marker.showscale and marker.cmin == 0.0 and marker.cmax == pytest.approx(2 / 3)


# --------------------------------------------------------------------------- ellipse geometry
@pytest.mark.parametrize("level_kind, levels", [("sigma", (1, 2, 3)), ("mass", (0.5, 0.9))])
def test_ellipses_lie_on_the_mahalanobis_radius_of_their_mass(hist2d, view2d, level_kind, levels):
    i = _index_of(hist2d, "m_step", 2)
    fig = F.step_figure(hist2d, i, view2d, levels=levels, level_kind=level_kind)
    means2, covs2 = em_core.project_mixture(hist2d[i].means, hist2d[i].covariances, hist2d.covariance_type,
                                            view2d.projection, view2d.centre)
    ellipses = _roles(fig, "ellipse")
    assert len(ellipses) == 3 * len(levels)
    for trace in ellipses:
        k, mass = trace.meta["component"], trace.meta["mass"]
        expected_mass = em_core.mass_for_sigma(levels[0]) if level_kind == "sigma" else levels[0]
        if trace.name.endswith(f" {'1σ' if level_kind == 'sigma' else '50%'}"):
            assert mass == pytest.approx(expected_mass)
        x, y = _xy(trace)
        diff = np.column_stack([x, y]) - means2[k]
        d2 = np.einsum("ni,ij,nj->n", diff, np.linalg.inv(covs2[k]), diff)
        np.testing.assert_allclose(np.sqrt(d2), em_core.chi2_radius(mass), rtol=1e-9)
    one_sigma = _trace(fig, "ellipse k=1 1σ" if level_kind == "sigma" else "ellipse k=1 50%")
    assert "of component 1's probability mass" in one_sigma.hovertemplate


def test_sigma_ellipse_is_labelled_by_the_mass_it_encloses(hist2d, view2d):
    fig = F.step_figure(hist2d, -1, view2d)
    two = _trace(fig, "ellipse k=2 2σ")
    assert "95.4%" in two.hovertemplate
    note = next(a for a in fig.layout.annotations if a.name == "step note")
    assert "68.3%, 95.4%, 99.7%" in note.text


def test_pca_view_projects_means_and_points_exactly(hist4d):
    view = F.make_view(hist4d, mode="pca")
    W, centre, ratio = em_core.pca(hist4d.X, 2)
    np.testing.assert_allclose(view.projection, W)
    np.testing.assert_allclose(view.coordinates, (hist4d.X - centre) @ W)
    assert view.axis_titles[0] == f"PC1 ({ratio[0]:.0%} of variance)"
    i = _index_of(hist4d, "m_step", 1)
    fig = F.step_figure(hist4d, i, view)
    expected = (np.asarray(hist4d[i].means) - centre) @ W
    for k in range(3):
        mean = _trace(fig, f"mean {k + 1}")
        np.testing.assert_allclose([mean.x[0], mean.y[0]], expected[k], rtol=0, atol=1e-12)
    # The ellipses are the exact projection W^T Sigma W of each full covariance.
    _, covs2 = em_core.project_mixture(hist4d[i].means, hist4d[i].covariances, "full", W, centre)
    x, y = _xy(_trace(fig, "ellipse k=2 1σ"))
    diff = np.column_stack([x, y]) - expected[1]
    d2 = np.einsum("ni,ij,nj->n", diff, np.linalg.inv(covs2[1]), diff)
    np.testing.assert_allclose(np.sqrt(d2), em_core.chi2_radius(em_core.mass_for_sigma(1)), rtol=1e-9)


def test_columns_view_of_4d_data_uses_column_names(hist4d):
    view = F.make_view(hist4d, columns=(2, 0), column_names=["w", "x", "y", "z"])
    assert view.axis_titles == ("y", "w")
    np.testing.assert_array_equal(view.coordinates, hist4d.X[:, [2, 0]])


# --------------------------------------------------------------------------- fixed axes
def test_axes_are_fixed_across_every_step(hist2d, view2d):
    ranges = set()
    for i in range(len(hist2d)):
        fig = F.step_figure(hist2d, i, view2d)
        ranges.add((tuple(fig.layout.xaxis.range), tuple(fig.layout.yaxis.range)))
    assert ranges == {(view2d.x_range, view2d.y_range)}


def test_view_covers_the_data_and_is_capped_against_wild_ellipses():
    X = _blobs(60, 5)
    huge = np.stack([np.eye(2) * 400.0, np.eye(2) * 400.0])
    history = em_core.fit_history(X, 2, init="given", weights_init=[0.5, 0.5], means_init=X[[0, 100]],
                                  covariances_init=huge, max_iter=5, seed=0)
    view = F.make_view(history)
    low, high = X.min(axis=0), X.max(axis=0)
    span = high - low
    for axis, (lo, hi) in enumerate([view.x_range, view.y_range]):
        assert lo <= low[axis] - 0.1 * span[axis] + 1e-12 and hi >= high[axis] + 0.1 * span[axis] - 1e-12
        # The first step's 3σ ellipse reaches about ±70 units; the axis stops at 1.5x the data span.
        assert hi - lo == pytest.approx(1.5 * span[axis])


# --------------------------------------------------------------------------- trace structure per step kind
def test_trace_structure_per_step_kind(hist2d, view2d):
    counts = {len(F.step_figure(hist2d, i, view2d).data) for i in range(len(hist2d))}
    assert counts == {2 + 3 * 3 + 3 + 3 + 3}

    for i in hist2d.indices_of("kmeans_assign", "kmeans_update"):
        fig = F.step_figure(hist2d, i, view2d)
        assert all(len(t.x) == 0 for t in _roles(fig, "ellipse") + _roles(fig, "ghost ellipse"))
        assert [t.name for t in _roles(fig, "mean")] == ["centroid 1", "centroid 2", "centroid 3"]
    update = F.step_figure(hist2d, _index_of(hist2d, "kmeans_update"), view2d)
    assert any(len(t.x) == 2 for t in _roles(update, "arrow"))

    m = _index_of(hist2d, "m_step", 0)
    fig = F.step_figure(hist2d, m, view2d)
    assert all(len(t.x) > 0 for t in _roles(fig, "ellipse"))
    assert all(len(t.x) == 3 * (F.ELLIPSE_POINTS + 2) for t in _roles(fig, "ghost ellipse"))
    assert all(t.line.dash == "dash" for t in _roles(fig, "ghost ellipse"))
    arrows = _roles(fig, "arrow")
    assert sum(len(t.x) == 2 for t in arrows) >= 1
    # Each arrow starts at the old mean and points at the new one.
    old, new = (em_core.project_mixture(hist2d[j].means, hist2d[j].covariances, "full", view2d.projection,
                                        view2d.centre)[0] for j in (m - 1, m))
    for k, arrow in enumerate(arrows):
        if len(arrow.x):
            np.testing.assert_allclose([arrow.x[0], arrow.y[0]], old[k])
            direction = np.array([arrow.x[1] - arrow.x[0], arrow.y[1] - arrow.y[0]])
            cosine = direction @ (new[k] - old[k]) / np.linalg.norm(direction) / np.linalg.norm(new[k] - old[k])
            assert cosine == pytest.approx(1.0)
    assert [t.name for t in _roles(fig, "mean")] == ["mean 1", "mean 2", "mean 3"]
    assert len(_trace(fig, "changed points").x) == 0

    e = _index_of(hist2d, "e_step", 0)
    fig = F.step_figure(hist2d, e, view2d)
    changed = _trace(fig, "changed points")
    assert 1 <= len(changed.x) <= math.ceil(0.05 * hist2d.n_samples)
    assert all(len(t.x) == 0 for t in _roles(fig, "ghost ellipse") + _roles(fig, "arrow"))
    # The ringed points are the ones whose responsibilities moved most.
    tv = 0.5 * np.abs(hist2d.responsibilities(e) - hist2d.responsibilities(e - 1)).sum(axis=1)
    ringed = np.asarray(changed.customdata)[:, 0].astype(int)
    assert tv[ringed].min() >= np.sort(tv)[-len(ringed)] - 1e-6
    np.testing.assert_allclose(np.asarray(changed.customdata)[:, 1], tv[ringed], atol=1e-6)


def test_one_total_variation_for_rings_and_captions(hist2d):
    from emviz import explain
    e = _index_of(hist2d, "e_step", 1)
    tv = explain.responsibility_change(hist2d, e)
    np.testing.assert_allclose(tv, 0.5 * np.abs(hist2d.responsibilities(e) - hist2d.responsibilities(e - 1)).sum(1))
    assert f"largest change in a point's responsibilities {tv.max():.2f}" in explain.step_caption(hist2d, e)
    with pytest.raises(IndexError):
        explain.responsibility_change(hist2d, 0)


def test_line_width_follows_the_weight(hist2d, view2d):
    step = hist2d[-1]
    fig = F.step_figure(hist2d, -1, view2d)
    widths = [_trace(fig, f"ellipse k={k + 1} 1σ").line.width for k in range(3)]
    assert np.argsort(widths).tolist() == np.argsort(step.weights).tolist()


def test_selected_row_is_ringed(hist2d, view2d):
    fig = F.step_figure(hist2d, -1, view2d, selected_row=17)
    ring = _trace(fig, "selected row")
    np.testing.assert_allclose([ring.x[0], ring.y[0]], view2d.coordinates[17])
    assert ring.text[0] == "row 17" and ring.customdata[0][0] == 17
    assert len(fig.data) == len(F.step_figure(hist2d, -1, view2d).data) + 1
    with pytest.raises(ValueError):
        F.step_figure(hist2d, -1, view2d, selected_row=hist2d.n_samples)


def _unwrapped(text: str) -> str:
    """Plotly markup with its line breaks as spaces."""
    return text.replace("<br>", " ")


def test_step_picture_returns_the_note_it_draws(hist2d, view2d, hist1d):
    """The note is a value of the picture, not something to find in the figure by name."""
    from emviz import explain
    for history, view in ((hist2d, view2d), (hist1d, F.make_view(hist1d))):
        for i in (0, history.first_em_index, _index_of(history, "e_step", 1), _index_of(history, "m_step", 1)):
            picture = F.step_picture(history, i, view)
            # Drawn wrapped to the narrowest chart (Plotly never wraps): the same words, more line breaks.
            drawn = [_unwrapped(a.text) for a in picture.figure.layout.annotations if a.name == "step note"]
            assert drawn == [_unwrapped(picture.note)] and picture.note
            assert _unwrapped(picture.figure.layout.title.text) == explain.figure_title(history, i)[0]
            aside = F.step_picture(history, i, view, note_in_figure=False)
            assert aside.note == picture.note and not aside.figure.layout.annotations
            assert aside.figure.data == picture.figure.data


# --------------------------------------------------------------------------- hover and subsampling
def test_point_hover_shows_row_coordinates_and_responsibilities(hist2d, view2d):
    i = _index_of(hist2d, "e_step", 2)
    points = _trace(F.step_figure(hist2d, i, view2d), "points")
    for piece in ("row %{customdata[0]:d}", "a = %{x", "b = %{y", "γ1 = %{customdata[1]", "γ3 = %{customdata[3]"):
        assert piece in points.hovertemplate
    custom = np.asarray(points.customdata)
    np.testing.assert_array_equal(custom[:, 0], np.arange(hist2d.n_samples))
    np.testing.assert_allclose(custom[:, 1:4], hist2d.responsibilities(i), atol=1e-6)


def test_display_rows_subsample_is_stated_and_keeps_row_numbers(hist2d, view2d):
    rows = np.arange(5, hist2d.n_samples, 6)
    fig = F.step_figure(hist2d, -1, view2d, display_rows=rows)
    points = _trace(fig, "points")
    assert len(points.x) == rows.size
    np.testing.assert_array_equal(np.asarray(points.customdata)[:, 0], rows)
    np.testing.assert_allclose(points.x, view2d.coordinates[rows, 0])
    note = next(a for a in fig.layout.annotations if a.name == "subsample note")
    assert note.text.startswith(f"showing {rows.size:,} of {hist2d.n_samples:,} points")
    assert not any(a.name == "subsample note" for a in F.step_figure(hist2d, -1, view2d).layout.annotations)


def test_large_data_uses_webgl_and_stays_consistent():
    X = np.vstack([_blobs(700, 9), _blobs(50, 10)])  # 2,250 points
    history = em_core.fit_history(X, 3, seed=0, max_iter=3)
    view = F.make_view(history)
    fig = F.step_figure(history, -1, view)
    assert _trace(fig, "points").type == "scattergl"
    small = F.step_figure(history, -1, view, display_rows=np.arange(0, 2250, 3))
    assert _trace(small, "points").type == "scatter"


def test_lecture_mode_is_projector_sized(hist2d, view2d):
    normal = F.step_figure(hist2d, -1, view2d)
    big = F.step_figure(hist2d, -1, view2d, lecture=True)
    assert (big.layout.width, big.layout.height) == (1280, 720)
    assert big.layout.font.size > normal.layout.font.size
    assert _trace(big, "points").marker.size > _trace(normal, "points").marker.size
    assert _trace(big, "mean 1").marker.size > _trace(normal, "mean 1").marker.size


def test_neutral_background_for_light_and_dark_themes(hist2d, view2d):
    fig = F.step_figure(hist2d, -1, view2d)
    assert fig.layout.paper_bgcolor == "rgba(0,0,0,0)"
    assert fig.layout.plot_bgcolor == "rgba(0,0,0,0)"


# --------------------------------------------------------------------------- 1-D
def test_histogram_and_densities_integrate_to_one(hist1d):
    i = _index_of(hist1d, "m_step", 1)
    fig = F.histogram_figure(hist1d, i)
    bars = _trace(fig, "histogram")
    assert np.sum(np.asarray(bars.y) * np.asarray(bars.width)) == pytest.approx(1.0)
    mixture = _trace(fig, "mixture")
    assert np.trapezoid(mixture.y, mixture.x) == pytest.approx(1.0, abs=0.02)
    weights = hist1d[i].weights
    for k in range(2):
        curve = _trace(fig, f"component {k + 1}")
        assert np.trapezoid(curve.y, curve.x) == pytest.approx(weights[k], abs=0.02)
    np.testing.assert_allclose(_trace(fig, "component 1").y + _trace(fig, "component 2").y, mixture.y, rtol=1e-9)
    assert len(_trace(fig, "ghost mixture").x) > 0


def test_histogram_axes_fixed_and_kmeans_centroids_are_lines(hist1d):
    figs = [F.histogram_figure(hist1d, i) for i in range(len(hist1d))]
    assert len({(tuple(f.layout.xaxis.range), tuple(f.layout.yaxis.range)) for f in figs}) == 1
    assert len({len(f.data) for f in figs}) == 1
    km = figs[_index_of(hist1d, "kmeans_assign")]
    centroid = _trace(km, "centroid 1")
    assert centroid.x[0] == centroid.x[1] == pytest.approx(hist1d[0].means[0, 0])
    assert len(_trace(km, "mixture").x) == 0
    # step_figure on a 1-D view is the histogram picture.
    view = F.make_view(hist1d)
    assert view.is_1d and view.y_range is None
    assert [t.name for t in F.step_figure(hist1d, 3, view).data] == [t.name for t in figs[3].data]


def test_one_column_view_names_its_axis_colours_by_uncertainty_and_rings_the_selected_row(hist1d):
    """1-D goes through the same dispatch as 2-D: column name, colour mode and selected row all reach the picture."""
    view = F.make_view(hist1d, column_names=["height"])
    i = _index_of(hist1d, "e_step", 1)
    fig = F.step_figure(hist1d, i, view, color_mode="uncertainty", selected_row=7)
    assert fig.layout.xaxis.title.text == "height"
    points = _trace(fig, "points")
    assert "height = %{x" in points.hovertemplate
    np.testing.assert_allclose(points.marker.color, 1.0 - hist1d.responsibilities(i).max(axis=1))
    assert points.marker.showscale and points.marker.cmax == pytest.approx(0.5)
    ring = _trace(fig, "selected row")
    assert ring.x[0] == pytest.approx(hist1d.X[7, 0]) and ring.y[0] == pytest.approx(points.y[7])
    assert ring.text[0] == "row 7" and ring.customdata[0][0] == 7
    assert len(fig.data) == len(F.step_figure(hist1d, i, view).data) + 1


# --------------------------------------------------------------------------- animation
def _merge_deep(old: dict, new: dict) -> dict:
    """plotly.js's ``extendDeepNoArrays``: nested objects merge, everything else (arrays too) replaces."""
    out = dict(old)
    for key, value in new.items():
        out[key] = _merge_deep(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _plain(value):
    """plotly.py's base64 typed arrays (``{"dtype", "bdata", "shape"}``) back as numpy arrays, recursively."""
    if isinstance(value, dict) and "bdata" in value and "dtype" in value:
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        return flat.reshape([int(n) for n in str(value["shape"]).split(",")]) if "shape" in value else flat
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _merged_frames(fig) -> list[list[dict]]:
    """Each frame's traces as plotly.js computes them (``Plots.computeFrame``): merged along its baseframes."""
    frames = {f["name"]: _plain(f) for f in fig.to_plotly_json()["frames"]}
    merged = []
    for name in frames:
        chain, frame = [], frames[name]
        while frame is not None:
            chain.append(frame)
            frame = frames.get(frame.get("baseframe"))
        traces: dict[int, dict] = {}
        for frame in reversed(chain):
            data = frame.get("data", [])
            for j, trace in zip(range(len(data)) if frame.get("traces") is None else frame["traces"], data):
                traces[j] = _merge_deep(traces.get(j, {}), trace)
        merged.append([traces[j] for j in sorted(traces)])
    return merged


def test_animation_has_one_frame_per_step_with_constant_traces(hist2d, view2d, tmp_path):
    fig = F.animation_figure(hist2d, view2d)
    assert len(fig.frames) == len(hist2d)
    n = len(fig.data)
    for frame, step, traces in zip(fig.frames, hist2d, _merged_frames(fig)):
        assert len(traces) == n, "every step, merged along its base frames, sets every trace"
        assert [t["type"] for t in traces] == [t.type for t in fig.data]
        assert frame.name == str(step.index)
    slider = fig.layout.sliders[0]
    assert [s.label for s in slider.steps] == [F.step_label(s) for s in hist2d]
    assert F.step_label(hist2d[_index_of(hist2d, "m_step", 2)]) == "it 3 · M-step"
    assert [b.label for b in fig.layout.updatemenus[0].buttons] == ["▶ Play", "❚❚ Pause"]
    path = tmp_path / "animation.html"
    fig.write_html(path, include_plotlyjs=True)
    html = path.read_text(encoding="utf-8")
    assert "addFrames" in html and 'src="https://cdn.plot.ly' not in html


def test_animation_subsamples_and_animates_1d(hist1d):
    view = F.make_view(hist1d)
    fig = F.animation_figure(hist1d, view, max_points=100)
    assert len(fig.frames) == len(hist1d)
    assert len(_trace(fig, "points").x) == 100
    assert all(len(traces) == len(fig.data) for traces in _merged_frames(fig))


@pytest.mark.parametrize("which", ["2d", "1d"])
def test_animation_frames_carry_only_what_changes_and_merge_to_every_step(hist2d, view2d, hist1d, which):
    """An E-step's frame recolours the points and leaves the ellipses; an M-step's moves them and leaves the
    points; merged along its base frames, every frame is that step's picture (the same numbers)."""
    history = hist2d if which == "2d" else hist1d
    view = view2d if which == "2d" else F.make_view(hist1d)
    fig = F.animation_figure(history, view)
    drawer = __import__("emviz.figures.step", fromlist=["scene_for"]).scene_for(history, view, rows=None)
    roles = [t.meta["role"] for t in fig.data]
    for frame, traces in zip(fig.frames, _merged_frames(fig)):
        i = int(frame.name)
        sent = {roles[j] for j in (frame.traces or range(len(roles)))}
        if i > 0 and history[i].kind == "e_step":
            assert "points" in sent and not sent & {"ellipse", "component density", "mixture density"}
        if i > 1 and history[i].kind == "m_step":
            assert "points" not in sent and sent & {"ellipse", "component density"}
        expected = _plain(go.Figure(drawer.scene(i).traces).to_plotly_json()["data"])
        for got, want in zip(traces, expected):
            assert got["name"] == want["name"]
            for key in ("x", "y"):
                if want["meta"]["role"] != "points":
                    np.testing.assert_allclose(np.asarray(got[key], dtype=float), np.asarray(want[key], dtype=float),
                                               rtol=1e-6, atol=1e-6)  # float32 in the file
            if "customdata" in want:
                np.testing.assert_array_equal(np.asarray(got["customdata"]), np.asarray(want["customdata"]))
            if isinstance(want.get("marker", {}).get("color"), (list, tuple)):
                assert [to_rgb(c) for c in got["marker"]["color"]] == [to_rgb(c) for c in want["marker"]["color"]]
            for key in ("hovertemplate", "opacity", "line", "showlegend", "text"):
                assert got.get(key) == want.get(key), (i, want["name"], key)


def test_the_mouse_fits_html_animation_is_at_most_6_mb():
    """Issue 13: 8.0 MB when every frame carried every trace; plotly.js alone is 4.8 MB of it."""
    from emviz import fitting
    from emviz.datasets import load_dataset
    from emviz.fitting import FitOptions

    X = load_dataset("mouse").select_dtypes("number").to_numpy()
    history = fitting.fit(X, FitOptions())
    view = F.make_view(history)
    html = export.animation_html(F.animation_figure(history, view, column_names=view.column_names))
    assert len(html.encode("utf-8")) <= 6_000_000


def test_one_column_data_has_an_html_animation(hist1d):
    view = F.make_view(hist1d, column_names=["height"])
    fig = F.animation_figure(hist1d, view, max_points=50, column_names=view.column_names)
    assert fig.layout.xaxis.title.text == "height"
    assert [s.label for s in fig.layout.sliders[0].steps] == [F.step_label(s) for s in hist1d]
    html = export.animation_html(fig)
    assert "<html>" in html and "addFrames" in html and 'src="https://cdn.plot.ly' not in html
    assert '"name":"mixture"' in html
    for i, traces in enumerate(_merged_frames(fig)):
        assert [t["name"] for t in traces] == [t.name for t in F.step_figure(hist1d, i, view).data]


# --------------------------------------------------------------------------- side panels and table
def test_loglik_figure_marks_the_current_step(hist2d):
    i = _index_of(hist2d, "m_step", 1)
    fig = F.loglik_figure(hist2d, i)
    ll = _trace(fig, "log-likelihood")
    em = hist2d.indices_of("init", "e_step", "m_step")
    np.testing.assert_array_equal(ll.x, em)
    np.testing.assert_allclose(_trace(fig, "lower bound (Jensen)").y, hist2d.lower_bounds()[em])
    current = _trace(fig, "current step")
    assert (current.x[0], current.y[0]) == (i, hist2d[i].log_likelihood)
    assert fig.layout.shapes[0].x0 == i
    during_kmeans = F.loglik_figure(hist2d, 0)
    assert len(_trace(during_kmeans, "current step").x) == 0


def test_weights_and_kmeans_panels(hist2d):
    i = _index_of(hist2d, "e_step", 1)
    fig = F.weights_figure(hist2d, i)
    for k in range(3):
        np.testing.assert_allclose(_trace(fig, f"π{k + 1}").y, [s.weights[k] for s in hist2d])
    np.testing.assert_allclose(_trace(fig, "current step").y, hist2d[i].weights)
    km = F.kmeans_objective_figure(hist2d, 1)
    assert _trace(km, "current step").y[0] == hist2d[1].kmeans_objective
    no_km = em_core.fit_history(_blobs(30, 4), 3, init="random_points", seed=0, max_iter=3)
    empty = F.kmeans_objective_figure(no_km, 2)
    assert len(empty.data) == 0
    assert "No k-means steps" in empty.layout.annotations[0].text


def test_parameters_table(hist2d, hist4d):
    table = F.parameters_table(hist2d, -1, column_names=["a", "b"])
    assert list(table.columns) == ["component", "π", "N_k", "μ[a]", "μ[b]", "Σ[a,a]", "Σ[a,b]", "Σ[b,b]"]
    step = hist2d[-1]
    np.testing.assert_allclose(table["π"], step.weights)
    np.testing.assert_allclose(table["Σ[a,b]"], np.asarray(step.covariances)[:, 0, 1])
    wide = F.parameters_table(hist4d, -1)
    assert {"μ", "Σ"} <= set(wide.columns)
    assert wide.loc[0, "Σ"].startswith("[[") and wide.loc[0, "Σ"].count("[") == 5
    assert isinstance(wide, pd.DataFrame) and len(wide) == 3


# --------------------------------------------------------------------------- validity
def test_every_kind_of_figure_passes_plotly_validation(hist2d, view2d, hist1d, monkeypatch):
    # Figures are assembled unvalidated for speed; this checks every property name and value.
    unvalidated = F.step_figure(hist2d, _index_of(hist2d, "m_step", 1), view2d, selected_row=3)
    go.Figure(unvalidated.to_dict())
    monkeypatch.setattr(F.style, "VALIDATE", True)
    for i in (0, 1, hist2d.first_em_index, _index_of(hist2d, "e_step", 1), _index_of(hist2d, "m_step", 1)):
        F.step_figure(hist2d, i, view2d, selected_row=3)
        F.step_figure(hist2d, i, view2d, color_mode="uncertainty", level_kind="mass", levels=(0.5, 0.9),
                      lecture=True, display_rows=np.arange(0, 300, 4))
        F.loglik_figure(hist2d, i)
        F.weights_figure(hist2d, i)
        F.kmeans_objective_figure(hist2d, i)
    for i in (0, hist1d.first_em_index, hist1d.first_em_index + 1, hist1d.first_em_index + 2):
        F.histogram_figure(hist1d, i, selected_row=2, lecture=True)
    F.animation_figure(hist1d, F.make_view(hist1d))


# --------------------------------------------------------------------------- ellipse-level options
@pytest.mark.parametrize("level_kind", sorted(ELLIPSE_LEVELS))
def test_every_ellipse_option_draws_with_its_own_levels(hist2d, view2d, level_kind):
    """Each option, passed alone as the app passes it, draws its own masses (the mass option once crashed)."""
    i = _index_of(hist2d, "m_step", 2)
    option = ELLIPSE_LEVELS[level_kind]
    for fig in (F.step_figure(hist2d, i, view2d, level_kind=level_kind),
                F.animation_figure(hist2d, view2d, level_kind=level_kind, max_points=50)):
        masses = sorted({t.meta["mass"] for t in _roles(fig, "ellipse")})
        np.testing.assert_allclose(masses, sorted(option.masses))


def test_ellipse_option_labels_state_what_is_drawn():
    """Labels and radii recomputed independently with scipy.stats (2-D chi-squared, 1-D normal)."""
    sigma, mass = ELLIPSE_LEVELS["sigma"], ELLIPSE_LEVELS["mass"]
    expected = [stats.norm.cdf(n) - stats.norm.cdf(-n) for n in (1, 2, 3)]
    np.testing.assert_allclose(sigma.masses, expected, rtol=1e-12)
    np.testing.assert_allclose(sigma.radii, np.sqrt(stats.chi2.ppf(expected, df=2)), rtol=1e-9)
    np.testing.assert_allclose(mass.radii, np.sqrt(stats.chi2.ppf([0.5, 0.9, 0.95], df=2)), rtol=1e-9)
    assert sigma.label == "68.3 · 95.4 · 99.7 %" and sigma.radii_text == "1.52, 2.49, 3.44"
    assert mass.label == "50 · 90 · 95 %" and mass.radii_text == "1.18, 2.15, 2.45"
    # A radius-1 ellipse is not a "1σ" region in 2-D: it holds 39.3 %, not 68.3 %.
    assert stats.chi2.cdf(1.0, df=2) == pytest.approx(0.393, abs=5e-4)
    assert "σ" not in sigma.label and "σ" not in mass.label


# --------------------------------------------------------------------------- the bound along θ
def test_bound_path_figure_shows_the_iteration_of_the_step(hist2d):
    m_index = _index_of(hist2d, "m_step", 2)
    fig = F.bound_path_figure(hist2d, m_index - 1)  # the E-step shows its own iteration
    ll, lb = em_core.bound_along_path(hist2d.X, hist2d, m_index, F.BOUND_PATH_TS)
    traces = {t.meta["role"]: t for t in fig.data}
    np.testing.assert_allclose(traces["log-likelihood"].y, ll)
    np.testing.assert_allclose(traces["lower bound"].y, lb)
    gap = traces["KL gap"]
    assert list(gap.x) == [1.0, 1.0]
    assert gap.y[1] - gap.y[0] == pytest.approx(hist2d[m_index].log_likelihood - hist2d[m_index].lower_bound)
    assert "KL(q ‖ posterior)" in fig.layout.annotations[0].text
    ends = traces["ends"]
    assert ends.y[0] == pytest.approx(hist2d[m_index - 1].log_likelihood)
    assert ends.y[1] == pytest.approx(hist2d[m_index].lower_bound)


def test_bound_path_figure_explains_itself_outside_em(hist2d):
    fig = F.bound_path_figure(hist2d, 0)
    assert not fig.data and "E-step or M-step" in fig.layout.annotations[0].text


def test_the_picture_does_not_rest_on_colour_alone(hist2d, view2d):
    """Each point takes its most responsible component's shape, each mean its component's shape."""
    from emviz.palette import component_symbols

    i = _index_of(hist2d, "e_step", 2)
    for color_mode in ("mix", "uncertainty"):
        fig = F.step_figure(hist2d, i, view2d, color_mode=color_mode)
        points = _trace(fig, "points")
        expected = np.asarray(component_symbols(3))[hist2d.responsibilities(i).argmax(axis=1)]
        np.testing.assert_array_equal(np.asarray(points.marker.symbol), expected)
        assert [_trace(fig, f"mean {k + 1}").marker.symbol for k in range(3)] == component_symbols(3)
    assert len(set(component_symbols(10))) == 10


def test_thousands_of_webgl_points_keep_one_shape_and_the_means_keep_theirs():
    from emviz.palette import component_symbols

    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(c, 1.0, (1100, 2)) for c in ((-4, 0), (4, 0))])
    h = em_core.fit_history(X, 2, seed=0, max_iter=2)
    fig = F.step_figure(h, -1, F.make_view(h))
    assert _trace(fig, "points").type == "scattergl" and _trace(fig, "points").marker.symbol == 0
    assert [_trace(fig, f"mean {k + 1}").marker.symbol for k in range(2)] == component_symbols(2)
