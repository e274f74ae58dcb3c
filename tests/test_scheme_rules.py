"""Scheme rules beyond METHOD §4, each on a small example worked out by hand in the comments:
rounding as scheme data, validation, tier codes other than A–D, the not-graded class, tier moves,
per-group shares and benchmarks from the prior year."""

from __future__ import annotations

import pytest

from evaluator.core.issues import InputError
from evaluator.method.evaluate import PriorFigures, TierOverride, evaluate
from evaluator.method.scheme import dumps_scheme, parse_scheme

from .helpers import code, firms

K = [code(f"9133100200000{i:04d}") for i in range(200)]


def above(i, **kw):
    return {"credit_code": K[i], "name": f"企业{i}", "above_scale": 1, "township": "城关镇", "industry": "3311", **kw}


def scheme(body: str = "", tiers: str = "", labels: str = 'A = "优"\nB = "良"\nC = "中"\nD = "差"',
           indicator: str = "benchmark = 1", top: str = "") -> object:
    """One 规上 indicator, 亩均税收 weight 100; with benchmark 1 and land 1 the score is 100 × tax."""
    return parse_scheme(f"""
id = "t"
name = "测试方案"
{top}
[tiers]
shares = [0.25, 0.5, 0.75]
tiebreak = "none"
{tiers}
[tiers.labels]
{labels}
{body}
[populations.above]
[[populations.above.indicators]]
id = "tax_per_mu"
weight = 100
{indicator}
""")


# --- 7. rounding -------------------------------------------------------------------------------

def near_tie():
    # Scores 100 × tax: K0 85.316, K1 85.324, K2 50, K3 10. Rounded to 2 decimals K0 and K1 are both 85.32.
    return firms([above(0, land=1, tax=0.85316), above(1, land=1, tax=0.85324), above(2, land=1, tax=0.5),
                  above(3, land=1, tax=0.1)])


def test_without_rounding_order_tiers_and_ranks_follow_the_exact_total():
    r = evaluate(near_tie(), scheme(), 2025).table
    assert r["total_score"].tolist() == pytest.approx([85.316, 85.324, 50, 10])
    # Positions: K1 1 (A), K0 2 (B), K2 3 (C), K3 4 (D); ranks 2, 1, 3, 4.
    assert r["tier"].tolist() == ["B", "A", "C", "D"]
    assert r["rank"].tolist() == [2, 1, 3, 4]


def test_total_decimals_rounds_half_up_and_ties_share_the_rank():
    r = evaluate(near_tie(), scheme(top="[rounding]\ntotal_decimals = 2"), 2025).table
    assert r["total_score"].tolist() == [85.32, 85.32, 50, 10]
    # Equal rounded totals, no tie-break indicator: code order puts K0 first (A), K1 second (B); both rank 1.
    assert r["tier"].tolist() == ["A", "B", "C", "D"]
    assert r["rank"].tolist() == [1, 1, 3, 4]


def test_score_decimals_round_each_indicator_score():
    # 85.316 → 85.3 with one decimal; the total is the sum of rounded scores.
    r = evaluate(near_tie(), scheme(top="[rounding]\nscore_decimals = 1"), 2025).table
    assert r["s_tax_per_mu"].tolist() == [85.3, 85.3, 50, 10]
    r = evaluate(near_tie(), scheme(indicator="benchmark = 1\ndecimals = 0"), 2025).table
    assert r["total_score"].tolist() == [85, 85, 50, 10]


# --- 8. validation and tier codes ----------------------------------------------------------------

@pytest.mark.parametrize("indicator, message", [
    ("benchmark = 1\ncap = inf", "有限的数字"),
    ("benchmark = nan", "有限的数字"),
    ("benchmark = 1\ncap = 1000", "不大于 100"),
    ("benchmark = { method = \"mean\", factor = 0 }", "大于 0"),
    ("benchmark = 1\ndecimals = 1.5", "整数"),
    ("benchmark = 1\ncap = 1\nfloor = 1", "应小于 cap"),
])
def test_bad_numbers_are_refused_with_the_key(indicator, message):
    with pytest.raises(InputError, match=message) as e:
        scheme(indicator=indicator)
    assert "populations.above.indicators 第 1 项" in str(e.value)


