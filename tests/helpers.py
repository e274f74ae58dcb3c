"""Small builders for hand-computed examples: an enterprise table without going through files."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluator.clean.codes import check_character
from evaluator.core.fields import FIELDS


def code(body17: str) -> str:
    """A valid credit code from its first 17 characters."""
    return body17 + check_character(body17)


def firms(rows: list[dict]) -> pd.DataFrame:
    """An enterprise table as `merge_tables` returns it, from dicts of the fields that matter."""
    cols = {}
    for f in FIELDS:
        if f.kind in ("text", "code"):
            cols[f.id] = pd.Series([r.get(f.id) for r in rows], dtype="string")
        else:
            cols[f.id] = np.array([np.nan if r.get(f.id) is None else float(r[f.id]) for r in rows], dtype=float)
    df = pd.DataFrame(cols)
    df.index = pd.Index([r.get("credit_code") or f"名称:{r.get('name')}" for r in rows], name="key")
    return df
