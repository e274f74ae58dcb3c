"""Integer codes for columns of Python objects (codes, names, merge keys).

`pd.factorize` on an object column hashes every cell in one C call that holds the interpreter
lock for the whole column, during which the desktop app's window cannot repaint. A dict
filled in a comprehension costs about the same and lets other threads in between cells, so the
merge of a large county never freezes the window.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import numpy as np


def factorize_objects(values: Iterable[Hashable]) -> tuple[np.ndarray, list[Hashable]]:
    """(code per value, distinct values in order of first appearance); None gets code −1.

    Only None counts as missing: callers normalise pd.NA and NaN to None first, or treat them
    as ordinary values (each distinct NaN object is then its own value).
    """
    ids: dict[Hashable, int] = {None: -1}
    get = ids.setdefault
    codes = np.array([get(v, len(ids) - 1) for v in values], dtype=np.intp)
    uniques = list(ids)[1:]
    return codes, uniques
