"""End to end on the demo county: every firm the generator wrote is found with the right numbers."""

from __future__ import annotations

import json
import math

import pytest

from evaluator.core.issues import ISSUE_CODES
from evaluator.merge.tables import NAME_KEY_PREFIX
from evaluator.outputs.json_result import to_json_dict


def test_every_enterprise_appears_with_a_status(sample_result, expected):
    t = sample_result.table
    assert len(t) == len(expected["enterprises"]) == 303
    for key in expected["enterprises"]:
        k = key if not key.startswith("name:") else NAME_KEY_PREFIX + key[5:]
        assert k in t.index, key


def test_inputs_match_ground_truth(sample_result, expected):
    t = sample_result.table
    for key, e in expected["enterprises"].items():
        if key.startswith("name:"):
            continue
        row = t.loc[key]
        for f in ("tax", "electricity", "value_added", "revenue", "energy", "employees"):
            want = e.get(f)
            got = row[f]
            if want is None:
                assert got != got, (key, f)  # NaN
            else:
                assert got == pytest.approx(want, rel=1e-9, abs=1e-6), (key, f)
        if e.get("land") is not None:
            assert row["land"] == pytest.approx(e["land"], rel=1e-9, abs=1e-6), key
        else:
            assert not (row["land"] > 0), key  # missing or unusable (negative) land


def test_status_counts_and_aggregates_as_designed(sample_result, expected):
    s = sample_result.evaluation.summary
    for pid in ("above", "below"):
        for st, n in expected["designed_counts"][pid].items():
            if st != "total":
                got = s[pid][st] - (expected["designed_counts"]["unknown"].get(st, 0) if pid == "below" else 0)
                assert got == n, (pid, st)
        for ind, v in expected["designed_aggregates"][pid].items():
            assert s[pid]["aggregates"][ind] == pytest.approx(v, rel=1e-12)
            if ind in s[pid]["benchmarks"]:
                assert s[pid]["benchmarks"][ind] == pytest.approx(v, rel=1e-12)


def test_injected_problems_are_reported_where_they_are(sample_result, expected):
    kinds = {"code_bad_check": "校验位", "formula_no_cached_value": "公式", "error_text": "#DIV/0!",
             "unmatched_name": "未能按企业名称匹配", "cross_file_conflict": "不一致", "zero_value": "为 0",
             "number_fullwidth": "全角", "total_row": "合计/小计", "subtotal_row": "合计/小计", "note_row": "表注"}
    by_place = {}
    for i in sample_result.issues:
        by_place.setdefault((i.file, i.row), []).append(i.message)
    for p in expected["problems"]:
        if p["kind"] not in kinds:
            continue
        msgs = by_place.get((p["file"], p["row"]), [])
        if p["kind"] == "cross_file_conflict":  # placed on the first file's row; the later file's row is named
            msgs = [i.message for i in sample_result.issues
                    if f"{p['file']} / " in i.message and f"第 {p['row']} 行" in i.message]
        assert any(kinds[p["kind"]] in m for m in msgs), (p, msgs)


def test_veto_and_protection_on_the_sample(sample_result):
    t = sample_result.table
    vetoed = t[(t["safety_accident"] == 1) & (t["population"].notna())]
    assert len(vetoed) and (vetoed["tier"].isin(["C", "D"])).all()
    assert (vetoed["initial_tier"] == "A").any()  # the generator placed one accident firm at rank 2
    protected = t[(t["newly_above"] == 1) & (t["population"].notna())]
    assert len(protected) and not (protected["tier"] == "D").any()


def test_json_has_the_method_shape(sample_result):
    d = json.loads(json.dumps(to_json_dict(sample_result), allow_nan=False))
    assert d["scheme"] == "reference" and d["year"] == 2025
    assert set(d["summary"]) == {"above", "below"}
    for k in ("evaluated", "tiers", "benchmarks", "aggregates"):
        assert k in d["summary"]["above"]
    keys = {"credit_code", "name", "population", "status", "indicators", "scores", "bonus", "total_score",
            "initial_tier", "tier", "rank", "township_rank", "industry_rank", "issues"}
    for e in d["enterprises"]:
        assert keys <= set(e)
        if e["status"] != "evaluated":
            assert e["population"] is None and e["total_score"] is None and e["tier"] is None and e["rank"] is None
        else:
            assert e["population"] in ("above", "below") and e["tier"] in "ABCD" and e["rank"] >= 1
            assert math.isclose(sum(e["scores"].values()) + e["bonus"], e["total_score"], abs_tol=0.005 + 1e-9)
    for i in d["issues"]:
        assert set(i) == {"level", "file", "sheet", "row", "column", "message", "code"}
        assert i["level"] in ("error", "warning", "info")
        assert i["code"] in ISSUE_CODES, i  # every finding has a stable code
