"""Numbers as text for people: one rule for every message, table and letter.

Each unit has its decimals (money, land and ratios 2; people and years whole numbers), so a finding
says “用地面积为 -28.67 亩”, the same figure the workbook and the letter print, not a raw float.
"""

from __future__ import annotations

import math

# Decimals per unit: money and ratios 2, people and years whole numbers, land 2.
DECIMALS: dict[str, int] = {
    "万元/亩": 2, "万元/万千瓦时": 2, "万元/人": 2, "万元/吨标准煤": 2, "%": 2, "万元/吨": 2,
    "万元": 2, "亩": 2, "万千瓦时": 2, "吨标准煤": 2, "吨": 2, "人": 0, "年": 0, "分": 2, "平方米": 2,
}


def decimals_for(unit: str) -> int:
    return DECIMALS.get(unit, 2)


def _missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return not math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True


def format_number(value: float | None, unit: str = "", with_unit: bool = False) -> str:
    """`12.35` / `1,234` / `—` for missing; the one place numbers become text for people."""
    if _missing(value):
        return "—"
    d = decimals_for(unit)
    text = f"{float(value):,.{d}f}"  # type: ignore[arg-type]
    return f"{text} {unit}" if with_unit and unit else text


def format_quantity(value: float | None, unit: str = "") -> str:
    """A figure in a message, with its unit: `-28.67 亩`, `-3.50 万元`, `0 亩`.

    Rounded to the unit's decimals, except that a non-zero value the rounding would show as zero
    keeps four significant digits (`-0.003 万元`), so a message never calls a figure 0 that is not.
    """
    if _missing(value):
        return "空"
    x = float(value)  # type: ignore[arg-type]
    d = decimals_for(unit)
    text = "0" if x == 0 else f"{x:,.{d}f}" if round(x, d) != 0 else f"{x:.4g}"
    return f"{text} {unit}" if unit else text
