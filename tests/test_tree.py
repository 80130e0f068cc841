"""labcode.tree: the two forms of parameters (one array, a flat dict of arrays) and their flat vector."""

from __future__ import annotations

import numpy as np
import pytest
from error_facts import raises_naming

from labcode import tree

RNG = np.random.default_rng(0)
TREES = {
    "scalar": np.float64(2.5),
    "vector": RNG.normal(size=3),
    "matrix": RNG.normal(size=(2, 3)),
    "dict": {"W": RNG.normal(size=(3, 2)), "b": RNG.normal(size=2), "c": np.float64(1.5)},
}


def _equal(a, b) -> bool:
    if tree.is_dict(a):
        return tree.is_dict(b) and list(a) == list(b) and all(np.array_equal(a[k], b[k]) for k in a)
    return not tree.is_dict(b) and np.shape(a) == np.shape(b) and np.array_equal(a, b)


@pytest.mark.parametrize("name", list(TREES))
def test_ravel_then_unravel_gives_the_tree_back_as_fresh_arrays(name):
    t = TREES[name]
    x, treedef = tree.ravel(t)
    assert x.shape == (treedef.size,) == (sum(np.size(v) for v in tree.leaves(t)),)
    back = treedef.unravel(x)
    assert _equal(back, t)
    for leaf in tree.leaves(back):
        np.asarray(leaf)[...] = 0.0
    assert _equal(treedef.unravel(x), t), "unravel must not return views of x"


@pytest.mark.parametrize("name", list(TREES))
def test_ravel_copies_so_changing_the_vector_leaves_the_tree_alone(name):
    t = TREES[name]
    before = tree.tree_map(np.copy, t)
    x, _ = tree.ravel(t)
    x[...] = -7.0
    assert _equal(t, before)


@pytest.mark.parametrize("name", list(TREES))
def test_ravel_like_accepts_the_same_form_and_matches_ravel(name):
    t = TREES[name]
    x, treedef = tree.ravel(t)
    np.testing.assert_array_equal(treedef.ravel_like(t, "grad"), x)


def test_unravel_stack_gives_each_leaf_a_leading_axis():
    t = TREES["dict"]
    x, treedef = tree.ravel(t)
    stacked = treedef.unravel_stack(np.stack([x, 2 * x]))
    assert {k: v.shape for k, v in stacked.items()} == {"W": (2, 3, 2), "b": (2, 2), "c": (2,)}
    np.testing.assert_array_equal(stacked["W"][1], 2 * t["W"])
    x1, treedef1 = tree.ravel(TREES["matrix"])
    assert treedef1.unravel_stack(np.stack([x1] * 4)).shape == (4, 2, 3)


def test_tree_map_keeps_the_form_and_pairs_leaves_by_key():
    a = {"W": np.ones((2, 2)), "b": np.zeros(2)}
    b = {"b": np.full(2, 3.0), "W": np.full((2, 2), 2.0)}  # other key order: matched by key
    out = tree.tree_map(lambda u, v: u + v, a, b)
    assert list(out) == ["W", "b"]
    np.testing.assert_array_equal(out["W"], np.full((2, 2), 3.0))
    np.testing.assert_array_equal(out["b"], np.full(2, 3.0))
    np.testing.assert_array_equal(tree.tree_map(np.negative, np.arange(3.0)), -np.arange(3.0))


def test_tree_map_rejects_trees_of_another_form():
    with raises_naming(ValueError, "missing 'b'"):
        tree.tree_map(np.add, {"W": 1.0, "b": 2.0}, {"W": 1.0})
    with raises_naming(TypeError, "dict"):
        tree.tree_map(np.add, {"W": 1.0}, np.ones(2))


def test_map_labelled_names_each_leaf():
    assert tree.map_labelled(lambda v, label: label, {"W": 0, "b": 0}, "w") == {"W": "w['W']", "b": "w['b']"}
    assert tree.map_labelled(lambda v, label: label, np.ones(2), "x") == "x"


def test_check_keys_names_missing_and_unexpected_keys():
    tree.check_keys({"b": 0, "W": 0}, ["W", "b"], "grad")  # order does not matter
    with raises_naming(ValueError, "grad") as info:
        tree.check_keys({"W": 0, "c": 0}, ["W", "b"], "grad")
    assert "missing 'b'" in str(info.value) and "unexpected 'c'" in str(info.value)
    assert tree.key_mismatch(["W", "b"], ["b", "W"]) == ""


