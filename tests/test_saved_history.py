"""Saved fits (History.save / em_core.load_history) and one history shared by many threads."""

from __future__ import annotations

import io
import json
import threading
import zipfile

import dask
import dask.array as da
import numpy as np
import pytest

import em_core
from em_core import saved

INITS = ("kmeans", "kmeans++", "random_points", "random_resp", "given")


def data(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.normal(size=(n // 3, 2)) * (0.4 + k) + 3 * k for k in range(3)])


def fit(init="kmeans", covariance_type="full", X=None, **options):
    X = data() if X is None else X
    if init == "given":
        options.update(weights_init=[0.2, 0.3, 0.5], means_init=X[[0, 1500, 2999]],
                       covariances_init=em_core.expand_covariances(np.ones(3), "spherical", 3, 2)
                       if covariance_type == "full" else {"tied": np.eye(2), "diag": np.ones((3, 2)),
                                                          "spherical": np.ones(3)}[covariance_type])
    options = {"seed": 7, "max_iter": 6, **options}
    return em_core.fit_history(X, 3, init=init, covariance_type=covariance_type, **options)


def saved_bytes(history, **kwargs) -> bytes:
    buffer = io.BytesIO()
    history.save(buffer, **kwargs)
    return buffer.getvalue()


def members(content: bytes) -> dict:
    """The archive's members: bytes, except the manifest parsed without its ``sample`` entry."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        out = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(out["manifest.json"])
    out["manifest.json"] = {"sample": manifest.pop("sample"), "rest": manifest}
    return out


def assert_identical_steps(a, b):
    assert len(a) == len(b)
    for s, t in zip(a, b):
        assert (s.index, s.kind, s.iteration, dict(s.flags)) == (t.index, t.kind, t.iteration, dict(t.flags))
        for name in ("weights", "means", "covariances", "counts"):
            x, y = getattr(s, name), getattr(t, name)
            assert x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes(), name
        for name in ("log_likelihood", "lower_bound", "kmeans_objective"):
            assert getattr(s, name) == getattr(t, name), name  # exact (None == None too)
    for name in ("covariance_type", "n_components", "init", "converged", "n_iter",
                 "kmeans_restart_objectives", "kmeans_converged"):
        assert getattr(a, name) == getattr(b, name), name
    assert dict(a.options) == dict(b.options)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
@pytest.mark.parametrize("init", INITS)
def test_round_trip_is_exact(tmp_path, init, covariance_type):
    history = fit(init, covariance_type, n_init=2 if init.startswith("kmeans") else 1)
    path = tmp_path / "fit.emviz"
    history.save(path, sample=500, column_names=["height", "weight"])
    loaded = em_core.load_history(path)
    assert_identical_steps(history, loaded)
    assert loaded.column_names == ("height", "weight")
    assert loaded.n_samples == 500 and loaded.n_samples_total == 3000 and loaded.n_features == 2
    rows = loaded.row_numbers
    assert rows.dtype == np.int64 and np.all(np.diff(rows) > 0)
    assert loaded.X.tobytes() == history.X[rows].tobytes() and not loaded.X.flags.writeable
    # What the figures need: every step's responsibilities and labels, on the sample's rows.
    for index in range(len(history)):
        np.testing.assert_array_equal(loaded.responsibilities(index), history.responsibilities(index)[rows])
        np.testing.assert_array_equal(loaded.labels(index), history.labels(index)[rows])
    assert loaded.first_em_index == history.first_em_index
    np.testing.assert_array_equal(loaded.model().predict(loaded.X), history.model().predict(history.X)[rows])
    # Saving the loaded history again writes the same members: nothing was lost or rounded (only the
    # manifest's note of the sample's seed differs: the rows are given by number this time).
    again = members(saved_bytes(loaded, sample=np.arange(500)))
    first = members(path.read_bytes())
    assert first["manifest.json"].pop("sample") == {"n_rows": 500, "seed": 0}
    assert again["manifest.json"].pop("sample") == {"n_rows": 500, "seed": None}
    assert again == first


def test_defaults_sample_size_and_determinism():
    X = np.random.default_rng(1).normal(size=(25_000, 2))
    history = em_core.fit_history(X, 2, seed=0, max_iter=2)
    first = saved_bytes(history)
    assert first == saved_bytes(history)  # no clock, no randomness: the same bytes every time
    loaded = em_core.load_history(io.BytesIO(first))
    assert loaded.n_samples == saved.SAMPLE_ROWS == 10_000 and loaded.n_samples_total == 25_000
    assert loaded.column_names == ("x1", "x2")
    other_seed = em_core.load_history(io.BytesIO(saved_bytes(history, seed=1)))
    assert not np.array_equal(other_seed.row_numbers, loaded.row_numbers)
    small = em_core.fit_history(X[:300], 2, seed=0, max_iter=2)
    assert em_core.load_history(io.BytesIO(saved_bytes(small))).row_numbers.tolist() == list(range(300))


def test_a_dask_fit_saves_its_sample_without_pulling_the_rows():
    X = data()
    with dask.config.set(scheduler="synchronous"):
        history = em_core.fit_history(da.from_array(X, chunks=700), 3, seed=7, max_iter=4, init="random_resp")
        loaded = em_core.load_history(io.BytesIO(saved_bytes(history, sample=400)))
        expected = em_core.fit_history(X, 3, seed=7, max_iter=4, init="random_resp")
    rows = loaded.row_numbers
    assert loaded.X.tobytes() == X[rows].tobytes()
    for index in range(len(loaded)):  # the random start regenerates from the row numbers alone
        np.testing.assert_allclose(loaded.responsibilities(index), expected.responsibilities(index)[rows],
                                   rtol=1e-9, atol=1e-12)


def test_bad_arguments_to_save():
    history = fit()
    with pytest.raises(ValueError, match="column_names has 3 name"):
        history.save(io.BytesIO(), column_names=["a", "b", "c"])
    with pytest.raises(ValueError, match="row numbers must lie in 0..2999"):
        history.save(io.BytesIO(), sample=[0, 3000])
    with pytest.raises(ValueError, match="number of rows >= 0"):
        history.save(io.BytesIO(), sample=-1)


# Refusals ----------------------------------------------------------------------------------------

def rewritten(original: bytes, change) -> bytes:
    """The archive with ``change(name, data) -> data or None (drop)`` applied to every member."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            content = change(name, source.read(name))
            if content is not None:
                target.writestr(name, content)
    return out.getvalue()


def with_manifest(original: bytes, edit) -> bytes:
    def change(name, content):
        if name != "manifest.json":
            return content
        manifest = json.loads(content)
        edit(manifest)
        return json.dumps(manifest).encode()
    return rewritten(original, change)


@pytest.fixture(scope="module")
def good() -> bytes:
    return saved_bytes(fit(), sample=300)


def refused(content: bytes, match: str):
    with pytest.raises(ValueError, match=match):
        em_core.load_history(io.BytesIO(content))


def test_another_format_version_is_refused(good):
    refused(with_manifest(good, lambda m: m.update(version=2)),
            r"format version 2; this em_core reads version 1 only")


def test_a_corrupted_array_is_refused(good):
    def flip(name, content):
        if name == "means.npy":
            content = content[:-3] + bytes([content[-3] ^ 0x40]) + content[-2:]
        return content
    refused(rewritten(good, flip), r"array 'means' does not match its checksum \(the file is corrupted\)")


def test_a_corrupted_byte_in_the_archive_is_refused(good):
    middle = len(good) // 2
    refused(good[:middle] + bytes([good[middle] ^ 0xFF]) + good[middle + 1:], "not a readable emviz saved fit")


@pytest.mark.parametrize("keep", [0.3, 0.9, 0.999])
def test_a_truncated_file_is_refused(good, keep):
    refused(good[:int(len(good) * keep)], r"not a complete ZIP archive \(truncated")


def test_a_missing_array_is_refused(good):
    refused(rewritten(good, lambda name, c: None if name == "counts.npy" else c), "array 'counts' is missing")


def test_a_garbled_manifest_is_refused(good):
    refused(rewritten(good, lambda name, c: b"{not json" if name == "manifest.json" else c), "not valid JSON")
    refused(with_manifest(good, lambda m: m.pop("steps")), "lacks or garbles an entry")


@pytest.mark.parametrize("content, match", [
    (b"x,y\n1,2\n3,4\n", "not a complete ZIP archive"),
    (b"", "not a complete ZIP archive"),
    (bytes(range(256)) * 10, "not a complete ZIP archive"),
])
def test_other_files_are_refused(content, match):
    refused(content, match)


def test_a_zip_that_is_not_a_saved_fit_is_refused(good):
    other = io.BytesIO()
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("data.csv", "x,y\n1,2\n")
    refused(other.getvalue(), r"no manifest.json \(is it a saved fit at all\?\)")
    refused(with_manifest(good, lambda m: m.update(format="something-else")), "does not describe an emviz fit")


def test_a_missing_file_is_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        em_core.load_history(tmp_path / "nothing.emviz")


# One history, many threads (Streamlit shares cached histories between sessions) -----------------

@pytest.mark.parametrize("kind", ["live", "loaded"])
def test_many_threads_on_one_history(kind):
    history = fit(max_iter=8)
    if kind == "loaded":
        history = em_core.load_history(io.BytesIO(saved_bytes(history, sample=2000)))
    expected = {i: em_core.load_history(io.BytesIO(saved_bytes(history, sample=np.arange(history.n_samples))))
                .responsibilities(i) for i in range(len(history))}
    errors, barrier = [], threading.Barrier(8)

    def hammer(offset):
        try:
            barrier.wait()
            for repeat in range(3):
                # Every thread walks all steps from its own offset: more steps than the cache holds, so
                # entries are evicted and recomputed while other threads read them.
                for j in range(len(history)):
                    index = (j + offset) % len(history)
                    assert np.array_equal(history.responsibilities(index), expected[index])
        except Exception as err:  # noqa: BLE001 -- reported below, with its thread
            errors.append((offset, repr(err)))

    threads = [threading.Thread(target=hammer, args=(3 * t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(history._cache) <= 4
