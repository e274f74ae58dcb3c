"""Numbers as text for people: one rule for every message, table and letter.

Each unit has its decimals (money, land and ratios 2; people and years whole numbers), so a finding
says “用地面积为 -28.67 亩”, the same figure the workbook and the letter print, not a raw float.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .values import finite_or_none, is_missing

if TYPE_CHECKING:
    from .fields import FieldSpec

# Decimals per unit: money and ratios 2, people and years whole numbers, land 2.
DECIMALS: dict[str, int] = {
    "万元/亩": 2, "万元/万千瓦时": 2, "万元/人": 2, "万元/吨标准煤": 2, "%": 2, "万元/吨": 2,
    "万元": 2, "亩": 2, "万千瓦时": 2, "吨标准煤": 2, "吨": 2, "人": 0, "年": 0, "分": 2, "平方米": 2,
}


def decimals_for(unit: str) -> int:
    return DECIMALS.get(unit, 2)


def _missing(value: object) -> bool:
    return finite_or_none(value) is None


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


_CHOICE_WORDS = {"bool": ("否", "是"), "scale": ("规下", "规上")}


def field_value_text(spec: FieldSpec, value: object) -> str:
    """A stored canonical value of field `spec` in words, the same in every message and on every
    screen: `12.35 亩`, `120 人`, `是`, `规上`, `2019`, `空`."""
    if is_missing(value) or (isinstance(value, str) and not value):
        return "空"
    if spec.kind in _CHOICE_WORDS:
        try:
            v = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return str(value)
        return _CHOICE_WORDS[spec.kind][int(v == 1)] if v in (0.0, 1.0) else str(value)
    if spec.kind == "year":
        try:
            return str(int(float(value)))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return str(value)
    if spec.kind == "number":
        return format_quantity(value, spec.unit) if not _missing(value) else str(value)  # type: ignore[arg-type]
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.6g}"
    return str(value)
