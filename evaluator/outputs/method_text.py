"""Sentences about the method, generated from the scheme in force (never fixed text).

A letter tells a firm how its score was reached: how an indicator is scored (cap, floor, cost
direction, min–max), what the benchmark is, what happens when data are missing, the bonus and
its cap, how tiers are cut and which flags move a tier. Everything here is read from the
`Population` the firm was evaluated in, so a letter under 黄岩's scheme (no cap, no floor) never
claims "得分上限为权重的 2 倍". New scheme rules get their sentence here, in one place.
"""

from __future__ import annotations

from ..core.fields import FIELD_BY_ID, FLAG_FIELDS
from ..method.indicators import INDICATOR_BY_ID
from ..method.scheme import Benchmark, IndicatorRule, Population, TierRules


def _g(x: float) -> str:
    return f"{x:g}"


def _pct(x: float) -> str:
    return f"{x * 100:g}%"


def weight_total(pop: Population) -> float:
    return sum(r.weight for r in pop.indicators)


def score_rule(rule: IndicatorRule) -> str:
    """How one indicator's score is computed, in words: `得分 = 权重 × 本企业数值 ÷ 基准值，最高为权重的 2 倍，最低为 0 分`."""
    if rule.normalise == "minmax":
        floor = rule.floor or 0.0
        best, worst = ("最高值", "最低值") if rule.direction == "benefit" else ("最低值", "最高值")
        return (f"得分按参评企业中的位置计算：{best}得满分（权重），{worst}得权重的 {_pct(floor)}，"
                "其余按数值在两者之间的位置折算")
    if rule.direction == "cost":
        text = "得分 = 权重 × （2 − 本企业数值 ÷ 基准值），数值越低得分越高，最低为 0 分"
    else:
        text = "得分 = 权重 × 本企业数值 ÷ 基准值"
    limits = []
    if rule.cap is not None:
        limits.append("最高不超过权重" if rule.cap == 1 else f"最高为权重的 {_g(rule.cap)} 倍")
    if rule.direction == "benefit":
        if rule.floor is None:
            limits.append("数值为负时得分为负")
        elif rule.floor == 0:
            limits.append("最低为 0 分")
        else:
            limits.append(f"最低为权重的 {_g(rule.floor)} 倍")
    elif rule.cap is None:
        limits.append("不设上限")
    return text + ("，" + "，".join(limits) if limits else "")


def benchmark_rule(rule: IndicatorRule, pop_label: str) -> str:
    ind = INDICATOR_BY_ID[rule.id]
    num, den = FIELD_BY_ID[ind.numerator].label, FIELD_BY_ID[ind.denominator].label
    return _benchmark_text(rule.benchmark, pop_label, f"全部参评{pop_label}{num}合计除以{den}合计")


def missing_rule(rule: IndicatorRule, pop_label: str) -> str:
    if rule.missing == "average":
        return f"缺少数据的，按有数据的参评{pop_label}该项平均得分计"
    return "缺少数据的，该项得 0 分"


def tier_rule(t: TierRules) -> str:
    """`按综合得分由高到低排序，前 20% 为 A类（优先发展类），20%至70% 为 B类…，其余为 D类…`."""
    names = [f"{lab}类" for lab in t.labels]
    if t.method == "score":
        parts = [f"{_g(t.thresholds[0])} 分及以上为{names[0]}"]
        for i in range(1, len(names) - 1):
            parts.append(f"{_g(t.thresholds[i])} 分及以上、不足 {_g(t.thresholds[i - 1])} 分为{names[i]}")
        parts.append(f"不足 {_g(t.thresholds[-1])} 分为{names[-1]}")
        return "按综合得分分档：" + "；".join(parts)
    parts = [f"前 {_pct(t.shares[0])} 为{names[0]}"]
    for i in range(1, len(names) - 1):
        parts.append(f"{_pct(t.shares[i - 1])}至{_pct(t.shares[i])} 为{names[i]}")
    parts.append(f"其余为{names[-1]}")
    text = "按综合得分由高到低排序，" + "，".join(parts)
    if t.tiebreak:
        text += f"；得分相同的，按{INDICATOR_BY_ID[t.tiebreak].label}由高到低排列"
    return text


