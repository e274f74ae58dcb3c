"""Scoring, tiers and ranks for a merged enterprise table under a scheme (METHOD §3–§4).

Everything is vectorised over the enterprise table. Column names of the result:
`v_<indicator>` indicator values (all library indicators, canonical units), `b_<indicator>`
the benchmark a firm was scored against, `s_<indicator>` its score, then `bonus`, `penalty`,
`total_score`, `initial_tier`, `tier`, `tier_reason`, `rank`, `township_rank`, `industry_rank`.

Rounding is scheme data (`[rounding]`), because ties depend on it: without it (the reference
scheme, METHOD §4) nothing is rounded and ordering, tiers and ranks use the exact total; with
`total_decimals` the total is rounded half-up and ordering, tiers and ranks use the rounded total,
so firms published with equal totals share a rank; `score_decimals` / an indicator's `decimals`
round each indicator score before it is summed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..core.fields import FLAG_FIELDS
from ..core.issues import InputError, Issue
from .indicators import (
    INDICATOR_BY_ID,
    INDICATORS,
    computable,
    compute_indicators,
    format_quantity,
)
from .scheme import (
    MOVE_ACTIONS,
    POPULATIONS,
    PRIOR_METHODS,
    IndicatorRule,
    Population,
    Scheme,
    TierGrouping,
    TierMove,
    TierRules,
)

STATUS_LABELS: dict[str, str] = {
    "evaluated": "参评",
    "incomplete": "数据不全",
    "exempt": "免评",
    "out_of_scope": "不在评价范围",
    "not_graded": "暂不评价",
}


def rounding_note(scheme: Scheme) -> str:
    """How totals are rounded and ranked, in the words of the lists' notes (from the scheme)."""
    d = scheme.rounding.total_decimals
    if d is None:
        return "综合得分不舍入，排序、分档和排名按未舍入的分数（显示保留两位小数，显示相同的分数可能名次不同）；"
    return f"综合得分四舍五入保留 {d} 位小数，排序、分档和排名按该分数；"


def status_label(status: str, scheme: Scheme | None = None) -> str:
    """The status as printed; the not-graded class by the scheme's own code and name (`T类（暂不评价）`)."""
    if status == "not_graded" and scheme is not None and scheme.not_graded is not None:
        return scheme.not_graded.full_name()
    return STATUS_LABELS.get(status, status)


@dataclass(frozen=True)
class PriorFigures:
    """What a scheme may take from last year's result: per population the county figures
    (`aggregates`: Σ/Σ, `means`: mean of firm values) of the summary of a `--json` result."""

    year: int | None
    source: str
    summary: dict[str, dict[str, Any]]
    tiers: dict[str, str] = field(default_factory=dict)  # enterprise key → last year's final tier

    def figure(self, pid: str, stat: str, indicator: str) -> float | None:
        v = (self.summary.get(pid) or {}).get(stat, {}) or {}
        x = v.get(indicator)
        return float(x) if isinstance(x, (int, float)) and math.isfinite(x) else None


@dataclass(frozen=True)
class TierOverride:
    """手动调档: a final tier set by hand, with the reason that goes on the letter."""

    key: str
    tier: str
    reason: str
    user: str = ""
    time: str = ""


@dataclass
class Evaluation:
    scheme: Scheme
    year: int
    table: pd.DataFrame
    summary: dict[str, Any]
    benchmarks: dict[str, dict[str, float]] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)


def round_half_up(x: np.ndarray | float, decimals: int = 2) -> np.ndarray:
    """Half-up rounding as officials and Excel do it (`85.325` → `85.33`), robust to float dust."""
    arr = np.asarray(x, dtype=float)
    f = 10.0**decimals
    return np.sign(arr) * np.floor(np.abs(arr) * f + 0.5 + 1e-7) / f


_DIVISION = re.compile(r"^[A-Z]?(\d{2})")


def division_of(industry: pd.Series) -> pd.Series:
    """`C3311` / `3311` → `33`, the 2-digit division used for exemptions and industry ranks.

    Computed on the few distinct codes and mapped back: a county has hundreds of codes, not 100k.
    """
    codes, uniques = pd.factorize(industry, use_na_sentinel=True)
    div_u = []
    for u in uniques:
        m = _DIVISION.match("".join(ch for ch in str(u).upper() if ch.isalnum()))
        div_u.append(m.group(1) if m else None)
    out = np.empty(len(codes), dtype=object)
    out[:] = None
    if len(div_u):
        lookup = np.array(div_u + [None], dtype=object)
        out = lookup[codes]  # −1 (missing) picks the trailing None
    return pd.Series(out, index=industry.index, dtype=object)