def test_status_and_threshold_ranges():
    with pytest.raises(InputError, match="new_firm_years.*整数"):
        parse_scheme('id = "t"\n[status]\nnew_firm_years = 1.5\n[populations.above]\n[[populations.above.indicators]]\n'
                     'id = "tax_per_mu"\nweight = 100')
    with pytest.raises(InputError, match="有限的数字"):
        scheme(tiers='method = "score"\nthresholds = [inf, 50, 20]')


def test_weight_total_other_than_100_is_a_warning_in_the_data_check_list():
    s = parse_scheme('id = "t"\n[populations.above]\n[[populations.above.indicators]]\nid = "tax_per_mu"\nweight = 60\n'
                     '[[populations.above.indicators]]\nid = "va_per_mu"\nweight = 30', "t.toml")
    assert len(s.warnings) == 1 and "权重合计为 90" in s.warnings[0] and "t.toml" in s.warnings[0]
    ev = evaluate(firms([above(0, land=1, tax=1, value_added=1)]), s, 2025)
    assert any(i.level == "warning" and "权重合计为 90" in i.message for i in ev.issues)
    assert not scheme().warnings


JIA = 'jia = "甲"\nyi = "乙"\nbing = "丙"\nding = "丁"'
CN = '"甲" = "优先发展类"\n"乙" = "鼓励提升类"\n"丙" = "帮扶转型类"\n"丁" = "倒逼整治类"'


def test_tier_codes_other_than_letters_default_veto_and_protection_to_the_second_lowest():
    s = scheme(labels=CN, tiers='veto = { flags = ["safety_accident"] }\nprotect = { flags = ["newly_above"] }')
    rules = s.populations["above"].tiers
    assert (rules.veto_max, rules.protect_min) == ("丙", "丙")
    rows = [above(i, land=1, tax=t) for i, t in enumerate([0.9, 0.8, 0.7, 0.1])]
    rows[0]["safety_accident"] = 1  # 甲 → 丙
    rows[3]["newly_above"] = 1  # 丁 → 丙
    r = evaluate(firms(rows), s, 2025).table
    assert r["initial_tier"].tolist() == ["甲", "乙", "丙", "丁"]
    assert r["tier"].tolist() == ["丙", "乙", "丙", "丙"]
    assert "由 甲 类调整为 丙 类" in r["tier_reason"].iloc[0]
    assert rules.position("丁") == 3 and rules.position("甲") == 0
    # A population relabelled without its own veto settings takes the second-lowest of its own labels.
    s2 = parse_scheme(f'id = "t"\n[tiers]\nveto = {{ flags = ["safety_accident"] }}\n[populations.above]\n'
                      f'[populations.above.tiers.labels]\n{CN}\n[[populations.above.indicators]]\n'
                      f'id = "tax_per_mu"\nweight = 100')
    assert s2.populations["above"].tiers.veto_max == "丙"


def test_an_unknown_tier_in_veto_is_refused():
    with pytest.raises(InputError, match="等级“C”不在等级列表"):
        scheme(labels=CN, tiers='veto = { flags = ["safety_accident"], max_tier = "C" }')


# --- 2. not graded -------------------------------------------------------------------------------

