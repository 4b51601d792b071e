"""Layers over a step's picture: density contours, posterior regions, and a sample of what the model believes."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image
from scipy import stats

import em_core
from emviz import figures as F
from emviz.figures.overlays import GRID_POINTS, POSTERIOR_ALPHA
from emviz.palette import component_colors, to_rgb

ALL = tuple(F.OVERLAYS)


@pytest.fixture(scope="module")
def fit():
    rng = np.random.default_rng(5)
    X = np.vstack([rng.normal([0, 0], [1.0, 0.5], (120, 2)), rng.normal([4, 3], 0.8, (100, 2)),
                   rng.normal([-3, 4], [0.5, 1.2], (80, 2))])
    history = em_core.fit_history(X, 3, seed=2, max_iter=6, tol=0)
    return history, F.make_view(history)


def _layer(fig, role):
    return next(t for t in fig.data if (t.meta or {}).get("role") == role)


def test_layers_keep_the_scenes_traces_and_their_count_at_every_step(fit):
    history, view = fit
    counts = set()
    for index in range(len(history)):
        plain = F.step_figure(history, index, view)
        fig = F.step_picture(history, index, view, overlays=ALL).figure
        counts.add(len(fig.data) - len(plain.data))
        assert [t.name for t in fig.data[:len(plain.data)]] == [t.name for t in plain.data]
    assert counts == {2}  # contours and sample appended at every step; the map is a layout image


def test_density_contours_are_the_mixtures_log_density(fit):
    history, view = fit
    index = history.indices_of("m_step")[2]
    contour = _layer(F.step_picture(history, index, view, overlays=("density",)).figure, "density contours")
    xs, ys, z = np.asarray(contour.x), np.asarray(contour.y), np.asarray(contour.z)
    assert z.shape == (GRID_POINTS, GRID_POINTS) and xs[0] == view.x_range[0] and ys[-1] == view.y_range[1]
    step = history[index]
    full = em_core.expand_covariances(step.covariances, history.covariance_type, 3, 2)
    for i, j in ((0, 0), (40, 77), (119, 3)):
        p = sum(w * stats.multivariate_normal(m, c).pdf([xs[j], ys[i]])
                for w, m, c in zip(step.weights, step.means, full))
        assert z[i, j] == pytest.approx(np.log(p), rel=1e-9)
    assert contour.contours.end == pytest.approx(z.max()) and contour.contours.size == 1.0
    # k-means steps have no mixture density to draw: the trace is there, empty.
    assert len(_layer(F.step_picture(history, 0, view, overlays=("density",)).figure, "density contours").x) == 0


def _pixels(fig) -> np.ndarray:
    [image] = fig.layout.images
    assert image.layer == "below" and image.xref == "x" and image.sizing == "stretch"
    data = base64.b64decode(image.source.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))[::-1]  # row 0 at the lowest y again


def test_posterior_regions_blend_the_component_colours_by_the_grids_responsibilities(fit):
    history, view = fit
    index = history.indices_of("e_step")[3]
    pixels = _pixels(F.step_picture(history, index, view, overlays=("posterior",)).figure)
    xs, ys = np.linspace(*view.x_range, GRID_POINTS), np.linspace(*view.y_range, GRID_POINTS)
    gamma = em_core.posterior_grid(history[index], history.covariance_type, xs, ys)
    colours = np.array([to_rgb(c) for c in component_colors(3)], dtype=float)
    np.testing.assert_allclose(pixels[..., :3], np.rint(gamma @ colours), atol=1)
    assert np.all(pixels[..., 3] == round(255 * POSTERIOR_ALPHA))


def test_posterior_regions_during_k_means_are_the_centroids_voronoi_cells(fit):
    history, view = fit
    index = history.indices_of("kmeans_update")[0]
    pixels = _pixels(F.step_picture(history, index, view, overlays=("posterior",)).figure)
    xs, ys = np.linspace(*view.x_range, GRID_POINTS), np.linspace(*view.y_range, GRID_POINTS)
    gx, gy = np.meshgrid(xs, ys)
    # The oracle by hand: each pixel's squared distance to every centroid.
    means = history[index].means
    labels = ((gx[..., None] - means[:, 0]) ** 2 + (gy[..., None] - means[:, 1]) ** 2).argmin(axis=-1)
    colours = np.array([to_rgb(c) for c in component_colors(3)])
    np.testing.assert_array_equal(pixels[..., :3], colours[labels])


def test_the_models_sample_is_seeded_per_step_and_as_large_as_the_picture(fit):
    history, view = fit
    index = history.indices_of("m_step")[1]

    def sample(i, seed=0, rows=None):
        fig = F.step_picture(history, i, view, overlays=("beliefs",), overlay_seed=seed, display_rows=rows).figure
        trace = _layer(fig, "beliefs")
        return np.column_stack([trace.x, trace.y])

    first = sample(index)
    assert first.shape == (history.n_samples, 2)
    np.testing.assert_array_equal(first, sample(index))
    assert not np.array_equal(first, sample(index + 2)) and not np.array_equal(first, sample(index, seed=1))
    assert len(sample(index, rows=np.arange(0, 300, 3))) == 100


def test_the_sampler_draws_from_the_mixture():
    """Sample moments at large n against the mixture's mean and covariance (law of total covariance)."""
    rng = np.random.default_rng(0)
    weights = np.array([0.2, 0.5, 0.3])
    means = rng.normal(0, 3, (3, 2))
    covs = np.stack([np.cov(rng.normal(size=(2, 5))) + 0.1 * np.eye(2) for _ in range(3)])
    model = em_core.GaussianMixtureModel(weights, means, covs, "full")
    X, labels = model.sample(200_000, seed=[3, 7])
    mean = weights @ means
    within = np.einsum("k,kij->ij", weights, covs)
    between = np.einsum("k,ki,kj->ij", weights, means - mean, means - mean)
    np.testing.assert_allclose(X.mean(axis=0), mean, atol=0.02)
    np.testing.assert_allclose(np.cov(X.T), within + between, rtol=0.02, atol=0.02)
    np.testing.assert_allclose(np.bincount(labels) / len(labels), weights, atol=0.005)


def test_one_column_pictures_have_no_plane_to_layer(fit):
    X = np.random.default_rng(1).normal(size=(80, 1))
    history = em_core.fit_history(X, 2, seed=0, max_iter=3)
    view = F.make_view(history)
    plain = F.step_figure(history, -1, view)
    fig = F.step_picture(history, -1, view, overlays=ALL).figure
    assert len(fig.data) == len(plain.data) and not fig.layout.images


def test_an_unknown_layer_is_refused(fit):
    history, view = fit
    with pytest.raises(ValueError, match="Unknown overlay"):
        F.step_picture(history, -1, view, overlays=("heatmap",))