def assign_status(ent: pd.DataFrame, scheme: Scheme, year: int, prior: PriorFigures | None = None
                  ) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Status, population and a reason for each firm, in METHOD §4's order of tests; a firm that
    passes them goes to the first population, in the scheme's order, whose rules it meets."""
    n = len(ent)
    land = ent["land"].to_numpy(dtype=float, na_value=np.nan)
    scale = np.where(ent["above_scale"].to_numpy(dtype=float, na_value=np.nan) == 1, "above", "below")
    div = division_of(ent["industry"]).fillna("").to_numpy(dtype=object)
    commissioned = ent["commissioned"].to_numpy(dtype=float, na_value=np.nan)
    status = np.full(n, "evaluated", dtype=object)
    reason = np.full(n, "", dtype=object)
    decided = np.zeros(n, dtype=bool)

    def decide(mask: np.ndarray, st: str, why: np.ndarray | str) -> None:
        m = mask & ~decided
        status[m] = st
        reason[m] = why[m] if isinstance(why, np.ndarray) else why
        decided[m] = True

    with np.errstate(invalid="ignore"):
        decide(~(land > 0), "incomplete", "缺少用地面积或用地面积不大于 0")
        ex_div = np.isin(div, list(scheme.status.exempt_divisions)) & (div != "")
        why = np.full(n, "", dtype=object)
        for i in np.flatnonzero(ex_div & ~decided):
            why[i] = f"行业大类 {div[i]} 属免评行业"
        decide(ex_div, "exempt", why)
        if scheme.status.new_firm_years > 0:
            first_year = year - scheme.status.new_firm_years + 1
            new = commissioned >= first_year
            for i in np.flatnonzero(new & ~decided):
                why[i] = f"{int(commissioned[i])} 年投产，属新投产企业（评价年度 {year}）"
            decide(new, "exempt", why)
        population, why = _memberships(ent, scheme, land, scale, div, ~decided, prior)
        decide(~decided & (population == None), "out_of_scope", why)
    population = np.where(status == "evaluated", population, None)
    return (pd.Series(status, index=ent.index), pd.Series(population, index=ent.index, dtype=object),
            pd.Series(reason, index=ent.index))


