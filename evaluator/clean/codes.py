"""统一社会信用代码 (GB 32100-2015): normalisation and the check character, vectorised.

The code is the merge key across departments, so a wrong code silently splits one firm into two.
Every code is normalised the same way and checked before it is used.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..core import joined
from ..core.fields import FULLWIDTH_TABLE
from ..core.keys import factorize_objects

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28], dtype=np.int64)

# Characters that print as nothing: zero-width spaces and joiners, BOMs, soft hyphens, direction
# marks. Pasted from web pages or WeChat, they make a code "19 characters long" with the culprit
# invisible, so they are removed (with a notice) and shown as `\u200b` wherever a code is quoted.
INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def shown_invisible(text: str) -> str:
    """`91330…\\u200b…`: a code as quoted in a message, with every non-printing character made visible."""
    return "".join(ch if ch.isprintable() and not INVISIBLE.match(ch) else f"\\u{ord(ch):04x}" for ch in text)


_VALUE = np.full(256, -1, dtype=np.int64)
for _i, _c in enumerate(ALPHABET):
    _VALUE[ord(_c)] = _i
_ILLEGAL = 255
_BYTE_VALUE = bytes(v if v >= 0 else _ILLEGAL for v in _VALUE.tolist())  # for bytes.translate
_WEIGHTS_32 = WEIGHTS.astype(np.int32)


def fold_text(t: str) -> str:
    """Full-width → half-width (so `（）` → `()`), every space and invisible character removed: how
    codes and names compare."""
    return "".join(INVISIBLE.sub("", t).translate(FULLWIDTH_TABLE).split())


def _normalise_one(v: object) -> object:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return None
    t = v if isinstance(v, str) else str(v)
    if not (t.isascii() and t.isalnum()):  # rare: spaces, full-width characters
        t = fold_text(t)
    t = t.upper()
    return t or None


def normalise_codes(codes: pd.Series) -> pd.Series:
    """Trim, drop inner spaces, full-width to half-width, upper-case; missing stays missing (None).

    Plain Python per cell with a fast path: without pyarrow, pandas string methods are per-cell
    Python too, with more overhead.
    """
    idx, uniques = factorize_objects(codes.to_numpy(dtype=object))
    lookup = np.empty(len(uniques) + 1, dtype=object)
    lookup[:-1] = _normalise_texts(uniques)
    lookup[-1] = None  # index −1: missing
    return pd.Series(lookup[idx], index=codes.index, dtype=object)


_NOT_PLAIN = re.compile("[^0-9A-Za-z" + joined.SEP + "]")


def _normalise_texts(values: list) -> list:
    """`_normalise_one` of each value; codes already plain (ASCII letters and digits) are only
    upper-cased, all together, and the others are cleaned one by one."""
    return joined.clean_texts(values, _NOT_PLAIN, _normalise_one, str.upper)


def check_character(first17: str) -> str:
    """The 18th character GB 32100 requires after these 17 (legal characters only)."""
    total = sum(ALPHABET.index(c) * int(w) for c, w in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def code_problem(code: str) -> str:
    """Why a normalised code fails GB 32100, in the words of the data-check list."""
    if len(code) != 18:
        return f"长度为 {len(code)} 位（应为 18 位）"
    bad = [c for c in code if c not in ALPHABET]
    if bad:
        return f"含非法字符“{shown_invisible(''.join(dict.fromkeys(bad)))}”（代码不使用 I、O、S、V、Z）"
    return f"校验位错误（末位为“{code[17]}”，按前 17 位应为“{check_character(code[:17])}”）"


def valid_codes(codes: pd.Series) -> np.ndarray:
    """Boolean array: the normalised code has 18 legal characters and a correct check character."""
    texts = [c if type(c) is str else "" for c in codes.tolist()]
    n = len(texts)
    idx = np.flatnonzero(joined.lengths(texts) == 18)
    result = np.zeros(n, dtype=bool)
    if not len(idx):
        return result
    whole = "".join(texts) if len(idx) == n else "".join([t if len(t) == 18 else "" for t in texts])
    # one byte per character (any character beyond Latin-1 becomes "?", illegal like every
    # non-ASCII one), then each byte's value in the alphabet by one table translation
    raw = whole.encode("latin-1", "replace").translate(_BYTE_VALUE)
    vals = np.frombuffer(raw, dtype=np.uint8).reshape(len(idx), 18)
    legal = (vals != _ILLEGAL).all(axis=1)
    check = (31 - (vals[:, :17].astype(np.int32) @ _WEIGHTS_32) % 31) % 31
    result[idx] = legal & (check == vals[:, 17])
    return result


def is_valid_code(code: str) -> bool:
    """Scalar form of `valid_codes` for single values typed by a user."""
    return bool(valid_codes(pd.Series([code]))[0])
