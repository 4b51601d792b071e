"""Every bad input to fit_history raises ValueError with a message that says what is wrong.

The messages reach the app's users, so each test checks the key phrases,
not just the exception type.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import em_core

rng = np.random.default_rng(0)
X = rng.normal(size=(30, 2))


def raises(match, *args, **kwargs):
    """fit_history(*args, **kwargs) raises ValueError whose message matches ``match``."""
    with pytest.raises(ValueError, match=match) as info:
        em_core.fit_history(*args, **kwargs)
    return str(info.value)


# The data ----------------------------------------------------------------------

def test_one_dimensional_X_gets_a_reshape_hint():
    message = raises(r"2-D array", np.arange(10.0), 2)
    assert "shape (10,)" in message
    assert "X.reshape(-1, 1)" in message


@pytest.mark.parametrize("bad", [np.ones((4, 3, 2)), np.float64(3.0)])
def test_X_of_other_dimensions(bad):
    message = raises(r"2-D array of shape \(n_samples, n_features\)", bad, 1)
    assert f"{np.ndim(bad)} dimension" in message
    assert "reshape" not in message  # the hint is only for 1-D input


def test_fewer_rows_than_components():
    message = raises(r"X has 3 row\(s\) but 5 components were requested", X[:3], 5)
    assert "fewer components or more data" in message


@pytest.mark.parametrize("k", [0, -2])
def test_n_components_below_one(k):
    raises(rf"n_components must be at least 1; got {k}", X, k)


@pytest.mark.parametrize("k", [2.5, 2.0, "3", True, None, np.float64(2)])
def test_n_components_not_a_whole_number(k):
    raises(r"n_components must be a whole number >= 1", X, k)


def test_numpy_integer_n_components_is_fine():
    assert em_core.fit_history(X, np.int64(2), seed=0, max_iter=2).n_components == 2


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_name_the_rows(value):
    bad = X.copy()
    bad[4, 1] = value
    bad[17, 0] = value
    message = raises(r"NaN or infinite", bad, 2)
    assert "2 row(s)" in message and "rows 4, 17" in message
    assert "drop or impute" in message


def test_many_bad_rows_are_summarised():
    bad = X.copy()
    bad[:8, 0] = np.nan
    assert "rows 0, 1, 2, 3, 4 and 3 more" in raises(r"NaN", bad, 2)


def test_none_entries_count_as_missing():
    raises(r"NaN or infinite values in 1 row", [[1.0, 2.0], [None, 1.0], [3.0, 4.0]], 1)


def test_zero_columns():
    raises(r"X has no columns \(shape \(5, 0\)\)", np.empty((5, 0)), 1)


def test_zero_rows():
    raises(r"X has no rows", np.empty((0, 3)), 1)


@pytest.mark.parametrize("bad", [
    [["a", "b"], ["c", "d"]],
    np.array([["1.0", "x"], ["2", "3"]], dtype=object),
    [[1.0, 2.0], [3.0]],  # ragged
    [[{"a": 1}], [{"b": 2}]],
])
def test_non_numeric_X(bad):
    raises(r"X must contain numbers only", bad, 1)


def test_complex_X():
    raises(r"complex numbers", np.array([[1 + 1j], [2.0], [3.0]]), 1)


def test_numeric_strings_and_booleans_are_converted():
    history = em_core.fit_history([["1.5"], ["2"], ["3"]], 1, max_iter=1)
    np.testing.assert_allclose(history.X[:, 0], [1.5, 2.0, 3.0])


def test_the_data_is_copied_and_read_only():
    data = X.copy()
    history = em_core.fit_history(data, 2, seed=0, max_iter=2)
    data[:] = 0.0
    assert np.array_equal(history.X, X)
    assert not history.X.flags.writeable


# Options ---------------------------------------------------------------------------

@pytest.mark.parametrize("option, value, match", [
    ("covariance_type", "ful", r"Unknown covariance_type 'ful'; choose one of 'full', 'tied', 'diag', 'spherical'"),
    ("covariance_type", None, r"Unknown covariance_type None"),
    ("init", "k-means", r"Unknown init 'k-means'; choose one of 'kmeans', 'kmeans\+\+', 'random_points'"),
    ("tol", -1e-3, r"tol must be >= 0.0; got -0.001"),
    ("tol", np.nan, r"tol must be a finite number"),
    ("tol", "small", r"tol must be a finite number"),
    ("reg_covar", -1e-6, r"reg_covar must be >= 0.0"),
    ("reg_covar", np.inf, r"reg_covar must be a finite number"),
    ("max_iter", 0, r"max_iter must be >= 1; got 0"),
    ("max_iter", -5, r"max_iter must be >= 1"),
    ("max_iter", 10.5, r"max_iter must be a finite whole number"),
    ("max_iter", True, r"max_iter must be a finite whole number"),
    ("n_init", 0, r"n_init must be >= 1"),
    ("kmeans_max_iter", 0, r"kmeans_max_iter must be >= 1"),
    ("seed", 1.5, r"seed must be a non-negative whole number or None"),
    ("seed", "42", r"seed must be a non-negative whole number or None"),
    ("seed", -1, r"seed must be a non-negative whole number or None; got -1"),
])
def test_bad_options(option, value, match):
    raises(match, X, 2, **{option: value})


def test_options_are_checked_before_the_data():
    # A wrong option is reported even when the data are bad too, so the user fixes one thing at a time.
    raises(r"Unknown init", np.arange(3.0), 2, init="nope")


# init="given" ---------------------------------------------------------------------

def good_given(covariance_type="full", K=2, d=2):
    cov = {"full": np.stack([np.eye(d)] * K), "tied": np.eye(d), "diag": np.ones((K, d)),
           "spherical": np.ones(K)}[covariance_type]
    return dict(weights_init=np.full(K, 1.0 / K), means_init=np.zeros((K, d)), covariances_init=cov)


def test_missing_given_means_are_named():
    params = good_given()
    del params["means_init"]
    message = raises(r"init='given' needs means_init", X, 2, init="given", **params)
    assert message.endswith("missing: means_init.")
    del params["weights_init"]
    assert raises(r"init='given' needs means_init", X, 2, init="given", **params).endswith(
        "missing: weights_init, means_init.")


@pytest.mark.parametrize("missing", ["weights_init", "covariances_init"])
def test_given_means_alone_get_equal_weights_and_the_data_covariance(missing):
    params = good_given()
    del params[missing]
    history = em_core.fit_history(X, 2, init="given", max_iter=1, **params)
    start = history[history.first_em_index]
    np.testing.assert_array_equal(start.means, params["means_init"])
    if missing == "weights_init":
        np.testing.assert_array_equal(start.weights, [0.5, 0.5])
        np.testing.assert_array_equal(start.covariances, params["covariances_init"])
    else:
        S = np.cov(np.asarray(X, dtype=float).T, bias=True) + 1e-6 * np.eye(X.shape[1])
        np.testing.assert_allclose(start.covariances, np.stack([S, S]), rtol=1e-10)


def test_all_missing_given_parameters():
    assert raises(r"missing", X, 2, init="given").endswith(
        "missing: weights_init, means_init, covariances_init.")


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
@pytest.mark.parametrize("name, bad_shape", [
    ("weights_init", (3,)), ("means_init", (2, 3)), ("means_init", (2,)), ("covariances_init", None)])
def test_given_parameters_of_the_wrong_shape(covariance_type, name, bad_shape):
    params = good_given(covariance_type)
    if bad_shape is None:  # a covariance of another type's shape
        other = {"full": "diag", "tied": "spherical", "diag": "full", "spherical": "full"}[covariance_type]
        params[name] = good_given(other)[name]
    else:
        params[name] = np.full(bad_shape, 1.0 / bad_shape[0])
    expected = np.shape(good_given(covariance_type)[name])
    message = raises(rf"{name} has shape", X, 2, covariance_type=covariance_type, init="given", **params)
    assert f"needs shape {expected}" in message
    assert f"covariance_type={covariance_type!r}" in message


@pytest.mark.parametrize("weights, match", [
    ([0.5, 0.6], r"weights_init must be non-negative and sum to 1; they sum to 1.1"),
    ([0.2, 0.2], r"sum to 1; they sum to 0.4"),
    ([-0.5, 1.5], r"non-negative"),
    ([np.nan, 1.0], r"weights_init contains NaN or infinite values"),
])
def test_given_weights_must_be_a_probability_vector(weights, match):
    raises(match, X, 2, init="given", **dict(good_given(), weights_init=weights))


def test_given_weights_that_nearly_sum_to_one_are_renormalised():
    history = em_core.fit_history(X, 2, init="given", max_iter=1,
                                  **dict(good_given(), weights_init=[0.5, 0.5 + 1e-9]))
    assert history[0].weights.sum() == pytest.approx(1.0, abs=1e-15)


def test_given_parameters_must_be_numeric_and_finite():
    raises(r"means_init must be numeric", X, 2, init="given", **dict(good_given(), means_init=[["a", "b"]] * 2))
    raises(r"means_init contains NaN or infinite", X, 2, init="given",
           **dict(good_given(), means_init=[[0.0, np.inf], [1.0, 1.0]]))


@pytest.mark.parametrize("covariance_type", ["full", "tied"])
def test_given_covariance_not_positive_definite(covariance_type):
    params = good_given(covariance_type)
    bad = np.array([[1.0, 2.0], [2.0, 1.0]])  # eigenvalues 3 and -1
    params["covariances_init"] = bad if covariance_type == "tied" else np.stack([np.eye(2), bad])
    index = 0 if covariance_type == "tied" else 1
    raises(rf"covariances_init\[{index}\] is not positive definite; add a small value to its diagonal", X, 2,
           covariance_type=covariance_type, init="given", **params)


def test_given_covariance_not_symmetric():
    params = dict(good_given(), covariances_init=np.stack([np.eye(2), [[1.0, 0.5], [0.0, 1.0]]]))
    raises(r"covariances_init\[1\] is not symmetric", X, 2, init="given", **params)


@pytest.mark.parametrize("covariance_type", ["diag", "spherical"])
def test_given_variances_must_be_positive(covariance_type):
    params = good_given(covariance_type)
    params["covariances_init"] = params["covariances_init"] * 0.0
    raises(rf"covariances_init must be strictly positive for covariance_type='{covariance_type}'", X, 2,
           covariance_type=covariance_type, init="given", **params)


def test_given_parameters_are_ignored_for_other_inits():
    # Passing them with init="kmeans" is not an error: they are simply unused.
    history = em_core.fit_history(X, 2, seed=0, max_iter=2, means_init=np.full((2, 2), 99.0))
    assert not np.any(history[history.first_em_index].means == 99.0)


# The model and helpers ----------------------------------------------------------------

def test_model_checks_its_input():
    model = em_core.fit_history(X, 2, seed=0, max_iter=3).model()
    with pytest.raises(ValueError, match=re.escape("X must have shape (n_samples, 2); got (4, 3)")):
        model.predict(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"must have shape \(n_samples, 2\); got \(2,\)"):
        model.score_samples(np.ones(2))
    with pytest.raises(ValueError, match=r"NaN or infinite"):
        model.predict_proba([[0.0, np.nan]])
    with pytest.raises(ValueError, match=r"n_samples must be >= 1"):
        model.sample(0)
    with pytest.raises(ValueError, match=r"Unknown covariance_type"):
        em_core.GaussianMixtureModel([1.0], [[0.0]], [[[1.0]]], "banana")
    with pytest.raises(ValueError, match=r"Unknown covariance_type"):
        em_core.n_parameters(2, 2, "banana")