def tenancy(ent: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Whether each firm is a 租赁企业 (no land of its own, rents land or floor space), and the
    floor area it rents (㎡)."""
    n = len(ent)
    if "land_rented_in" not in ent:
        return np.zeros(n, dtype=bool), np.zeros(n)
    own = ent["own_land"].to_numpy(dtype=float, na_value=np.nan) if "own_land" in ent else ent["land"].to_numpy(
        dtype=float, na_value=np.nan)
    floor_in = ent["floor_rented_in"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        rents = (ent["land_rented_in"].to_numpy(dtype=float) > 0) | (floor_in > 0)
        return ~(own > 0) & rents, floor_in


def apply_land_ledger(ent: pd.DataFrame, scheme: Scheme) -> tuple[pd.DataFrame, list[Issue]]:
    """Evaluated land = own + rented in − rented out (+ floor area × the scheme's factor), when a
    lease file was imported and the scheme keeps `[land] ledger = true`. The own land stays in
    `own_land`; firms without land and leases keep a missing land (→ 数据不全)."""
    if "land_rented_in" not in ent or not scheme.land.ledger:
        return ent, []
    issues: list[Issue] = []
    own = ent["land"].to_numpy(dtype=float, na_value=np.nan)
    land_in, land_out = ent["land_rented_in"].to_numpy(dtype=float), ent["land_rented_out"].to_numpy(dtype=float)
    f_in, f_out = ent["floor_rented_in"].to_numpy(dtype=float), ent["floor_rented_out"].to_numpy(dtype=float)
    factor = scheme.land.floor_factor
    if factor == 0 and (f_in > 0).any():
        issues.append(Issue("warning", f"租赁台账中有租用厂房面积合计 {f_in.sum():,.0f} 平方米，方案未设置厂房面积折算系数"
                                       "（[land] floor_factor），厂房面积未计入用地"))
    moved = (land_in + land_out + factor * (f_in + f_out)) > 0
    land = np.where(moved, np.nan_to_num(own) + land_in - land_out + factor * (f_in - f_out), own)
    out = ent.copy()
    out["own_land"] = own
    out["land"] = land
    for i in np.flatnonzero(moved & ~(land > 0) & (own > 0)):
        issues.append(Issue("warning", f"出租后剩余用地为 {format_quantity(land[i], '亩')}（自有 {format_quantity(own[i], '亩')}，"
                                       f"租出 {format_quantity(land_out[i], '亩')}），"
                                       "该企业列为数据不全", key=str(ent.index[i])))
    return out, issues


def _landlord_tiers(t: pd.DataFrame, scheme: Scheme) -> None:
    """江山: tenants of the listed populations take their landlord's final tier (by its place in
    the landlord's scale of tiers), with the reason; a landlord not graded leaves the tier as is."""
    if not scheme.land.landlord_tier or "landlord" not in t:
        return
    tier, pop, reason = t["tier"], t["population"], t["tier_reason"]
    tenant, _ = tenancy(t)
    for i in np.flatnonzero(tenant & t["population"].isin(list(scheme.land.landlord_tier)).to_numpy()):
        key, lord = t.index[i], t["landlord"].iat[i]
        own = scheme.populations[pop.iat[i]].tiers
        if lord is None or lord not in t.index or t.at[lord, "population"] is None:
            note = "承租厂房的出租方未参加评价，按本企业得分定档"
        else:
            lord_rules = scheme.populations[t.at[lord, "population"]].tiers
            to = own.labels[min(lord_rules.position(t.at[lord, "tier"]), len(own.labels) - 1)]
            name = t.at[lord, "name"] if isinstance(t.at[lord, "name"], str) else str(lord)
            note = f"承租{name}的厂房，按出租方等级确定为 {to} 类"
            if to != tier.iat[i]:
                note = f"承租{name}的厂房，等级由 {tier.iat[i]} 类调整为 {to} 类（按出租方等级）"
                t.at[key, "tier"] = to
        prev = reason.iat[i]
        t.at[key, "tier_reason"] = f"{prev}；{note}" if prev else note


def _memberships(ent: pd.DataFrame, scheme: Scheme, land: np.ndarray, scale: np.ndarray, div: np.ndarray,
                 open_: np.ndarray, prior: PriorFigures | None) -> tuple[np.ndarray, np.ndarray]:
    """Population per firm (None: in none) and, for firms in none, the first rule they failed."""
    n = len(land)
    population = np.full(n, None, dtype=object)
    why = np.full(n, "", dtype=object)
    tenant, floor_in = tenancy(ent)
    prior_tier = None
    if any(p.prior_tiers for p in scheme.populations.values()):
        tiers = prior.tiers if prior is not None else {}
        prior_tier = np.array([tiers.get(str(k), "") for k in ent.index], dtype=object)
    with np.errstate(invalid="ignore"):
        for pop in scheme.populations.values():
            cand = open_ & (population == None)
            if pop.scale != "any":
                cand &= scale == pop.scale
            tests: list[tuple[np.ndarray, str]] = []
            if pop.tenant is not None:
                tests.append((tenant == pop.tenant, f"{'有自有用地，不属' if pop.tenant else '无自有用地，不属'}{pop.label}"))
            if pop.min_floor is not None:
                tests.append((floor_in >= pop.min_floor, f"租用厂房面积不足 {pop.min_floor:g} 平方米，不属{pop.label}"))
            if pop.divisions:
                tests.append((np.isin(div, list(pop.divisions)), f"行业不属{pop.label}的行业范围"))
            if pop.exclude_divisions:
                tests.append((~np.isin(div, list(pop.exclude_divisions)), f"行业不属{pop.label}的行业范围"))
            land_ok = np.ones(n, dtype=bool)
            if pop.min_land > 0:
                land_ok &= land >= pop.min_land
            if pop.max_land is not None:
                land_ok &= land < pop.max_land
            if prior_tier is not None and pop.prior_tiers:
                land_ok |= np.isin(prior_tier, list(pop.prior_tiers))
            word = (f"不足 {pop.min_land:g} 亩" if pop.max_land is None else
                    f"不在 {pop.min_land:g} 亩至 {pop.max_land:g} 亩之间" if pop.min_land > 0 else
                    f"不小于 {pop.max_land:g} 亩")
            tests.append((land_ok, f"{pop.label}用地面积{word}"))
            ok = cand.copy()
            for passed, text in tests:
                fail = ok & ~passed
                why[fail & (why == "")] = text
                ok &= passed
            population[ok] = pop.id
        for sc, label in POPULATIONS.items():
            if not any(p.scale in (sc, "any") for p in scheme.populations.values()):
                why[(scale == sc) & (why == "")] = f"本方案不评价{label}"
    why[population != None] = ""
    return population, why


def apply_not_graded(ent: pd.DataFrame, scheme: Scheme, status: np.ndarray, population: np.ndarray,
                     reason: np.ndarray) -> None:
    """Move firms into the scheme's not-graded class (in place): those whose status the class takes
    and evaluated firms with one of its flags. They keep their reason and are never ranked."""
    ng = scheme.not_graded
    if ng is None:
        return
    take = np.isin(status, list(ng.statuses))
    for flag in ng.flags:
        hit = (ent[flag].to_numpy(dtype=float, na_value=0.0) == 1) & (status == "evaluated")
        reason[hit] = f"属“{FLAG_FIELDS[flag]}”情形"
        take |= hit
    status[take] = "not_graded"
    population[take] = None
    if ng.managed_as:
        pop = next(iter(scheme.populations.values()))
        note = f"政策上按{pop.tiers.full_name(ng.managed_as)}企业管理"
        reason[take] = [f"{r}；{note}" if r else note for r in reason[take]]


def prior_benchmark(rule: IndicatorRule, pid: str, label: str, prior: PriorFigures | None, scheme: Scheme) -> float:
    """淮安's "2 × last year's county mean": the figure from the attached prior-year result × factor."""
    b = rule.benchmark
    stat = "means" if b.method == "prior_mean" else "aggregates"
    ind = INDICATOR_BY_ID[rule.id]
    what = "平均值" if stat == "means" else "合计值之比"
    if prior is None:
        raise InputError(f"评价方案“{scheme.name}”中{label}“{ind.label}”的基准值取上年度参评企业{what}，"
                         "需要附上上年度评价结果（本软件输出的 .json 结果或保存的项目）后再评价")
    v = prior.figure(pid, stat, rule.id)
    if v is None and not prior.summary:
        raise InputError(f"上年度评价结果 {prior.source} 不含各群体的汇总数据（分类名单工作簿不含），无法按评价方案"
                         f"“{scheme.name}”计算{label}“{ind.label}”的基准值；请附上本软件输出的上年度 .json 结果")
    if v is None:
        year = f"{prior.year} 年度" if prior.year else "上年度"
        raise InputError(f"上年度评价结果 {prior.source}（{year}）中没有{label}“{ind.label}”的{what}，"
                         f"无法按评价方案“{scheme.name}”计算基准值；请附上含该群体该指标的上年结果")
    return v * b.factor


def _benchmark_values(rule: IndicatorRule, num: np.ndarray, den: np.ndarray, values: np.ndarray,
                      ok: np.ndarray, divisions: np.ndarray, prior_value: float | None = None
                      ) -> tuple[np.ndarray, float]:
    """Per-firm benchmark (array) and the population-level figure, per the rule's method."""
    b = rule.benchmark
    mult = INDICATOR_BY_ID[rule.id].multiplier

    def one(mask: np.ndarray) -> float:
        if b.method == "fixed":
            return float(b.value or 0.0)
        if b.method in PRIOR_METHODS:
            return float(prior_value if prior_value is not None else np.nan)
        if not mask.any():
            return float("nan")
        if b.method == "aggregate":
            d = den[mask].sum()
            v = num[mask].sum() / d * mult if d > 0 else float("nan")
        elif b.method == "mean":
            v = float(values[mask].mean())
        else:
            v = float(np.median(values[mask]))
        return v * b.factor

    pop_value = one(ok)
    per_firm = np.full(len(values), pop_value)
    if b.by_division and b.method in ("aggregate", "mean", "median"):
        for d in pd.unique(divisions[ok]):
            m = ok & (divisions == d)
            if m.sum() >= b.min_firms:
                per_firm[divisions == d] = one(m)
    return per_firm, pop_value


def _scores(rule: IndicatorRule, v: np.ndarray, bench: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Scores where the indicator is computable (NaN elsewhere, filled by the missing rule)."""
    s = np.full(len(v), np.nan)
    if rule.normalise == "ratio":
        good = ok & np.isfinite(bench) & (bench > 0)
        r = np.zeros(len(v))
        np.divide(v, bench, out=r, where=good)
        if rule.direction == "cost":
            r = np.maximum(0.0, 2.0 - r)
        if rule.floor is not None:
            r = np.maximum(r, rule.floor)
        if rule.cap is not None:
            r = np.minimum(r, rule.cap)
        s[ok] = np.where(good[ok], rule.weight * r[ok], 0.0)
    else:
        if ok.any():
            lo, hi = float(v[ok].min()), float(v[ok].max())
            t = np.ones(len(v)) if hi == lo else ((v - lo) / (hi - lo) if rule.direction == "benefit" else (hi - v) / (hi - lo))
            floor = rule.floor or 0.0
            s[ok] = rule.weight * (floor + (1 - floor) * t[ok])
    return s


def _points(flags: dict[str, np.ndarray], items: Sequence[Any], cap: float | None, n: int) -> np.ndarray:
    total = np.zeros(n)
    for it in items:
        total += np.where(flags[it.flag] == 1, it.points, 0.0)
    return np.minimum(total, cap) if cap is not None else total


def _order(total: np.ndarray, tie: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Firms by total descending, then the tie-break indicator descending (not computable last),
    then credit code ascending."""
    tie_key = np.where(np.isfinite(tie), -tie, np.inf)
    order = np.lexsort((tie_key, -total))  # last key is primary
    # Full ties on score and tie-break indicator are rare: order those runs by credit code only.
    t_s, k_s = total[order], tie_key[order]
    same = np.flatnonzero((t_s[1:] == t_s[:-1]) & (k_s[1:] == k_s[:-1]))
    if len(same):
        starts = same[np.r_[True, np.diff(same) > 1]]
        ends = same[np.r_[np.diff(same) > 1, True]] + 2
        for a, b in zip(starts, ends):
            run = order[a:b]
            order[a:b] = run[np.argsort(keys[run].astype(str), kind="stable")]
    return order


def _cut(order: np.ndarray, shares: Sequence[float], labels: Sequence[str]) -> np.ndarray:
    """Labels by position: 1..⌈s₁n⌉ the first tier, up to ⌈s₂n⌉ the second, …"""
    n = len(order)
    positions = np.empty(n, dtype=np.int64)
    positions[order] = np.arange(1, n + 1)
    bounds = [math.ceil(round(share * n, 9)) for share in shares]
    idx = np.searchsorted(np.asarray(bounds), positions, side="left")
    return np.asarray(labels, dtype=object)[idx]


def tier_groups(grouping: TierGrouping, values: np.ndarray
                ) -> tuple[np.ndarray, list[str], list[tuple[float, ...] | None]]:
    """Group code per firm (−1: the rest), names and shares; a group with fewer than `min_firms`
    firms joins the rest, which is cut with the population's shares."""
    code = np.full(len(values), -1, dtype=np.int64)
    names: list[str] = []
    shares: list[tuple[float, ...] | None] = []
    for g in grouping.groups:
        m = np.isin(values, list(g.members))
        if m.sum() >= grouping.min_firms:
            code[m] = len(names)
            names.append(g.name)
            shares.append(g.shares)
    return code, names, shares


def _initial_tiers(total: np.ndarray, tie: np.ndarray, keys: np.ndarray, rules: TierRules,
                   group_values: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Tier per firm of one population (by rank share, per group when the scheme groups, or by
    score threshold) and the name of the group each firm was cut in ("" without groups)."""
    n = len(total)
    out = np.empty(n, dtype=object)
    group_name = np.full(n, "", dtype=object)
    if n == 0:
        return out, group_name
    if rules.method == "score":
        idx = np.searchsorted(-np.asarray(rules.thresholds), -total, side="left")  # a score on the line reaches the tier
        return np.asarray(rules.labels, dtype=object)[idx], group_name
    if rules.grouping is None or group_values is None:
        return _cut(_order(total, tie, keys), rules.shares, rules.labels), group_name
    code, names, shares = tier_groups(rules.grouping, group_values)
    for g in range(-1, len(names)):
        m = np.flatnonzero(code == g)
        if not len(m):
            continue
        sh = rules.shares if g < 0 or shares[g] is None else shares[g]
        out[m] = _cut(_order(total[m], tie[m], keys[m]), sh, rules.labels)  # type: ignore[arg-type]
        group_name[m] = rules.grouping.rest_name if g < 0 else names[g]
    rest = code < 0
    if rules.grouping.fallback == "population" and rest.any():  # their place among all the population's firms
        out[rest] = _cut(_order(total, tie, keys), rules.shares, rules.labels)[rest]
        group_name[rest] = "全体"
    return out, group_name


def _move_hits(move: TierMove, flags: dict[str, np.ndarray], values: dict[str, np.ndarray]) -> np.ndarray:
    if move.flag is not None:
        return flags[move.flag] == 1
    c = move.condition
    assert c is not None
    v = values[c.source]
    with np.errstate(invalid="ignore"):
        return np.isfinite(v) & ((v < c.value) if c.op == "below" else (v >= c.value))


def _final_tiers(flags: dict[str, np.ndarray], initial: np.ndarray, rules: TierRules,
                 values: dict[str, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Tier moves in the order the scheme declares them (定档, 提档, 降档), then veto caps, then
    protection floors, each with the reason printed on the letter. Manual overrides come after."""
    rank = {lab: i for i, lab in enumerate(rules.labels)}
    final = initial.copy()
    reasons: dict[int, list[str]] = {}
    bottom = len(rules.labels) - 1
    for move in rules.moves:
        word = MOVE_ACTIONS[move.action]
        for i in np.flatnonzero(_move_hits(move, flags, values or {})):
            now = rank[final[i]]
            to = (rank[move.tier] if move.action == "fix" and move.tier else
                  max(now - 1, 0) if move.action == "up" else min(now + 1, bottom))
            if to == now:
                reasons.setdefault(i, []).append(f"{move.reason}（{word}，已为 {final[i]} 类，等级不变）")
                continue
            reasons.setdefault(i, []).append(f"{move.reason}，等级由 {final[i]} 类调整为 {rules.labels[to]} 类（{word}）")
            final[i] = rules.labels[to]
    if rules.veto_flags:
        vmax = rank[rules.veto_max]
        for flag in rules.veto_flags:
            for i in np.flatnonzero(flags[flag] == 1):
                if rank[final[i]] < vmax:
                    reasons.setdefault(i, []).append(
                        f"存在{FLAG_FIELDS[flag]}，等级由 {final[i]} 类调整为 {rules.veto_max} 类（一票否决，最高 {rules.veto_max} 类）")
                    final[i] = rules.veto_max
                else:
                    reasons.setdefault(i, []).append(f"存在{FLAG_FIELDS[flag]}（最高 {rules.veto_max} 类，等级不变）")
    if rules.protect_flags:
        pmin = rank[rules.protect_min]
        for flag in rules.protect_flags:
            for i in np.flatnonzero(flags[flag] == 1):
                if rank[final[i]] > pmin:
                    reasons.setdefault(i, []).append(
                        f"属{FLAG_FIELDS[flag]}企业，等级由 {final[i]} 类调整为 {rules.protect_min} 类（保护，最低 {rules.protect_min} 类）")
                    final[i] = rules.protect_min
    why = np.full(len(final), "", dtype=object)
    for i, r in reasons.items():
        why[i] = "；".join(r)
    return final, why


def competition_rank(score: np.ndarray, *groups: np.ndarray) -> np.ndarray:
    """1224 ranking, higher scores first, within groups; NaN scores or missing groups get no rank (0).

    numpy instead of `groupby().rank()`: sort once by (group, −score), then each firm's rank is its
    position minus the start of its group, taken at the first firm with the same score.
    """
    n = len(score)
    codes = np.zeros(n, dtype=np.int64)
    valid = np.isfinite(score)
    for g in groups:
        if g.dtype.kind in "iu":  # already integer codes (−1 = missing)
            c, size = g.astype(np.int64), int(g.max(initial=0)) + 1
        else:
            c, u = pd.factorize(g, use_na_sentinel=True)
            size = len(u)
        valid &= c >= 0
        codes = codes * (size + 1) + c
    ranks = np.zeros(n, dtype=np.int64)
    idx = np.flatnonzero(valid)
    if not len(idx):
        return ranks
    order = idx[np.lexsort((-score[idx], codes[idx]))]
    g_s, v_s = codes[order], score[order]
    pos = np.arange(len(order))
    new_group = np.r_[True, g_s[1:] != g_s[:-1]]
    new_run = new_group | np.r_[True, v_s[1:] != v_s[:-1]]
    group_start = np.maximum.accumulate(np.where(new_group, pos, 0))
    run_start = np.maximum.accumulate(np.where(new_run, pos, 0))
    ranks[order] = run_start - group_start + 1
    return ranks


def _round_scores(x: np.ndarray, decimals: int | None) -> np.ndarray:
    return x if decimals is None else round_half_up(x, decimals)


def evaluate(ent: pd.DataFrame, scheme: Scheme, year: int, overrides: Sequence[TierOverride] = (),
             prior: PriorFigures | None = None) -> Evaluation:
    """Score and grade a merged enterprise table (indexed by key) under `scheme` for year `year`.

    `prior`: last year's county figures, needed when a benchmark is taken from the prior year
    (an `InputError` saying so when it is missing). Works on column arrays and assembles the
    result frame once: sub-frames per population would copy every column.
    """
    ent, land_issues = apply_land_ledger(ent, scheme)
    n = len(ent)
    status_s, population_s, reason_s = assign_status(ent, scheme, year, prior)
    status, population = status_s.to_numpy(dtype=object, copy=True), population_s.to_numpy(dtype=object, copy=True)
    reason = reason_s.to_numpy(dtype=object, copy=True)
    apply_not_graded(ent, scheme, status, population, reason)
    division = division_of(ent["industry"])
    cols: dict[str, Any] = {"status": status, "population": population,
                            "status_reason": reason, "division": division.to_numpy(dtype=object)}
    ind = compute_indicators(ent)
    for i in INDICATORS:
        cols[f"v_{i.id}"] = ind[i.id].to_numpy()
    for iid in scheme.scored_indicators:
        cols[f"b_{iid}"] = np.full(n, np.nan)
        cols[f"s_{iid}"] = np.full(n, np.nan)
    for col in ("bonus", "penalty", "total_score"):
        cols[col] = np.full(n, np.nan)
    cols["initial_tier"] = np.full(n, None, dtype=object)
    cols["tier"] = np.full(n, None, dtype=object)
    cols["tier_reason"] = np.full(n, "", dtype=object)
    grouped = any(p.tiers.grouping is not None for p in scheme.populations.values())
    if grouped:
        cols["tier_group"] = np.full(n, "", dtype=object)
    benchmarks: dict[str, dict[str, float]] = {}
    issues: list[Issue] = [Issue("warning", w, scheme.path and scheme.path.rsplit("/", 1)[-1] or None)
                           for w in scheme.warnings] + land_issues
    tenants = ent["tenant_count"].to_numpy(dtype=float) if "tenant_count" in ent else np.zeros(n)
    if any(p.tenant_penalty is not None for p in scheme.populations.values()):
        cols["tenant_penalty"] = np.full(n, np.nan)
    keys = np.asarray(ent.index.to_numpy(dtype=object), dtype=object)
    divisions = np.array([d or "" for d in cols["division"]], dtype=object)
    numeric = {f: ent[f].to_numpy(dtype=float, na_value=np.nan) for f in set(
        [i.numerator for i in INDICATORS] + [i.denominator for i in INDICATORS])}
    all_flags = {f: ent[f].to_numpy(dtype=float, na_value=0.0) for f in FLAG_FIELDS}
    numeric_all = _numeric_fields(ent)
    for pid, pop in scheme.populations.items():
        m = cols["population"] == pid
        k = int(m.sum())
        benchmarks[pid] = {}
        total = np.zeros(k)
        for rule in pop.indicators:
            info = INDICATOR_BY_ID[rule.id]
            num = numeric[info.numerator][m]
            den = numeric[info.denominator][m]
            v = cols[f"v_{rule.id}"][m]
            ok = computable(num, den)
            prior_b = (prior_benchmark(rule, pid, pop.label, prior, scheme)
                       if rule.benchmark.method in PRIOR_METHODS else None)
            bench, pop_b = _benchmark_values(rule, num, den, v, ok, divisions[m], prior_b)
            benchmarks[pid][rule.id] = pop_b
            if k and not ok.any():
                done = ("无法取平均得分，该指标全部按 0 分计" if rule.missing == "average" else "该指标全部按 0 分计")
                issues.append(Issue("warning", f"{pop.label}中没有一家企业可以计算“{info.label}”（缺少{info.formula()}所需数据），{done}",
                                    code="indicator_not_computable"))
            elif k and rule.normalise == "ratio" and not (np.isfinite(pop_b) and pop_b > 0):
                issues.append(Issue("warning", f"{pop.label}“{info.label}”的基准值不大于 0（{format_quantity(pop_b, info.unit)}），该指标全部得 0 分",
                                    code="benchmark_not_positive"))
            decimals = rule.decimals if rule.decimals is not None else scheme.rounding.score_decimals
            sc = _round_scores(_scores(rule, v, bench, ok), decimals)
            fill = float(np.mean(sc[ok])) if rule.missing == "average" and ok.any() else 0.0
            sc = np.where(ok, sc, _round_scores(np.asarray(fill), decimals))
            cols[f"b_{rule.id}"][m] = bench
            cols[f"s_{rule.id}"][m] = sc
            total += sc
        flags = {f: a[m] for f, a in all_flags.items()}
        bonus = _points(flags, pop.bonus, pop.bonus_cap, k)
        penalty = _points(flags, pop.penalties, pop.penalty_cap, k)
        if pop.tenant_penalty is not None:  # landlords lose points per tenant (温岭), on top of the penalty items
            tp = pop.tenant_penalty.points(tenants[m])
            cols["tenant_penalty"][m] = tp
            penalty = penalty + tp
        total_score = total + bonus - penalty
        if scheme.rounding.total_decimals is not None:
            total_score = round_half_up(total_score, scheme.rounding.total_decimals)
        cols["bonus"][m] = bonus
        cols["penalty"][m] = penalty
        cols["total_score"][m] = total_score
        tie = cols[f"v_{pop.tiers.tiebreak}"][m] if pop.tiers.tiebreak else np.full(k, np.nan)
        group_values = None
        if pop.tiers.grouping is not None:
            src = divisions if pop.tiers.grouping.by == "division" else ent["township"].to_numpy(dtype=object)
            group_values = np.array(["" if x is None or x is pd.NA else str(x) for x in src[m]], dtype=object)
        initial, group_name = _initial_tiers(total_score, tie, keys[m], pop.tiers, group_values)
        if grouped:
            cols["tier_group"][m] = group_name
        values = {}
        if any(mv.condition is not None for mv in pop.tiers.moves):
            values = {**{f: a[m] for f, a in numeric_all.items()},
                      **{f"v_{i.id}": cols[f"v_{i.id}"][m] for i in INDICATORS}}
        final, why = _final_tiers(flags, initial, pop.tiers, values)
        cols["initial_tier"][m] = initial
        cols["tier"][m] = final
        cols["tier_reason"][m] = why
    # Explicit object columns: pandas 3 would otherwise infer its `str` dtype and turn None into NaN.
    frame = pd.DataFrame({c: (pd.Series(v, index=ent.index, dtype=object) if v.dtype == object else v)
                          for c, v in cols.items()}, index=ent.index)
    t = pd.concat([ent, frame], axis=1)
    _landlord_tiers(t, scheme)
    _apply_overrides(t, scheme, overrides)
    pop_codes = np.full(n, -1, dtype=np.int64)
    for i, pid in enumerate(scheme.populations):
        pop_codes[cols["population"] == pid] = i
    score = np.where(pop_codes >= 0, cols["total_score"], np.nan)
    town_codes, _ = pd.factorize(ent["township"].to_numpy(dtype=object), use_na_sentinel=True)
    div_codes, _ = pd.factorize(cols["division"], use_na_sentinel=True)
    for name, extra in (("rank", ()), ("township_rank", (town_codes,)), ("industry_rank", (div_codes,))):
        r = competition_rank(score, pop_codes, *extra)
        t[name] = pd.array(np.where(r > 0, r, 0), dtype="Int64")
        t.loc[r == 0, name] = pd.NA
    summary = summarise(t, scheme, benchmarks)
    return Evaluation(scheme, year, t, summary, benchmarks, issues)


def _numeric_fields(ent: pd.DataFrame) -> dict[str, np.ndarray]:
    from ..core.fields import FIELDS

    return {f.id: ent[f.id].to_numpy(dtype=float, na_value=np.nan) for f in FIELDS
            if f.kind == "number" and f.id in ent.columns}


def _apply_overrides(t: pd.DataFrame, scheme: Scheme, overrides: Sequence[TierOverride]) -> None:
    for o in overrides:
        if o.key not in t.index or t.at[o.key, "population"] is None:
            continue
        pop = scheme.populations[t.at[o.key, "population"]]
        if o.tier not in pop.tiers.labels:
            continue
        before = t.at[o.key, "tier"]
        if before == o.tier:
            continue
        note = f"手动调档：由 {before} 类调整为 {o.tier} 类，理由：{o.reason}"
        prev = t.at[o.key, "tier_reason"]
        t.at[o.key, "tier"] = o.tier
        t.at[o.key, "tier_reason"] = f"{prev}；{note}" if prev else note


def aggregates(t: pd.DataFrame) -> dict[str, float | None]:
    """Σ numerator / Σ denominator of every library indicator over the rows where it is computable."""
    return {k: v[0] for k, v in grouped_aggregates(t, np.zeros(len(t), dtype=np.int64), 1).items()}


def means(t: pd.DataFrame, rows: np.ndarray) -> dict[str, float | None]:
    """Mean of firm values of every library indicator over `rows` where it is computable (the
    "county average" a scheme such as 淮安's takes from last year)."""
    out: dict[str, float | None] = {}
    for i in INDICATORS:
        v = t[f"v_{i.id}"].to_numpy(dtype=float, na_value=np.nan)[rows]
        v = v[np.isfinite(v)]
        out[i.id] = float(v.mean()) if len(v) else None
    return out


def grouped_aggregates(t: pd.DataFrame, group: np.ndarray, n_groups: int) -> dict[str, list[float | None]]:
    """Σ/Σ per group for every library indicator, with bincount: one pass, no per-group frames."""
    out: dict[str, list[float | None]] = {}
    for i in INDICATORS:
        num = t[i.numerator].to_numpy(dtype=float, na_value=np.nan)
        den = t[i.denominator].to_numpy(dtype=float, na_value=np.nan)
        ok = computable(num, den) & (group >= 0)
        sn = np.bincount(group[ok], weights=num[ok], minlength=n_groups)
        sd = np.bincount(group[ok], weights=den[ok], minlength=n_groups)
        cnt = np.bincount(group[ok], minlength=n_groups)
        out[i.id] = [float(a / b * i.multiplier) if c and b > 0 else None for a, b, c in zip(sn, sd, cnt)]
    return out


def _tier_counts(tiers: pd.Series, labels: Sequence[str]) -> dict[str, int]:
    counts = tiers.value_counts()
    return {lab: int(counts.get(lab, 0)) for lab in labels}


def _by_group(ev: pd.DataFrame, col: str, labels: Sequence[str]) -> dict[str, Any]:
    codes, uniques = pd.factorize(ev[col].to_numpy(dtype=object), sort=True, use_na_sentinel=True)
    if (codes < 0).any():
        uniques = np.append(np.asarray(uniques, dtype=object), "（未填）")
        codes = np.where(codes < 0, len(uniques) - 1, codes)
    n = len(uniques)
    aggs = grouped_aggregates(ev, codes, n)
    counts = np.bincount(codes, minlength=n)
    score_sum = np.bincount(codes, weights=ev["total_score"].to_numpy(dtype=float), minlength=n)
    tier_code = pd.Categorical(ev["tier"].to_numpy(dtype=object), categories=list(labels)).codes
    joint = np.bincount(codes * (len(labels) + 1) + (tier_code + 1), minlength=n * (len(labels) + 1))
    joint = joint.reshape(n, len(labels) + 1)
    tier_counts = {lab: joint[:, j + 1] for j, lab in enumerate(labels)}
    return {str(u): {"evaluated": int(counts[g]),
                     "tiers": {lab: int(tier_counts[lab][g]) for lab in labels},
                     "mean_score": float(score_sum[g] / counts[g]) if counts[g] else None,
                     "aggregates": {k: v[g] for k, v in aggs.items()}}
            for g, u in enumerate(uniques)}


def summarise(t: pd.DataFrame, scheme: Scheme, benchmarks: dict[str, dict[str, float]]) -> dict[str, Any]:
    """Per population: counts by status and tier, benchmarks, county aggregates, by township/industry.

    Every firm is counted once: an evaluated firm in its population, any other in the first
    population of its scale (规上/规下), or in an entry of its own scale when the scheme evaluates
    none of that scale."""
    scale = np.where(t["above_scale"].to_numpy(dtype=float, na_value=np.nan) == 1, "above", "below")
    needed = list(dict.fromkeys([i.numerator for i in INDICATORS] + [i.denominator for i in INDICATORS]
                                + ["township", "division", "tier", "initial_tier", "total_score"]))
    population = t["population"].to_numpy(dtype=object)
    home = population.copy()
    for sc in POPULATIONS:
        first = next((p.id for p in scheme.populations.values() if p.scale in (sc, "any")), sc)
        home[(population == None) & (scale == sc)] = first
    uncovered = [sc for sc in POPULATIONS if not any(p.scale in (sc, "any") for p in scheme.populations.values())]
    entries = list(scheme.populations) + [sc for sc in uncovered if sc not in scheme.populations]
    out: dict[str, Any] = {}
    for pid in entries:
        pop: Population | None = scheme.populations.get(pid)
        in_scale = home == pid
        ev = t.loc[(population == pid), needed]
        labels = pop.tiers.labels if pop else ("A", "B", "C", "D")
        entry: dict[str, Any] = {"label": pop.label if pop else POPULATIONS[pid], "total": int(in_scale.sum())}
        status_counts = t["status"][in_scale].value_counts()
        for st in STATUS_LABELS:
            entry[st] = int(status_counts.get(st, 0))
        entry["tiers"] = _tier_counts(ev["tier"], labels)
        entry["initial_tiers"] = _tier_counts(ev["initial_tier"], labels)
        entry["benchmarks"] = {k: (None if not np.isfinite(v) else float(v)) for k, v in benchmarks.get(pid, {}).items()}
        entry["aggregates"] = aggregates(ev)
        entry["means"] = means(t, population == pid)
        entry["by_township"] = _by_group(ev, "township", labels)
        entry["by_industry"] = _by_group(ev, "division", labels)
        out[pid] = entry
    return out