def test_not_graded_class_is_counted_never_ranked_and_managed_as_a_tier():
    s = scheme(body='[not_graded]\nlabel = "T"\nname = "暂不评价"\nstatuses = ["exempt"]\nflags = ["newly_above"]\n'
                    'managed_as = "B"')
    rows = [above(0, land=1, tax=0.9), above(1, land=1, tax=0.8, industry="4411"),  # utility → exempt → T
            above(2, land=1, tax=0.7, newly_above=1), above(3, land=1, tax=0.1), above(4, land=None, tax=1)]
    ev = evaluate(firms(rows), s, 2025)
    r = ev.table
    assert r["status"].tolist() == ["evaluated", "not_graded", "not_graded", "evaluated", "incomplete"]
    assert r["population"].tolist() == ["above", None, None, "above", None]
    assert r["rank"].iloc[[1, 2]].isna().all() and r["tier"].iloc[1] is None
    assert r["status_reason"].iloc[1] == "行业大类 44 属免评行业；政策上按B类（良）企业管理"
    assert r["status_reason"].iloc[2] == "属“新升规”情形；政策上按B类（良）企业管理"
    # Two graded firms: bounds ⌈0.5⌉ 1, ⌈1.0⌉ 1, ⌈1.5⌉ 2 → position 1 A, position 2 C (B is empty).
    assert r["tier"].iloc[[0, 3]].tolist() == ["A", "C"]
    assert ev.summary["above"]["not_graded"] == 2 and ev.summary["above"]["evaluated"] == 2
    from evaluator.method.evaluate import status_label
    assert status_label("not_graded", s) == "T类（暂不评价）"


def test_not_graded_label_must_not_clash_with_a_tier():
    with pytest.raises(InputError, match="等级代码重复"):
        scheme(body='[not_graded]\nlabel = "D"')


# --- 4. tier moves -------------------------------------------------------------------------------

MOVES = '''moves = [
  { action = "up", flag = "high_tech", reason = "属高成长科技型企业" },
  { action = "down", when = { field = "rd_expense", below = 100 }, reason = "研发经费低于 100 万元" },
  { action = "fix", flag = "champion", tier = "A", reason = "列入县重点企业名单" },
]
veto = { flags = ["safety_accident"], max_tier = "C" }
protect = { flags = ["newly_above"], min_tier = "C" }'''


def test_moves_in_declared_order_then_veto_then_protection_then_manual():
    # Eight firms, tax 0.8 … 0.1: shares 25/50/75 of 8 → A 1–2, B 3–4, C 5–6, D 7–8.
    rows = [above(i, land=1, tax=(8 - i) / 10, rd_expense=500) for i in range(8)]
    rows[2].update(high_tech=1, safety_accident=1)  # B → 提档 A → veto back to C
    rows[5].update(rd_expense=50, newly_above=1)  # C → 降档 D → protection back to C
    rows[4].update(high_tech=1)  # C → 提档 B
    rows[0].update(high_tech=1)  # A: 提档 has no room, noted
    rows[7].update(champion=1, rd_expense=None)  # D → 定档 A; missing R&D does not meet "below 100"
    rows[6].update(rd_expense=10)  # D → 降档: already the bottom, noted
    r = evaluate(firms(rows), scheme(tiers=MOVES), 2025, [TierOverride(K[4], "A", "复核认定")]).table
    assert r["initial_tier"].tolist() == ["A", "A", "B", "B", "C", "C", "D", "D"]
    assert r["tier"].tolist() == ["A", "A", "C", "B", "A", "C", "D", "A"]
    why = r["tier_reason"].tolist()
    assert why[2] == ("属高成长科技型企业，等级由 B 类调整为 A 类（提档）；"
                      "存在安全生产事故，等级由 A 类调整为 C 类（一票否决，最高 C 类）")
    assert why[5] == ("研发经费低于 100 万元，等级由 C 类调整为 D 类（降档）；"
                      "属新升规企业，等级由 D 类调整为 C 类（保护，最低 C 类）")
    assert why[0] == "属高成长科技型企业（提档，已为 A 类，等级不变）"
    assert why[6] == "研发经费低于 100 万元（降档，已为 D 类，等级不变）"
    assert why[7] == "列入县重点企业名单，等级由 D 类调整为 A 类（定档）"
    assert why[4] == "属高成长科技型企业，等级由 C 类调整为 B 类（提档）；手动调档：由 B 类调整为 A 类，理由：复核认定"


