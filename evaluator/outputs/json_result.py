"""The machine-readable result (`--json`, METHOD §5.1): plain JSON, canonical units, unrounded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.atomic import write_bytes_atomic
from ..core.issues import InputError, Issue
from ..core.values import finite_or_none
from ..merge.tables import NAME_KEY_PREFIX
from ..method.indicators import INDICATOR_IDS
from ..pipeline.fingerprint import data_fingerprint
from ..pipeline.run import RunResult


def _int(v: Any) -> int | None:
    f = finite_or_none(v)
    return int(f) if f is not None else None


def _str(v: Any) -> str | None:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    return str(v)


RECORD_BLOCK = 2000  # firms turned into records per pandas call


def enterprise_records(result: RunResult) -> list[dict[str, Any]]:
    return list(iter_enterprise_records(result))


def iter_enterprise_records(result: RunResult) -> Iterator[dict[str, Any]]:
    """The `enterprises` records, made a block of firms at a time.

    A saved project streams them into the file, so at no time do 100k records exist at once:
    built all together, they made each cycle collection walk them (0.1–0.2 s holding the lock).
    """
    t = result.table
    by_key = result.issues_by_key()
    for start in range(0, len(t), RECORD_BLOCK):
        block = t.iloc[start:start + RECORD_BLOCK]
        yield from _records(result, block, by_key)


def _records(result: RunResult, t: pd.DataFrame, by_key: dict[str, list[Issue]]) -> Iterator[dict[str, Any]]:
    pops = result.scheme.populations
    for key, row in zip(t.index, t.to_dict("records")):
        pop = row["population"]
        evaluated = pop is not None
        scores: dict[str, float | None] = {}
        if evaluated:
            scores = {r.id: finite_or_none(row[f"s_{r.id}"]) for r in pops[pop].indicators}
        code = None if str(key).startswith(NAME_KEY_PREFIX) else _str(row["credit_code"])
        yield {
            "credit_code": code,
            "name": _str(row["name"]),
            "township": _str(row["township"]),
            "industry": _str(row["industry"]),
            "population": pop,
            "status": row["status"],
            "status_reason": row["status_reason"] or None,
            "indicators": {i: finite_or_none(row[f"v_{i}"]) for i in INDICATOR_IDS},
            "scores": scores,
            "bonus": finite_or_none(row["bonus"]) if evaluated else None,
            "total_score": finite_or_none(row["total_score"]) if evaluated else None,
            "initial_tier": row["initial_tier"] if evaluated else None,
            "tier": row["tier"] if evaluated else None,
            "tier_reason": (row["tier_reason"] or None) if evaluated else None,
            "rank": _int(row["rank"]) if evaluated else None,
            "township_rank": _int(row["township_rank"]) if evaluated else None,
            "industry_rank": _int(row["industry_rank"]) if evaluated else None,
            "prior_tier": _str(row.get("prior_tier")),  # set by evaluator.pipeline.prior.attach_prior (--prior)
            "tier_change": _str(row.get("tier_change")),
            "d_years": _int(row.get("d_years")),
            "issues": [i.line() for i in by_key.get(str(key), [])],
        }


def to_json_dict(result: RunResult, lazy: bool = False) -> dict[str, Any]:
    """The `--json` document. `lazy`: `enterprises` and `issues` are iterators, made as they are
    consumed once (by `jsonblocks.dumps` when a project is saved)."""
    s = result.scheme
    enterprises: Any = iter_enterprise_records(result) if lazy else enterprise_records(result)
    issues: Any = (i.to_json() for i in result.issues) if lazy else [i.to_json() for i in result.issues]
    return {
        "scheme": s.id,
        "scheme_name": s.name,
        "scheme_version": s.version,
        "scheme_fingerprint": s.fingerprint,
        "year": result.year,
        "data_fingerprint": data_fingerprint(result),
        "summary": _clean(result.evaluation.summary),
        "enterprises": enterprises,
        "issues": issues,
    }


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


def write_json(result: RunResult, path: str | Path) -> None:
    """Write the `--json` document; an unwritable path is an `InputError` naming it."""
    text = json.dumps(to_json_dict(result), ensure_ascii=False, indent=1, allow_nan=False)
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(p, text.encode("utf-8"))  # a full disk never truncates the previous result
    except OSError as exc:
        raise InputError(f"无法写出 {path}（{exc.strerror or exc}）") from exc
