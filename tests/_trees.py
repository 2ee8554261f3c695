"""Shared by the tests that compare or edit nested state: dicts, lists, tuples of arrays."""

import numpy as np


def assert_same(a, b):
    """Bit for bit, through nested lists, tuples and dicts (NaN equals NaN)."""
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            assert_same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b)
    else:
        assert a == b


def leaves(tree, path=()):
    """Every (path, value) of a nested dict/list state dict, the tree itself last."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from leaves(value, path + (key,))
    elif isinstance(tree, (list, tuple)):
        for i, value in enumerate(tree):
            yield from leaves(value, path + (i,))
    yield path, tree


def replaced(tree, path, value):
    """``tree`` with the value at ``path`` replaced (tuples on the way become lists)."""
    if not path:
        return value
    tree = list(tree) if isinstance(tree, tuple) else tree
    tree[path[0]] = replaced(tree[path[0]], path[1:], value)
    return tree