def test_a_move_needs_a_reason_and_a_known_tier():
    with pytest.raises(InputError, match="缺少 reason"):
        scheme(tiers='moves = [{ action = "up", flag = "high_tech" }]')
    with pytest.raises(InputError, match="等级“S”不在等级列表"):
        scheme(tiers='moves = [{ action = "fix", flag = "champion", tier = "S", reason = "x" }]')


# --- 5. shares per group -------------------------------------------------------------------------

GROUPS = '''[tiers.groups]
by = "division"
min_firms = 3
[[tiers.groups.list]]
name = "金属制品"
members = ["33", "34"]
shares = [0.2, 0.6, 0.9]
[[tiers.groups.list]]
name = "纺织服装"
members = ["17", "18"]
[[tiers.groups.list]]
name = "化工"
members = ["26"]'''


def test_per_group_shares_on_12_firms_with_the_small_group_cut_with_the_rest():
    # 金属 (33/34) 5 firms with its own shares 20/60/90: bounds ⌈1⌉ 1, ⌈3⌉ 3, ⌈4.5⌉ 5 → A B B C C.
    # 纺织 (17/18) 4 firms, population shares 25/50/75: bounds 1, 2, 3 → A B C D.
    # 化工 (26) has 1 firm < min_firms 3: it joins the rest (13, 39), 3 firms cut with the population's shares:
    # bounds ⌈0.75⌉ 1, ⌈1.5⌉ 2, ⌈2.25⌉ 3 → 1311 (0.6) A, 3911 (0.1) B, 2611 (0.05) C.
    spec = [("3311", 0.9), ("3411", 0.8), ("3312", 0.7), ("3399", 0.6), ("3421", 0.5),
            ("1711", 0.95), ("1811", 0.4), ("1712", 0.3), ("1713", 0.2),
            ("2611", 0.05), ("1311", 0.6), ("3911", 0.1)]
    rows = [above(i, land=1, tax=t, industry=ind) for i, (ind, t) in enumerate(spec)]
    r = evaluate(firms(rows), scheme(body=GROUPS), 2025).table
    assert r["tier"].tolist() == ["A", "B", "B", "C", "C",
                                  "A", "B", "C", "D",
                                  "C", "A", "B"]
    assert r["tier_group"].tolist() == ["金属制品"] * 5 + ["纺织服装"] * 4 + ["其他"] * 3
    # Ranks stay county-wide on the total.
    assert r["rank"].iloc[5] == 1


def test_chaohu_2021_shares_on_120_firms():
    # 巢湖 2021: 20/45/30/5 → cumulative 0.20, 0.65, 0.95 of 120 → 24 / 54 / 36 / 6.
    s = parse_scheme('id = "chaohu"\n[tiers]\nshares = [0.20, 0.65, 0.95]\n[populations.above]\n'
                     '[[populations.above.indicators]]\nid = "tax_per_mu"\nweight = 100\nbenchmark = 1')
    rows = [above(i, land=1, tax=(120 - i) / 100) for i in range(120)]
    ev = evaluate(firms(rows), s, 2025)
    assert ev.summary["above"]["tiers"] == {"A": 24, "B": 54, "C": 36, "D": 6}


# --- 6. benchmarks from last year ----------------------------------------------------------------

PRIOR_SCHEME = 'benchmark = { method = "prior_mean", factor = 2 }\ncap = 1'


def test_prior_year_mean_times_two():
    # Last year's 规上 mean 亩均税收 2.5 → b = 5; this year's firms 1, 5, 10 万元/亩 → 20, 100, 100 (cap 1).
    prior = PriorFigures(2024, "2024.json", {"above": {"means": {"tax_per_mu": 2.5}, "aggregates": {}}})
    rows = [above(i, land=1, tax=t) for i, t in enumerate([1, 5, 10])]
    r = evaluate(firms(rows), scheme(indicator=PRIOR_SCHEME), 2025, prior=prior).table
    assert r["b_tax_per_mu"].tolist() == [5, 5, 5]
    assert r["s_tax_per_mu"].tolist() == pytest.approx([20, 100, 100])


