"""Turning spreadsheet cells into numbers, and saying which cells needed help.

Departments type numbers as text, with thousands separators, full-width digits, spaces and
placeholders for "nothing". A value that was guessed at must be visible in the data-check list,
so cleaning returns a reason per cell alongside the number.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import IntEnum

import numpy as np
import pandas as pd

from ..core.fields import FULLWIDTH_TABLE, to_halfwidth
from ..core.keys import factorize_objects


class Coercion(IntEnum):
    """Why a cell's number is not simply the cell's value."""

    NONE = 0
    TEXT_NUMBER = 1  # a plain number stored as text
    CLEANED = 2  # separators, full-width digits, spaces or accounting brackets removed
    PLACEHOLDER = 3  # `—`, `/`, `无` ...: read as missing
    EXCEL_ERROR = 4  # `#DIV/0!` and friends: read as missing
    UNPARSEABLE = 5  # text that is no number: read as missing
    NOT_FINITE = 6  # `inf`, `Infinity`, `1e999`: read as missing (an error: the firm is held back)
    ABSURD = 7  # beyond any real figure (|v| > ABSURD_MAGNITUDE): read as missing (an error)


# No departmental figure comes near this in any unit (10^15 元 is a thousand times China's GDP);
# a larger value is a typing or export error, and two of them would overflow a benchmark sum.
ABSURD_MAGNITUDE = 1e15


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
        return _reject_unreal(np.array(values.to_numpy(dtype=float, na_value=np.nan), dtype=float), reasons)
    parsed = pd.to_numeric(values, errors="coerce")
    out = np.array(parsed.to_numpy(dtype=float, na_value=np.nan), dtype=float, copy=True)
    obj = values.to_numpy(dtype=object)
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind in ("floating", "integer", "mixed-integer-float", "boolean", "empty"):
        return _reject_unreal(out, reasons)
    is_str = np.fromiter((isinstance(v, str) for v in obj), dtype=bool, count=n)
    if not text_is_native:
        reasons[is_str & ~np.isnan(out)] = Coercion.TEXT_NUMBER
    todo = np.flatnonzero(is_str & np.isnan(out))
    for i in todo:
        v, why = _clean_one(obj[i])
        out[i] = v
        reasons[i] = why
    return _reject_unreal(out, reasons)


def _reject_unreal(out: np.ndarray, reasons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Infinite and absurdly large values become missing, with their own reason (never a score)."""
    with np.errstate(invalid="ignore"):
        big = np.abs(out) > ABSURD_MAGNITUDE
    if big.any():
        inf = np.isinf(out)
        reasons[inf] = Coercion.NOT_FINITE
        reasons[big & ~inf] = Coercion.ABSURD
        out[big] = np.nan
    return out, reasons


_COERCION_CODES = {Coercion.TEXT_NUMBER: "text_number", Coercion.CLEANED: "number_cleaned",
                   Coercion.PLACEHOLDER: "placeholder", Coercion.EXCEL_ERROR: "excel_error",
                   Coercion.UNPARSEABLE: "number_unparseable", Coercion.NOT_FINITE: "value_not_finite",
                   Coercion.ABSURD: "value_absurd"}


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
        Coercion.NOT_FINITE: f"数值“{text}”为无穷大，不是有效数值，视为缺失；请核对原表后更正，更正前该企业暂不出具告知书",
        Coercion.ABSURD: f"数值“{text}”大得不合理（超过 10 的 15 次方），视为缺失；请核对原表后更正，更正前该企业暂不出具告知书",
    }.get(Coercion(reason), "")


_BOOL_TRUE = frozenset({"是", "y", "yes", "true", "1", "1.0", "√", "✓", "✔", "有", "t", "○", "●", "☑", "v"})
_BOOL_FALSE = frozenset({"否", "n", "no", "false", "0", "0.0", "×", "✗", "无", "f", "", "-", "—", "/", "☐"})


