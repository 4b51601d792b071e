"""Benchmark: em_core's recorded EM against scikit-learn's GaussianMixture.

Both fits start from the same parameters (``init="given"`` for us;
``weights_init``, ``means_init`` and ``precisions_init`` -- the inverse of our
covariances -- for scikit-learn) and run exactly the same number of
iterations (``tol=0``, ``max_iter=100``), full covariances, d = 2, K = 5.
scikit-learn therefore skips its own initialisation, and both do the same
arithmetic: 100 E-steps and 100 M-steps (scikit-learn adds one final E-step
for its labels; we add the likelihood pass of the last parameters, which we
record). Ours also records every step, which scikit-learn does not.

For each N the table shows the best wall-clock time of a few repeats (fewer
for large N), the ratio ours / sklearn measured in the same run, the largest
relative difference of the fitted means (a sanity check: it must stay tiny),
and our peak resident set size, measured in a fresh subprocess that builds
the data and runs one fit (Linux's ``VmHWM``, else ``ru_maxrss``: the peak
of the whole process, interpreter, imports and data included; the RSS peak
before the fit is shown in brackets).

Usage::

    python benchmarks/bench_em.py                      # N = 1e3, 1e5, 1e6
    python benchmarks/bench_em.py --sizes 1000 20000   # a quick run
    python benchmarks/bench_em.py --no-rss             # timings only

BLAS note: on some processors this environment sets ``OPENBLAS_CORETYPE`` /
``OPENBLAS_L2_SIZE`` (OpenBLAS's kernel choice and cache-size hint). The
benchmark leaves them exactly as they are, so that the default run measures
what the app gets; it only prints them and the kernel ("architecture") that
threadpoolctl reports, so that runs on different machines can be compared.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import em_core  # noqa: E402  (after the path tweak, so the script runs from anywhere)

N_COMPONENTS = 5
N_FEATURES = 2
MAX_ITER = 100
DEFAULT_SIZES = (1_000, 100_000, 1_000_000)


def make_problem(n_samples: int, seed: int = 0):
    """Five overlapping 2-D blobs and one shared set of initial parameters.

    Returns
    -------
    X : numpy.ndarray of shape (n_samples, 2)
    weights, means, covariances : numpy.ndarray
        Equal weights, K distinct data rows as means and the data covariance
        for every component (what ``init="random_points"`` would choose).
    """
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(N_COMPONENTS, N_FEATURES))
    scales = rng.uniform(0.5, 2.0, size=(N_COMPONENTS, N_FEATURES))
    labels = rng.integers(N_COMPONENTS, size=n_samples)
    X = rng.standard_normal((n_samples, N_FEATURES))
    X *= scales[labels]
    X += centres[labels]
    del labels
    weights = np.full(N_COMPONENTS, 1.0 / N_COMPONENTS)
    means = X[rng.choice(n_samples, size=N_COMPONENTS, replace=False)].copy()
    covariances = np.broadcast_to(np.cov(X.T), (N_COMPONENTS, N_FEATURES, N_FEATURES)).copy()
    return X, weights, means, covariances


def fit_ours(X, weights, means, covariances):
    return em_core.fit_history(X, N_COMPONENTS, covariance_type="full", init="given", tol=0.0,
                               max_iter=MAX_ITER, weights_init=weights, means_init=means,
                               covariances_init=covariances)


def fit_sklearn(X, weights, means, covariances):
    from sklearn.mixture import GaussianMixture

    model = GaussianMixture(N_COMPONENTS, covariance_type="full", tol=0.0, max_iter=MAX_ITER,
                            weights_init=weights, means_init=means,
                            precisions_init=np.linalg.inv(covariances))
    with warnings.catch_warnings():
        # tol=0 never converges by design; the ConvergenceWarning is expected.
        warnings.simplefilter("ignore")
        return model.fit(X)


def best_time(fn, repeats: int) -> tuple[float, object]:
    """Smallest wall-clock time of ``repeats`` calls, and the last result."""
    best = np.inf
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def repeats_for(n_samples: int) -> int:
    if n_samples <= 10_000:
        return 5
    if n_samples <= 200_000:
        return 3
    return 1


def peak_rss_mb_ours(n_samples: int) -> tuple[float, float]:
    """Peak RSS (MB) of a fresh process that builds the data and runs one fit of ours.

    Returns the peak before the fit (interpreter, imports, data) and the peak overall.
    """
    out = subprocess.run([sys.executable, __file__, "--rss-child", str(n_samples)], check=True,
                         capture_output=True, text=True, cwd=ROOT)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    return report["before_mb"], report["peak_mb"]


def _maxrss_mb() -> float:
    """Peak RSS of this process in MB.

    Linux's ``VmHWM`` belongs to the process's current address space, so it
    starts afresh at ``exec``. ``ru_maxrss`` does not: it survives ``execve``
    and starts from the parent's peak at ``fork``, so a child of a big parent
    would report the parent's peak. It is only the fallback elsewhere.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        pass
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    scale = 1.0 if sys.platform == "darwin" else 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1e6


def _rss_child(n_samples: int) -> None:
    problem = make_problem(n_samples)
    before = _maxrss_mb()
    fit_ours(*problem)
    print(json.dumps({"before_mb": before, "peak_mb": _maxrss_mb()}))


def blas_report() -> str:
    lines = []
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        if name in os.environ:
            lines.append(f"{name}={os.environ[name]}")
    try:
        from threadpoolctl import threadpool_info
    except ImportError:  # threadpoolctl comes with scikit-learn; be robust anyway
        lines.append("threadpoolctl not installed")
    else:
        for pool in threadpool_info():
            lines.append(f"{pool.get('internal_api')} {pool.get('version')} "
                         f"kernel={pool.get('architecture', '-')} threads={pool.get('num_threads')} "
                         f"({Path(pool.get('filepath', '')).name})")
    return "\n".join("  " + line for line in lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES),
                        help="numbers of rows N to benchmark (default: 1e3 1e5 1e6)")
    parser.add_argument("--no-rss", action="store_true", help="skip the peak-RSS subprocesses")
    parser.add_argument("--rss-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rss_child is not None:
        _rss_child(args.rss_child)
        return

    print(f"EM, full covariance, d={N_FEATURES}, K={N_COMPONENTS}, {MAX_ITER} iterations, tol=0, "
          f"same initial parameters; {os.cpu_count()} CPU(s)")
    print("BLAS:\n" + blas_report())
    header = f"{'N':>9} {'rep':>3} {'ours s':>9} {'sklearn s':>9} {'ours/skl':>8} {'max rel dmean':>13} " \
             f"{'our peak RSS MB':>15}"
    print(header)
    print("-" * len(header))
    for n_samples in args.sizes:
        problem = make_problem(n_samples)
        repeats = repeats_for(n_samples)
        ours_s, history = best_time(lambda: fit_ours(*problem), repeats)
        skl_s, model = best_time(lambda: fit_sklearn(*problem), repeats)
        rel = float(np.max(np.abs(history.final.means - model.means_) / np.abs(model.means_)))
        rss = "-"
        if not args.no_rss:
            before, peak = peak_rss_mb_ours(n_samples)
            rss = f"{peak:.0f} ({before:.0f} pre-fit)"
        print(f"{n_samples:>9} {repeats:>3} {ours_s:>9.3f} {skl_s:>9.3f} {ours_s / skl_s:>8.2f} "
              f"{rel:>13.1e} {rss:>15}", flush=True)


if __name__ == "__main__":
    main()
