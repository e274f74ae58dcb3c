"""The machine-readable result (`--json`, METHOD §5.1): plain JSON, canonical units, unrounded.

Records are made a block of firms at a time from whole columns (one `tolist` per column, no
per-cell pandas calls) and the file is written as it is encoded, with orjson: no whole-document
dict or string ever exists, so a 100k-firm result costs about what its own bytes cost.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from itertools import repeat
from pathlib import Path
from typing import IO, Any

import numpy as np
import orjson
import pandas as pd

from ..core.atomic import temp_path_for
from ..core.issues import InputError, Issue
from ..core.values import finite_or_none
from ..merge.tables import NAME_KEY_PREFIX
from ..method.indicators import INDICATOR_IDS
from ..pipeline.fingerprint import data_fingerprint
from ..pipeline.run import RunResult

RECORD_BLOCK = 10_000  # firms turned into records (and encoded) per block, so no single C call runs long
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
    t = result.table
    by_key = result.issues_by_key()
    for start in range(0, len(t), size):
        yield _Columns(result, t.iloc[start:start + size], by_key).records()


def _floats(col: pd.Series, keep: np.ndarray | None = None) -> list[float | None]:
    """Finite floats and None (for NaN, infinities, missing; and where `keep` is False)."""
    a = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    ok = np.isfinite(a) if keep is None else np.isfinite(a) & keep
    out: list[Any] = a.tolist()
    if not ok.all():
        for i in np.flatnonzero(~ok).tolist():
            out[i] = None
    return out


def _ints(col: pd.Series | None, n: int, keep: np.ndarray | None = None) -> list[int | None]:
    if col is None:
        return [None] * n
    a = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    ok = np.isfinite(a) if keep is None else np.isfinite(a) & keep
    out: list[Any] = np.where(ok, a, 0).astype(np.int64).tolist()
    if not ok.all():
        for i in np.flatnonzero(~ok).tolist():
            out[i] = None
    return out


def _strs(col: pd.Series | None, n: int, keep: np.ndarray | None = None, empty_is_none: bool = False,
          masks: dict[int, np.ndarray] | None = None) -> list[str | None]:
    """`str(v)`, or None for missing (and for "" when `empty_is_none`, and where `keep` is False).
    `masks` gets the list's null mask under its id (the encoder needs it again)."""
    if col is None:
        return [None] * n
    a = col.to_numpy(dtype=object, copy=True)
    missing = col.isna().to_numpy().copy()
    if keep is not None:
        missing |= ~keep
    if empty_is_none:
        missing |= a == ""
    if missing.all():
        return [None] * n
    a[missing] = None
    if pd.api.types.infer_dtype(a, skipna=True) != "string":
        out = [v if v is None or type(v) is str else str(v) for v in a.tolist()]
    else:
        out = a.tolist()
    if masks is not None:
        masks[id(out)] = missing
    return out


