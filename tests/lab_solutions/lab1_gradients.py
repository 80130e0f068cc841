"""Reference solutions of Lab 1 (book/labs/lab1_gradients.ipynb): the answer key, kept out of labcode.

Each function is written as a student would write it in the notebook: numpy as ``np`` and nothing else,
so that its source can be pasted into the TODO cell as is (tests/test_grade.py does exactly that).
"""

import numpy as np


def numerical_gradient(f, w, eps=1e-5):
    w = np.asarray(w, dtype=float)
    grad = np.zeros_like(w)
    for i in range(w.size):
        step = np.zeros_like(w)
        step[i] = eps
        grad[i] = (f(w + step) - f(w - step)) / (2 * eps)
    return grad


def mse_loss(w, X, y):
    r = X @ w - y
    return float(np.mean(r**2))


def mse_grad(w, X, y):
    r = X @ w - y
    return 2 / len(y) * X.T @ r


def sigmoid(z):
    return 1 / (1 + np.exp(-np.clip(z, -500, 500)))


def bce_loss(w, X, y):
    z = X @ w
    # from the logits (chapter 4): log p = -log(1 + e^-z), log(1 - p) = -log(1 + e^z), never log(0)
    return float(np.mean(y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z)))


def bce_grad(w, X, y):
    p = sigmoid(X @ w)
    return X.T @ (p - y) / len(y)


def numerical_hessian(f, w, eps=1e-4):
    w = np.asarray(w, dtype=float)
    d = w.size
    H = np.zeros((d, d))
    for j in range(d):
        step = np.zeros(d)
        step[j] = eps
        H[:, j] = (numerical_gradient(f, w + step) - numerical_gradient(f, w - step)) / (2 * eps)
    return (H + H.T) / 2


def softmax(Z):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def softmax_ce_loss(W, X, y):
    Z = X @ W
    Z = Z - Z.max(axis=1, keepdims=True)
    log_p = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
    return float(-np.mean(log_p[np.arange(len(y)), y]))


def softmax_ce_grad(W, X, y):
    P = softmax(X @ W)
    Y = np.zeros_like(P)
    Y[np.arange(len(y)), y] = 1
    return X.T @ (P - Y) / len(y)
