"""fit_history on a Dask array: the numpy history, computed per block, rows never on the driver.

Parity tests use Dask's synchronous scheduler (light, deterministic); one test
fits a few hundred MB of generated rows on a LocalCluster with two worker
processes and watches the driver's memory.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
import types

import dask
import dask.array as da
import numpy as np
import psutil
import pytest

import em_core

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
INITS = ("kmeans", "kmeans++", "random_points", "random_resp", "given")
K = 3


@pytest.fixture(autouse=True)
def synchronous():
    with dask.config.set(scheduler="synchronous"):
        yield


def three_blobs(n_per=500, d=3, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0] * d, [4.0] + [0.0] * (d - 1), [0.0, 4.0] + [1.0] * (d - 2)])
    return np.concatenate([rng.normal(size=(n_per, d)) * (0.5 + k) + centres[k] for k in range(3)])


def given(covariance_type, X):
    d = X.shape[1]
    covs = {"full": np.stack([np.eye(d)] * K), "tied": np.eye(d), "diag": np.ones((K, d)),
            "spherical": np.ones(K)}[covariance_type]
    return dict(weights_init=[0.3, 0.3, 0.4], means_init=X[[0, 600, 1200]], covariances_init=covs)


def assert_same_history(a, b, rtol=1e-10):
    """Same steps, kinds, flags and numbers to ``rtol`` (the order of the final sums differs)."""
    assert len(a) == len(b)
    assert (a.converged, a.n_iter, a.kmeans_converged) == (b.converged, b.n_iter, b.kmeans_converged)
    np.testing.assert_allclose(b.kmeans_restart_objectives, a.kmeans_restart_objectives, rtol=rtol)
    for s, t in zip(a, b):
        assert (s.kind, s.iteration, dict(s.flags)) == (t.kind, t.iteration, dict(t.flags))
        for name in ("weights", "means", "covariances", "counts"):
            x, y = getattr(s, name), getattr(t, name)
            np.testing.assert_allclose(y, x, rtol=rtol, atol=rtol * np.abs(x).max(), err_msg=name)
        for name in ("log_likelihood", "lower_bound", "kmeans_objective"):
            x, y = getattr(s, name), getattr(t, name)
            assert (x is None) == (y is None), name
            if x is not None:
                assert y == pytest.approx(x, rel=rtol), name


@pytest.mark.parametrize("init", INITS)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_dask_records_the_numpy_history(covariance_type, init):
    X = three_blobs()
    # Uneven row blocks and two column blocks (rechunked into one): nothing lines up with the chunks.
    Xd = da.from_array(X, chunks=(333, 2))
    options = dict(covariance_type=covariance_type, init=init, seed=4, max_iter=6, tol=0.0, n_init=2)
    if init == "given":
        options.update(given(covariance_type, X))
    expected = em_core.fit_history(X, K, **options)
    history = em_core.fit_history(Xd, K, **options)
    assert_same_history(expected, history)
    assert isinstance(history.X, da.Array) and history.n_samples == X.shape[0]
    for index in (0, expected.first_em_index, len(expected) - 1):
        resp = history.responsibilities(index)
        assert isinstance(resp, da.Array)  # lazy: nothing computed until asked
        np.testing.assert_allclose(resp.compute(), expected.responsibilities(index), rtol=1e-9, atol=1e-12)
        np.testing.assert_array_equal(history.labels(index).compute(), expected.labels(index))


def test_kmeans_seeds_come_from_the_same_sample_above_the_threshold(monkeypatch):
    from em_core import kmeans

    monkeypatch.setattr(kmeans, "SEEDING_SAMPLE", 200)  # 1500 rows: the seeds come from a 200-row sample
    X = three_blobs()
    expected = em_core.fit_history(X, K, seed=1, max_iter=3, tol=0.0)
    assert_same_history(expected, em_core.fit_history(da.from_array(X, chunks=400), K, seed=1, max_iter=3,
                                                      tol=0.0))


def test_unknown_block_lengths_and_integer_data():
    """A dataframe's array does not know its blocks' lengths until asked: DaskRows asks once."""
    import dask.dataframe as dd
    import pandas as pd

    X = np.round(three_blobs() * 10).astype(np.int32)
    frame = dd.from_pandas(pd.DataFrame(X, columns=["a", "b", "c"]), npartitions=6)
    unknown = frame.to_dask_array()
    assert np.isnan(unknown.chunks[0]).all()
    assert_same_history(em_core.fit_history(X, K, seed=0, max_iter=3),
                        em_core.fit_history(unknown, K, seed=0, max_iter=3))


@pytest.mark.parametrize("bad, message", [
    (da.from_array(np.ones((2, 2)), chunks=1), r"X has 2 row\(s\) but 3 components"),
    (da.from_array(np.ones(10), chunks=5), r"2-D array.*X.reshape\(-1, 1\)"),
    (da.from_array(np.ones((10, 2), dtype=complex), chunks=5), "complex numbers"),
    (da.from_array(np.array([["a", "b"]] * 5), chunks=2), "numbers only"),
    (da.from_array(np.ones((6, 0)), chunks=3), "no columns"),
])
def test_bad_dask_input_gets_the_numpy_sentences(bad, message):
    with pytest.raises(ValueError, match=message):
        em_core.fit_history(bad, K)


def test_nan_rows_are_named_across_blocks():
    X = three_blobs()
    X[[7, 400, 1499], 1] = np.nan
    X[900, 0] = np.inf
    with pytest.raises(ValueError, match=r"4 row\(s\) \(rows 7, 400, 900, 1499\)"):
        em_core.fit_history(da.from_array(X, chunks=300), K)


def test_em_core_imports_and_fits_without_dask():
    """Dask is imported only when a Dask array arrives: em_core works where Dask is absent."""
    code = textwrap.dedent("""
        import sys
        for name in ("dask", "dask.array", "distributed"):
            sys.modules[name] = None  # any import of them now raises ImportError
        import numpy as np
        import em_core
        h = em_core.fit_history(np.random.default_rng(0).normal(size=(200, 2)), 2, seed=0, max_iter=3)
        h.responsibilities(-1)
        assert not any(m.startswith("dask") and sys.modules[m] is not None for m in sys.modules)
        print("ok", len(h))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok")