class _Columns:
    """One block's record fields as plain Python lists (None for JSON null), column by column."""

    def __init__(self, result: RunResult, t: pd.DataFrame, by_key: dict[str, list[Issue]]) -> None:
        n = self.n = len(t)
        pop_col = t["population"]
        evaluated = pop_col.notna().to_numpy()
        keys = [str(k) for k in t.index]
        self.masks: dict[int, np.ndarray] = {}
        codes = _strs(t["credit_code"], n)
        for i, k in enumerate(keys):
            if k.startswith(NAME_KEY_PREFIX):
                codes[i] = None
        self.masks[id(codes)] = np.fromiter((c is None for c in codes), dtype=bool, count=n)
        self.indicators = {i: _floats(t[f"v_{i}"]) for i in INDICATOR_IDS}
        # per population: (row positions in the block, {indicator id: scores}) in the scheme's order
        self.scores: dict[str, tuple[list[int], dict[str, list[float | None]]]] = {}
        for pid, pop in result.scheme.populations.items():
            rows = np.flatnonzero((pop_col == pid).to_numpy()).tolist()
            if rows and pop.indicators:
                sub = t.iloc[rows]
                self.scores[pid] = (rows, {r.id: _floats(sub[f"s_{r.id}"]) for r in pop.indicators})
        col = t.get
        self.head = {
            "credit_code": codes, "name": _strs(t["name"], n, masks=self.masks), "township": _strs(t["township"], n, masks=self.masks),
            "industry": _strs(t["industry"], n, masks=self.masks), "population": _strs(pop_col, n, masks=self.masks), "status": _strs(t["status"], n, masks=self.masks),
            "status_reason": _strs(t["status_reason"], n, empty_is_none=True, masks=self.masks),
        }
        self.tail = {
            "bonus": _floats(t["bonus"], evaluated), "total_score": _floats(t["total_score"], evaluated),
            "initial_tier": _strs(t["initial_tier"], n, evaluated, masks=self.masks), "tier": _strs(t["tier"], n, evaluated, masks=self.masks),
            "tier_reason": _strs(t["tier_reason"], n, evaluated, empty_is_none=True, masks=self.masks),
            "rank": _ints(t["rank"], n, evaluated), "township_rank": _ints(t["township_rank"], n, evaluated),
            "industry_rank": _ints(t["industry_rank"], n, evaluated),
            "prior_tier": _strs(col("prior_tier"), n, masks=self.masks),  # set by evaluator.pipeline.prior.attach_prior (--prior)
            "tier_change": _strs(col("tier_change"), n, masks=self.masks),
            "d_years": _ints(col("d_years"), n),
        }
        with_issues = [k for k in by_key if k in t.index] if len(by_key) < n else [k for k in keys if k in by_key]
        self.issues = {i: [it.line() for it in by_key[k]]  # by position; most firms have none
                       for i, k in zip(t.index.get_indexer(with_issues).tolist(), with_issues)}

    def records(self) -> list[dict[str, Any]]:
        indicators = [dict(zip(INDICATOR_IDS, vals)) for vals in zip(*self.indicators.values())]
        scores: list[dict[str, float | None]] = [{} for _ in range(self.n)]
        for rows, by_id in self.scores.values():
            for i, vals in zip(rows, zip(*by_id.values())):
                scores[i] = dict(zip(by_id, vals))
        issues = [self.issues.get(i, []) for i in range(self.n)]
        columns = (*self.head.values(), indicators, scores, *self.tail.values(), issues)
        return [dict(zip(RECORD_KEYS, values)) for values in zip(*columns)]

    def encoded(self) -> list[bytes]:
        """Each record as compact JSON, the same text orjson makes of `records()`.

        Every column is encoded in one orjson call and split into its values' tokens, then each
        record is one `%` of a template (per population, whose scores differ), far cheaper than a
        dict and an encoder call per firm. Fastest when each
        population's rows are contiguous (`_encode_block` orders them so).
        """
        n = self.n
        issues = [b"[]"] * n
        for i, lines in self.issues.items():
            issues[i] = orjson.dumps(lines)
        head = [_slot(k, v, self.masks.get(id(v))) for k, v in self.head.items()]
        tail = [_slot(k, v, self.masks.get(id(v))) for k, v in self.tail.items()] + [(b'"issues":%s', issues)]
        indicators = [(_key(i) + b":%s", _numbers(v)) for i, v in self.indicators.items()]
        out: list[bytes] = [b""] * n
        rest = np.ones(n, dtype=bool)
        for rows, by_id in self.scores.values():
            scores = [(_key(i) + b":%s", _numbers(v)) for i, v in by_id.items()]
            _fill(out, rows, head, indicators, tail, scores)
            rest[rows] = False
        if rest.any():
            _fill(out, np.flatnonzero(rest).tolist(), head, indicators, tail, [])
        return out


def _key(k: str) -> bytes:
    return orjson.dumps(k).replace(b"%", b"%%")


