"""The few texts of a column that need work, found by one regex search over them all joined.

Cleaning a column of codes or names cell by cell is a Python call per cell, while in real files
only a handful of cells hold a space, a full-width character or a lower-case letter. One search
over the joined column (in C) finds those cells; only they are cleaned one by one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

SEP = "\x00"  # joins the texts; no pattern used here matches it, and a text holding it is handled cell by cell


def lengths(texts: Sequence[str]) -> np.ndarray:
    return np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))


def all_text(values: Sequence[object]) -> bool:
    return all(type(v) is str for v in values)


class Joined:
    """A column of texts as one string: `SEP` before each text.

    The searches give candidates: exactly the texts they match, or every text when some text holds
    `SEP` itself (positions cannot then be told apart). Callers test each candidate in full."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = texts
        self.whole = SEP + SEP.join(texts)
        self.ok = self.whole.count(SEP) == len(texts)  # no text holds the separator itself
        self._starts: np.ndarray | None = None

    def _at(self, hits: list[int]) -> list[int]:
        if not self.ok:
            return list(range(len(self.texts)))
        if not hits:
            return []
        if self._starts is None:
            sizes = lengths(self.texts) + 1
            self._starts = np.cumsum(sizes) - sizes + 1  # where each text begins in `whole`
        return np.unique(np.searchsorted(self._starts, hits, side="right") - 1).tolist()

    def matching(self, pattern: re.Pattern[str]) -> list[int]:
        """The texts in which `pattern` (which must never match `SEP`) matches, in order."""
        return self._at([m.start() for m in pattern.finditer(self.whole)] if self.ok else [])

    def starting(self, chars: str) -> list[int]:
        """The texts whose first character is one of `chars`, in order."""
        first = re.compile(re.escape(SEP) + "[" + re.escape(chars) + "]")
        return self._at([m.start() + 1 for m in first.finditer(self.whole)] if self.ok else [])


def clean_texts(values: list[Any], needs: re.Pattern[str], one: Callable[[Any], Any],
                plain: Callable[[str], str] | None = None) -> list[Any]:
    """`[one(v) for v in values]`, with `one` called only on the empty texts and those `needs`
    matches; the others are kept as they are, or passed through `plain` all together (it must
    act on each character alone, as `str.upper` on ASCII does)."""
    if not all_text(values):
        return [one(v) for v in values]
    column = Joined(values)
    if not column.ok:
        return [one(v) for v in values]
    out = (plain(column.whole) if plain else column.whole)[1:].split(SEP)
    for i in column.matching(needs):
        out[i] = one(values[i])
    for i in np.flatnonzero(lengths(values) == 0).tolist():
        out[i] = one(values[i])
    return out
