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


def all_text(values: Sequence[object]) -> bool:
    return all(type(v) is str for v in values)


class Joined:
    """A column of texts as one string: `SEP` before each text."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = texts
        self.whole = SEP + SEP.join(texts)
        self.ok = self.whole.count(SEP) == len(texts)  # no text holds the separator itself
        self._starts: np.ndarray | None = None

    def _at(self, hits: list[int]) -> list[int]:
        if self._starts is None:
            sizes = lengths(self.texts) + 1
            self._starts = np.cumsum(sizes) - sizes + 1  # where each text begins in `whole`
        return np.unique(np.searchsorted(self._starts, hits, side="right") - 1).tolist()

    def matching(self, pattern: re.Pattern[str]) -> list[int] | None:
        """Positions of the texts in which `pattern` (which must never match `SEP`) matches, in
        order; None when some text holds `SEP`, so that positions cannot be told apart."""
        if not self.ok:
            return None
        hits = [m.start() for m in pattern.finditer(self.whole)]
        return self._at(hits) if hits else []

    def starting(self, chars: str) -> list[int] | None:
        """Positions of the texts whose first character is one of `chars`; None as for `matching`."""
        if not self.ok:
            return None
        first = re.compile(re.escape(SEP) + "[" + re.escape(chars) + "]")
        hits = [m.start() + 1 for m in first.finditer(self.whole)]
        return self._at(hits) if hits else []


def matching(texts: Sequence[str], pattern: re.Pattern[str]) -> list[int] | None:
    """`Joined(texts).matching(pattern)`, for one search."""
    return Joined(texts).matching(pattern)