# A LocalCluster with worker processes: the rows stay on the workers ----------------------------

# 205 MB of float64, generated on the workers, never materialised here. Wide rows and spherical
# components: many bytes per unit of arithmetic, so that the test stays around ten seconds.
ROWS, COLUMNS = 1_600_000, 16
#: The driver may grow by this much while fitting them (it holds the graph and K x d x d sums).
DRIVER_GROWTH_BOUND = 60 * 2 ** 20


def _peak_rss_while(fn):
    """Run ``fn`` while sampling this process's RSS every 10 ms; return (result, peak RSS)."""
    process, peak, running = psutil.Process(), [0], [True]

    def watch():
        while running[0]:
            peak[0] = max(peak[0], process.memory_info().rss)
            time.sleep(0.01)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        result = fn()
    finally:
        running[0] = False
        watcher.join()
    return result, peak[0]


def _local_cluster():
    """Two worker processes, with time to start on a loaded machine."""
    from distributed import LocalCluster

    return LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                        memory_limit="2GiB", timeout=120, death_timeout=120)


def test_a_local_cluster_fits_rows_the_driver_never_holds(monkeypatch):
    from distributed import Client

    # Worker processes are spawned, and a spawned process first re-runs the parent's __main__. After
    # the AppTest tests in this process that is app.py (a Streamlit script): give the workers an empty one.
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    with _local_cluster() as cluster, Client(cluster) as client, dask.config.set(scheduler=client.get):
        X = da.random.default_rng(12).normal(size=(ROWS, COLUMNS), chunks=(200_000, COLUMNS))
        start = dict(weights_init=[0.5, 0.5], means_init=[[-1.0] * COLUMNS, [1.0] * COLUMNS],
                     covariances_init=np.ones(2), covariance_type="spherical")
        # A small fit first, so that imports and the client's first graphs are not counted.
        em_core.fit_history(X[:1000], 2, init="given", max_iter=1, **start)
        before = psutil.Process().memory_info().rss
        history, peak = _peak_rss_while(
            lambda: em_core.fit_history(X, 2, init="given", max_iter=1, tol=0.0, **start))
    assert history.n_samples == ROWS and history.n_iter == 1
    assert np.isfinite(history.final.log_likelihood)
    np.testing.assert_allclose(history.final.counts.sum(), ROWS, rtol=1e-12)
    assert peak - before <= DRIVER_GROWTH_BOUND, f"driver grew by {(peak - before) / 2 ** 20:.0f} MiB"
