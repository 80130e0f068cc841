"""Stable activations and losses: exact values, exact limits, references nobody here wrote, and errors that teach.

References: mpmath at 50 digits for the extremes, autograd on the textbook formulas for values and gradients,
scipy.special for the activations, and labcode.numdiff for gradients on random shapes.
"""

from __future__ import annotations

import autograd.numpy as anp
import mpmath
import numpy as np
import pytest
import scipy.special as sp
from autograd import grad
from error_facts import raises_naming
from hypothesis import given, settings
from hypothesis import strategies as st

from labcode import losses as L
from labcode import optim
from labcode.gradcheck import check_gradient
from labcode.numdiff import gradient

TINY = np.finfo(float).tiny  # below this a float has lost relative precision, so compare absolutely
ELEMENTWISE = [L.sigmoid, L.log_sigmoid, L.softplus, L.sigmoid_grad]
ALONG_AXIS = [L.softmax, L.log_softmax, L.logsumexp]


def biased(w, b):
    """The parameters with an intercept, as the losses take them: {"w": w, "b": b} ({"W": W, "b": b} for a
    matrix); w alone when b is None."""
    return w if b is None else {"W" if np.ndim(w) == 2 else "w": w, "b": b}


@pytest.fixture(autouse=True)
def floating_point_errors_raise():
    """Overflow, 0/0 and log(0) raise here even outside pytest's warning filter (underflow to 0 is fine)."""
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        yield


