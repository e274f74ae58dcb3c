"""The shipped county templates: each does what its source note says, on hand-computed firms, and
each runs on the demo county (淮安's only with last year's result attached)."""

from __future__ import annotations

import json

import pytest

from evaluator.app.cli import main
from evaluator.method.evaluate import evaluate
from evaluator.method.scheme import (
    copy_for_year,
    list_schemes,
    load_scheme,
    parse_scheme,
)
from evaluator.pipeline.run import run

from .conftest import SAMPLE_FILES
from .helpers import code, firms

K = [code(f"9133100300000{i:04d}") for i in range(10)]


def firm(i, **kw):
    return {"credit_code": K[i], "name": f"企业{i}", "township": "城关镇", "industry": "3311", **kw}


def test_huangyan_2021_a_firm_at_every_benchmark_scores_100():
    hy = load_scheme("huangyan-2021")
    # Land 10 亩: tax 260.1 → 26.01/亩; VA 1322.7 → 132.27/亩; energy VA/2.54; emissions VA/4861.08;
    # employees VA/17.45; R&D 3.05 % of revenue 1000 = 30.5. 规下: tax 16.601058 × 10, kWh tax/0.236565.
    above = firm(0, above_scale=1, land=10, tax=260.1, value_added=1322.7, revenue=1000, energy=1322.7 / 2.54,
                 emissions=1322.7 / 4861.08, employees=1322.7 / 17.45, rd_expense=30.5)
    below = firm(1, above_scale=0, land=10, tax=166.01058, electricity=166.01058 / 0.236565)
    r = evaluate(firms([above, below]), hy, 2025).table
    assert r["total_score"].tolist() == [100, 100]


def test_jingde_minmax_lowest_gets_a_fifth_of_the_weight():
    jd = load_scheme("jingde-2022")
    rows = [firm(i, above_scale=0, land=10, tax=t, electricity=10) for i, t in enumerate([10, 20, 50])]
    r = evaluate(firms(rows), jd, 2025).table
    # 亩均税收 1, 2, 5 → 60 × (0.2 + 0.8 × (v − 1)/4): 12, 24, 60; tax/kWh 1, 2, 5 → 40 × …: 8, 16, 40.
    assert r["total_score"].tolist() == pytest.approx([20, 40, 100])


def test_wenling_groups_and_a_five_percent_a_share_for_below():
    wl = load_scheme("wenling-2022")
    below = wl.populations["below"].tiers
    assert below.shares == (0.05, 0.60, 0.95) and below.grouping is not None and len(below.grouping.groups) == 5
    assert wl.populations["above"].tenant_penalty.first == 0 and wl.populations["below"].tenant_penalty.first == 10
    assert [r.id for r in wl.populations["below"].indicators] == ["tax_per_mu", "revenue_per_mu", "revenue_per_kwh"]


def test_every_template_states_what_it_assumes_and_how_it_rounds():
    for s in list_schemes():
        assert s.source and s.description and not s.warnings, s.id
        assert "舍入" in s.text, s.id


@pytest.mark.parametrize("sid", [s.id for s in list_schemes() if not s.uses_prior])
def test_every_template_runs_on_the_demo_county(sid):
    r = run(SAMPLE_FILES, load_scheme(sid), 2025)
    assert r.table["population"].notna().sum() > 100


def test_huaian_takes_twice_last_years_mean_from_the_attached_result(tmp_path, capsys):
    last = tmp_path / "2024.json"
    assert main(["evaluate", *map(str, SAMPLE_FILES), "--year", "2024", "--json", str(last), "--issues", "none"]) == 0
    prior_mean = json.loads(last.read_text(encoding="utf-8"))["summary"]["above"]["means"]["tax_per_mu"]
    out = tmp_path / "2025.json"
    rc = main(["evaluate", *map(str, SAMPLE_FILES), "--scheme", "huaian-2024", "--year", "2025", "--prior", str(last),
               "--json", str(out), "--issues", "none"])
    assert rc == 0
    d = json.loads(out.read_text(encoding="utf-8"))
    assert d["summary"]["above"]["benchmarks"]["tax_per_mu"] == pytest.approx(2 * prior_mean)
    capsys.readouterr()
    rc = main(["evaluate", *map(str, SAMPLE_FILES), "--scheme", "huaian-2024", "--year", "2025", "--issues", "none"])
    err = capsys.readouterr().err
    assert rc == 2 and "需要附上上年度评价结果" in err and "Traceback" not in err


def test_copy_to_a_new_year_keeps_everything_and_moves_id_year_version(tmp_path, capsys):
    old = load_scheme("huangyan-2021")
    new = parse_scheme(copy_for_year(old.text, 2022))
    assert (new.id, new.year, new.version) == ("huangyan-2022", 2022, "2022.1")
    assert new.populations == old.populations and new.rounding == old.rounding and new.name == old.name
    out = tmp_path / "next.toml"
    assert main(["schemes", "--copy", "wenling-2022", "--year", "2023", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert 'id = "wenling-2023"' in text and "year = 2023" in text and "# 用地 = 自有 + 租入 − 租出" in text
    assert main(["schemes", "--copy", "wenling-2022", "--year", "2023", "--out", str(out)]) == 2  # never overwrites


def test_json_total_score_follows_the_schemes_rounding(sample_result):
    from evaluator.outputs.json_result import to_json_dict

    ref = [e["total_score"] for e in to_json_dict(sample_result)["enterprises"] if e["total_score"] is not None]
    assert any(round(x, 2) != x for x in ref)  # reference (METHOD §4): not rounded
    hy = run(SAMPLE_FILES, load_scheme("huangyan-2022"), 2025)
    totals = [e["total_score"] for e in to_json_dict(hy)["enterprises"] if e["total_score"] is not None]
    assert totals and all(round(x, 2) == x for x in totals)  # total_decimals = 2
