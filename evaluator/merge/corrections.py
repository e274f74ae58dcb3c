"""Manual corrections (人工更正): an overlay on the merged data, never an overwrite of the import.

An official who fixes a value after a phone call with the firm must be able to show later what
the file said, what it was changed to, by whom and why. Corrections are applied after the merge
and before evaluation, and each one leaves an entry in the data-check list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.fields import FIELD_BY_ID
from ..core.issues import Issue
from ..core.numbers import field_value_text


@dataclass(frozen=True)
class Correction:
    key: str  # enterprise key (normalised credit code, or `名称:…`)
    field: str  # canonical field id
    value: object  # canonical units (亩, 万元, …); None clears the value
    reason: str
    user: str = ""
    time: str = ""


def apply_corrections(ent: pd.DataFrame, corrections: Sequence[Correction]) -> tuple[pd.DataFrame, list[Issue]]:
    """A copy of the enterprise table with corrections applied, and one notice per correction."""
    if not corrections:
        return ent, []
    out = ent.copy()
    issues: list[Issue] = []
    for c in corrections:
        spec = FIELD_BY_ID.get(c.field)
        if spec is None or c.key not in out.index:
            issues.append(Issue("warning", f"更正未能应用：企业或字段不存在（{c.key} / {c.field}）", key=c.key,
                                code="correction_unapplied"))
            continue
        before = out.at[c.key, c.field]
        value = c.value
        if spec.kind in ("number", "bool", "scale", "year"):
            value = np.nan if value is None or value == "" else float(value)  # type: ignore[arg-type]
        elif value is not None:
            value = str(value)
        out.at[c.key, c.field] = value if value is not None else pd.NA
        who = f"（{c.user}，{c.time}）" if c.user or c.time else ""
        issues.append(Issue("info", f"人工更正{who}：{spec.label} 由“{field_value_text(spec, before)}”改为“{field_value_text(spec, value)}”，理由：{c.reason}",
                            column=spec.label, key=c.key, code="correction_applied"))
    return out, issues