def problem(seed: int, n: int, d: int, k: int | None = None, scale: float = 1.0):
    """Random (w (d,), X (n, d), real y (n,)), or with ``k`` (W (d, k), X (n, d), labels y (n,) in range(k))."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    if k is None:
        return scale * rng.normal(size=d), X, rng.normal(size=n)
    return scale * rng.normal(size=(d, k)), X, rng.integers(0, k, size=n)


def binary_labels(seed: int, n: int, soft: bool) -> np.ndarray:
    rng = np.random.default_rng(seed + 1)
    return rng.uniform(0, 1, size=n) if soft else rng.integers(0, 2, size=n).astype(float)


def assert_matches(got, reference, rel: float = 1e-12) -> None:
    """|got - ref| <= rel |ref|, elementwise, with ``reference`` high-precision (mpmath) numbers."""
    got = np.atleast_1d(np.asarray(got, dtype=float))
    ref = np.array([float(r) for r in np.ravel(reference)]).reshape(got.shape)
    err = np.abs(got - ref)
    bad = err > rel * np.abs(ref) + TINY
    assert not np.any(bad), f"got {got[bad]}, reference {ref[bad]} (absolute error {err[bad]})"


# ---------------------------------------------------------------------------------------------------------
# Exact values
# ---------------------------------------------------------------------------------------------------------


def test_activations_at_zero():
    assert L.sigmoid(0.0) == 0.5
    assert L.sigmoid_grad(0.0) == 0.25
    assert L.log_sigmoid(0.0) == pytest.approx(-np.log(2), rel=1e-15)
    assert L.softplus(0.0) == pytest.approx(np.log(2), rel=1e-15)
    np.testing.assert_array_equal(L.softmax(np.zeros((2, 4))), np.full((2, 4), 0.25))
    assert L.logsumexp(np.zeros(5)) == pytest.approx(np.log(5), rel=1e-15)


def test_softmax_rows_sum_to_one_and_shift_changes_nothing():
    rng = np.random.default_rng(0)
    z = rng.integers(-50, 50, size=(6, 5)).astype(float)
    # integer logits plus 1e4 are exact floats, so the max-shift sees the very same differences: bit-equal
    for c in (-1e4, 0.0, 1e4):
        np.testing.assert_array_equal(L.softmax(z + c), L.softmax(z))
        np.testing.assert_array_equal(L.log_softmax(z + c), L.log_softmax(z))
        np.testing.assert_allclose(L.logsumexp(z + c), L.logsumexp(z) + c, rtol=1e-15)
    for axis in (0, 1, -1):
        np.testing.assert_allclose(
            L.softmax(rng.normal(size=(6, 5)) * 30, axis=axis).sum(axis=axis), 1.0, rtol=1e-15
        )


def test_mse_at_zero_and_at_an_exact_fit():
    w, X, y = problem(1, n=7, d=3)
    assert L.mse(np.zeros(3), X, y) == np.mean(y**2)
    np.testing.assert_allclose(L.mse_grad(np.zeros(3), X, y), -2 * X.T @ y / 7, rtol=1e-14)
    y_fit = X @ w
    assert L.mse(w, X, y_fit) == 0.0
    np.testing.assert_array_equal(L.mse_grad(w, X, y_fit), np.zeros(3))
    g = L.mse_grad(biased(w, 0.5), X, y_fit + 0.5)
    gw, gb = g["w"], g["b"]
    assert gb == pytest.approx(0.0, abs=1e-14) and np.allclose(gw, 0.0, atol=1e-14)


@pytest.mark.parametrize("soft", [False, True])
def test_bce_at_zero_weights_is_log_2_for_any_labels(soft):
    _, X, _ = problem(2, n=9, d=4)
    y = binary_labels(2, 9, soft)
    assert L.bce(np.zeros(4), X, y) == pytest.approx(np.log(2), rel=1e-15)
    np.testing.assert_allclose(L.bce_grad(np.zeros(4), X, y), X.T @ (0.5 - y) / 9, rtol=1e-14)


@pytest.mark.parametrize("k", [2, 3, 5])
def test_softmax_cross_entropy_at_zero_weights_is_log_k(k):
    _, X, y = problem(3, n=8, d=3, k=k)
    W = np.zeros((3, k))
    assert L.softmax_cross_entropy(W, X, y) == pytest.approx(np.log(k), rel=1e-15)
    expected = X.T @ (np.full((8, k), 1 / k) - L.one_hot(y, k)) / 8
    np.testing.assert_allclose(L.softmax_cross_entropy_grad(W, X, y), expected, rtol=1e-13, atol=1e-16)


def test_one_hot_and_bias_column():
    np.testing.assert_array_equal(L.one_hot([2, 0, 2.0], 3), [[0, 0, 1], [1, 0, 0], [0, 0, 1]])
    X = np.arange(6.0).reshape(3, 2)
    np.testing.assert_array_equal(L.add_bias_column(X), [[0, 1, 1], [2, 3, 1], [4, 5, 1]])


# ---------------------------------------------------------------------------------------------------------
# What comes back: a float for a number or 0-d array, an array of the input's shape otherwise
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("f", ELEMENTWISE)
@pytest.mark.parametrize("z", [0.3, 2, np.float32(0.3), np.array(0.3), True])
def test_elementwise_activations_give_a_float_for_a_number(f, z):
    assert type(f(z)) is float


@pytest.mark.parametrize("f", ELEMENTWISE)
@pytest.mark.parametrize("shape", [(1,), (4,), (2, 3), (2, 1, 3)])
def test_elementwise_activations_keep_the_shape(f, shape):
    z = np.arange(np.prod(shape)).reshape(shape) - 2  # integers in, float64 out
    out = f(z)
    assert isinstance(out, np.ndarray) and out.shape == shape and out.dtype == np.float64
    np.testing.assert_array_equal(out.ravel(), [f(float(v)) for v in z.ravel()])


def test_softmax_family_shapes():
    z = np.random.default_rng(4).normal(size=(2, 3, 4))
    for axis in (0, 1, 2, -1):
        assert L.softmax(z, axis=axis).shape == z.shape
        assert L.log_softmax(z, axis=axis).shape == z.shape
        assert L.logsumexp(z, axis=axis).shape == tuple(np.delete(z.shape, axis))
    assert type(L.logsumexp([1.0, 2.0])) is float
    assert L.softmax([3]).tolist() == [1.0]


@pytest.mark.parametrize("f", [L.mse, L.bce, L.softmax_cross_entropy])
def test_losses_return_python_floats(f):
    w, X, y = problem(5, n=4, d=2, k=3 if f is L.softmax_cross_entropy else None)
    if f is L.bce:
        y = binary_labels(5, 4, soft=False)
    assert type(f(w, X, y)) is float


# ---------------------------------------------------------------------------------------------------------
# Exact limits, no warnings (the autouse fixture turns overflow and invalid operations into errors)
# ---------------------------------------------------------------------------------------------------------


def test_activation_limits_are_exact():
    assert L.sigmoid(1e4) == 1.0 and L.sigmoid(-1e4) == 0.0
    assert L.log_sigmoid(-1e4) == -1e4 and L.log_sigmoid(1e4) == 0.0
    assert L.softplus(1e4) == 1e4 and L.softplus(-1e4) == 0.0
    assert L.sigmoid_grad(1e4) == 0.0 and L.sigmoid_grad(-1e4) == 0.0
    # just inside the float range the answer is still a true, tiny number, not a rounded-off 0 or 1
    assert L.sigmoid(-700.0) == pytest.approx(np.exp(-700.0), rel=1e-13) and L.sigmoid(-700.0) > 0
    assert L.log_sigmoid(700.0) == pytest.approx(-np.exp(-700.0), rel=1e-13)
    for big in (1e300, np.finfo(float).max):
        assert L.sigmoid(big) == 1.0 and L.sigmoid(-big) == 0.0
        assert L.log_sigmoid(-big) == -big and L.softplus(big) == big
    assert L.sigmoid(np.inf) == 1.0 and L.sigmoid(-np.inf) == 0.0
    assert L.log_sigmoid(np.inf) == 0.0 and L.log_sigmoid(-np.inf) == -np.inf


def test_softmax_limits_are_exact():
    np.testing.assert_array_equal(L.softmax([1e4, 0.0, -1e4]), [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(L.log_softmax([1e4, 0.0, -1e4]), [0.0, -1e4, -2e4])
    big = np.finfo(float).max
    np.testing.assert_array_equal(L.softmax([big, -big]), [1.0, 0.0])
    np.testing.assert_array_equal(L.log_softmax([big, -big]), [0.0, -np.inf])  # -2 * max is below every float
    # -inf is a masked entry: probability 0, and it changes nothing else
    np.testing.assert_array_equal(L.softmax([-np.inf, 0.0, 0.0]), [0.0, 0.5, 0.5])
    assert L.logsumexp([-np.inf, 0.0, 0.0]) == pytest.approx(np.log(2), rel=1e-15)


@pytest.mark.parametrize("z", [[1e4, -1e4], [-1e4, 1e4, 800.0], [745.5, -745.5]])
def test_losses_are_finite_where_the_naive_formulas_break(z):
    z = np.array(z)
    y = (z < 0).astype(float)  # every example confidently wrong: the huge-loss case
    with np.errstate(all="ignore"):
        p = 1 / (1 + np.exp(-z))
        naive = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert not np.isfinite(naive)  # so the check below means something
    assert L.bce_from_logits(z, y) == pytest.approx(np.mean(np.abs(z)), rel=1e-15)
    assert np.all(np.isfinite(L.bce_from_logits_grad(z, y)))


# ---------------------------------------------------------------------------------------------------------
# High-precision references (mpmath, 50 digits). Each reference is the textbook formula rearranged only as far
# as 50 digits need: log(1 + tiny) is written log1p so that, e.g., -log(sigmoid(700)) = 1e-304 is not lost.
# ---------------------------------------------------------------------------------------------------------

EXTREME_Z = [0.0, 1e-300, 1e-20, 1e-8, 0.5, 1.0, 10.0, 36.7, 40.0, 100.0, 700.0, 745.0, 746.0, 1e3, 1e4, 1e5]
EXTREME_Z = [-z for z in EXTREME_Z[::-1]] + EXTREME_Z


def mp_sigmoid(z):
    return 1 / (1 + mpmath.exp(-z))


def mp_softplus(z):
    return mpmath.log1p(mpmath.exp(z))


@pytest.mark.parametrize(
    ("f", "reference"),
    [
        (L.sigmoid, mp_sigmoid),
        (L.log_sigmoid, lambda z: -mp_softplus(-z)),
        (L.softplus, mp_softplus),
        (L.sigmoid_grad, lambda z: mp_sigmoid(z) * mp_sigmoid(-z)),
    ],
    ids=["sigmoid", "log_sigmoid", "softplus", "sigmoid_grad"],
)
def test_elementwise_activations_match_mpmath(f, reference):
    with mpmath.workdps(50):
        expected = [reference(mpmath.mpf(z)) for z in EXTREME_Z]
    assert_matches(f(np.array(EXTREME_Z)), expected)
    assert_matches([f(z) for z in EXTREME_Z], expected)


EXTREME_ROWS = np.array(
    [
        [1e4, 0.0, -1e4],
        [-1e4, 1e4, 1e-300],
        [40.0, 0.0, 0.0],  # the max holds all but 8.5e-18 of the probability
        [700.0, -745.0, 0.0],
        [1e-10, 0.0, -1e-10],
        [-3.0, 2.5, 1e3],
        [0.0, 0.0, 0.0],
    ]
)


def mp_log_softmax_row(row, i):
    # log p_i = -log(sum_j exp(z_j - z_i)) = -log1p(sum_{j != i} exp(z_j - z_i))
    return -mpmath.log1p(mpmath.fsum(mpmath.exp(row[j] - row[i]) for j in range(len(row)) if j != i))


def test_softmax_family_matches_mpmath():
    with mpmath.workdps(50):
        rows = [[mpmath.mpf(v) for v in row] for row in EXTREME_ROWS]
        log_p = [[mp_log_softmax_row(row, i) for i in range(3)] for row in rows]
        p = [[mpmath.exp(v) for v in row] for row in log_p]
        lse = [row[0] - lp[0] for row, lp in zip(rows, log_p, strict=True)]
    assert_matches(L.log_softmax(EXTREME_ROWS), log_p)
    assert_matches(L.softmax(EXTREME_ROWS), p)
    assert_matches(L.logsumexp(EXTREME_ROWS), lse)
    assert_matches(L.log_softmax(EXTREME_ROWS.T, axis=0), np.array(log_p, dtype=object).T)


def mp_bce_terms(z, y):
    # -y log p - (1 - y) log(1 - p) = y softplus(-z) + (1 - y) softplus(z)
    return [yi * mp_softplus(-zi) + (1 - yi) * mp_softplus(zi) for zi, yi in zip(z, y, strict=True)]


BCE_EXTREMES = {
    # mixtures of huge and tiny logits, some wrong (loss ~ |z|), some right (loss ~ e^-|z|)
    "mixed": (
        [1e4, -1e4, 1e-8, -30.0, 40.0, 700.0, -745.0, 0.0, 1e-300, -1e3],
        [0, 1, 1, 0, 1, 0, 1, 1, 0, 0],
    ),
    # every example right with margin: the loss is ~1e-18, which 1 - p or log(p) round to 0
    "all right": ([40.0, 50.0, -60.0, 700.0, 1e4], [1, 1, 0, 1, 1]),
    "soft labels": ([1e4, -1e4, 37.0, -0.5, 1e-12], [0.25, 0.9, 0.5, 1e-3, 0.75]),
}


@pytest.mark.parametrize("case", BCE_EXTREMES)
def test_bce_from_logits_matches_mpmath(case):
    z, y = (np.array(v, dtype=float) for v in BCE_EXTREMES[case])
    with mpmath.workdps(50):
        zm, ym = [mpmath.mpf(v) for v in z], [mpmath.mpf(v) for v in y]
        loss = mpmath.fsum(mp_bce_terms(zm, ym)) / len(z)
    # p - y cancels: at z = 700, y = 1 it is -1e-304, so the textbook formula needs 400 digits, not 50
    with mpmath.workdps(400):
        dz = [(mp_sigmoid(zi) - yi) / len(z) for zi, yi in zip(zm, ym, strict=True)]
    assert L.bce_from_logits(z, y) > 0
    assert_matches(L.bce_from_logits(z, y), [loss])
    assert_matches(L.bce_from_logits_grad(z, y), dz)


def mp_matmul(X, W):
    """X @ W exactly (50 digits hold every product of two doubles and these sums)."""
    W2 = W.reshape(W.shape[0], -1)
    out = [
        [
            mpmath.fsum(mpmath.mpf(X[i, j]) * mpmath.mpf(W2[j, c]) for j in range(X.shape[1]))
            for c in range(W2.shape[1])
        ]
        for i in range(X.shape[0])
    ]
    return out if W.ndim == 2 else [row[0] for row in out]


def assert_gradient_matches(got, X, dZ, rel=1e-12):
    """X^T dZ against the exact product, with the bound that rounding allows: rel * (|X|^T |dZ|)."""
    exact = np.array(
        [
            [
                float(mpmath.fsum(mpmath.mpf(X[i, j]) * dZ[i][c] for i in range(X.shape[0])))
                for c in range(len(dZ[0]))
            ]
            for j in range(X.shape[1])
        ]
    )
    scale = np.abs(X).T @ np.abs(np.array(dZ, dtype=float))
    got = np.asarray(got).reshape(exact.shape)
    assert np.all(np.abs(got - exact) <= rel * scale + TINY), (got, exact)


def test_bce_through_weights_matches_mpmath_at_logits_near_1e4():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(12, 3)) * 1e3
    w, b = rng.normal(size=3) * 3, 7.0
    y = rng.integers(0, 2, size=12).astype(float)
    with mpmath.workdps(50):
        z = [zi + b for zi in mp_matmul(X, w)]
        ym = [mpmath.mpf(v) for v in y]
        loss = mpmath.fsum(mp_bce_terms(z, ym)) / 12
    with mpmath.workdps(400):  # for the cancellation in p - y, as above
        dz = [[(mp_sigmoid(zi) - yi) / 12] for zi, yi in zip(z, ym, strict=True)]
    assert max(abs(float(v)) for v in z) > 5e3
    assert_matches(L.bce(biased(w, b), X, y), [loss])
    gw, gb = L.bce_grad(biased(w, b), X, y).values()
    assert_gradient_matches(gw, X, dz)
    assert_gradient_matches([gb], np.ones((12, 1)), dz)


SOFTMAX_LABELS = [0, 2, 0, 2, 1, 2, 1]  # some right with a huge margin, some wrong by 1e4


def mp_softmax_ce_and_grad(Z_rows, y):
    """Loss and (P - Y) / n for rows of mpmath logits."""
    n, k = len(Z_rows), len(Z_rows[0])
    log_p = [[mp_log_softmax_row(row, j) for j in range(k)] for row in Z_rows]
    loss = -mpmath.fsum(log_p[i][y[i]] for i in range(n)) / n
    # p_y - 1 = -(sum of the other p_j): no cancellation, even when p_y is 1 - 1e-18
    G = [[mpmath.exp(log_p[i][j]) for j in range(k)] for i in range(n)]
    for i in range(n):
        G[i][y[i]] = -mpmath.fsum(G[i][j] for j in range(k) if j != y[i])
    return loss, [[v / n for v in row] for row in G]


def test_softmax_cross_entropy_from_logits_matches_mpmath():
    with mpmath.workdps(50):
        loss, G = mp_softmax_ce_and_grad(
            [[mpmath.mpf(v) for v in row] for row in EXTREME_ROWS], SOFTMAX_LABELS
        )
    assert_matches(L.softmax_cross_entropy_from_logits(EXTREME_ROWS, SOFTMAX_LABELS), [loss])
    assert_matches(L.softmax_cross_entropy_from_logits_grad(EXTREME_ROWS, SOFTMAX_LABELS), G)


def test_softmax_cross_entropy_of_confident_right_answers_keeps_its_tiny_value():
    Z = np.array([[40.0, 0.0, 0.0], [0.0, 50.0, -10.0]])
    with mpmath.workdps(50):
        loss, _ = mp_softmax_ce_and_grad([[mpmath.mpf(v) for v in row] for row in Z], [0, 1])
    naive = -np.mean(np.log(sp.softmax(Z, axis=1)[[0, 1], [0, 1]]))
    assert naive == 0.0 and 1e-20 < float(loss) < 1e-17  # rounding 1 - 1e-18 to 1 loses it all
    assert_matches(L.softmax_cross_entropy_from_logits(Z, [0, 1]), [loss])


def test_softmax_cross_entropy_through_weights_matches_mpmath_at_logits_near_1e4():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(10, 4)) * 1e3
    W, b = rng.normal(size=(4, 3)) * 3, np.array([1.0, -2.0, 0.5])
    y = rng.integers(0, 3, size=10)
    with mpmath.workdps(50):
        Z = [[zc + bc for zc, bc in zip(row, b, strict=True)] for row in mp_matmul(X, W)]
        loss, G = mp_softmax_ce_and_grad(Z, y.tolist())
    assert max(abs(float(v)) for row in Z for v in row) > 5e3
    assert_matches(L.softmax_cross_entropy(biased(W, b), X, y), [loss])
    gW, gb = L.softmax_cross_entropy_grad(biased(W, b), X, y).values()
    assert_gradient_matches(gW, X, G)
    assert_gradient_matches(gb, np.ones((10, 1)), G)


# ---------------------------------------------------------------------------------------------------------
# References nobody here wrote: scipy.special for the activations, autograd on the textbook loss formulas
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [1.0, 30.0, 1e3])
@pytest.mark.parametrize("shape", [(), (7,), (3, 4), (2, 3, 4)])
def test_elementwise_activations_agree_with_scipy(shape, scale):
    z = np.random.default_rng(8).normal(size=shape) * scale
    np.testing.assert_allclose(L.sigmoid(z), sp.expit(z), rtol=1e-15, atol=TINY)
    np.testing.assert_allclose(L.log_sigmoid(z), sp.log_expit(z), rtol=1e-15, atol=TINY)
    np.testing.assert_allclose(L.softplus(z), -sp.log_expit(-z), rtol=1e-15, atol=TINY)


@pytest.mark.parametrize("scale", [1.0, 10.0])
@pytest.mark.parametrize(
    ("shape", "axis"), [((7,), -1), ((3, 4), 0), ((3, 4), 1), ((2, 3, 4), 1), ((2, 3, 4), -1)]
)
def test_softmax_family_agrees_with_scipy(shape, axis, scale):
    z = np.random.default_rng(9).normal(size=shape) * scale
    np.testing.assert_allclose(L.softmax(z, axis=axis), sp.softmax(z, axis=axis), rtol=1e-14, atol=TINY)
    np.testing.assert_allclose(
        L.log_softmax(z, axis=axis), sp.log_softmax(z, axis=axis), rtol=1e-14, atol=1e-15
    )
    np.testing.assert_allclose(L.logsumexp(z, axis=axis), sp.logsumexp(z, axis=axis), rtol=1e-14)


def textbook_mse(w, b, X, y):
    return anp.mean((anp.dot(X, w) + b - y) ** 2)


def textbook_bce(w, b, X, y):
    p = 1 / (1 + anp.exp(-(anp.dot(X, w) + b)))
    return -anp.mean(y * anp.log(p) + (1 - y) * anp.log(1 - p))


def textbook_softmax_ce(W, b, X, Y):
    Z = anp.dot(X, W) + b
    P = anp.exp(Z) / anp.sum(anp.exp(Z), axis=1, keepdims=True)
    return -anp.mean(anp.sum(Y * anp.log(P), axis=1))


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("family", ["mse", "bce", "bce soft", "softmax"])
def test_values_and_gradients_agree_with_autograd(family, seed):
    rng = np.random.default_rng(100 + seed)
    n, d, k = int(rng.integers(1, 30)), int(rng.integers(1, 6)), int(rng.integers(2, 6))
    X = rng.normal(size=(n, d))
    if family == "softmax":
        W, b, y = rng.normal(size=(d, k)) * 0.7, rng.normal(size=k), rng.integers(0, k, size=n)
        ours, ours_grad, textbook, target = (
            L.softmax_cross_entropy,
            L.softmax_cross_entropy_grad,
            textbook_softmax_ce,
            L.one_hot(y, k),
        )
    else:
        W, b = rng.normal(size=d) * 0.7, float(rng.normal())
        if family == "mse":
            y, ours, ours_grad, textbook = rng.normal(size=n), L.mse, L.mse_grad, textbook_mse
        else:
            y, ours, ours_grad, textbook = (
                binary_labels(seed, n, "soft" in family),
                L.bce,
                L.bce_grad,
                textbook_bce,
            )
        target = y
    assert ours(W, X, y) == pytest.approx(textbook(W, 0.0, X, target), rel=1e-13)
    assert ours(biased(W, b), X, y) == pytest.approx(textbook(W, b, X, target), rel=1e-13)
    np.testing.assert_allclose(
        ours_grad(W, X, y), grad(textbook, 0)(W, 0.0, X, target), rtol=1e-12, atol=1e-14
    )
    gW, gb = ours_grad(biased(W, b), X, y).values()
    np.testing.assert_allclose(gW, grad(textbook, 0)(W, b, X, target), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(gb, grad(textbook, 1)(W, b, X, target), rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------------------------------------------------
# Properties on random shapes: analytic gradients against labcode.numdiff
# ---------------------------------------------------------------------------------------------------------

SHAPES = {"n": st.integers(1, 20), "d": st.integers(1, 6), "seed": st.integers(0, 2**32 - 1)}


def assert_close_to_numerical(analytic, f, w):
    """``analytic`` against labcode.numdiff's central differences of f at w.

    Their error is truncation ~h^2 plus rounding ~eps |f| / h with h ~ 6e-6: measured at most 2e-10 max(1, |f|)
    over 3,000 random problems per loss (absolute error alone), so 1e-8 max(1, |f|) leaves a margin of 50.
    """
    # full_output: the tolerance here is absolute, so numdiff's warning about a small gradient's relative
    # error (rounding of |f| against a tiny change of f) does not apply
    numerical = gradient(f, w, full_output=True).value
    np.testing.assert_allclose(analytic, numerical, rtol=1e-6, atol=1e-8 * max(1.0, abs(f(w))))


@settings(max_examples=40, deadline=None)
@given(**SHAPES, scale=st.sampled_from([0.1, 1.0, 5.0]), with_bias=st.booleans())
def test_mse_grad_matches_numdiff(n, d, seed, scale, with_bias):
    w, X, y = problem(seed, n, d, scale=scale)
    b = 0.3 if with_bias else None
    g = L.mse_grad(biased(w, b), X, y)
    gw = g["w"] if with_bias else g
    assert gw.shape == (d,)
    assert_close_to_numerical(gw, lambda v: L.mse(biased(v, b), X, y), w)
    if with_bias:
        assert_close_to_numerical(g["b"], lambda c: L.mse(biased(w, c), X, y), 0.3)


@settings(max_examples=40, deadline=None)
@given(**SHAPES, soft=st.booleans(), scale=st.sampled_from([0.1, 1.0, 5.0]), with_bias=st.booleans())
def test_bce_grad_matches_numdiff(n, d, seed, soft, scale, with_bias):
    w, X, _ = problem(seed, n, d, scale=scale)
    y = binary_labels(seed, n, soft)
    b = -0.4 if with_bias else None
    g = L.bce_grad(biased(w, b), X, y)
    gw = g["w"] if with_bias else g
    assert gw.shape == (d,)
    assert_close_to_numerical(gw, lambda v: L.bce(biased(v, b), X, y), w)
    if with_bias:
        assert_close_to_numerical(g["b"], lambda c: L.bce(biased(w, c), X, y), -0.4)


@settings(max_examples=40, deadline=None)
@given(**SHAPES, k=st.integers(2, 5), scale=st.sampled_from([0.1, 1.0, 5.0]), with_bias=st.booleans())
def test_softmax_cross_entropy_grad_matches_numdiff(n, d, k, seed, scale, with_bias):
    W, X, y = problem(seed, n, d, k=k, scale=scale)
    b = np.linspace(-1, 1, k) if with_bias else None
    g = L.softmax_cross_entropy_grad(biased(W, b), X, y)
    gW = g["W"] if with_bias else g
    assert gW.shape == (d, k)
    assert_close_to_numerical(gW, lambda V: L.softmax_cross_entropy(biased(V, b), X, y), W)
    if with_bias:
        assert_close_to_numerical(g["b"], lambda c: L.softmax_cross_entropy(biased(W, c), X, y), b)


@settings(max_examples=30, deadline=None)
@given(n=SHAPES["n"], k=st.integers(2, 5), seed=SHAPES["seed"])
def test_logit_gradients_match_numdiff(n, k, seed):
    rng = np.random.default_rng(seed)
    z, Z = rng.normal(size=n) * 3, rng.normal(size=(n, k)) * 3
    y, labels = binary_labels(seed, n, soft=True), rng.integers(0, k, size=n)
    assert_close_to_numerical(L.bce_from_logits_grad(z, y), lambda v: L.bce_from_logits(v, y), z)
    assert_close_to_numerical(
        L.softmax_cross_entropy_from_logits_grad(Z, labels),
        lambda V: L.softmax_cross_entropy_from_logits(V, labels),
        Z,
    )


@settings(max_examples=30, deadline=None)
@given(**SHAPES, k=st.integers(2, 5))
def test_a_column_of_ones_is_the_intercept(n, d, k, seed):
    """Chapter 3's two routes to the bias agree: [w, b] on [X, 1] is w on X with b."""
    w, X, y = problem(seed, n, d)
    X1 = L.add_bias_column(X)
    for loss, loss_grad, labels in (
        (L.mse, L.mse_grad, y),
        (L.bce, L.bce_grad, binary_labels(seed, n, True)),
    ):
        assert loss(np.append(w, 0.7), X1, labels) == pytest.approx(
            loss(biased(w, 0.7), X, labels), rel=1e-13
        )
        np.testing.assert_allclose(
            loss_grad(np.append(w, 0.7), X1, labels),
            np.append(*loss_grad(biased(w, 0.7), X, labels).values()),
            rtol=1e-12,
            atol=1e-14,
        )
    W, _, classes = problem(seed, n, d, k=k)
    b = np.linspace(-1, 1, k)
    gW, gb = L.softmax_cross_entropy_grad(biased(W, b), X, classes).values()
    np.testing.assert_allclose(
        L.softmax_cross_entropy_grad(np.vstack([W, b]), X1, classes),
        np.vstack([gW, gb]),
        rtol=1e-12,
        atol=1e-14,
    )


