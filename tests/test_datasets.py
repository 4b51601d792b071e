"""Tests for the built-in data sets (emviz.datasets and data/make_datasets.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emviz.datasets import DATA_DIR, DATASETS, DatasetInfo, dataset_keys, load_dataset

GENERATOR = Path(__file__).resolve().parent.parent / "data" / "make_datasets.py"


def _load_generator():
    spec = importlib.util.spec_from_file_location("make_datasets", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _lloyd(X: np.ndarray, centres: np.ndarray, max_iter: int = 300) -> tuple[float, np.ndarray]:
    """Plain Lloyd k-means; returns (sum of squared distances, assignment)."""
    for _ in range(max_iter):
        d2 = ((X[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        assign = d2.argmin(axis=1)
        new = np.array(
            [X[assign == k].mean(axis=0) if np.any(assign == k) else centres[k] for k in range(len(centres))]
        )
        if np.allclose(new, centres):
            break
        centres = new
    d2 = ((X[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    return float(d2.min(axis=1).sum()), d2.argmin(axis=1)


def _em_full(X: np.ndarray, resp: np.ndarray, n_iter: int = 100) -> np.ndarray:
    """Tiny full-covariance EM started from given responsibilities; returns them."""
    n, d = X.shape
    for _ in range(n_iter):
        nk = resp.sum(axis=0)
        means = resp.T @ X / nk[:, None]
        log_p = np.empty_like(resp)
        for k in range(resp.shape[1]):
            diff = X - means[k]
            cov = (resp[:, k, None] * diff).T @ diff / nk[k] + 1e-6 * np.eye(d)
            chol = np.linalg.cholesky(cov)
            z = np.linalg.solve(chol, diff.T)
            log_p[:, k] = np.log(nk[k] / n) - 0.5 * (z**2).sum(axis=0) - np.log(np.diag(chol)).sum()
        log_p -= log_p.max(axis=1, keepdims=True)
        resp = np.exp(log_p)
        resp /= resp.sum(axis=1, keepdims=True)
    return resp


def _xy_and_codes(key: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    info = DATASETS[key]
    frame = load_dataset(key)
    names = sorted(frame[info.label_column].unique())
    codes = frame[info.label_column].map(names.index).to_numpy()
    return frame[list(info.feature_columns)].to_numpy(), codes, names


def test_keys_and_order():
    assert dataset_keys()[0] == "mouse"
    assert set(dataset_keys()) == {
        "mouse", "blobs", "anisotropic", "unequal", "overlapping", "bad_init", "bimodal_1d", "collapse", "iris"
    }
    assert dataset_keys() == list(DATASETS)


@pytest.mark.parametrize("key", list(DATASETS))
def test_each_dataset_loads_as_declared(key):
    info = DATASETS[key]
    assert isinstance(info, DatasetInfo) and info.key == key
    assert info.title and len(info.note) > 100, "every set needs a real teaching note"
    frame = load_dataset(key)
    assert list(frame.columns) == [*info.feature_columns, info.label_column]
    assert 50 <= len(frame) <= 1000
    features = frame[list(info.feature_columns)]
    assert all(dtype == np.float64 for dtype in features.dtypes)
    assert np.isfinite(features.to_numpy()).all()
    labels = frame[info.label_column]
    assert labels.notna().all() and all(isinstance(v, str) for v in labels)
    # default_k is the true number of clusters for every built-in set.
    assert labels.nunique() == info.default_k


def test_load_dataset_returns_independent_copies():
    first = load_dataset("mouse")
    first.loc[0, "x"] = 1e9
    assert load_dataset("mouse").loc[0, "x"] != 1e9


def test_unknown_key_message_lists_choices():
    with pytest.raises(KeyError, match="Unknown data set 'nope'.*mouse"):
        load_dataset("nope")


def test_generator_reproduces_committed_csvs_byte_for_byte(tmp_path):
    generator = _load_generator()
    written = generator.write_datasets(tmp_path)
    assert sorted(p.name for p in written) == sorted(p.name for p in DATA_DIR.glob("*.csv"))
    assert sorted(p.stem for p in written) == sorted(DATASETS)
    for path in written:
        committed = (DATA_DIR / path.name).read_bytes()
        assert b"\r" not in committed
        assert path.read_bytes() == committed, f"{path.name} differs: re-run data/make_datasets.py"


def test_mouse_head_is_larger_and_broader_than_each_ear():
    X, codes, names = _xy_and_codes("mouse")
    head = names.index("head")
    for ear in ("left ear", "right ear"):
        e = names.index(ear)
        assert (codes == head).sum() > 2 * (codes == e).sum()
        assert X[codes == head].std(axis=0).mean() > 2 * X[codes == e].std(axis=0).mean()
    left, right = X[codes == names.index("left ear")].mean(0), X[codes == names.index("right ear")].mean(0)
    centre = X[codes == head].mean(0)
    assert left[0] < centre[0] < right[0] and left[1] > centre[1] and right[1] > centre[1]


def test_mouse_kmeans_cuts_the_head_but_em_does_not():
    # Both start from the true means, so any damage is done by the method itself.
    X, codes, names = _xy_and_codes("mouse")
    start = np.array([X[codes == k].mean(axis=0) for k in range(3)])
    _, km = _lloyd(X, start)
    head = names.index("head")
    assert ((codes == head) & (km != head)).sum() > 0.2 * (codes == head).sum()
    em = _em_full(X, np.eye(3)[codes]).argmax(axis=1)
    assert (em == codes).mean() > 0.9
    assert (em == codes).mean() > (km == codes).mean() + 0.1


def test_bad_init_has_several_local_optima():
    X, codes, _ = _xy_and_codes("bad_init")
    k = DATASETS["bad_init"].default_k
    objectives = set()
    for seed in range(10):
        rng = np.random.default_rng(seed)
        objective, _ = _lloyd(X, X[rng.choice(len(X), k, replace=False)])
        objectives.add(round(objective, 3))
    assert len(objectives) >= 2
    best = min(objectives)
    truth, _ = _lloyd(X, np.array([X[codes == j].mean(axis=0) for j in range(k)]))
    assert best == pytest.approx(truth, rel=1e-6)
    # The trap is real: some seed ends far worse than the best solution.
    assert max(objectives) > 1.5 * best


def test_blobs_kmeans_agrees_with_truth():
    X, codes, _ = _xy_and_codes("blobs")
    _, km = _lloyd(X, np.array([X[codes == k].mean(axis=0) for k in range(4)]))
    assert (km == codes).all()


def test_anisotropic_needs_full_covariances():
    X, codes, _ = _xy_and_codes("anisotropic")
    start = np.array([X[codes == k].mean(axis=0) for k in range(3)])
    _, km = _lloyd(X, start)
    em = _em_full(X, np.eye(3)[codes]).argmax(axis=1)
    assert (km == codes).mean() < 0.8 < 0.95 < (em == codes).mean()
    for k in range(3):
        corr = np.corrcoef(X[codes == k].T)[0, 1]
        assert abs(corr) > 0.5, "clusters should be tilted"


def test_unequal_sizes_and_spreads():
    X, codes, names = _xy_and_codes("unequal")
    broad, tight = names.index("broad"), names.index("tight")
    assert (codes == broad).sum() > 4 * (codes == tight).sum()
    assert X[codes == broad].std(axis=0).mean() > 3 * X[codes == tight].std(axis=0).mean()


def test_overlapping_clusters_really_overlap():
    X, codes, _ = _xy_and_codes("overlapping")
    resp = _em_full(X, np.eye(2)[codes])
    uncertain = ((resp[:, 0] > 0.2) & (resp[:, 0] < 0.8)).mean()
    assert uncertain > 0.1


def test_bimodal_1d_has_two_modes():
    frame = load_dataset("bimodal_1d")
    counts, _ = np.histogram(frame["x"], bins=np.linspace(-5, 7, 13))
    peaks = [i for i in range(1, len(counts) - 1) if counts[i] >= counts[i - 1] and counts[i] > counts[i + 1]]
    assert len(peaks) == 2


def test_iris_matches_plotly_copy():
    import plotly.data

    source = plotly.data.iris()
    frame = load_dataset("iris")
    assert len(frame) == 150
    pd.testing.assert_frame_equal(
        frame, source[list(frame.columns)].astype({"species": "str"}), check_dtype=False
    )
