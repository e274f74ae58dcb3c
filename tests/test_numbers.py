"""Number cleaning: what departments type, what we read, and which cells are reported."""

import math

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from evaluator.clean.cells import (
    Coercion,
    clean_bools,
    clean_numbers,
    clean_scale,
    clean_years,
)


def clean(values, csv=False):
    v, why = clean_numbers(pd.Series(values, dtype=object), text_is_native=csv)
    return v.tolist(), [Coercion(x) for x in why]


def test_examples():
    v, why = clean([12.5, "1,234.5", "１２３．４", "—", "/", "无", "#DIV/0!", "abc", "", None, " 7 ", "(12)"])
    assert v[:3] == [12.5, 1234.5, 123.4]
    assert all(math.isnan(x) for x in v[3:10])
    assert v[10:] == [7.0, -12.0]
    assert why == [Coercion.NONE, Coercion.CLEANED, Coercion.CLEANED, Coercion.PLACEHOLDER, Coercion.PLACEHOLDER,
                   Coercion.PLACEHOLDER, Coercion.EXCEL_ERROR, Coercion.UNPARSEABLE, Coercion.NONE, Coercion.NONE,
                   Coercion.TEXT_NUMBER, Coercion.CLEANED]


def test_text_numbers_in_csv_are_normal():
    v, why = clean(["12.5", "3"], csv=True)
    assert v == [12.5, 3.0] and why == [Coercion.NONE, Coercion.NONE]


FULL = {c: chr(ord(c) + 0xFEE0) for c in "0123456789.-,"}


@given(st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_thousands_separators_and_fullwidth_round_trip(d):
    x = float(d)
    text = f"{x:,.2f}"
    wide = "".join(FULL.get(c, c) for c in text)
    v, why = clean([text, wide, f"  {text} "])
    for got in v:
        assert got == float(text.replace(",", ""))
    assert all(w in (Coercion.CLEANED, Coercion.TEXT_NUMBER) for w in why)


@given(st.text(alphabet="abcxyz中文—/#!", min_size=1, max_size=8))
def test_non_numbers_never_become_numbers(text):
    v, why = clean([text])
    assert math.isnan(v[0]) and why[0] in (Coercion.PLACEHOLDER, Coercion.EXCEL_ERROR, Coercion.UNPARSEABLE)


def test_bools_scale_years():
    v, bad = clean_bools(pd.Series(["是", "否", "√", "", "Y", "1", "0", "有", "也许", None]))
    assert v[:3].tolist() == [1.0, 0.0, 1.0] and np.isnan(v[3]) and v[4:8].tolist() == [1.0, 1.0, 0.0, 1.0]
    assert bad.tolist() == [False] * 8 + [True, False]
    s, bad = clean_scale(pd.Series(["规上", "规下", "是", "否", "规模以上", "中型"]))
    assert s[:5].tolist() == [1, 0, 1, 0, 1] and bad.tolist() == [False] * 5 + [True]
    y, bad = clean_years(pd.Series([2019, "2019年5月", pd.Timestamp("2020-03-01"), 43831.0, "不详", "很久以前"], dtype=object))
    assert y[:4].tolist() == [2019, 2019, 2020, 2020] and bad.tolist() == [False] * 5 + [True]
