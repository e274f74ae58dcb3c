"""The few texts of a column that need work, found by one regex search over them all joined.

Cleaning a column of codes or names cell by cell is a Python call per cell, while in real files
only a handful of cells hold a space, a full-width character or a lower-case letter. One search
over the joined column (in C) finds those cells; only they are cleaned one by one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

SEP = "\x00"  # joins the texts; no pattern used here matches it, and a text holding it is handled cell by cell


def lengths(texts: Sequence[str]) -> np.ndarray:
    return np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))


def matching(texts: Sequence[str], pattern: re.Pattern[str]) -> list[int] | None:
    """Positions of the texts in which `pattern` matches (it must never match `SEP`), in order;
    None when some text itself holds `SEP`, so that positions cannot be told apart."""
    joined = SEP.join(texts)
    if joined.count(SEP) != max(len(texts) - 1, 0):
        return None
    hits = [m.start() for m in pattern.finditer(joined)]
    if not hits:
        return []
    sizes = lengths(texts) + 1
    starts = np.cumsum(sizes) - sizes
    return np.unique(np.searchsorted(starts, hits, side="right") - 1).tolist()


def all_text(values: Sequence[object]) -> bool:
    return all(type(v) is str for v in values)
