"""Plain-value helpers every stage uses when a cell may be missing, NaN or not a number."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd


def is_missing(v: Any) -> bool:
    """None, pd.NA or a float NaN."""
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def finite_or_none(v: Any) -> float | None:
    """A finite float, or None for missing, NaN, infinities and text (JSON has no NaN)."""
    if v is None or v is pd.NA:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def table_records(t: pd.DataFrame) -> list[dict[str, Any]]:
    """`t.to_dict("records")`, the same values, built from whole columns: pandas boxes each cell
    through a Python call of its own. Missing values of nullable columns (`Int64`'s pd.NA) become
    None, as `to_dict` gives them."""
    cols = list(t.columns)
    lists = []
    for c in cols:
        s = t[c]
        values = s.tolist()
        if isinstance(s.dtype, pd.api.extensions.ExtensionDtype) and s.hasnans:
            values = [None if v is pd.NA else v for v in values]
        lists.append(values)
    return [dict(zip(cols, row)) for row in zip(*lists)]