@settings(max_examples=200, deadline=None)
@given(z=st.floats(allow_nan=False, allow_infinity=False))
def test_activations_are_finite_and_consistent_for_every_float(z):
    s, log_s, sp_z = L.sigmoid(z), L.log_sigmoid(z), L.softplus(z)
    assert 0.0 <= s <= 1.0 and np.isfinite(log_s) and log_s <= 0.0 and sp_z >= max(z, 0.0)
    eps = np.finfo(float).eps
    # 1 - sigmoid(-z) rounds to absolute eps; exp turns an absolute rounding of log_s into a relative one
    assert s == pytest.approx(1.0 - L.sigmoid(-z), rel=1e-15, abs=2 * eps)
    assert np.exp(log_s) == pytest.approx(s, rel=4 * eps * max(1.0, abs(log_s)), abs=TINY)
    assert sp_z - L.softplus(-z) == pytest.approx(z, rel=4 * eps, abs=eps)  # softplus(z) - softplus(-z) = z


@settings(max_examples=100, deadline=None)
@given(z=st.lists(st.floats(-1e4, 1e4), min_size=1, max_size=8))
def test_softmax_is_a_distribution_for_any_logits(z):
    p, log_p = L.softmax(z), L.log_softmax(z)
    assert np.all(p >= 0) and np.all(np.isfinite(log_p)) and np.all(log_p <= 0)
    assert p.sum() == pytest.approx(1.0, rel=1e-14)
    np.testing.assert_allclose(np.exp(log_p), p, rtol=1e-12, atol=TINY)


