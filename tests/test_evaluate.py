"""The reference scheme (METHOD §4) on small examples worked out by hand in the comments."""

from __future__ import annotations

import math

import numpy as np
import pytest

from evaluator.method.evaluate import TierOverride, evaluate, round_half_up
from evaluator.method.scheme import load_scheme, parse_scheme

from .helpers import code, firms

REF = load_scheme("reference")
K = [code(f"9133038100000{i:04d}") for i in range(40)]


def above(i, **kw):
    return {"credit_code": K[i], "name": f"企业{i}", "above_scale": 1, "township": "城关镇", "industry": "3311", **kw}


def below(i, **kw):
    return {"credit_code": K[i], "name": f"企业{i}", "above_scale": 0, "township": "城关镇", "industry": "3311", **kw}


def test_reference_above_population_by_hand():
    t = firms([
        above(1, land=10, tax=30, value_added=200, revenue=1000, electricity=50, energy=100, employees=20, rd_expense=30,
              high_tech=1, specialized=1, smart_factory=1, champion=1),
        above(2, land=20, tax=20, value_added=100, revenue=500, electricity=40, energy=None, employees=10, rd_expense=5),
        above(3, land=10, tax=10, value_added=300, revenue=1500, electricity=10, energy=50, employees=30, rd_expense=0),
    ])
    r = evaluate(t, REF, 2025).table
    # Benchmarks Σ/Σ: tax 60/40 = 1.5; va 600/40 = 15; va/energy over F1, F3 only 500/150; tax/kWh 60/100 = 0.6;
    # productivity 600/60 = 10; R&D 35/3000×100 = 1.1667 %.
    assert r["b_tax_per_mu"].tolist() == pytest.approx([1.5] * 3)
    assert r["b_va_per_energy"].iloc[0] == pytest.approx(500 / 150)
    assert r["b_rd_intensity"].iloc[0] == pytest.approx(35 / 3000 * 100)
    # tax_per_mu: F1 3.0/1.5 = 2 → 30×2 = 60 (at the cap); F2, F3 1/1.5 → 20.
    assert r["s_tax_per_mu"].tolist() == pytest.approx([60, 20, 20])
    # va_per_mu: 20/15×20 = 26.667; 5/15×20 = 6.667; 30/15 = 2 → 40.
    assert r["s_va_per_mu"].tolist() == pytest.approx([80 / 3, 20 / 3, 40])
    # va_per_energy: F1 2/(10/3)×15 = 9; F3 6/(10/3) = 1.8 → 27; F2 missing → average (9+27)/2 = 18.
    assert r["s_va_per_energy"].tolist() == pytest.approx([9, 18, 27])
    # tax_per_kwh: 0.6/0.6×10 = 10; 0.5/0.6×10 = 8.333; 1.0/0.6 = 1.667 → 16.667.
    assert r["s_tax_per_kwh"].tolist() == pytest.approx([10, 25 / 3, 50 / 3])
    assert r["s_labour_productivity"].tolist() == pytest.approx([15, 15, 15])
    # R&D: 3 % / 1.1667 % = 2.57 → capped at 2 → 20; 1/1.1667×10 = 8.571; 0.
    assert r["s_rd_intensity"].tolist() == pytest.approx([20, 60 / 7, 0])
    # Bonus 3+3+2+2 = 10, capped at 8.
    assert r["bonus"].tolist() == [8, 0, 0]
    # Totals (METHOD §4 does not round): F1 60+26.667+9+10+15+20+8 = 148.667; F2 20+6.667+18+8.333+15+8.571
    # = 76.571; F3 20+40+27+16.667+15+0 = 118.667.
    assert r["total_score"].tolist() == pytest.approx([148 + 2 / 3, 76 + 4 / 7, 118 + 2 / 3])
    # n = 3: A up to ⌈0.6⌉ = 1, B up to ⌈2.1⌉ = 3: F1 A, F3 B, F2 B.
    assert r["tier"].tolist() == ["A", "B", "B"]
    assert r["rank"].tolist() == [1, 3, 2]


def tie_population():
    # Five 规下 firms, land 10 each. Σtax 183 / Σland 50 → b = 3.66; Σtax 183 / Σkwh 48 → b = 3.8125.
    # T1, T2 both hit both caps: 60×2 + 40×2 = 200. T3–T5: 60×0.1/3.66 + 40×0.1/3.8125 = 2.6885.
    return [
        below(10, land=10, tax=100, electricity=10),
        below(11, land=10, tax=80, electricity=8),
        below(14, land=10, tax=1, electricity=10),
        below(12, land=10, tax=1, electricity=10),
        below(13, land=10, tax=1, electricity=10),
    ]


