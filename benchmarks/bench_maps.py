"""Density and posterior maps on a grid: em_core's one-pass evaluation against scipy.stats, in one run.

    python benchmarks/bench_maps.py            # 200 x 200 grid, K = 5, d = 2 and a projection of d = 6

Prints the median time of ``em_core.mixture_log_density_grid`` and
``em_core.posterior_grid`` (the explorer's map layers, target <= 20 ms for a
200 x 200 grid with K = 5) beside the same numbers computed with
``scipy.stats.multivariate_normal`` per component, and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import time
from types import SimpleNamespace

import numpy as np
from scipy import stats
from scipy.special import logsumexp

import em_core


def _params(K: int, d: int, seed: int = 0) -> SimpleNamespace:
    rng = np.random.default_rng(seed)
    roots = rng.normal(size=(K, d, d))
    covariances = roots @ np.swapaxes(roots, 1, 2) + 0.5 * np.eye(d)
    return SimpleNamespace(weights=np.full(K, 1.0 / K), means=rng.normal(0, 3, (K, d)), covariances=covariances)


def _median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def _scipy_maps(params, xs, ys, W):
    gx, gy = np.meshgrid(xs, ys)
    points = np.dstack([gx, gy])
    log_joint = np.stack([np.log(w) + stats.multivariate_normal(m @ W, W.T @ c @ W).logpdf(points)
                          for w, m, c in zip(params.weights, params.means, params.covariances)], axis=-1)
    log_p = logsumexp(log_joint, axis=-1)
    return log_p, np.exp(log_joint - log_p[..., None])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", type=int, default=200)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    print(f"grid {args.grid} x {args.grid}, K = {args.k}, median of {args.repeats}\n")
    print(f"{'data':<18}{'what':<22}{'em_core (ms)':>14}{'scipy.stats (ms)':>18}{'ratio':>8}")
    for d in (2, 6):
        params = _params(args.k, d)
        W = np.eye(d)[:, :2] if d == 2 else np.linalg.qr(np.random.default_rng(1).normal(size=(d, 2)))[0]
        xs, ys = np.linspace(-8, 8, args.grid), np.linspace(-8, 8, args.grid)
        ours_density = _median_ms(lambda: em_core.mixture_log_density_grid(params, "full", xs, ys, W), args.repeats)
        ours_posterior = _median_ms(lambda: em_core.posterior_grid(params, "full", xs, ys, W), args.repeats)
        reference = _median_ms(lambda: _scipy_maps(params, xs, ys, W), max(3, args.repeats // 5))
        log_p, gamma = _scipy_maps(params, xs, ys, W)
        assert np.allclose(em_core.mixture_log_density_grid(params, "full", xs, ys, W), log_p, rtol=1e-9)
        assert np.allclose(em_core.posterior_grid(params, "full", xs, ys, W), gamma, atol=1e-9)
        label = "d = 2" if d == 2 else f"d = {d}, projected"
        for what, ours in (("log-density map", ours_density), ("posterior map", ours_posterior)):
            print(f"{label:<18}{what:<22}{ours:>14.1f}{reference:>18.1f}{ours / reference:>8.2f}")


if __name__ == "__main__":
    main()