def test_ravel_like_names_the_wrong_part():
    _, treedef = tree.ravel({"W": np.ones((2, 3)), "b": np.ones(3)})
    with raises_naming(ValueError, "grad['W']", "(3, 2)", "(2, 3)"):
        treedef.ravel_like({"W": np.ones((3, 2)), "b": np.ones(3)}, "grad")
    with raises_naming(ValueError, "missing 'b'"):
        treedef.ravel_like({"W": np.ones((2, 3))}, "grad")
    with raises_naming(TypeError, "grad"):
        treedef.ravel_like(np.ones(9), "grad")
    _, treedef1 = tree.ravel(np.ones(3))
    with raises_naming(TypeError, "grad"):
        treedef1.ravel_like({"w": np.ones(3)}, "grad")
    with raises_naming(ValueError, "grad", "(4,)", "(3,)"):
        treedef1.ravel_like(np.ones(4), "grad")


@pytest.mark.parametrize(
    ("bad", "error", "fact"),
    [
        ({}, ValueError, "empty dict"),
        ({1: np.ones(2)}, TypeError, "str"),
        ({"W": "abc"}, TypeError, "w['W']"),
        ({"W": np.array([1.0, np.nan])}, ValueError, "w['W']"),
        (np.array([np.inf]), ValueError, "finite"),
    ],
)
def test_ravel_rejects_what_is_not_parameters(bad, error, fact):
    with raises_naming(error, fact):
        tree.ravel(bad)


def test_ravel_keeps_non_finite_values_when_asked():
    x, _ = tree.ravel(np.array([np.nan, 1.0]), finite=False)
    assert np.isnan(x[0])


def test_label_names_each_entry_of_the_flat_vector():
    _, treedef = tree.ravel({"W": np.zeros((2, 3)), "b": np.float64(0.0), "v": np.zeros(2)})
    names = [treedef.label(i) for i in range(treedef.size)]
    assert names[:3] == ["W[0, 0]", "W[0, 1]", "W[0, 2]"]
    assert names[5:] == ["W[1, 2]", "b", "v[0]", "v[1]"]
    _, treedef1 = tree.ravel(np.zeros(3))
    assert treedef1.label(2) == "w[2]"
    with raises_naming(IndexError, "9"):
        treedef.label(9)


def test_tree_map_refuses_leaves_numpy_would_broadcast():
    with raises_naming(ValueError, "tree 2", "['W']", "(3,)", "(2, 3)"):
        tree.tree_map(np.add, {"W": np.ones((2, 3)), "b": np.ones(3)}, {"W": np.ones(3), "b": np.ones(3)})
    with raises_naming(ValueError, "tree 2", "(2,)", "(3,)"):
        tree.tree_map(np.add, np.ones(3), np.ones(2))


@pytest.mark.parametrize("length", [8, 10])
def test_unravel_refuses_a_vector_of_another_length(length):
    _, treedef = tree.ravel({"W": np.ones((2, 3)), "b": np.ones(3)})
    with raises_naming(ValueError, "x", f"({length},)", "(9,)", "'W': (2, 3)"):
        treedef.unravel(np.zeros(length))
    with raises_naming(ValueError, "xs", f"(4, {length})", "(4, 9)"):
        treedef.unravel_stack(np.zeros((4, length)))


def test_check_keys_refuses_what_is_not_a_dict():
    with raises_naming(TypeError, "params", "str", "['w', 'b']"):
        tree.check_keys("wb", ("w", "b"), "params")


@pytest.mark.parametrize("name", list(TREES))
def test_ravel_like_returns_a_fresh_vector_never_a_view_of_the_gradient(name):
    """An optimizer keeps the flat gradient (momentum, Adam's averages); a grad function may reuse its buffers."""
    t = tree.tree_map(np.copy, TREES[name])
    _, treedef = tree.ravel(t)
    flat = treedef.ravel_like(t, "grad")
    flat[...] = -7.0
    assert _equal(t, TREES[name])


def test_the_offsets_are_worked_out_once_and_do_not_change_equality():
    t = TREES["dict"]
    _, treedef = tree.ravel(t)
    assert (treedef.sizes, treedef.starts, treedef.size) == ((6, 2, 1), (0, 6, 8), 9)
    twin = tree.TreeDef(("W", "b", "c"), ((3, 2), (2,), ()))
    assert twin == treedef and hash(twin) == hash(treedef)
    assert tree.TreeDef(("W", "b", "c"), ((2, 3), (2,), ())) != treedef  # same sizes, another shape
    with pytest.raises(AttributeError):
        treedef.size = 3  # frozen, derived fields included