# ---------------------------------------------------------------------------------------------------------
# Errors that name the argument, the shape seen and the shape expected
# ---------------------------------------------------------------------------------------------------------

LINEAR = [L.mse, L.mse_grad, L.bce, L.bce_grad]
ALL_LOSSES = LINEAR + [L.softmax_cross_entropy, L.softmax_cross_entropy_grad]


def good_args(f, n=5, d=3, k=3):
    rng = np.random.default_rng(11)
    X = rng.normal(size=(n, d))
    if f in (L.softmax_cross_entropy, L.softmax_cross_entropy_grad):
        return rng.normal(size=(d, k)), X, np.arange(n) % k
    return rng.normal(size=d), X, (np.arange(n) % 2).astype(float)


@pytest.mark.parametrize("f", LINEAR)
def test_w_as_a_column_is_refused_with_a_ravel_hint(f):
    w, X, y = good_args(f)
    with raises_naming(ValueError, "w", "(d,) = (3,)", "(3, 1)", "w.ravel()"):
        f(w.reshape(3, 1), X, y)


@pytest.mark.parametrize("f", ALL_LOSSES)
def test_y_as_a_column_is_the_classic_broadcasting_bug(f):
    w, X, y = good_args(f)
    with raises_naming(ValueError, "y", "(n,) = (5,)", "(5, 1)", "(5, 5)", "y.ravel()"):
        f(w, X, y.reshape(5, 1))