Slot = tuple[bytes, "list[bytes] | None"]  # a template piece and the tokens (one per firm) that fill it


def _fill(out: list[bytes], rows: list[int], head: list[Slot], indicators: list[Slot], tail: list[Slot],
          scores: list[Slot]) -> None:
    """Write the records of `rows` into `out`: one template, one `%` per firm. `scores` hold only
    those rows' tokens; the other columns are sliced when `rows` is a contiguous run."""
    pieces = [*head, (b'"indicators":{' + b",".join(s for s, _ in indicators) + b"}", None),
              (b'"scores":{' + b",".join(s for s, _ in scores) + b"}", None), *tail]
    template = b"{" + b",".join(s for s, _ in pieces) + b"}"
    a, b = rows[0], rows[-1] + 1
    if b - a == len(rows):
        pick: Any = lambda tok: tok[a:b]  # noqa: E731
    else:
        pick = lambda tok: [tok[i] for i in rows]  # noqa: E731
    columns = [pick(tok) for _, tok in (*head, *indicators) if tok is not None]
    columns += [tok for _, tok in scores]
    columns += [pick(tok) for _, tok in tail if tok is not None]
    records = [template % values for values in zip(*columns)] if columns else [template] * len(rows)
    if b - a == len(rows):
        out[a:b] = records
    else:
        for i, rec in zip(rows, records):
            out[i] = rec


def _slot(key: str, values: list[Any], missing: np.ndarray | None = None) -> Slot:
    """How one column goes into the record template: its slot and the tokens that fill it.
    `missing`: the null mask of a column of strings (`_strs` keeps it); None for numbers.

    Numbers and null hold no comma, so an encoded list of them splits on ",". A column of strings
    alone splits on '","', which JSON text can hold only between two strings (inside a string every
    quote is escaped), leaving the quotes to the slot. A column all null is a constant.
    """
    k = _key(key) + b":"
    if missing is None:  # numbers (and null): no mask was kept for them
        return k + b"%s", _numbers(values)
    if missing.all():
        return k + b"null", None
    strings = [v for v, m in zip(values, missing.tolist()) if not m] if missing.any() else values
    if type(strings[0]) is not str:
        return k + b"%s", _numbers(values)
    if len(strings) == len(values):
        return k + b'"%s"', orjson.dumps(strings)[2:-2].split(b'","')
    # orjson writes no raw NUL, so it marks the boundaries; each token keeps its quotes
    tokens = np.full(len(values), b"null", dtype=object)
    tokens[~missing] = orjson.dumps(strings)[1:-1].replace(b'","', b'"\0"').split(b"\0")
    return k + b"%s", tokens.tolist()


def _numbers(values: list[Any]) -> list[bytes]:
    return orjson.dumps(values, option=ENCODE)[1:-1].split(b",")


def _encode_block(result: RunResult, t: pd.DataFrame, by_key: dict[str, list[Issue]]) -> list[bytes]:
    """The block's records, encoded with each population's rows side by side, in table order."""
    pop = t["population"].to_numpy(dtype=object)
    group = np.full(len(t), len(result.scheme.populations), dtype=np.int64)
    for i, pid in enumerate(result.scheme.populations):
        group[pop == pid] = i
    order = np.argsort(group, kind="stable")
    if (order == np.arange(len(t))).all():
        return _Columns(result, t, by_key).encoded()
    encoded = _Columns(result, t.iloc[order], by_key).encoded()
    out = np.empty(len(t), dtype=object)
    out[order] = encoded
    return out.tolist()


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
    t = result.table
    by_key = result.issues_by_key()
    for start in range(0, len(t), RECORD_BLOCK):
        yield sep
        yield b",\n  ".join(_encode_block(result, t.iloc[start:start + RECORD_BLOCK], by_key))
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
    for piece in iter_json(result):
        out.write(piece)


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
