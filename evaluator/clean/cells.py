"""Turning spreadsheet cells into numbers, and saying which cells needed help.

Departments type numbers as text, with thousands separators, full-width digits, spaces and
placeholders for "nothing". A value that was guessed at must be visible in the data-check list,
so cleaning returns a reason per cell alongside the number.
"""

from __future__ import annotations

import re
from enum import IntEnum

import numpy as np
import pandas as pd

from ..core.fields import FULLWIDTH_TABLE, to_halfwidth


class Coercion(IntEnum):
    """Why a cell's number is not simply the cell's value."""

    NONE = 0
    TEXT_NUMBER = 1  # a plain number stored as text
    CLEANED = 2  # separators, full-width digits, spaces or accounting brackets removed
    PLACEHOLDER = 3  # `—`, `/`, `无` ...: read as missing
    EXCEL_ERROR = 4  # `#DIV/0!` and friends: read as missing
    UNPARSEABLE = 5  # text that is no number: read as missing


PLACEHOLDERS = frozenset(
    {"-", "--", "---", "—", "——", "–", "/", "\\", "无", "空", "暂无", "不详", "n/a", "na", "null",
     "none", "nan", "×", "x", "*", "…", "...", "0/0", "未填", "未报"}
)
EXCEL_ERRORS = frozenset(
    {"#div/0!", "#n/a", "#value!", "#ref!", "#name?", "#num!", "#null!", "#getting_data", "#spill!",
     "#calc!"}
)
_SEPARATORS = re.compile(r"[,，\s\u3000'_]")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def _clean_one(text: str) -> tuple[float, Coercion]:
    t = to_halfwidth(text).strip()
    low = t.lower()
    if low == "" :
        return np.nan, Coercion.NONE
    if low in PLACEHOLDERS:
        return np.nan, Coercion.PLACEHOLDER
    if low in EXCEL_ERRORS or (low.startswith("#") and low.endswith(("!", "?", "a"))):
        return np.nan, Coercion.EXCEL_ERROR
    neg = False
    if t.startswith("(") and t.endswith(")"):
        neg, t = True, t[1:-1]
    t = _SEPARATORS.sub("", t).replace("。", ".")
    if _NUMBER.match(t):
        v = float(t)
        return (-v if neg else v), Coercion.CLEANED
    return np.nan, Coercion.UNPARSEABLE


