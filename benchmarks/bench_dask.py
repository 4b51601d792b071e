"""em_core on Dask against numpy in memory and scikit-learn; then 10^8 rows of Parquet by the command line.

Prints tables; not part of the tests. Run from the repository root::

    python benchmarks/bench_dask.py            # 10^7 rows in memory, then 10^8 rows on disk
    python benchmarks/bench_dask.py --rows-on-disk 30000000   # a shorter on-disk run
    python benchmarks/bench_dask.py --skip-memory             # only the on-disk run

1. 10^7 rows, d = 2, K = 5, 20 EM iterations (tol = 0) from the same start
   (``init="given"``; scikit-learn's ``weights_init``/``means_init``/``precisions_init``):
   numpy in memory, Dask on a LocalCluster with 2 worker processes (the rows are generated on the
   workers, never on the driver), and scikit-learn (a reference only: em_core never imports it).
   Each variant runs in a process of its own, so that its peak RSS is its own; the cluster reports
   the peak of the driver and of every worker.
2. 10^8 rows (1.6 GB of float64) written as Parquet in 1e6-row files to a temporary directory,
   one file at a time, fitted by ``python -m em_core fit`` on its own LocalCluster; the peak RSS of
   every process of the run (the command, its nannies and workers) is sampled every 0.2 s.
3. N = 490 (the mouse data's size) in numpy: the time of a fit, and that Dask was never imported.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

K, D, ITERATIONS, BLOCK_ROWS = 5, 2, 20, 1_000_000
CENTRES = np.array([[0.0, 0.0], [6.0, 1.0], [1.0, 7.0], [-5.0, 4.0], [3.0, -6.0]])
SCALES = np.array([1.0, 0.7, 1.3, 0.9, 1.1])


def make_block(index: int, rows: int = BLOCK_ROWS) -> np.ndarray:
    """Block ``index`` of the data: its own seeded generator, so any process makes the same rows."""
    rng = np.random.default_rng([2026, index])
    labels = rng.integers(0, K, size=rows)
    return CENTRES[labels] + rng.standard_normal((rows, D)) * SCALES[labels, None]


def start():
    """The common start: equal weights, means off the true centres, unit covariances."""
    return np.full(K, 1.0 / K), CENTRES + 0.8, np.stack([np.eye(D)] * K)


def dask_rows(n_rows: int):
    import dask.array as da

    blocks = n_rows // BLOCK_ROWS
    return da.map_blocks(lambda block_id=None: make_block(block_id[0]), dtype=float,
                         chunks=((BLOCK_ROWS,) * blocks, (D,)))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


# One variant per process ---------------------------------------------------------------------------

def variant_numpy(n_rows: int) -> dict:
    import em_core

    X = np.concatenate([make_block(i) for i in range(n_rows // BLOCK_ROWS)])
    weights, means, covariances = start()
    began = time.perf_counter()
    history = em_core.fit_history(X, K, init="given", weights_init=weights, means_init=means,
                                  covariances_init=covariances, max_iter=ITERATIONS, tol=0.0)
    return dict(seconds=time.perf_counter() - began, log_likelihood=history.final.log_likelihood,
                rss={"this process": peak_rss_mb()})


def variant_sklearn(n_rows: int) -> dict:
    import warnings

    from sklearn.mixture import GaussianMixture

    X = np.concatenate([make_block(i) for i in range(n_rows // BLOCK_ROWS)])
    weights, means, covariances = start()
    precisions = np.stack([np.linalg.inv(c) for c in covariances])  # scikit-learn's own input, not ours
    began = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "did not converge": tol=0 on purpose
        model = GaussianMixture(K, covariance_type="full", tol=0.0, max_iter=ITERATIONS, reg_covar=1e-6,
                                weights_init=weights, means_init=means, precisions_init=precisions).fit(X)
    return dict(seconds=time.perf_counter() - began, log_likelihood=model.score(X) * n_rows,
                rss={"this process": peak_rss_mb()})


def variant_dask(n_rows: int) -> dict:
    import dask
    from distributed import Client, LocalCluster

    import em_core

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client, dask.config.set(scheduler=client.get):
        weights, means, covariances = start()
        X = dask_rows(n_rows)
        em_core.fit_history(X[:1000], K, init="given", weights_init=weights, means_init=means,
                            covariances_init=covariances, max_iter=1)  # warm-up: imports on the workers
        began = time.perf_counter()
        history = em_core.fit_history(X, K, init="given", weights_init=weights, means_init=means,
                                      covariances_init=covariances, max_iter=ITERATIONS, tol=0.0)
        seconds = time.perf_counter() - began
        workers = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    rss = {"driver": peak_rss_mb()}
    rss.update({f"worker {i + 1}": mb for i, mb in enumerate(workers.values())})
    return dict(seconds=seconds, log_likelihood=history.final.log_likelihood, rss=rss)


def variant_small() -> dict:
    """N = 490 in numpy, in a process where importing Dask would fail: none happens."""
    for name in ("dask", "distributed"):
        sys.modules[name] = None
    import em_core

    X = np.concatenate([make_block(0, 98) + 0.0 for _ in range(5)])
    em_core.fit_history(X, K, seed=0)  # first call: numpy's and em_core's own warm-up
    began = time.perf_counter()
    for _ in range(10):
        em_core.fit_history(X, K, seed=0, max_iter=100)
    dask_loaded = any(name.startswith(("dask", "distributed")) and sys.modules[name] is not None
                      for name in sys.modules)
    return dict(seconds=(time.perf_counter() - began) / 10, dask_imported=dask_loaded,
                rss={"this process": peak_rss_mb()})


def run_variant(name: str, *args) -> dict:
    done = subprocess.run([sys.executable, __file__, "--variant", name, *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT)
    if done.returncode:
        raise SystemExit(f"variant {name} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# 10^8 rows on disk, by the command line ------------------------------------------------------------

def write_parquet(directory: str, n_rows: int) -> float:
    import pandas as pd

    for i in range(n_rows // BLOCK_ROWS):  # one 16 MB block in memory at a time
        pd.DataFrame(make_block(i), columns=["x", "y"]).to_parquet(os.path.join(directory, f"part{i:04d}.parquet"))
    return sum(os.path.getsize(os.path.join(directory, f)) for f in os.listdir(directory)) / 2 ** 30


def fit_on_disk(directory: str, out: str) -> dict:
    import psutil

    command = [sys.executable, "-m", "em_core", "fit", directory, "--k", str(K), "--init", "kmeans++",
               "--max-iter", str(ITERATIONS), "--tol", "0", "--out", out]
    peaks: dict[int, tuple[str, float]] = {}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    watching = psutil.Process(process.pid)
    done = threading.Event()

    def watch():
        while not done.is_set():
            try:
                tree = [watching] + watching.children(recursive=True)
            except psutil.NoSuchProcess:
                break
            for p in tree:
                try:
                    mb = p.memory_info().rss / 2 ** 20
                    role = " ".join(p.cmdline()[1:4])[:60]
                except psutil.Error:
                    continue
                if mb > peaks.get(p.pid, ("", 0.0))[1]:
                    peaks[p.pid] = (role, mb)
            time.sleep(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    began = time.perf_counter()
    watcher.start()
    stdout, stderr = process.communicate()
    done.set()
    watcher.join()
    if process.returncode:
        raise SystemExit(f"the command line failed:\n{stderr}")
    return dict(seconds=time.perf_counter() - began, stdout=stdout, peaks=peaks)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--variant")
    parser.add_argument("rows", nargs="?", type=int)
    parser.add_argument("--rows-in-memory", type=int, default=10_000_000)
    parser.add_argument("--rows-on-disk", type=int, default=100_000_000)
    parser.add_argument("--skip-disk", action="store_true")
    parser.add_argument("--skip-memory", action="store_true", help="only the on-disk run")
    args = parser.parse_args()
    if args.variant:
        result = {"numpy": variant_numpy, "sklearn": variant_sklearn, "dask": variant_dask,
                  "small": lambda _: variant_small()}[args.variant](args.rows)
        print(json.dumps(result))
        return

    if not args.skip_memory:
        in_memory(args.rows_in_memory)
    if not args.skip_disk:
        on_disk(args.rows_on_disk)


def in_memory(n: int) -> None:
    print(f"## {n:.0e} rows, d = {D}, K = {K}, {ITERATIONS} EM iterations from the same start (tol = 0)\n")
    print("| variant | time | per iteration | log-likelihood | peak RSS per process |")
    print("|---|---|---|---|---|")
    for label, name in (("em_core, numpy in memory", "numpy"), ("em_core, Dask LocalCluster (2 workers)", "dask"),
                        ("scikit-learn, in memory", "sklearn")):
        r = run_variant(name, n)
        rss = ", ".join(f"{who} {mb:,.0f} MB" for who, mb in r["rss"].items())
        print(f"| {label} | {r['seconds']:.1f} s | {r['seconds'] / ITERATIONS:.2f} s | "
              f"{r['log_likelihood']:.6e} | {rss} |", flush=True)

    small = run_variant("small", 490)
    print(f"\nN = 490 in numpy: {small['seconds'] * 1e3:.0f} ms per fit (k-means + up to 100 EM iterations); "
          f"Dask imported: {'yes' if small['dask_imported'] else 'no'} (imports of it were blocked); "
          f"peak RSS {small['rss']['this process']:.0f} MB\n")


def on_disk(rows: int) -> None:
    directory = tempfile.mkdtemp(prefix="emviz_bench_")
    try:
        began = time.perf_counter()
        gigabytes = write_parquet(directory, rows)
        print(f"## {rows:.0e} rows in Parquet ({rows // BLOCK_ROWS} files, {gigabytes:.2f} GiB on disk, "
              f"written in {time.perf_counter() - began:.0f} s), `python -m em_core fit DIR --k {K} --init kmeans++ "
              f"--max-iter {ITERATIONS} --tol 0` on a LocalCluster of 2 workers\n", flush=True)
        r = fit_on_disk(directory, os.path.join(directory, "fit.emviz"))
        print("```\n" + r["stdout"].strip() + "\n```\n")
        print("| process | peak RSS |")
        print("|---|---|")
        for pid, (role, mb) in sorted(r["peaks"].items(), key=lambda item: -item[1][1]):
            print(f"| {pid} {role} | {mb:,.0f} MB |")
        worst = max(mb for _, mb in r["peaks"].values())
        print(f"\nwall time of the command {r['seconds']:.0f} s; largest process {worst:,.0f} MB "
              f"({'within' if worst <= 1536 else 'OVER'} the 1.5 GB bound)")
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