def test_prior_year_benchmark_without_a_prior_is_a_clear_error():
    rows = [above(0, land=1, tax=1)]
    with pytest.raises(InputError, match="需要附上上年度评价结果"):
        evaluate(firms(rows), scheme(indicator=PRIOR_SCHEME), 2025)
    prior = PriorFigures(2024, "2024.json", {"below": {"means": {"tax_per_mu": 2.5}}})
    with pytest.raises(InputError, match="2024.json（2024 年度）中没有规上企业“亩均税收”的平均值"):
        evaluate(firms(rows), scheme(indicator=PRIOR_SCHEME), 2025, prior=prior)
    with pytest.raises(InputError, match="不含各群体的汇总数据"):
        evaluate(firms(rows), scheme(indicator=PRIOR_SCHEME), 2025, prior=PriorFigures(2024, "2024.xlsx", {}))


def test_summary_carries_the_means_a_next_year_needs():
    rows = [above(i, land=1, tax=t) for i, t in enumerate([1, 5, 12])]
    ev = evaluate(firms(rows), scheme(), 2025)
    assert ev.summary["above"]["means"]["tax_per_mu"] == pytest.approx(6)
    assert ev.summary["above"]["aggregates"]["tax_per_mu"] == pytest.approx(18 / 3)


# --- the schema round-trips through the editor's writer ------------------------------------------

def test_new_settings_round_trip_through_dumps():
    s = scheme(body='[not_graded]\nlabel = "T"\nmanaged_as = "B"\n' + GROUPS, tiers=MOVES,
               top="[rounding]\ntotal_decimals = 2", indicator="benchmark = 1\ndecimals = 3")
    again = parse_scheme(dumps_scheme(s))
    assert again.rounding == s.rounding and again.not_graded == s.not_graded
    assert again.populations["above"].tiers.moves == s.populations["above"].tiers.moves
    assert again.populations["above"].tiers.grouping == s.populations["above"].tiers.grouping
    assert again.populations["above"].indicators[0].decimals == 3


# --- 1. populations as configuration -------------------------------------------------------------

CIXI = '''id = "cixi"
name = "慈溪式"
[tiers]
shares = [0.5]
tiebreak = "none"
[tiers.labels]
A = "优"
B = "差"
[populations.above]
[[populations.above.indicators]]
id = "tax_per_mu"
weight = 100
benchmark = 1
[populations.below_large]
label = "规下企业（3 亩及以上）"
scale = "below"
min_land = 3
[[populations.below_large.indicators]]
id = "tax_per_mu"
weight = 100
benchmark = 1
[populations.below_small]
label = "规下企业（3 亩以下）"
scale = "below"
max_land = 3
prior_tiers = ["B"]
exclude_divisions = ["13"]
[[populations.below_small.indicators]]
id = "tax_per_kwh"
weight = 100
benchmark = 1
'''


def below(i, **kw):
    return {**above(i, **kw), "above_scale": 0, **kw}


def test_populations_declared_by_the_scheme_with_membership_rules():
    s = parse_scheme(CIXI)
    rows = [above(0, land=1, tax=2), above(1, land=10, tax=1),
            below(2, land=5, tax=4), below(3, land=3, tax=3),  # ≥ 3 亩: both in below_large
            below(4, land=2, tax=1, electricity=1), below(5, land=2.9, tax=1, electricity=2),  # < 3 亩
            below(6, land=1, tax=1, electricity=1, industry="1311"),  # < 3 亩 but division 13 excluded → in none
            ]
    ev = evaluate(firms(rows), s, 2025)
    r = ev.table
    assert r["population"].tolist() == ["above", "above", "below_large", "below_large", "below_small", "below_small",
                                        None]
    assert r["status"].iloc[6] == "out_of_scope"
    # K6 fails below_large on land first (the first rule it failed is the reason given).
    assert r["status_reason"].iloc[6] == "规下企业（3 亩及以上）用地面积不足 3 亩"
    # Each list is ranked and tiered on its own (two firms each, A = position 1): above 亩均税收 2 → 200, 0.1 → 10;
    # below_large 0.8 → 80, 1 → 100; below_small 单位电耗税收 1 → 100, 0.5 → 50.
    assert r["rank"].tolist()[:6] == [1, 2, 2, 1, 1, 2]
    assert r["tier"].tolist()[:6] == ["A", "B", "B", "A", "A", "B"]
    assert list(ev.summary) == ["above", "below_large", "below_small"]
    assert ev.summary["below_large"]["total"] == 3 and ev.summary["below_large"]["out_of_scope"] == 1
    assert ev.summary["below_small"]["evaluated"] == 2


