"""Integer codes for object columns: the same grouping as pandas, in order of first appearance."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from evaluator.core.keys import factorize_objects

VALUES = st.lists(st.one_of(st.none(), st.sampled_from(["甲", "乙", "913303", "", "a b"]), st.text(max_size=3)),
                  max_size=60)


def test_first_appearance_order_and_none_is_missing() -> None:
    codes, uniques = factorize_objects(["b", None, "a", "b", "", None, "a"])
    assert codes.tolist() == [0, -1, 1, 0, 2, -1, 1]
    assert uniques == ["b", "a", ""]
    assert codes.dtype == np.intp


def test_empty_and_all_missing() -> None:
    codes, uniques = factorize_objects([])
    assert codes.tolist() == [] and uniques == []
    codes, uniques = factorize_objects(np.array([None, None], dtype=object))
    assert codes.tolist() == [-1, -1] and uniques == []


@given(VALUES)
def test_same_grouping_as_pandas(values: list[object]) -> None:
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    codes, uniques = factorize_objects(arr)
    expect_codes, expect_uniques = pd.factorize(arr, use_na_sentinel=True)
    assert codes.tolist() == expect_codes.tolist()
    assert uniques == list(expect_uniques)
