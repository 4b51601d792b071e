"""``python -m em_core fit``: end to end on small files, and one sentence + status 2 for bad input.

Every fit here uses ``--scheduler synchronous`` (no cluster to start: a
LocalCluster costs seconds); ``benchmarks/bench_dask.py`` runs the default
LocalCluster path on 10^8 rows. Bad inputs are checked in-process through
``cli.main`` (fast) and once through a real subprocess (no traceback).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import em_core
from em_core import cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def table(n=600, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(size=(n // 3, 2)) * 0.5 + 3 * k for k in range(3)])
    return pd.DataFrame({"x": X[:, 0], "label": ["a", "b", "c"] * (n // 3), "y": X[:, 1],
                         "z": rng.normal(size=n)})


@pytest.fixture
def files(tmp_path):
    frame = table()
    frame.to_csv(tmp_path / "small.csv", index=False)
    (tmp_path / "parts").mkdir()
    for i in range(3):
        frame.iloc[200 * i:200 * (i + 1)].to_parquet(tmp_path / "parts" / f"part{i}.parquet")
    frame[["label"]].to_csv(tmp_path / "words.csv", index=False)
    frame.iloc[:2].to_csv(tmp_path / "two_rows.csv", index=False)
    return tmp_path, frame


def run_module(*args, cwd):
    return subprocess.run([sys.executable, "-m", "em_core", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env={**os.environ, "PYTHONPATH": ROOT})


def test_csv_end_to_end_in_a_subprocess(files):
    where, frame = files
    done = run_module("fit", "small.csv", "--k", "3", "--columns", "x,y", "--seed", "2", "--max-iter", "30",
                      "--scheduler", "synchronous", "--out", "fit.emviz", cwd=where)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Fitting K=3 (full, init kmeans) to 600 rows x 2 columns (x, y)")
    assert lines[1].startswith("init: after ") and "log-likelihood" in lines[1]
    iterations = [line for line in lines if line.startswith("iteration")]
    assert iterations and all("change per row" in line and line.endswith(" s)") for line in iterations)
    assert lines[-1].startswith("Done: ") and "saved to fit.emviz with a 600-row display sample" in lines[-1]
    loaded = em_core.load_history(where / "fit.emviz")
    expected = em_core.fit_history(frame[["x", "y"]].to_numpy(), 3, seed=2, max_iter=30)
    assert len(loaded) == len(expected) == len(iterations) * 2 + 1 + len(expected.indices_of(
        "kmeans_assign", "kmeans_update"))
    np.testing.assert_allclose(loaded.final.means, expected.final.means, rtol=1e-10)
    assert loaded.column_names == ("x", "y") and loaded.n_samples_total == 600
    np.testing.assert_array_equal(loaded.X, frame[["x", "y"]].to_numpy())


def test_parquet_directory_with_every_numeric_column(files, capsys):
    where, frame = files
    status = cli.main(["fit", str(where / "parts"), "--k", "2", "--cov", "diag", "--init", "random_resp",
                       "--tol", "0", "--max-iter", "4", "--scheduler", "synchronous",
                       "--out", str(where / "p.emviz")])
    out = capsys.readouterr().out
    assert status == 0
    assert "600 rows x 3 columns (x, y, z)" in out and out.count("\niteration") == 4
    loaded = em_core.load_history(where / "p.emviz")
    expected = em_core.fit_history(frame[["x", "y", "z"]].to_numpy(), 2, covariance_type="diag",
                                   init="random_resp", seed=0, tol=0, max_iter=4)
    np.testing.assert_allclose(loaded.final.covariances, expected.final.covariances, rtol=1e-10)
    # A glob of the same files reads the same rows.
    assert cli.main(["fit", str(where / "parts" / "part*.parquet"), "--k", "2", "--max-iter", "1",
                     "--scheduler", "synchronous", "--out", str(where / "g.emviz")]) == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("args, sentence", [
    (["missing.csv"], "There is no file or directory missing.csv."),
    (["empty_dir"], "holds no .csv or .parquet file."),
    (["words.csv"], "words.csv has no numeric column (its columns: label)."),
    (["small.csv", "--columns", "x,height"], "Unknown column(s) height; small.csv has x, label, y, z."),
    (["small.csv", "--columns", "x,label"], "Column(s) label of small.csv are not numeric"),
    (["two_rows.csv", "--k", "3"], "X has 2 row(s) but 3 components were requested"),
    (["small.csv", "--cov", "round"], "Argument --cov: invalid choice: 'round'"),
    (["small.csv", "--k", "0"], "--k and --max-iter must be at least 1"),
])
def test_bad_input_is_one_sentence_and_status_2(files, capsys, monkeypatch, args, sentence):
    where, _ = files
    (where / "empty_dir").mkdir()
    monkeypatch.chdir(where)
    argv = ["fit", *args, "--out", "never.emviz", "--scheduler", "synchronous"]
    if "--k" not in args:
        argv += ["--k", "2"]
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert sentence in captured.err
    assert captured.err.startswith("em_core fit: ") and captured.err.count("\n") == 1
    assert not (where / "never.emviz").exists()


def test_an_unreachable_scheduler(files, capsys, monkeypatch):
    where, _ = files
    monkeypatch.setattr(cli, "CONNECT_TIMEOUT_S", 1)
    address = f"tcp://127.0.0.1:{_free_port()}"
    assert cli.main(["fit", str(where / "small.csv"), "--k", "2", "--scheduler", address, "--out",
                     str(where / "never.emviz")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"em_core fit: Could not reach the Dask scheduler at {address} within 1 s")
    assert err.count("\n") == 1


def test_bad_input_in_a_subprocess_prints_no_traceback(files):
    where, _ = files
    done = run_module("fit", "nowhere/*.csv", "--k", "2", "--out", "x.emviz", cwd=where)
    assert done.returncode == 2
    assert done.stderr == "em_core fit: the pattern nowhere/*.csv holds no .csv or .parquet file.\n"
    assert done.stdout == ""