def clean_numbers(values: pd.Series, text_is_native: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Numbers and a `Coercion` code per cell.

    `text_is_native` is true for CSV, where every cell is text and a plain number in text is
    normal, not worth a notice.
    """
    n = len(values)
    reasons = np.zeros(n, dtype=np.int8)
    if values.dtype.kind in "fiub":
        return np.array(values.to_numpy(dtype=float, na_value=np.nan), dtype=float), reasons
    parsed = pd.to_numeric(values, errors="coerce")
    out = np.array(parsed.to_numpy(dtype=float, na_value=np.nan), dtype=float, copy=True)
    obj = values.to_numpy(dtype=object)
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind in ("floating", "integer", "mixed-integer-float", "boolean", "empty"):
        return out, reasons
    is_str = np.fromiter((isinstance(v, str) for v in obj), dtype=bool, count=n)
    if not text_is_native:
        reasons[is_str & ~np.isnan(out)] = Coercion.TEXT_NUMBER
    todo = np.flatnonzero(is_str & np.isnan(out))
    for i in todo:
        v, why = _clean_one(obj[i])
        out[i] = v
        reasons[i] = why
    return out, reasons


_COERCION_CODES = {Coercion.TEXT_NUMBER: "text_number", Coercion.CLEANED: "number_cleaned",
                   Coercion.PLACEHOLDER: "placeholder", Coercion.EXCEL_ERROR: "excel_error",
                   Coercion.UNPARSEABLE: "number_unparseable"}


def coercion_code(reason: int) -> str:
    """The issue code for a coerced cell (`describe` gives its sentence)."""
    return _COERCION_CODES.get(Coercion(reason), "")


def describe(reason: int, raw: object) -> str:
    """The Chinese sentence for a coerced cell, quoting what the cell said."""
    text = str(raw)
    if len(text) > 40:
        text = text[:40] + "…"
    return {
        Coercion.TEXT_NUMBER: f"数值以文本格式存储（“{text}”），已按数值读取",
        Coercion.CLEANED: f"数值“{text}”含千分位、空格或全角字符，已清洗后读取",
        Coercion.PLACEHOLDER: f"单元格为占位符“{text}”，视为缺失",
        Coercion.EXCEL_ERROR: f"单元格为 Excel 错误值“{text}”，视为缺失",
        Coercion.UNPARSEABLE: f"无法识别为数值：“{text}”，视为缺失",
    }.get(Coercion(reason), "")


_BOOL_TRUE = frozenset({"是", "y", "yes", "true", "1", "1.0", "√", "✓", "✔", "有", "t", "○", "●", "☑", "v"})
_BOOL_FALSE = frozenset({"否", "n", "no", "false", "0", "0.0", "×", "✗", "无", "f", "", "-", "—", "/", "☐"})


def clean_bools(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Flags as float 1/0 (NaN when empty) and a mask of cells that were not understood."""
    s = values.astype("string").fillna("").str.strip().str.lower()
    s = s.str.translate(FULLWIDTH_TABLE)
    arr = s.to_numpy(dtype=object)
    out = np.full(len(arr), np.nan)
    yes = np.isin(arr, list(_BOOL_TRUE))
    no = np.isin(arr, list(_BOOL_FALSE))
    out[yes] = 1.0
    out[no & (arr != "")] = 0.0
    bad = ~(yes | no)
    return out, bad


def clean_scale(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """是否规上: 规上/规模以上/是 → 1, 规下/规模以下/否 → 0; returns values and not-understood mask."""
    s = values.astype("string").fillna("").str.strip().str.replace(r"\s", "", regex=True)
    arr = s.to_numpy(dtype=object)
    above = np.isin(arr, ["规上", "规模以上", "规上企业", "规模以上企业", "是", "y", "Y", "1", "√", "上"])
    below = np.isin(arr, ["规下", "规模以下", "规下企业", "规模以下企业", "否", "n", "N", "0", "下", "小微"])
    out = np.full(len(arr), np.nan)
    out[above] = 1.0
    out[below] = 0.0
    bad = ~(above | below) & (arr != "")
    return out, bad


_YEAR = re.compile(r"(19\d{2}|20\d{2})")


def clean_years(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """投产时间 as a year: date cells, `2019年5月`, `2019-05-01`, `2019`, or an Excel serial date."""
    obj = values.to_numpy(dtype=object)
    out = np.full(len(obj), np.nan)
    bad = np.zeros(len(obj), dtype=bool)
    num = np.array(pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan), dtype=float)
    plain = np.isfinite(num) & (num >= 1900) & (num <= 2100)  # a year as a number (or numeric text)
    out[plain] = np.floor(num[plain])
    rest = np.flatnonzero(~plain)
    for i in rest:
        v = obj[i]
        if v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and np.isnan(v)):
            continue
        if hasattr(v, "year"):
            out[i] = v.year
        elif isinstance(v, (int, float, np.integer, np.floating)):
            f = float(v)
            if 1900 <= f <= 2100:
                out[i] = int(f)
            elif 20000 <= f <= 80000:  # Excel serial date
                out[i] = (pd.Timestamp("1899-12-30") + pd.Timedelta(days=f)).year
            else:
                bad[i] = True
        else:
            m = _YEAR.search(to_halfwidth(str(v)))
            if m:
                out[i] = int(m.group(1))
            elif str(v).strip().lower() not in PLACEHOLDERS:
                bad[i] = True
    return out, bad
