"""Classic wrong answers to Lab 1, each planted in the reference solution's source (see _planted)."""

from __future__ import annotations

from textwrap import dedent

from . import lab1_gradients as ref
from ._planted import Bug, mutate

CHANGES_W = dedent(
    """
    def numerical_gradient(f, w, eps=1e-5):
        grad = np.zeros_like(w)
        for i in range(w.size):
            w[i] += eps
            f_plus = f(w)
            w[i] -= 2 * eps
            grad[i] = (f_plus - f(w)) / (2 * eps)  # forgets to put w[i] back
        return grad
    """
)

HARD_CODED = dedent(
    """
    def numerical_gradient(f, w, eps=1e-5):
        return np.array([0.1, -0.4, 1.3, 0.7, -0.2])  # what one run printed
    """
)

SECOND_DIFFERENCES_OVER_4 = dedent(
    """
    def numerical_hessian(f, w, eps=1e-4):
        d = w.size
        H = np.zeros((d, d))
        E = np.eye(d) * eps
        for i in range(d):
            for j in range(d):
                H[i, j] = (
                    f(w + E[i] + E[j]) - f(w + E[i] - E[j]) - f(w - E[i] + E[j]) + f(w - E[i] - E[j])
                ) / (4 * eps * eps) / 4  # the 4 of the mixed difference, divided out twice
        return H
    """
)

TEXTBOOK_BCE = dedent(
    """
    def bce_loss(w, X, y):
        p = sigmoid(X @ w)  # rounds to 0 or 1 for large |z|: log(0) = -inf
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    """
)