def test_graded_d_last_year_is_evaluated_whatever_its_land():
    # 路桥: a firm in the bottom tier last year is evaluated again. With below_large from 5 亩 and below_small
    # under 3 亩, a 4 亩 firm is in neither list, unless it was B (this scheme's bottom tier) last year.
    s = parse_scheme(CIXI.replace('min_land = 3\n', 'min_land = 5\n'))
    rows = [below(0, land=4, tax=1, electricity=1), below(1, land=4, tax=1, electricity=1)]
    prior = PriorFigures(2024, "2024.json", {}, {K[0]: "B"})
    r = evaluate(firms(rows), s, 2025, prior=prior).table
    # K0 was B last year: below_small takes it although 4 ≥ max_land 3; K1 is in neither list.
    assert r["population"].tolist() == ["below_small", None]
    assert r["status_reason"].iloc[1] == "规下企业（3 亩及以上）用地面积不足 5 亩"
    assert s.uses_prior


def test_custom_population_needs_label_and_scale():
    with pytest.raises(InputError, match="须写明名称 label"):
        parse_scheme(CIXI.replace('label = "规下企业（3 亩以下）"\n', ''))
    with pytest.raises(InputError, match="小写英文字母"):
        parse_scheme(CIXI.replace("below_small", "Below-Small"))


def test_an_inherited_fix_to_a_tier_the_population_lacks_is_refused_not_dropped():
    text = ('id = "t"\n[tiers]\nmoves = [{ action = "fix", flag = "champion", tier = "A", reason = "列入重点企业名单" }]\n'
            f'[populations.above]\n[populations.above.tiers.labels]\n{CN}\n[[populations.above.indicators]]\n'
            'id = "tax_per_mu"\nweight = 100')
    with pytest.raises(InputError, match="继承的定档规则“列入重点企业名单”"):
        parse_scheme(text)


def test_small_groups_can_fall_back_to_their_place_in_the_whole_population():
    # As the 12-firm example, with fallback = "population": the rest (2611 0.05, 1311 0.6, 3911 0.1) take the tier
    # of their place among all 12 (bounds ⌈3⌉ 3, ⌈6⌉ 6, ⌈9⌉ 9): by tax 0.95 0.9 0.8 | 0.7 0.6 0.6 | 0.5 0.4 0.3 | …
    # 1311 (0.6, level with 3399; no tie-break indicator, code K3 before K10) is 6th → B; 3911 11th → D; 2611 12th → D.
    spec = [("3311", 0.9), ("3411", 0.8), ("3312", 0.7), ("3399", 0.6), ("3421", 0.5),
            ("1711", 0.95), ("1811", 0.4), ("1712", 0.3), ("1713", 0.2),
            ("2611", 0.05), ("1311", 0.6), ("3911", 0.1)]
    rows = [above(i, land=1, tax=t, industry=ind) for i, (ind, t) in enumerate(spec)]
    s = scheme(body=GROUPS.replace("min_firms = 3", 'min_firms = 3\nfallback = "population"'), tiers="")
    r = evaluate(firms(rows), s, 2025).table
    assert r["tier"].iloc[9:].tolist() == ["D", "B", "D"]
    assert r["tier"].iloc[:9].tolist() == ["A", "B", "B", "C", "C", "A", "B", "C", "D"]  # the groups as before
    assert r["tier_group"].iloc[9:].tolist() == ["全体"] * 3
