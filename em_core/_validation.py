"""Input checks shared by the k-means and EM code.

Every check raises ``ValueError`` with a sentence that says what was wrong
and what to do about it, because these messages reach the app's users.
"""

from __future__ import annotations

import numbers

import numpy as np

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
INIT_METHODS = ("kmeans", "kmeans++", "random_points", "random_resp", "given")


def check_data(X, n_components: int) -> np.ndarray:
    """Return ``X`` as a read-only C-contiguous float64 matrix, or raise.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
        The data to fit.
    n_components : int
        Number of mixture components, already validated.

    Returns
    -------
    numpy.ndarray
        A private copy of the data that nobody can modify afterwards.
    """
    try:
        # Casting complex data would silently drop the imaginary parts (numpy only warns).
        complex_data = np.iscomplexobj(X)
        if not complex_data:
            array = np.array(X, dtype=np.float64, copy=True, order="C")
    except (TypeError, ValueError) as err:
        raise ValueError(
            "X must contain numbers only; could not convert it to floating point "
            f"({err}). Remove or convert the non-numeric columns first."
        ) from None
    if complex_data:
        raise ValueError(COMPLEX_DATA)
    check_shape(array.shape)
    bad_rows = np.flatnonzero(~np.isfinite(array).all(axis=1))
    check_finite_rows(bad_rows.size, bad_rows[:5])
    check_enough_rows(array.shape[0], n_components)
    array.setflags(write=False)
    return array


COMPLEX_DATA = "X contains complex numbers; only real-valued data can be fitted."


def check_shape(shape: tuple) -> None:
    """Raise unless ``shape`` is that of a 2-D array with at least one row and one column."""
    if len(shape) != 2:
        hint = " For a single feature, reshape it with X.reshape(-1, 1)." if len(shape) == 1 else ""
        raise ValueError(
            "X must be a 2-D array of shape (n_samples, n_features); "
            f"got an array with {len(shape)} dimension(s) and shape {tuple(shape)}.{hint}"
        )
    n_samples, n_features = shape
    if n_features == 0:
        raise ValueError("X has no columns (shape (%d, 0)); choose at least one numeric column." % n_samples)
    if n_samples == 0:
        raise ValueError("X has no rows; a mixture needs data to fit.")


def check_finite_rows(count: int, first) -> None:
    """Raise if ``count`` rows hold NaN or infinity (``first``: the numbers of the first five)."""
    if count:
        shown = ", ".join(str(int(r)) for r in first)
        more = f" and {count - 5} more" if count > 5 else ""
        raise ValueError(
            f"X contains NaN or infinite values in {count} row(s) (rows {shown}{more}); "
            "drop or impute those rows before fitting."
        )


def check_enough_rows(n_samples: int, n_components: int) -> None:
    """Raise if there are fewer rows than components."""
    if n_samples < n_components:
        raise ValueError(
            f"X has {n_samples} row(s) but {n_components} components were requested; "
            "every component needs at least one point: use fewer components or more data."
        )


def check_n_components(n_components) -> int:
    """Return ``n_components`` as an int >= 1, or raise."""
    if isinstance(n_components, bool) or not isinstance(n_components, numbers.Integral):
        raise ValueError(f"n_components must be a whole number >= 1; got {n_components!r}.")
    if n_components < 1:
        raise ValueError(f"n_components must be at least 1; got {n_components}.")
    return int(n_components)


def check_choice(name: str, value, choices) -> str:
    """Raise unless ``value`` is one of ``choices``."""
    if value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"Unknown {name} {value!r}; choose one of {options}.")
    return value


def check_number(name: str, value, *, minimum: float, integer: bool = False, inclusive: bool = True):
    """Return ``value`` if it is a finite number not below ``minimum``, else raise."""
    kind = "whole number" if integer else "number"
    ok_type = isinstance(value, numbers.Integral) if integer else isinstance(value, numbers.Real)
    if isinstance(value, bool) or not ok_type or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite {kind}; got {value!r}.")
    if value < minimum or (not inclusive and value == minimum):
        relation = ">=" if inclusive else ">"
        raise ValueError(f"{name} must be {relation} {minimum}; got {value}.")
    return int(value) if integer else float(value)


def covariance_shape(covariance_type: str, n_components: int, n_features: int) -> tuple[int, ...]:
    """Shape of ``covariances`` for a covariance type, as in scikit-learn."""
    return {
        "full": (n_components, n_features, n_features),
        "tied": (n_features, n_features),
        "diag": (n_components, n_features),
        "spherical": (n_components,),
    }[covariance_type]


def check_given_parameters(weights, means, covariances, covariance_type, n_components, n_features):
    """Validate user-supplied initial parameters and return float copies.

    Raises
    ------
    ValueError
        If an array is missing, has the wrong shape, or is not a valid
        probability vector / positive definite covariance.
    """
    missing = [name for name, value in (("weights_init", weights), ("means_init", means),
                                         ("covariances_init", covariances)) if value is None]
    if missing:
        raise ValueError(
            "init='given' needs means_init (weights_init and covariances_init then default to 1/K and the "
            "data's covariance); missing: " + ", ".join(missing) + "."
        )
    arrays = {}
    expected = {
        "weights_init": (n_components,),
        "means_init": (n_components, n_features),
        "covariances_init": covariance_shape(covariance_type, n_components, n_features),
    }
    for name, value in (("weights_init", weights), ("means_init", means), ("covariances_init", covariances)):
        try:
            array = np.array(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be numeric.") from None
        if array.shape != expected[name]:
            raise ValueError(
                f"{name} has shape {array.shape}, but covariance_type={covariance_type!r} with "
                f"{n_components} components and {n_features} features needs shape {expected[name]}."
            )
        if not np.isfinite(array).all():
            raise ValueError(f"{name} contains NaN or infinite values.")
        arrays[name] = array
    w = arrays["weights_init"]
    if (w < 0).any() or (w > 1).any() or not np.isclose(w.sum(), 1.0, rtol=0, atol=1e-6):
        raise ValueError(f"weights_init must be non-negative and sum to 1; they sum to {w.sum():.6g}.")
    cov = arrays["covariances_init"]
    if covariance_type in ("diag", "spherical"):
        if (cov <= 0).any():
            raise ValueError("covariances_init must be strictly positive for covariance_type="
                             f"{covariance_type!r}.")
    else:
        stack = cov[None] if covariance_type == "tied" else cov
        for k, matrix in enumerate(stack):
            if not np.allclose(matrix, matrix.T, rtol=1e-10, atol=1e-12):
                raise ValueError(f"covariances_init[{k}] is not symmetric.")
            try:
                np.linalg.cholesky(matrix)
            except np.linalg.LinAlgError:
                raise ValueError(
                    f"covariances_init[{k}] is not positive definite; add a small value to its diagonal."
                ) from None
    return w / w.sum(), arrays["means_init"], cov
