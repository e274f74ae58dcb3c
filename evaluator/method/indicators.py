"""The indicator library shared by all schemes, and the number formats used everywhere.

Every indicator is computed for every firm where the data allow, whether or not its population
scores it: officials compare firms on all of them. Number formats live in `core.numbers` (the
findings of reading and merging use them too) and are re-exported here, so the table, the
workbook, the letters and the messages print the same number the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# The number formats live in core (reading and merging use them too); re-exported for the layers above.
from ..core.numbers import DECIMALS, decimals_for, format_number, format_quantity  # noqa: F401


@dataclass(frozen=True)
class Indicator:
    id: str
    label: str
    unit: str
    numerator: str
    denominator: str
    multiplier: float = 1.0

    def formula(self) -> str:
        from ..core.fields import FIELD_BY_ID

        text = f"{FIELD_BY_ID[self.numerator].label} ÷ {FIELD_BY_ID[self.denominator].label}"
        return text + (f" × {self.multiplier:g}" if self.multiplier != 1 else "")


INDICATORS: tuple[Indicator, ...] = (
    Indicator("tax_per_mu", "亩均税收", "万元/亩", "tax", "land"),
    Indicator("va_per_mu", "亩均增加值", "万元/亩", "value_added", "land"),
    Indicator("revenue_per_mu", "亩均营业收入", "万元/亩", "revenue", "land"),
    Indicator("tax_per_kwh", "单位电耗税收", "万元/万千瓦时", "tax", "electricity"),
    Indicator("revenue_per_kwh", "单位电耗营业收入", "万元/万千瓦时", "revenue", "electricity"),  # 温岭 规下
    Indicator("labour_productivity", "全员劳动生产率", "万元/人", "value_added", "employees"),
    Indicator("va_per_energy", "单位能耗增加值", "万元/吨标准煤", "value_added", "energy"),
    Indicator("rd_intensity", "研发经费投入强度", "%", "rd_expense", "revenue", 100.0),
    Indicator("va_per_emission", "单位排放增加值", "万元/吨", "value_added", "emissions"),
)
INDICATOR_BY_ID: dict[str, Indicator] = {i.id: i for i in INDICATORS}
INDICATOR_IDS: tuple[str, ...] = tuple(i.id for i in INDICATORS)

def excel_format(unit: str) -> str:
    """The number format string for xlsxwriter cells of this unit."""
    d = decimals_for(unit)
    return "#,##0" if d == 0 else "#,##0." + "0" * d


def computable(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """METHOD §3: not computable when the numerator is missing or the denominator missing or ≤ 0."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(num) & np.isfinite(den) & (den > 0)


def compute_indicators(ent: pd.DataFrame) -> pd.DataFrame:
    """All library indicators for all firms (NaN where not computable), canonical units."""
    out = {}
    for ind in INDICATORS:
        num = ent[ind.numerator].to_numpy(dtype=float, na_value=np.nan)
        den = ent[ind.denominator].to_numpy(dtype=float, na_value=np.nan)
        ok = computable(num, den)
        v = np.full(len(ent), np.nan)
        np.divide(num, den, out=v, where=ok)
        if ind.multiplier != 1.0:
            v *= ind.multiplier
        out[ind.id] = v
    return pd.DataFrame(out, index=ent.index)