@pytest.mark.parametrize("f", ALL_LOSSES)
def test_different_n_in_X_and_y(f):
    w, X, y = good_args(f)
    with raises_naming(ValueError, "n = 5", "4 entries", "(n,) = (5,)", "(4,)"):
        f(w, X, y[:4])
    with raises_naming(ValueError, "y", "(n,) = (5,)", "shape ()"):
        f(w, X, 1.0)


@pytest.mark.parametrize("f", LINEAR)
def test_different_d_in_X_and_w(f):
    w, X, y = good_args(f)
    with raises_naming(ValueError, "w", "(d,) = (3,)", "(5, 3)", "(4,)"):
        f(np.ones(4), X, y)


@pytest.mark.parametrize("f", ALL_LOSSES)
def test_X_must_be_2d_with_a_row(f):
    w, X, y = good_args(f)
    with raises_naming(ValueError, "X", "(n, d)", "(5,)"):
        f(w, X[:, 0], y)
    with raises_naming(ValueError, "X", "(n, d)", "(1, 5, 3)"):
        f(w, X[None], y)
    with raises_naming(ValueError, "X", "at least one row", "(0, 3)"):
        f(w, X[:0], y[:0])
    with raises_naming(TypeError, "X", "str"):
        f(w, "X", y)


@pytest.mark.parametrize("f", [L.softmax_cross_entropy, L.softmax_cross_entropy_grad])
def test_W_must_be_d_by_k(f):
    W, X, y = good_args(f)
    with raises_naming(ValueError, "W", "(d, k) = (3, k)", "(3,)"):
        f(W[:, 0], X, y)
    with raises_naming(ValueError, "W", "d = 3", "(5, 3)", "(4, 3)"):
        f(np.ones((4, 3)), X, y)


