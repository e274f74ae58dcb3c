"""The machine-readable result (`--json`, METHOD §5.1): plain JSON, canonical units, unrounded.

Every column is taken from the table once, as an array; a block of firms at a time is encoded
from slices of them with orjson (no per-cell pandas calls, no dict per firm), and the file is
written as it is encoded, on a writer thread: no whole-document dict or string ever exists, so a
100k-firm result costs about what its own bytes cost.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import IO, Any

import numpy as np
import orjson
import pandas as pd

from ..core.atomic import temp_path_for
from ..core.issues import InputError
from ..core.streams import write_pieces
from ..core.values import finite_or_none
from ..merge.tables import NAME_KEY_PREFIX
from ..method.indicators import INDICATOR_IDS
from ..pipeline.fingerprint import data_fingerprint
from ..pipeline.run import RunResult

RECORD_BLOCK = 10_000  # record dicts (the project file) and issues made per block, so no single C call runs long
# Firms encoded per block. A block's tokens (some forty small bytes objects a firm) are freed
# before the next block is made, so a small block reuses the same memory again and again;
# 10,000 firms' worth would be returned to the system after every block and faulted back in.
ENCODE_BLOCK = 2_000
ENCODE = orjson.OPT_SERIALIZE_NUMPY  # NaN and infinities become null, as `finite_or_none` makes them


def enterprise_records(result: RunResult) -> list[dict[str, Any]]:
    return list(iter_enterprise_records(result))


def iter_enterprise_records(result: RunResult) -> Iterator[dict[str, Any]]:
    """The `enterprises` records, made a block of firms at a time.

    A saved project streams them into the file, so the records of a whole county never exist at
    once: built all together, every cycle collection would walk them holding the interpreter lock.
    """
    for block in iter_record_blocks(result):
        yield from block


def iter_record_blocks(result: RunResult, size: int = RECORD_BLOCK) -> Iterator[list[dict[str, Any]]]:
    table = _Table(result)
    for start in range(0, table.n, size):
        yield table.records(start, min(start + size, table.n))


def _key(k: str) -> bytes:
    return orjson.dumps(k).replace(b"%", b"%%")


Slot = tuple[bytes, "list[bytes] | None"]  # a template piece and the tokens (one per firm) that fill it
Selection = "slice | np.ndarray"  # firms of the table: a run of rows, or row positions


@dataclass(frozen=True)
class _Text:
    """A text column: values as an object array (None where missing) and the missing mask."""

    values: np.ndarray
    missing: np.ndarray

    def slot(self, key: bytes, sel: Selection) -> Slot:
        """A column of strings splits on '","', which JSON text can hold only between two strings
        (inside a string every quote is escaped), leaving the quotes to the slot."""
        missing = self.missing[sel]
        if missing.all():
            return key + b"null", None
        if not missing.any():
            return key + b'"%s"', orjson.dumps(self.values[sel].tolist())[2:-2].split(b'","')
        # orjson writes no raw NUL, so it marks the boundaries; each token keeps its quotes
        tokens = np.full(len(missing), b"null", dtype=object)
        tokens[~missing] = orjson.dumps(self.values[sel][~missing].tolist())[1:-1].replace(b'","', b'"\0"').split(b"\0")
        return key + b"%s", tokens.tolist()

    def values_at(self, sel: Selection) -> list[str | None]:
        return self.values[sel].tolist()


@dataclass(frozen=True)
class _Float:
    """A number column as float64, NaN where JSON has null (orjson writes non-finite values so)."""

    values: np.ndarray

    def slot(self, key: bytes, sel: Selection) -> Slot:
        return key + b"%s", _numbers(np.ascontiguousarray(self.values[sel]))

    def values_at(self, sel: Selection) -> list[float | None]:
        a = self.values[sel]
        return _with_nulls(a.tolist(), ~np.isfinite(a))


@dataclass(frozen=True)
class _Int:
    """An integer column (ranks, years) as int64, with its missing mask."""

    values: np.ndarray
    missing: np.ndarray

    def slot(self, key: bytes, sel: Selection) -> Slot:
        missing = self.missing[sel]
        if missing.all():
            return key + b"null", None
        tokens = _numbers(np.ascontiguousarray(self.values[sel]))
        if missing.any():
            marked = np.array(tokens, dtype=object)
            marked[missing] = b"null"
            tokens = marked.tolist()
        return key + b"%s", tokens

    def values_at(self, sel: Selection) -> list[int | None]:
        return _with_nulls(self.values[sel].tolist(), self.missing[sel])


def _with_nulls(values: list[Any], missing: np.ndarray) -> list[Any]:
    for i in np.flatnonzero(missing).tolist():
        values[i] = None
    return values


def _numbers(values: np.ndarray) -> list[bytes]:
    """Numbers (and null) hold no comma, so an encoded array of them splits on ","."""
    return orjson.dumps(values, option=ENCODE)[1:-1].split(b",")


def _text_column(col: pd.Series | None, n: int, keep: np.ndarray | None = None, empty_is_none: bool = False) -> _Text:
    """`str(v)`, or None for missing (and for "" when `empty_is_none`, and where `keep` is False)."""
    if col is None:
        return _Text(np.full(n, None, dtype=object), np.ones(n, dtype=bool))
    a = col.to_numpy(dtype=object, copy=True)
    missing = col.isna().to_numpy().copy()
    if keep is not None:
        missing |= ~keep
    if empty_is_none:
        missing |= a == ""
    a[missing] = None
    if not missing.all() and pd.api.types.infer_dtype(a, skipna=True) != "string":
        a[:] = [v if v is None or type(v) is str else str(v) for v in a.tolist()]
    return _Text(a, missing)


def _float_column(col: pd.Series, keep: np.ndarray | None = None) -> _Float:
    a = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return _Float(a if keep is None else np.where(keep, a, np.nan))


def _int_column(col: pd.Series | None, n: int, keep: np.ndarray | None = None) -> _Int:
    if col is None:
        return _Int(np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool))
    a = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    ok = np.isfinite(a) if keep is None else np.isfinite(a) & keep
    return _Int(np.where(ok, a, 0).astype(np.int64), ~ok)


class _Table:
    """The `enterprises` of one result: as record dicts (`records`, for the project file) or as
    compact JSON lines (`block`), the same text orjson makes of those dicts.

    Every column is taken from the table once, as an array; a block of firms is then encoded a
    column at a time (one orjson call each, split into its values' tokens) and each record is one
    `%` of a template, far cheaper than a dict and an encoder call per firm. A template holds one
    population's scores, so a block is encoded a population at a time.
    """

    def __init__(self, result: RunResult) -> None:
        t = result.table
        n = self.n = len(t)
        pop_col = t["population"]
        evaluated = pop_col.notna().to_numpy()
        index = t.index.to_numpy(dtype=object)
        name_keys = np.fromiter((str(k).startswith(NAME_KEY_PREFIX) for k in index), dtype=bool, count=n)
        col = t.get
        head: dict[str, Any] = {
            "credit_code": _text_column(t["credit_code"], n, ~name_keys), "name": _text_column(t["name"], n),
            "township": _text_column(t["township"], n), "industry": _text_column(t["industry"], n),
            "population": _text_column(pop_col, n), "status": _text_column(t["status"], n),
            "status_reason": _text_column(t["status_reason"], n, empty_is_none=True),
        }
        tail: dict[str, Any] = {
            "bonus": _float_column(t["bonus"], evaluated), "total_score": _float_column(t["total_score"], evaluated),
            "initial_tier": _text_column(t["initial_tier"], n, evaluated), "tier": _text_column(t["tier"], n, evaluated),
            "tier_reason": _text_column(t["tier_reason"], n, evaluated, empty_is_none=True),
            "rank": _int_column(t["rank"], n, evaluated), "township_rank": _int_column(t["township_rank"], n, evaluated),
            "industry_rank": _int_column(t["industry_rank"], n, evaluated),
            "prior_tier": _text_column(col("prior_tier"), n),  # set by evaluator.pipeline.prior.attach_prior (--prior)
            "tier_change": _text_column(col("tier_change"), n),
            "d_years": _int_column(col("d_years"), n),
        }
        self.head = list(head.items())
        self.tail = list(tail.items())
        self.indicators = [(i, _float_column(t[f"v_{i}"])) for i in INDICATOR_IDS]
        # each firm's population by its position in the scheme (the last group: not evaluated)
        pops = result.scheme.populations
        self.group = np.full(n, len(pops), dtype=np.int64)
        self.scores: list[list[tuple[str, _Float]]] = []
        pop_values = pop_col.to_numpy(dtype=object)
        for g, (pid, pop) in enumerate(pops.items()):
            self.group[pop_values == pid] = g
            self.scores.append([(r.id, _float_column(t[f"s_{r.id}"])) for r in pop.indicators])
        self.scores.append([])
        by_key = result.issues_by_key()
        with_issues = [k for k in by_key if k in t.index] if len(by_key) < n else [k for k in index if k in by_key]
        self.issue_lines = {i: [it.line() for it in by_key[k]]  # by position; most firms have none
                            for i, k in zip(t.index.get_indexer(with_issues).tolist(), with_issues)}
        self.issues = np.full(n, b"[]", dtype=object)
        for i, lines in self.issue_lines.items():
            self.issues[i] = orjson.dumps(lines)

    def records(self, a: int, b: int) -> list[dict[str, Any]]:
        """The record dicts of firms a..b-1 (None for JSON null)."""
        sel = slice(a, b)
        head = [c.values_at(sel) for _, c in self.head]
        tail = [c.values_at(sel) for _, c in self.tail]
        indicators = [dict(zip(INDICATOR_IDS, row)) for row in zip(*(c.values_at(sel) for _, c in self.indicators))]
        scores: list[dict[str, float | None]] = [{} for _ in range(b - a)]
        groups = self.group[sel]
        for g, columns in enumerate(self.scores):
            rows = np.flatnonzero(groups == g)
            if len(rows) and columns:
                ids = [i for i, _ in columns]
                for i, row in zip(rows.tolist(), zip(*(c.values_at(rows + a) for _, c in columns))):
                    scores[i] = dict(zip(ids, row))
        issues = [self.issue_lines.get(i, []) for i in range(a, b)]
        return [dict(zip(RECORD_KEYS, row)) for row in zip(*head, indicators, scores, *tail, issues)]

    def block(self, a: int, b: int) -> list[bytes]:
        """The records of firms a..b-1, in table order."""
        groups = self.group[a:b]
        present = np.unique(groups).tolist()
        if len(present) == 1:
            return self._records(slice(a, b), present[0])
        out: list[bytes] = [b""] * (b - a)
        for g in present:
            rows = np.flatnonzero(groups == g)
            for i, rec in zip(rows.tolist(), self._records(rows + a, g)):
                out[i] = rec
        return out

    def _records(self, sel: Selection, group: int) -> list[bytes]:
        def slots(columns: list[tuple[str, Any]]) -> list[Slot]:
            return [c.slot(_key(k) + b":", sel) for k, c in columns]

        head, indicators, scores, tail = slots(self.head), slots(self.indicators), slots(self.scores[group]), slots(self.tail)
        tail.append((b'"issues":%s', self.issues[sel].tolist()))
        pieces = [*head, (b'"indicators":{' + b",".join(s for s, _ in indicators) + b"}", None),
                  (b'"scores":{' + b",".join(s for s, _ in scores) + b"}", None), *tail]
        template = b"{" + b",".join(s for s, _ in pieces) + b"}"
        columns = [tok for _, tok in (*head, *indicators, *scores, *tail) if tok is not None]
        return [template % values for values in zip(*columns)]


RECORD_KEYS = ("credit_code", "name", "township", "industry", "population", "status", "status_reason",
               "indicators", "scores", "bonus", "total_score", "initial_tier", "tier", "tier_reason",
               "rank", "township_rank", "industry_rank", "prior_tier", "tier_change", "d_years", "issues")


def _head(result: RunResult) -> dict[str, Any]:
    s = result.scheme
    return {
        "scheme": s.id,
        "scheme_name": s.name,
        "scheme_version": s.version,
        "scheme_fingerprint": s.fingerprint,
        "year": result.year,
        "data_fingerprint": data_fingerprint(result),
        "summary": _clean(result.evaluation.summary),
    }


def to_json_dict(result: RunResult, lazy: bool = False) -> dict[str, Any]:
    """The `--json` document. `lazy`: `enterprises` and `issues` are iterators, made as they are
    consumed once (by `jsonblocks.dumps` when a project is saved)."""
    enterprises: Any = iter_enterprise_records(result) if lazy else enterprise_records(result)
    issues: Any = (i.to_json() for i in result.issues) if lazy else [i.to_json() for i in result.issues]
    return {**_head(result), "enterprises": enterprises, "issues": issues}


def _clean(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return finite_or_none(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def iter_json(result: RunResult) -> Iterator[bytes]:
    """The `--json` document as UTF-8 pieces: the scheme and summary keys one per line, then one
    line per enterprise and per issue. Parsed, it equals `to_json_dict(result)`."""
    head = _head(result)
    yield b"{\n"
    for k, v in head.items():
        yield b" " + orjson.dumps(k) + b": " + orjson.dumps(v, option=ENCODE) + b",\n"
    yield b' "enterprises": ['
    sep = b"\n  "
    table = _Table(result)
    for start in range(0, table.n, ENCODE_BLOCK):
        yield sep
        yield b",\n  ".join(table.block(start, min(start + ENCODE_BLOCK, table.n)))
        sep = b",\n  "
    yield b"\n ],\n" if len(result.table) else b"],\n"
    yield b' "issues": ['
    issues = result.issues
    sep = b"\n  "
    for start in range(0, len(issues), RECORD_BLOCK):
        block = [i.to_json() for i in issues[start:start + RECORD_BLOCK]]
        yield sep + b",\n  ".join(map(orjson.dumps, block, repeat(None), repeat(ENCODE)))
        sep = b",\n  "
    yield b"\n ]\n}\n" if issues else b"]\n}\n"


def write_json_to(result: RunResult, out: IO[bytes]) -> None:
    write_pieces(out, iter_json(result))


def write_json(result: RunResult, path: str | Path) -> None:
    """Write the `--json` document as it is encoded; the file appears whole or not at all.
    An unwritable path is an `InputError` naming it.

    Renamed into place without an fsync (unlike the project file): the result is derived data,
    written again by running again, so it is not worth the wait of flushing it to disk."""
    p = Path(path)
    tmp = temp_path_for(p)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as f:
            write_json_to(result, f)
        os.replace(tmp, p)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"无法写出 {path}（{exc.strerror or exc}）") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
