"""The streamed `--json` writer: the same document the row-by-row encoder wrote, one firm a line."""

from __future__ import annotations

import copy
import io
import json
import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from evaluator.core.values import finite_or_none
from evaluator.merge.tables import NAME_KEY_PREFIX
from evaluator.method.indicators import INDICATOR_IDS
from evaluator.outputs import json_result
from evaluator.outputs.json_result import (
    to_json_dict,
    write_json,
    write_json_to,
)


def _old_str(v):
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    return str(v)


def _old_int(v):
    f = finite_or_none(v)
    return int(f) if f is not None else None


def old_document(result) -> dict:
    """The encoder before the streamed writer (row by row over `to_dict("records")`), kept as the
    reference the new one must equal."""
    t = result.table
    by_key = result.issues_by_key()
    pops = result.scheme.populations
    records = []
    for key, row in zip(t.index, t.to_dict("records")):
        pop = row["population"]
        ev = pop is not None
        scores = {r.id: finite_or_none(row[f"s_{r.id}"]) for r in pops[pop].indicators} if ev else {}
        records.append({
            "credit_code": None if str(key).startswith(NAME_KEY_PREFIX) else _old_str(row["credit_code"]),
            "name": _old_str(row["name"]), "township": _old_str(row["township"]), "industry": _old_str(row["industry"]),
            "population": pop, "status": row["status"], "status_reason": row["status_reason"] or None,
            "indicators": {i: finite_or_none(row[f"v_{i}"]) for i in INDICATOR_IDS}, "scores": scores,
            "bonus": finite_or_none(row["bonus"]) if ev else None,
            "total_score": finite_or_none(row["total_score"]) if ev else None,
            "initial_tier": row["initial_tier"] if ev else None, "tier": row["tier"] if ev else None,
            "tier_reason": (row["tier_reason"] or None) if ev else None,
            "rank": _old_int(row["rank"]) if ev else None,
            "township_rank": _old_int(row["township_rank"]) if ev else None,
            "industry_rank": _old_int(row["industry_rank"]) if ev else None,
            "prior_tier": _old_str(row.get("prior_tier")), "tier_change": _old_str(row.get("tier_change")),
            "d_years": _old_int(row.get("d_years")),
            "issues": [i.line() for i in by_key.get(str(key), [])],
        })
    s = result.scheme
    head = {k: v for k, v in to_json_dict(result).items() if k not in ("enterprises", "issues")}
    assert head["scheme"] == s.id and head["year"] == result.year
    return {**head, "enterprises": records, "issues": [i.to_json() for i in result.issues]}


def written(result) -> bytes:
    buf = io.BytesIO()
    write_json_to(result, buf)
    return buf.getvalue()


def old_text(result) -> str:
    return json.dumps(old_document(result), ensure_ascii=False, indent=1, allow_nan=False)


def test_sample_county_same_document_as_the_old_encoder(sample_result, tmp_path):
    out = tmp_path / "r.json"
    write_json(sample_result, out)
    data = out.read_bytes()
    assert json.loads(data) == json.loads(old_text(sample_result))
    assert to_json_dict(sample_result) == json.loads(old_text(sample_result))  # the dict path (project files)
    # layout: the scheme keys one per line, then one line per enterprise and per issue
    lines = data.decode("utf-8").split("\n")
    assert lines[:2] == ["{", ' "scheme": "reference",']
    n = len(sample_result.table)
    first = lines.index(' "enterprises": [')
    assert all(line.startswith('  {"credit_code":') for line in lines[first + 1:first + 1 + n])
    assert lines[first + 1 + n] == " ],"
    assert not list(tmp_path.glob(".*.tmp"))  # the temporary file took the target's place


@pytest.fixture()
def hostile(sample_result):
    """The sample county with names no JSON writer may split, non-finite values and partial columns."""
    t = sample_result.table.copy()
    names = ['甲","乙', "丙\\", '"丁"', "戊,\n己", "%s%d 庚", "辛\x00壬\x1f", "", "㐀𠀀 \u2028 end"]
    t.iloc[: len(names), t.columns.get_loc("name")] = names
    t.iloc[0, t.columns.get_loc("township")] = None
    t.iloc[1, t.columns.get_loc("township")] = float("nan")
    t.iloc[2, t.columns.get_loc("industry")] = 3311  # a number where text is expected: written as text
    t.iloc[3, t.columns.get_loc("v_tax_per_mu")] = math.inf
    t.iloc[4, t.columns.get_loc("v_va_per_mu")] = -math.inf
    t.iloc[5, t.columns.get_loc("v_va_per_mu")] = 1e-7
    t.iloc[6, t.columns.get_loc("v_va_per_mu")] = 1.2345678901234567e19
    t["prior_tier"] = [None, "A", "D"] + [None] * (len(t) - 3)
    t["tier_change"] = None
    t["d_years"] = pd.array([2, None] + [None] * (len(t) - 2), dtype="Int64")
    evaluation = replace(sample_result.evaluation, table=t)
    return replace(sample_result, evaluation=evaluation)


def test_hostile_values_read_back_as_the_old_encoder_wrote_them(hostile):
    new = json.loads(written(hostile))
    assert new == json.loads(old_text(hostile))
    firms = new["enterprises"]
    assert firms[0]["name"] == '甲","乙' and firms[1]["name"] == "丙\\" and firms[5]["name"] == "辛\x00壬\x1f"
    assert firms[0]["township"] is None and firms[1]["township"] is None and firms[2]["industry"] == "3311"
    assert firms[3]["indicators"]["tax_per_mu"] is None and firms[4]["indicators"]["va_per_mu"] is None
    assert firms[5]["indicators"]["va_per_mu"] == 1e-7
    assert [f["prior_tier"] for f in firms[:4]] == [None, "A", "D", None]
    assert [f["d_years"] for f in firms[:2]] == [2, None]


@pytest.mark.parametrize("block", [1, 3, 7])
def test_blocks_of_any_size_make_the_same_document(hostile, monkeypatch, block):
    whole = json.loads(written(hostile))
    monkeypatch.setattr(json_result, "RECORD_BLOCK", block)
    monkeypatch.setattr(json_result, "ENCODE_BLOCK", block)
    assert json.loads(written(hostile)) == whole


def test_no_firms_and_no_issues_is_still_json(sample_result):
    t = sample_result.table.iloc[:0]
    empty = replace(sample_result, evaluation=replace(sample_result.evaluation, table=t), issues=[])
    doc = json.loads(written(empty))
    assert doc["enterprises"] == [] and doc["issues"] == []
    assert doc["summary"] == copy.deepcopy(to_json_dict(sample_result)["summary"])
