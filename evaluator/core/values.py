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