def move_rules(t: TierRules) -> list[str]:
    out = []
    if t.veto_flags:
        flags = "或".join(FLAG_FIELDS[f] for f in t.veto_flags)
        out.append(f"本年度发生{flags}的企业，等级最高为{t.veto_max}类")
    if t.protect_flags:
        flags = "、".join(FLAG_FIELDS[f] for f in t.protect_flags)
        out.append(f"{flags}企业等级不低于{t.protect_min}类")
    return out


def points_rule(pop: Population) -> list[str]:
    out = []
    if pop.bonus:
        items = "、".join(f"{it.label}加 {_g(it.points)} 分" for it in pop.bonus)
        cap = f"，加分合计不超过 {_g(pop.bonus_cap)} 分" if pop.bonus_cap is not None else ""
        out.append(f"加分项：{items}{cap}")
    if pop.penalties:
        items = "、".join(f"{it.label}减 {_g(it.points)} 分" for it in pop.penalties)
        cap = f"，减分合计不超过 {_g(pop.penalty_cap)} 分" if pop.penalty_cap is not None else ""
        out.append(f"减分项：{items}{cap}")
    return out


def method_sentences(pop: Population) -> list[str]:
    """The scoring rules of one population as numbered plain sentences, each ending with 。."""
    rules = pop.indicators
    same_score = len({score_rule(r) for r in rules}) == 1
    same_bench = len({(r.benchmark.method, r.benchmark.factor, r.benchmark.by_division) for r in rules}) == 1
    same_missing = len({r.missing for r in rules}) == 1
    out: list[str] = []
    total = weight_total(pop)
    head = "综合得分 = 各项指标得分之和" + ("＋加分" if pop.bonus else "") + ("－减分" if pop.penalties else "")
    out.append(f"{head}；各项指标均等于基准值时，指标得分合计为 {_g(total)} 分")
    if same_score:
        out.append(f"各项指标{score_rule(rules[0])}")
    else:
        out.extend(f"{r.label}{score_rule(r)}" for r in rules)
    if same_bench:
        b = rules[0].benchmark
        if b.method == "fixed":
            out.append("基准值为评价方案规定的固定值" + (f"的 {_g(b.factor)} 倍" if b.factor != 1 else ""))
        else:
            out.append("各项指标的基准值为" + _generic_benchmark(b, pop.label))
    else:
        out.extend(f"{r.label}的基准值为{benchmark_rule(r, pop.label)}" for r in rules)
    if same_missing:
        out.append("各项指标" + missing_rule(rules[0], pop.label))
    else:
        zero = [r.label for r in rules if r.missing == "zero"]
        avg = [r.label for r in rules if r.missing == "average"]
        text = f"{'、'.join(avg)}缺少数据的，按有数据的参评{pop.label}该项平均得分计"
        out.append(text + ("；其余指标缺少数据的，该项得 0 分" if zero else ""))
    out.extend(points_rule(pop))
    out.append(tier_rule(pop.tiers))
    moves = move_rules(pop.tiers)
    if moves:
        out.append("；".join(moves))
    return [s.replace(" ", "") + "。" for s in out]


def _generic_benchmark(b: Benchmark, pop_label: str) -> str:
    return _benchmark_text(b, pop_label, f"全部参评{pop_label}的合计值之比（如亩均税收基准值 = 实缴税金合计 ÷ 用地面积合计）")


def _benchmark_text(b: Benchmark, pop_label: str, aggregate: str) -> str:
    """How a benchmark is set, in the letter's words (`aggregate` says it for the Σ/Σ method)."""
    text = {"aggregate": aggregate,
            "mean": f"参评{pop_label}该项数值的平均值",
            "median": f"参评{pop_label}该项数值的中位数",
            "fixed": "评价方案规定的固定值",
            "prior_aggregate": f"上年度全部参评{pop_label}的合计值之比",
            "prior_mean": f"上年度参评{pop_label}该项数值的平均值"}[b.method]
    if b.factor != 1.0:
        text += f"的 {_g(b.factor)} 倍"
    if b.by_division:
        text = f"按行业大类分别计算的{text}（同行业参评企业不足 {b.min_firms} 家的，按全部参评企业计算）"
    return text
