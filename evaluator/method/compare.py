"""方案模拟测算: the same firms graded under two schemes, side by side.

A county choosing next year's weights wants to see, before it decides, who would change tier and
why. `compare_evaluations` takes two evaluations of the same enterprise table (two schemes, or one
scheme with edited weights: `with_weights`) and returns per population the tier transition matrix
and the change of every benchmark, and the firms whose final tier changes with the reasons in plain
words (which indicator scores moved, through which weight or benchmark, and any tier rule).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from ..core.issues import InputError
from ..core.values import finite_or_none
from .evaluate import Evaluation
from .indicators import INDICATOR_BY_ID, format_number
from .scheme import Population, Scheme, dumps_scheme

OUTSIDE = "不在本名单"  # a firm in this population under one scheme only
MAX_REASONS = 3  # indicator score changes named per firm, largest first


@dataclass(frozen=True)
class PopulationComparison:
    id: str
    label: str
    matrix: pd.DataFrame  # rows: tier under A (+ OUTSIDE), columns: tier under B (+ OUTSIDE); counts
    benchmarks: pd.DataFrame  # indicator, unit, benchmark under A and B, change (NaN where not scored)
    moved: int  # firms of this population (under either scheme) whose final tier or list differs


@dataclass(frozen=True)
class Comparison:
    scheme_a: Scheme
    scheme_b: Scheme
    year: int
    populations: tuple[PopulationComparison, ...]
    movers: pd.DataFrame  # one row per firm whose tier or list changes, with `reason`


def with_weights(scheme: Scheme, weights: dict[str, float]) -> Scheme:
    """The scheme with some indicator weights changed (`{"above.tax_per_mu": 40}`), for a quick
    comparison; the id and version say it is a variant. Unknown names are an `InputError`."""
    pops = dict(scheme.populations)
    for name, w in weights.items():
        pid, _, iid = name.partition(".")
        pop = pops.get(pid)
        if pop is None or iid not in {r.id for r in pop.indicators}:
            known = "、".join(f"{p.id}.{r.id}" for p in pops.values() for r in p.indicators)
            raise InputError(f"权重“{name}”不是本方案的计分指标（可用：{known}）")
        if not math.isfinite(w) or w <= 0:
            raise InputError(f"权重“{name}”应为大于 0 的数字，实际为 {w:g}")
        pops[pid] = replace(pop, indicators=tuple(replace(r, weight=float(w)) if r.id == iid else r
                                                  for r in pop.indicators))
    text = "；".join(f"{k} = {v:g}" for k, v in weights.items())
    variant = replace(scheme, populations=pops, version=f"{scheme.version}（调整权重：{text}）")
    return replace(variant, text=dumps_scheme(variant))  # the text reproduces the variant, as for any scheme


def _position(pop: Population | None, tier: Any) -> int | None:
    return pop.tiers.labels.index(tier) if pop is not None and tier in pop.tiers.labels else None


def _benchmarks(a: Evaluation, b: Evaluation, pid: str) -> pd.DataFrame:
    ba, bb = a.benchmarks.get(pid, {}), b.benchmarks.get(pid, {})
    rows = []
    for iid in dict.fromkeys([*ba, *bb]):
        va, vb = finite_or_none(ba.get(iid)), finite_or_none(bb.get(iid))
        ind = INDICATOR_BY_ID[iid]
        rows.append({"indicator": iid, "label": ind.label, "unit": ind.unit, "a": va, "b": vb,
                     "change": (vb - va) if va is not None and vb is not None else None})
    return pd.DataFrame(rows, columns=["indicator", "label", "unit", "a", "b", "change"])


def _cut(pop: Population) -> tuple[str, str]:
    """How a population is cut into tiers, as (kind, values): ("比例", "20%/70%/95%")."""
    t = pop.tiers
    if t.method == "score":
        return "分数线", "/".join(f"{x:g}" for x in t.thresholds)
    return "比例", "/".join(f"{x * 100:g}%" for x in t.shares)


def _reason(ra: pd.Series, rb: pd.Series, pop_a: Population | None, pop_b: Population | None) -> str:
    """Why a firm's tier differs, in the words of the scheme page: list, total, the indicator scores
    that moved most (with the weight or benchmark behind it), rank, and tier rules of scheme B."""
    parts: list[str] = []
    if pop_a is None or pop_b is None or pop_a.id != pop_b.id:
        parts.append(f"名单由“{pop_a.label if pop_a else '未参评'}”变为“{pop_b.label if pop_b else '未参评'}”")
    ta, tb = finite_or_none(ra["total_score"]), finite_or_none(rb["total_score"])
    if ta is not None and tb is not None:
        parts.append(f"总分 {format_number(ta, '分')} → {format_number(tb, '分')}")
    if pop_a is not None and pop_b is not None:
        rules_a = {r.id: r for r in pop_a.indicators}
        changes = []
        for r in pop_b.indicators:
            sa = finite_or_none(ra.get(f"s_{r.id}")) if r.id in rules_a else 0.0
            sb = finite_or_none(rb.get(f"s_{r.id}"))
            if sa is None or sb is None or abs(sb - sa) < 0.005:
                continue
            why = []
            old = rules_a.get(r.id)
            if old is None:
                why.append("新增指标")
            elif old.weight != r.weight:
                why.append(f"权重 {old.weight:g} → {r.weight:g}")
            ba, bb = finite_or_none(ra.get(f"b_{r.id}")), finite_or_none(rb.get(f"b_{r.id}"))
            unit = INDICATOR_BY_ID[r.id].unit
            if ba is not None and bb is not None and format_number(ba, unit) != format_number(bb, unit):
                why.append(f"基准值 {format_number(ba, unit)} → {format_number(bb, unit)}")
            changes.append((abs(sb - sa), f"{r.label}得分 {sb - sa:+.2f}" + (f"（{'，'.join(why)}）" if why else "")))
        for r in pop_a.indicators:
            if r.id not in {x.id for x in pop_b.indicators}:
                sa = finite_or_none(ra.get(f"s_{r.id}")) or 0.0
                changes.append((abs(sa), f"{r.label}得分 {-sa:+.2f}（不再计分）"))
        parts += [text for _, text in sorted(changes, key=lambda x: -x[0])[:MAX_REASONS]]
    na, nb = finite_or_none(ra["rank"]), finite_or_none(rb["rank"])
    if na is not None and nb is not None and na != nb:
        parts.append(f"名次 {int(na)} → {int(nb)}")
    if pop_a is not None and pop_b is not None and _cut(pop_a) != _cut(pop_b):
        (ka, va), (kb, vb) = _cut(pop_a), _cut(pop_b)
        parts.append(f"分档{ka} {va} → {vb}" if ka == kb else f"分档由{ka} {va} 改为{kb} {vb}")
    why_b = str(rb["tier_reason"] or "")
    if why_b and why_b != str(ra["tier_reason"] or ""):
        parts.append(why_b)
    return "；".join(parts)


def compare_evaluations(a: Evaluation, b: Evaluation) -> Comparison:
    """Scheme A against scheme B on the same enterprise table (same index, same year)."""
    ta, tb = a.table, b.table
    if not ta.index.equals(tb.index):
        raise InputError("两次评价的企业不同，无法比较（应为同一批数据）")
    pa, pb = ta["population"].to_numpy(dtype=object), tb["population"].to_numpy(dtype=object)
    tier_a, tier_b = ta["tier"].to_numpy(dtype=object), tb["tier"].to_numpy(dtype=object)
    changed = (pa != pb) | (tier_a != tier_b)
    pops = dict.fromkeys([*a.scheme.populations, *b.scheme.populations])
    out: list[PopulationComparison] = []
    for pid in pops:
        pop_a, pop_b = a.scheme.populations.get(pid), b.scheme.populations.get(pid)
        in_a, in_b = pa == pid, pb == pid
        rows = np.where(in_a, tier_a, OUTSIDE)[in_a | in_b]
        cols = np.where(in_b, tier_b, OUTSIDE)[in_a | in_b]
        la = [*(pop_a.tiers.labels if pop_a else ()), OUTSIDE]
        lb = [*(pop_b.tiers.labels if pop_b else ()), OUTSIDE]
        matrix = pd.crosstab(pd.Categorical(rows, categories=la), pd.Categorical(cols, categories=lb), dropna=False)
        matrix.index.name, matrix.columns.name = a.scheme.name, b.scheme.name
        label = (pop_b or pop_a).label  # type: ignore[union-attr]
        out.append(PopulationComparison(pid, label, matrix.astype(int), _benchmarks(a, b, pid),
                                        int((changed & (in_a | in_b)).sum())))
    movers = []
    for i in np.flatnonzero(changed):
        ra, rb = ta.iloc[i], tb.iloc[i]
        pop_a = a.scheme.populations.get(pa[i]) if pa[i] is not None else None
        pop_b = b.scheme.populations.get(pb[i]) if pb[i] is not None else None
        pos_a, pos_b = _position(pop_a, tier_a[i]), _position(pop_b, tier_b[i])
        direction = ("升档" if pos_b < pos_a else "降档" if pos_b > pos_a else "同档") if (
            pos_a is not None and pos_b is not None) else ("新参评" if pos_a is None and pos_b is not None else
                                                           "不再参评" if pos_b is None and pos_a is not None else "")
        movers.append({"key": str(ta.index[i]), "credit_code": ra.get("credit_code"), "name": ra.get("name"),
                       "township": ra.get("township"),
                       "population_a": pop_a.label if pop_a else "", "population_b": pop_b.label if pop_b else "",
                       "tier_a": tier_a[i] or "", "tier_b": tier_b[i] or "", "change": direction,
                       "score_a": finite_or_none(ra["total_score"]), "score_b": finite_or_none(rb["total_score"]),
                       "rank_a": finite_or_none(ra["rank"]), "rank_b": finite_or_none(rb["rank"]), "reason": _reason(ra, rb, pop_a, pop_b)})
    cols = ["key", "credit_code", "name", "township", "population_a", "population_b", "tier_a", "tier_b", "change",
            "score_a", "score_b", "rank_a", "rank_b", "reason"]
    return Comparison(a.scheme, b.scheme, a.year, tuple(out), pd.DataFrame(movers, columns=cols))