def test_tie_at_the_a_b_boundary_is_broken_by_tax_per_mu_then_code():
    r = evaluate(firms(tie_population()), REF, 2025).table
    assert r["total_score"].tolist() == pytest.approx([200, 200, 2.6885246, 2.6885246, 2.6885246])
    # n = 5: A ≤ ⌈1.0⌉ = 1, B ≤ ⌈3.5⌉ = 4, C ≤ ⌈4.75⌉ = 5. T1 (亩均税收 10) before T2 (8);
    # T3–T5 tie on both, so code order: K12 (pos 3, B), K13 (pos 4, B), K14 (pos 5, C).
    assert r["tier"].tolist() == ["A", "B", "C", "B", "B"]
    # Competition ranking: 1, 1, 3, 3, 3.
    assert r["rank"].tolist() == [1, 1, 3, 3, 3]


def graded_population(n=21):
    # 21 规上 firms differing only in tax: firm i pays 21−i. A ≤ ⌈4.2⌉ = 5, B ≤ ⌈14.7⌉ = 15, C ≤ ⌈19.95⌉ = 20, D: 21.
    return [above(i, land=10, tax=21 - i, value_added=100, revenue=500, electricity=10, energy=10, employees=10,
                  rd_expense=5) for i in range(n)]


def test_tier_shares_on_21_firms():
    r = evaluate(firms(graded_population()), REF, 2025).table
    assert r["tier"].tolist() == ["A"] * 5 + ["B"] * 10 + ["C"] * 5 + ["D"]


def test_veto_caps_at_c_and_protection_lifts_to_c():
    rows = graded_population()
    rows[0]["safety_accident"] = 1  # would be A → C
    rows[6]["env_violation"] = 1  # would be B → C
    rows[17]["env_violation"] = 1  # already C: stays C, noted
    rows[20]["newly_above"] = 1  # would be D → C
    r = evaluate(firms(rows), REF, 2025).table
    assert r["initial_tier"].tolist() == ["A"] * 5 + ["B"] * 10 + ["C"] * 5 + ["D"]
    assert r["tier"].iloc[[0, 6, 17, 20]].tolist() == ["C", "C", "C", "C"]
    assert "安全生产事故" in r["tier_reason"].iloc[0] and "A 类调整为 C 类" in r["tier_reason"].iloc[0]
    assert "环境违法" in r["tier_reason"].iloc[17] and "等级不变" in r["tier_reason"].iloc[17]
    assert "新升规" in r["tier_reason"].iloc[20] and "D 类调整为 C 类" in r["tier_reason"].iloc[20]
    assert r["tier_reason"].iloc[1] == ""


def test_manual_override_keeps_the_initial_tier():
    t = firms(graded_population())
    r = evaluate(t, REF, 2025, [TierOverride(K[20], "B", "复核后补报税收凭证")]).table
    assert r.loc[K[20], "initial_tier"] == "D" and r.loc[K[20], "tier"] == "B"
    assert "手动调档" in r.loc[K[20], "tier_reason"] and "复核后补报税收凭证" in r.loc[K[20], "tier_reason"]


def test_status_rules_in_order():
    rows = [
        above(0, land=None, industry="4411", tax=1),  # land missing first → incomplete, not exempt
        above(1, land=10, industry="C4411", tax=1),  # division 44 → exempt
        above(2, land=10, commissioned=2024, tax=1),  # Y−1 → exempt
        above(3, land=10, commissioned=2023, tax=1),  # evaluated
        below(4, land=4.99, tax=1),  # 规下 < 5 亩 → out of scope
        above(5, land=1, tax=1),  # 规上 have no threshold
        below(6, land=0, tax=1),  # land ≤ 0 → incomplete
    ]
    r = evaluate(firms(rows), REF, 2025).table
    assert r["status"].tolist() == ["incomplete", "exempt", "exempt", "evaluated", "out_of_scope", "evaluated", "incomplete"]
    assert r["population"].tolist() == [None, None, None, "above", None, "above", None]
    assert all(math.isnan(x) for x in r["total_score"].iloc[[0, 1, 2, 4, 6]])
    # Indicators are still computed where data allow, evaluated or not.
    assert r["v_tax_per_mu"].iloc[1] == pytest.approx(0.1)


def test_township_and_industry_ranks():
    rows = [above(0, land=10, tax=30, township="甲镇", industry="3311"),
            above(1, land=10, tax=20, township="乙镇", industry="C3312"),
            above(2, land=10, tax=10, township="甲镇", industry="2641")]
    r = evaluate(firms(rows), REF, 2025).table
    assert r["rank"].tolist() == [1, 2, 3]
    assert r["township_rank"].tolist() == [1, 1, 2]
    assert r["division"].tolist() == ["33", "33", "26"]
    assert r["industry_rank"].tolist() == [1, 2, 1]


def test_summary_aggregates_equal_benchmarks_for_scored_indicators():
    ev = evaluate(firms(graded_population()), REF, 2025)
    s = ev.summary["above"]
    assert s["evaluated"] == 21 and s["tiers"] == {"A": 5, "B": 10, "C": 5, "D": 1}
    # Σ tax = 21+20+…+1 = 231 over Σ land 210.
    assert s["aggregates"]["tax_per_mu"] == pytest.approx(231 / 210) == s["benchmarks"]["tax_per_mu"]


