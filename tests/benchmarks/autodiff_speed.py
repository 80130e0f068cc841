"""How fast labcode.autodiff computes gradients, side by side with autograd, PyTorch and hand-written numpy.

Run ``python tests/benchmarks/autodiff_speed.py``. Two gradients, the same function in every column:

* logistic regression: L(w) = mean(softplus(X w) - y * X w), X (1000, 20), w (20,)
* an MLP: L(p) = mean((tanh(X W1 + b1) W2 + b2 - y)^2), batch 64, 20 -> 32 -> 1, p a dict of 4 arrays

Each column is a function from numpy arrays to numpy gradients (so PyTorch's column includes making
leaf tensors from the arrays, as a training loop would not need to; it costs ~1 us per parameter).
"numpy by hand" is the floor: the gradient derived on paper, no tape at all. PyTorch is optional and
never a requirement of labcode: its column appears when ``import torch`` works (install it anywhere on
``sys.path``, e.g. ``pip install --target /tmp/torch torch`` and ``PYTHONPATH=/tmp/torch``).

Timing: ``timeit`` with a loop count that makes each sample ~20 ms, ``--repeats`` samples per column,
taken in turns (one sample of each column, then the next round), so that a busy machine slows every
column alike; the table shows medians and their ratio to labcode.autodiff. Then the 100,000-operation
scalar chain: its backward() must take under a second. Exits with status 1 if a target is missed:
labcode.autodiff faster than autograd on both gradients, and no slower than PyTorch eager (when present).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import statistics
import sys
import timeit
from collections.abc import Callable

import autograd
import autograd.numpy as anp
import numpy as np

from labcode.autodiff import Tensor, grad, softplus, tanh

try:
    import torch
except ImportError:  # optional: the table simply has no PyTorch column
    torch = None

SAMPLE_SECONDS = 0.02
CHAIN_LENGTH = 100_000
CHAIN_TARGET = 1.0  # seconds for backward() through the chain


# ---------------------------------------------------------------------------------------------------------
# The two problems, written once per library
# ---------------------------------------------------------------------------------------------------------


def logistic_problem(seed: int = 0) -> tuple[dict[str, Callable], np.ndarray]:
    rng = np.random.default_rng(seed)
    n, d = 1000, 20
    X = rng.normal(size=(n, d))
    y = (rng.uniform(size=n) < 0.5).astype(float)
    w = 0.1 * rng.normal(size=d)

    def ours(w):
        z = X @ w
        return (softplus(z) - y * z).mean()

    def hips(w):
        z = anp.dot(X, w)
        return anp.mean(anp.logaddexp(0.0, z) - y * z)

    def by_hand(w):
        z = X @ w
        p = 1.0 / (1.0 + np.exp(-z))  # |z| is small here: no overflow
        return X.T @ (p - y) / n

    columns = {"numpy by hand": by_hand, "labcode.autodiff": grad(ours), "autograd": autograd.grad(hips)}
    if torch is not None:
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)

        def torch_grad(w):
            wt = torch.from_numpy(w).requires_grad_()
            z = Xt @ wt
            (torch.nn.functional.softplus(z) - yt * z).mean().backward()
            return wt.grad.numpy()

        columns["PyTorch eager"] = torch_grad
    return columns, w


def mlp_problem(seed: int = 0) -> tuple[dict[str, Callable], dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    n, d, h, k = 64, 20, 32, 1
    X = rng.normal(size=(n, d))
    y = rng.normal(size=(n, k))
    params = {
        "W1": rng.normal(size=(d, h)) / np.sqrt(d),
        "b1": np.zeros(h),
        "W2": rng.normal(size=(h, k)) / np.sqrt(h),
        "b2": np.zeros(k),
    }

    def ours(p):
        hidden = tanh(X @ p["W1"] + p["b1"])
        return ((hidden @ p["W2"] + p["b2"] - y) ** 2).mean()

    def hips(p):
        hidden = anp.tanh(anp.dot(X, p["W1"]) + p["b1"])
        return anp.mean((anp.dot(hidden, p["W2"]) + p["b2"] - y) ** 2)

    def by_hand(p):
        hidden = np.tanh(X @ p["W1"] + p["b1"])
        G = 2.0 * (hidden @ p["W2"] + p["b2"] - y) / y.size  # dL/dy_hat
        dZ = (G @ p["W2"].T) * (1.0 - hidden**2)
        return {"W1": X.T @ dZ, "b1": dZ.sum(axis=0), "W2": hidden.T @ G, "b2": G.sum(axis=0)}

    columns = {"numpy by hand": by_hand, "labcode.autodiff": grad(ours), "autograd": autograd.grad(hips)}
    if torch is not None:
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)

        def torch_grad(p):
            pt = {name: torch.from_numpy(v).requires_grad_() for name, v in p.items()}
            hidden = torch.tanh(Xt @ pt["W1"] + pt["b1"])
            ((hidden @ pt["W2"] + pt["b2"] - yt) ** 2).mean().backward()
            return {name: t.grad.numpy() for name, t in pt.items()}

        columns["PyTorch eager"] = torch_grad
    return columns, params


# ---------------------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------------------


def same_gradient(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(np.allclose(a[k], b[k], rtol=1e-10, atol=1e-12) for k in a)
    return np.allclose(a, b, rtol=1e-10, atol=1e-12)


def time_columns(columns: dict[str, Callable], x, repeats: int) -> dict[str, float]:
    """Median seconds per call of each column, sampled in turns."""
    reference = columns["numpy by hand"](x)
    for name, fn in columns.items():
        if not same_gradient(fn(x), reference):
            sys.exit(f"{name} computes a different gradient; the comparison would mean nothing")
    timers = {name: timeit.Timer(lambda fn=fn: fn(x)) for name, fn in columns.items()}
    loops = {}
    for name, timer in timers.items():
        timer.timeit(20)  # warm up
        per_call = timer.timeit(200) / 200
        loops[name] = max(1, int(SAMPLE_SECONDS / per_call))
    samples: dict[str, list[float]] = {name: [] for name in columns}
    for _ in range(repeats):
        for name, timer in timers.items():
            samples[name].append(timer.timeit(loops[name]) / loops[name])
    return {name: statistics.median(s) for name, s in samples.items()}


def chain_times(repeats: int) -> tuple[float, float]:
    """Median seconds to build, and to run backward() through, a chain of CHAIN_LENGTH scalar operations."""
    build, back = [], []
    for _ in range(repeats):
        start = timeit.default_timer()
        x = Tensor(0.5)
        y = x
        for i in range(CHAIN_LENGTH):
            y = y * 0.999999 if i % 2 else y + 1e-6
        mid = timeit.default_timer()
        y.backward()
        end = timeit.default_timer()
        expected = 0.999999 ** (CHAIN_LENGTH // 2)
        if not np.isclose(x.grad, expected, rtol=1e-9):
            sys.exit(f"the chain's gradient is {x.grad}, expected {expected}")
        build.append(mid - start)
        back.append(end - mid)
    return statistics.median(build), statistics.median(back)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="samples per column (default 15)")
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=1,
        help="PyTorch's intra-op threads (default 1: the fastest here)",
    )
    args = parser.parse_args()
    if torch is not None:
        torch.set_num_threads(args.torch_threads)

    problems = {
        "logistic regression, n=1000, d=20": logistic_problem(),
        "MLP, batch 64, 20 -> 32 -> 1": mlp_problem(),
    }
    names = list(problems[next(iter(problems))][0])
    print(
        "Time per gradient, median of",
        args.repeats,
        "samples (microseconds; ratio = time / labcode.autodiff)",
    )
    if torch is not None:
        print(
            f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads; autograd {importlib.metadata.version('autograd')}"
        )
    else:
        print("PyTorch is not importable here: no PyTorch column (it is optional, see the docstring)")
    print()
    header = f"{'problem':<36}" + "".join(f"{name:>24}" for name in names)
    print(header)
    print("-" * len(header))
    failures = []
    for title, (columns, x) in problems.items():
        medians = time_columns(columns, x, args.repeats)
        ours = medians["labcode.autodiff"]
        cells = "".join(f"{medians[n] * 1e6:>11.1f} us ({medians[n] / ours:4.2f}x)" for n in names)
        print(f"{title:<36}{cells}")
        if ours >= medians["autograd"]:
            failures.append(f"{title}: not faster than autograd")
        if "PyTorch eager" in medians and ours > medians["PyTorch eager"]:
            failures.append(f"{title}: slower than PyTorch eager")
    build, back = chain_times(repeats=3)
    print()
    print(
        f"{CHAIN_LENGTH:,}-operation scalar chain: recording {build:.2f} s, backward() {back:.2f} s "
        f"(target < {CHAIN_TARGET:.0f} s)"
    )
    if back >= CHAIN_TARGET:
        failures.append("the chain's backward() took a second or more")
    print()
    print("targets: " + ("all met" if not failures else "MISSED: " + "; ".join(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