@pytest.mark.parametrize("f", [L.bce, L.bce_grad, L.bce_from_logits, L.bce_from_logits_grad])
@pytest.mark.parametrize("label", [2.0, -0.5, 1.0000001])
def test_bce_labels_must_lie_in_0_1(f, label):
    w, X, y = good_args(L.bce)
    y[2] = label
    first = X @ w if f in (L.bce_from_logits, L.bce_from_logits_grad) else w
    args = (first, y) if f in (L.bce_from_logits, L.bce_from_logits_grad) else (w, X, y)
    with raises_naming(ValueError, "[0, 1]", "y[2]", repr(label)):
        f(*args)
    y[2] = 0.3  # a soft label is a label
    assert np.all(np.isfinite(f(*args)))


@pytest.mark.parametrize(
    "f", [L.softmax_cross_entropy, L.softmax_cross_entropy_grad, L.softmax_cross_entropy_from_logits]
)
@pytest.mark.parametrize(
    ("label", "facts"),
    [(3, ("= 3",)), (-1, ("= -1",)), (1.5, ("integer", "= 1.5"))],
)
def test_softmax_labels_must_be_classes(f, label, facts):
    W, X, y = good_args(L.softmax_cross_entropy)
    y = y.astype(float)
    y[1] = label
    args = (X @ W, y) if f is L.softmax_cross_entropy_from_logits else (W, X, y)
    with raises_naming(ValueError, "range(3)", "y[1]", *facts):
        f(*args)
    with raises_naming(ValueError, "range(3)", "y[1]", *facts):
        L.one_hot(y, 3)