BUGS = [
    # Task 1: the central difference
    Bug(
        "forward difference",
        "numerical_gradient",
        {
            "numerical_gradient": mutate(
                ref.numerical_gradient,
                "(f(w + step) - f(w - step)) / (2 * eps)",
                "(f(w + step) - f(w)) / eps",
            )
        },
        "wrong",
        ["forward difference"],
        ["central difference"],
    ),
    Bug(
        "divides by eps, not 2 eps",
        "numerical_gradient",
        {"numerical_gradient": mutate(ref.numerical_gradient, "/ (2 * eps)", "/ eps")},
        "wrong",
        ["2 times"],
        ["2 * eps"],
        kind="factor",
    ),
    Bug(
        "f(w - eps) - f(w + eps)",
        "numerical_gradient",
        {
            "numerical_gradient": mutate(
                ref.numerical_gradient, "f(w + step) - f(w - step)", "f(w - step) - f(w + step)"
            )
        },
        "wrong",
        ["wrong sign"],
        ["in that order"],
        kind="sign",
    ),
    Bug(
        "perturbs w in place",
        "numerical_gradient",
        {"numerical_gradient": CHANGES_W},
        "wrong",
        ["changed its argument w"],
        ["copy"],
    ),
    Bug(
        "returns a (d, 1) column",
        "numerical_gradient",
        {"numerical_gradient": mutate(ref.numerical_gradient, "return grad", "return grad.reshape(-1, 1)")},
        "wrong",
        ["has shape", ", 1), expected ("],
        ["shaped like w"],
        kind="shape",
    ),
    Bug(
        "default eps 1e-13: round-off",
        "numerical_gradient",
        {"numerical_gradient": mutate(ref.numerical_gradient, "eps=1e-5", "eps=1e-13")},
        "wrong",
        ["eps=1e-13"],
        ["too small", "round-off"],
    ),
    Bug(
        "loop skips the last coordinate",
        "numerical_gradient",
        {"numerical_gradient": mutate(ref.numerical_gradient, "range(w.size)", "range(w.size - 1)")},
        "wrong",
        ["wrong at entry ["],
        ["every i"],
        kind="partial",
    ),
    Bug("hard-coded gradient", "numerical_gradient", {"numerical_gradient": HARD_CODED}, "wrong", [], []),
    # Task 2: MSE
    Bug(
        "mse_grad without the 2",
        "mse",
        {"mse_grad": mutate(ref.mse_grad, "2 / len(y) * X.T @ r", "X.T @ r / len(y)")},
        "wrong",
        ["half", "2/n"],
        ["keep the 2"],
        kind="factor",
    ),
    Bug(
        "mse_grad without 1/n",
        "mse",
        {"mse_grad": mutate(ref.mse_grad, "2 / len(y) * X.T @ r", "2 * X.T @ r")},
        "wrong",
        ["times too large", "1/n"],
        ["divide by n"],
        kind="factor",
    ),
    Bug(
        "mse_grad with y - Xw",
        "mse",
        {"mse_grad": mutate(ref.mse_grad, "r = X @ w - y", "r = y - X @ w")},
        "wrong",
        ["wrong sign"],
        ["prediction minus target"],
        kind="sign",
    ),
    Bug(
        "mse_grad of shape (d, 1)",
        "mse",
        {"mse_grad": mutate(ref.mse_grad, "r = X @ w - y", "r = (X @ w - y).reshape(-1, 1)")},
        "wrong",
        ["has shape", ", 1), expected ("],
        ["1-D"],
        kind="shape",
    ),
    Bug(
        "y reshaped to (n, 1) in mse_loss",
        "mse",
        {"mse_loss": mutate(ref.mse_loss, "r = X @ w - y", "r = X @ w - y.reshape(-1, 1)")},
        "wrong",
        ["(n, 1)", "(n, n)"],
        ["1-D", "r.shape"],
    ),
    Bug(
        "mse_loss sums instead of averaging",
        "mse",
        {"mse_loss": mutate(ref.mse_loss, "np.mean(r**2)", "np.sum(r**2)")},
        "wrong",
        ["times the mean squared error"],
        ["mean"],
        kind="factor",
    ),
    Bug(
        "mse_loss returns the per-example losses",
        "mse",
        {"mse_loss": mutate(ref.mse_loss, "float(np.mean(r**2))", "r**2")},
        "error",
        ["array of shape", "expected a number"],
        ["np.mean"],
        kind="shape",
    ),
    # Task 3: BCE
    Bug(
        "sigmoid(-z)",
        "bce",
        {"sigmoid": mutate(ref.sigmoid, "np.exp(-np.clip(z, -500, 500))", "np.exp(np.clip(z, -500, 500))")},
        "wrong",
        ["sigmoid(-z)"],
        ["1 / (1 + exp(-z))"],
    ),
    Bug(
        "sigmoid as exp(z) / (1 + exp(z))",
        "bce",
        {
            "sigmoid": mutate(
                ref.sigmoid, "1 / (1 + np.exp(-np.clip(z, -500, 500)))", "np.exp(z) / (1 + np.exp(z))"
            )
        },
        "wrong",
        ["nan", "800"],
        ["overflows"],
        kind="nonfinite",
    ),
    Bug(
        "unclipped log in bce_loss",
        "bce",
        {"bce_loss": TEXTBOOK_BCE},
        "wrong",
        ["for large logits"],
        ["clip p", "logits"],
        kind="nonfinite",
    ),
    Bug(
        "bce_loss without the minus",
        "bce",
        {"bce_loss": mutate(ref.bce_loss, "float(np.mean(", "float(-np.mean(")},
        "wrong",
        ["wrong sign"],
        ["minus"],
        kind="sign",
    ),
    Bug(
        "bce_grad without 1/n",
        "bce",
        {"bce_grad": mutate(ref.bce_grad, "X.T @ (p - y) / len(y)", "X.T @ (p - y)")},
        "wrong",
        ["times too large"],
        ["divide by n"],
        kind="factor",
    ),
    Bug(
        "bce_grad with y - p",
        "bce",
        {"bce_grad": mutate(ref.bce_grad, "(p - y)", "(y - p)")},
        "wrong",
        ["wrong sign"],
        ["p - y"],
        kind="sign",
    ),
    Bug(
        "bce_grad with the logits for the probabilities",
        "bce",
        {"bce_grad": mutate(ref.bce_grad, "p = sigmoid(X @ w)", "p = X @ w")},
        "wrong",
        ["logits"],
        ["sigmoid"],
    ),
    Bug(
        "bce_grad without X^T",
        "bce",
        {"bce_grad": mutate(ref.bce_grad, "X.T @ (p - y) / len(y)", "(p - y) / len(y)")},
        "wrong",
        ["has shape", "expected ("],
        ["shape of w"],
        kind="shape",
    ),
    # Task 4: the Hessian
    Bug(
        "Hessian divided by eps, not 2 eps",
        "hessian",
        {"numerical_hessian": mutate(ref.numerical_hessian, "/ (2 * eps)", "/ eps")},
        "wrong",
        ["2 times", "2I"],
        ["2 eps"],
        kind="factor",
    ),
    Bug(
        "Hessian second differences divided by 4 twice",
        "hessian",
        {"numerical_hessian": SECOND_DIFFERENCES_OVER_4},
        "wrong",
        ["1/4 of"],
        ["denominator"],
        kind="factor",
    ),
    Bug(
        "Hessian: the diagonal only",
        "hessian",
        {"numerical_hessian": mutate(ref.numerical_hessian, "return (H + H.T) / 2", "return np.diag(H)")},
        "wrong",
        ["has shape", "expected ("],
        ["(d, d)"],
        kind="shape",
    ),
    Bug(
        "Hessian hard-coded as 2I",
        "hessian",
        {"numerical_hessian": mutate(ref.numerical_hessian, "return (H + H.T) / 2", "return 2 * np.eye(d)")},
        "wrong",
        ["returns 2I for every f"],
        ["from f"],
    ),
    # Task 5: softmax cross-entropy
    Bug(
        "softmax over the wrong axis",
        "softmax",
        {"softmax": mutate(ref.softmax, "E.sum(axis=1, keepdims=True)", "E.sum(axis=0, keepdims=True)")},
        "wrong",
        ["axis=0", "column"],
        ["axis=1"],
    ),
    Bug(
        "softmax without subtracting the max",
        "softmax",
        {"softmax": mutate(ref.softmax, "np.exp(Z - Z.max(axis=1, keepdims=True))", "np.exp(Z)")},
        "wrong",
        ["nan", "1000"],
        ["max"],
        kind="nonfinite",
    ),
    Bug(
        "log of softmax in the loss",
        "softmax",
        {
            "softmax_ce_loss": dedent(
                """
            def softmax_ce_loss(W, X, y):
                P = softmax(X @ W)
                return float(-np.mean(np.log(P[np.arange(len(y)), y])))
            """
            )
        },
        "wrong",
        ["inf", "large logits"],
        ["log_softmax"],
        kind="nonfinite",
    ),
    Bug(
        "transposed softmax gradient",
        "softmax",
        {"softmax_ce_grad": mutate(ref.softmax_ce_grad, "X.T @ (P - Y)", "(P - Y).T @ X")},
        "wrong",
        ["has shape", "expected ("],
        ["(d, k)"],
        kind="transpose",
    ),
    Bug(
        "softmax gradient without 1/n",
        "softmax",
        {"softmax_ce_grad": mutate(ref.softmax_ce_grad, "X.T @ (P - Y) / len(y)", "X.T @ (P - Y)")},
        "wrong",
        ["times too large"],
        ["divide by n"],
        kind="factor",
    ),
    Bug(
        "softmax gradient without the labels",
        "softmax",
        {"softmax_ce_grad": mutate(ref.softmax_ce_grad, "X.T @ (P - Y)", "X.T @ P")},
        "wrong",
        ["labels are missing"],
        ["one-hot"],
    ),
]