def _per_distinct(clean: Callable[[pd.Series], tuple[np.ndarray, np.ndarray]], values: pd.Series
                  ) -> tuple[np.ndarray, np.ndarray]:
    """`clean` applied to each distinct cell once: a column of flags or scales holds a few distinct
    texts, and the string methods cost a Python call per cell."""
    # keyed with their type, as 1, 1.0 and True are one dict key but read differently
    keys = [v if type(v) is str else (type(v), v) for v in values.tolist()]
    codes, uniques = factorize_objects(keys)
    out, bad = clean(pd.Series([k if type(k) is str else k[1] for k in uniques], dtype=object))
    return out[codes], bad[codes]


def clean_bools(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Flags as float 1/0 (NaN when empty) and a mask of cells that were not understood."""
    return _per_distinct(_clean_bools, values)


def _clean_bools(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
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
    return _per_distinct(_clean_scale, values)


def _clean_scale(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    s = values.astype("string").fillna("").str.strip().str.replace(r"\s", "", regex=True)
    arr = s.to_numpy(dtype=object)
    above = np.isin(arr, ["规上", "规模以上", "规上企业", "规模以上企业", "是", "y", "Y", "1", "√", "上"])
    below = np.isin(arr, ["规下", "规模以下", "规下企业", "规模以下企业", "否", "n", "N", "0", "下", "小微"])
    out = np.full(len(arr), np.nan)
    out[above] = 1.0
    out[below] = 0.0
    bad = ~(above | below) & (arr != "")
    return out, bad


_YEAR = re.compile(r"(?<!\d)(19\d{2}|20\d{2})(?!\d)")
_COMPACT_DATE = re.compile(r"^(19|20)\d{2}(0[1-9]|1[0-2])(\d{2})?$")  # 201503, 20150301
SERIAL_RANGE = (20_000, 80_000)  # Excel serial dates 1954-10-03 … 2119-01-10


def _year_of_number(f: float) -> float:
    """A year from a number: the year itself, an Excel serial date, or yyyymm / yyyymmdd."""
    if 1900 <= f <= 2100:
        return float(int(f))
    if SERIAL_RANGE[0] <= f <= SERIAL_RANGE[1]:
        return float((pd.Timestamp("1899-12-30") + pd.Timedelta(days=int(f))).year)
    if f.is_integer() and _COMPACT_DATE.match(str(int(f))):
        return float(str(int(f))[:4])
    return np.nan


def clean_years(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """投产时间 as a year, and a mask of cells that give none.

    Date cells; numbers and numeric text: a year (`2015`, `2015.03`), an Excel serial date
    (`42024` is 2015-01-20, never the year 2024), `201503` or `20150301`; text such as `2015-03`,
    `2015年3月`, `2015/3/1`, `2015.03`. A four-digit year is only taken when no digit touches it.
    """
    obj = values.to_numpy(dtype=object)
    out = np.full(len(obj), np.nan)
    bad = np.zeros(len(obj), dtype=bool)
    num = np.array(pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan), dtype=float)
    plain = np.isfinite(num) & (num >= 1900) & (num <= 2100)  # a year as a number (or numeric text): most cells
    out[plain] = np.floor(num[plain])
    for i in np.flatnonzero(~plain).tolist():
        v = obj[i]
        if v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and np.isnan(v)):
            continue
        if hasattr(v, "year"):
            out[i] = v.year
            continue
        if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
            out[i] = _year_of_number(float(v))
            bad[i] = np.isnan(out[i])
            continue
        t = to_halfwidth(str(v)).strip()
        try:
            out[i] = _year_of_number(float(t))
            bad[i] = np.isnan(out[i])
            continue
        except ValueError:
            pass
        m = _YEAR.search(t)
        if m:
            out[i] = int(m.group(1))
        elif t.lower() not in PLACEHOLDERS:
            bad[i] = True
    return out, bad