@pytest.mark.parametrize("f", ALL_LOSSES)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("which", ["w", "X", "y", "b"])
def test_non_finite_inputs_are_named(f, bad, which):
    w, X, y = good_args(f)
    b = np.zeros(w.shape[1]) if w.ndim == 2 else np.array(0.0)
    args = {"w": w, "X": X, "y": y.astype(float), "b": b}
    args[which] = args[which].copy()
    args[which][(1,) * args[which].ndim] = bad
    name = "W" if which == "w" and w.ndim == 2 else which
    index = "[1, 1]" if args[which].ndim == 2 else ("[1]" if args[which].ndim == 1 else "")
    with raises_naming(ValueError, f"{name} must be finite", f"{name}{index}"):
        f(biased(args["w"], args["b"]), args["X"], args["y"])


@pytest.mark.parametrize("f", ALL_LOSSES)
def test_intercept_shape_is_checked(f):
    w, X, y = good_args(f)
    expected_shape, got_shape = ("(k,) = (3,)", "()") if w.ndim == 2 else ("()", "(1,)")
    with raises_naming(ValueError, "b", expected_shape, got_shape):
        f(biased(w, np.zeros(1) if w.ndim == 1 else 0.0), X, y)


def test_logit_level_inputs_are_checked():
    with raises_naming(ValueError, "z", "(n,)", "(2, 2)"):
        L.bce_from_logits(np.zeros((2, 2)), [0, 1])
    with raises_naming(ValueError, "z", "finite", "z[0]", "nan"):
        L.bce_from_logits([np.nan, 0.0], [0, 1])
    with raises_naming(ValueError, "z", "at least one entry"):
        L.bce_from_logits_grad(np.zeros(0), np.zeros(0))
    with raises_naming(ValueError, "Z", "(n, k)", "(3,)"):
        L.softmax_cross_entropy_from_logits(np.zeros(3), [0, 1, 2])
    with raises_naming(ValueError, "Z", "finite", "Z[0, 1]", "inf"):
        L.softmax_cross_entropy_from_logits_grad([[0.0, np.inf]], [0])
    with raises_naming(ValueError, "y", "(n,) = (2,)", "(2, 1)", "column"):
        L.softmax_cross_entropy_from_logits(np.zeros((2, 3)), [[0], [1]])