def test_round_half_up():
    assert round_half_up(np.array([85.325, 85.3249, 2.675, 0.005, -1.005])).tolist() == [85.33, 85.32, 2.68, 0.01, -1.01]


SCHEME_TEMPLATE = """
id = "t"
name = "测试"
[tiers]
method = "{method}"
{tiers}
[tiers.labels]
A = "优"
B = "良"
C = "中"
D = "差"
[populations.above]
[[populations.above.indicators]]
id = "tax_per_mu"
weight = 100
{indicator}
"""


def scheme(indicator="", method="rank_share", tiers="shares = [0.2, 0.7, 0.95]"):
    return parse_scheme(SCHEME_TEMPLATE.format(indicator=indicator, method=method, tiers=tiers))


def five():
    return firms([above(i, land=10, tax=t) for i, t in enumerate([10, 20, 30, 40, 100])])


def test_minmax_with_floor_like_jingde():
    # weight × (20 + 80 × (v − min)/(max − min)) / 100 with v = 1,2,3,4,10 亩均税收.
    r = evaluate(five(), scheme('normalise = "minmax"\nfloor = 0.2'), 2025).table
    expect = [100 * (0.2 + 0.8 * (v - 1) / 9) for v in (1, 2, 3, 4, 10)]
    assert r["s_tax_per_mu"].tolist() == pytest.approx(expect)


def test_mean_times_two_benchmark_like_huaian_and_cap_one():
    # mean of 1,2,3,4,10 = 4 → b = 8; scores 100×v/8 capped at 100: 12.5, 25, 37.5, 50, 100.
    r = evaluate(five(), scheme('benchmark = { method = "mean", factor = 2 }\ncap = 1'), 2025).table
    assert r["b_tax_per_mu"].iloc[0] == 8
    assert r["s_tax_per_mu"].tolist() == pytest.approx([12.5, 25, 37.5, 50, 100])


def test_median_fixed_and_cost_direction():
    r = evaluate(five(), scheme('benchmark = "median"\ncap = 2'), 2025).table
    assert r["s_tax_per_mu"].tolist() == pytest.approx([100 / 3, 200 / 3, 100, 400 / 3, 200])
    r = evaluate(five(), scheme('benchmark = 4\ndirection = "cost"'), 2025).table
    # cost: 100 × max(0, 2 − v/4): 175, 150, 125, 100, 0.
    assert r["s_tax_per_mu"].tolist() == pytest.approx([175, 150, 125, 100, 0])


def test_by_division_benchmark_with_fallback():
    rows = [above(i, land=10, tax=t, industry=ind) for i, (t, ind) in
            enumerate([(10, "3311"), (30, "3312"), (20, "2641"), (40, "1713")])]
    s = scheme('benchmark = { method = "aggregate", by_division = true, min_firms = 2 }\ncap = 5')
    r = evaluate(firms(rows), s, 2025).table
    # Division 33 has two firms: b = 40/20 = 2; 26 and 17 have one each → population 100/40 = 2.5.
    assert r["b_tax_per_mu"].tolist() == pytest.approx([2, 2, 2.5, 2.5])


def test_score_threshold_tiers():
    s = scheme(method="score", tiers="thresholds = [150, 100, 50]", indicator="cap = 5")
    r = evaluate(five(), s, 2025).table
    # b = 200/50 = 4: scores 25, 50, 75, 100, 250 → D, C, C, B, A.
    assert r["total_score"].tolist() == [25, 50, 75, 100, 250]
    assert r["tier"].tolist() == ["D", "C", "C", "B", "A"]


def test_huangyan_published_formula_by_hand():
    hy = load_scheme("huangyan-2022")
    rows = [above(0, land=10, tax=24.097 * 10 * 1.5, value_added=1361.6, revenue=1000, energy=1361.6 / 2.694,
                  employees=1361.6 / 18.14, rd_expense=30.2, emissions=1361.6 / 4929.81 * 2),
            above(1, land=10, tax=0, value_added=1361.6, revenue=1000, energy=1361.6 / 2.694, employees=1361.6 / 18.14,
                  rd_expense=30.2)]
    r = evaluate(firms(rows), hy, 2025).table
    # Firm 0: 30×1.5 + 20×1 + 20×1 + 10×0.5 (emission per VA ratio 1/2) + 10×1 + R&D 3.02 %/3.02 ×10 = 110, no cap.
    assert r["s_tax_per_mu"].iloc[0] == pytest.approx(45)
    assert r["s_va_per_emission"].iloc[0] == pytest.approx(5)
    # Firm 1 has no emission data: it gets the mean of the computable emission scores (5); tax 0 → 0.
    assert r["s_va_per_emission"].iloc[1] == pytest.approx(5)
    assert r["total_score"].tolist() == [110, 65]