@pytest.mark.parametrize("f", ELEMENTWISE + ALONG_AXIS)
def test_activations_refuse_nan_and_non_numbers(f):
    with raises_naming(ValueError, "nan", "[1]"):
        f([0.0, np.nan, 1.0])
    with raises_naming(TypeError, "NoneType"):
        f(None)


@pytest.mark.parametrize("f", ALONG_AXIS)
def test_softmax_family_input_checks(f):
    with raises_naming(ValueError, "+inf", "[0, 2]"):
        f([[0.0, 1.0, np.inf]])
    with raises_naming(ValueError, "all -inf", "x[1, :]"):
        f([[0.0, 1.0], [-np.inf, -np.inf]])
    with raises_naming(ValueError, "axis 2", "2 axes"):
        f(np.zeros((2, 3)), axis=2)
    with raises_naming(TypeError, "axis", "1.0"):
        f(np.zeros((2, 3)), axis=1.0)
    with raises_naming(ValueError, "at least one axis", "()"):
        f(2.0)
    with raises_naming(ValueError, "axis 1", "(2, 0)"):
        f(np.zeros((2, 0)), axis=1)


@pytest.mark.parametrize(
    ("k", "error"), [(0, ValueError), (-1, ValueError), (2.0, TypeError), (True, TypeError)]
)
def test_one_hot_needs_a_positive_int_k(k, error):
    with raises_naming(error, "k", repr(k)):
        L.one_hot([0, 1], k)


# ---------------------------------------------------------------------------------------------------------
# Parameters with an intercept: the dict that check_gradient and optim take, in and out
# ---------------------------------------------------------------------------------------------------------

WITH_BIAS = {
    "mse": (L.mse, L.mse_grad),
    "bce": (L.bce, L.bce_grad),
    "softmax_cross_entropy": (L.softmax_cross_entropy, L.softmax_cross_entropy_grad),
}


@pytest.mark.parametrize("family", list(WITH_BIAS))
def test_dict_parameters_go_to_check_gradient_and_optim_without_an_adapter(family):
    loss, loss_grad = WITH_BIAS[family]
    w, X, y = good_args(loss)
    params = biased(w, np.linspace(-0.5, 0.5, w.shape[1]) if w.ndim == 2 else 0.3)
    g = loss_grad(params, X, y)
    assert list(g) == list(params)
    assert all(np.shape(g[k]) == np.shape(params[k]) for k in params)
    assert check_gradient(lambda p: loss(p, X, y), lambda p: loss_grad(p, X, y), params).ok
    run = optim.gradient_descent(
        lambda p: loss_grad(p, X, y), params, lr=0.1, steps=20, f=lambda p: loss(p, X, y)
    )
    assert run.losses[-1] < run.losses[0]


@pytest.mark.parametrize("family", list(WITH_BIAS))
def test_dict_parameters_need_exactly_the_weights_and_b(family):
    loss, loss_grad = WITH_BIAS[family]
    w, X, y = good_args(loss)
    key = "W" if w.ndim == 2 else "w"
    for f in (loss, loss_grad):
        with raises_naming(ValueError, "params", "missing 'b'"):
            f({key: w}, X, y)
        with raises_naming(ValueError, "params", "unexpected 'bias'"):
            f({key: w, "b": 0.0, "bias": 0.0}, X, y)
