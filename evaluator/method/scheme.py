"""Evaluation schemes as data: a TOML file, validated on load with messages an official can act on.

No two counties use the same scheme, so everything a county changes (indicators, weights,
benchmarks, caps, missing-data rules, bonus, veto, tier shares and names, policies) is read from
the file. The full text is kept so that a result can be reproduced and printed with its scheme.
The schema is documented in `templates/schemes/README.md`.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ..core.fields import FLAG_FIELDS
from ..core.issues import InputError
from ..core.paths import templates_dir
from ..core.tomlfiles import parse_toml, read_text
from .indicators import INDICATOR_BY_ID

POPULATIONS: dict[str, str] = {"above": "规上企业", "below": "规下企业"}
BENCHMARK_METHODS = ("aggregate", "mean", "median", "fixed", "prior_aggregate", "prior_mean")
PRIOR_METHODS = ("prior_aggregate", "prior_mean")
MOVE_ACTIONS: dict[str, str] = {"fix": "定档", "up": "提档", "down": "降档"}
NOT_GRADED_STATUSES = ("exempt", "incomplete", "out_of_scope")
MAX_DECIMALS = 6


@dataclass(frozen=True)
class Benchmark:
    method: Literal["aggregate", "mean", "median", "fixed", "prior_aggregate", "prior_mean"] = "aggregate"
    value: float | None = None
    factor: float = 1.0
    by_division: bool = False
    min_firms: int = 5

    def describe(self) -> str:
        base = {"aggregate": "全体参评企业合计值之比（Σ分子/Σ分母）", "mean": "参评企业平均值",
                "median": "参评企业中位数", "fixed": f"固定值 {self.value:g}" if self.value is not None else "固定值",
                "prior_aggregate": "上年度参评企业合计值之比（Σ分子/Σ分母）",
                "prior_mean": "上年度参评企业平均值"}[self.method]
        if self.by_division:
            base = f"分行业（大类）{base}，不足 {self.min_firms} 家的行业用全体"
        if self.factor != 1.0:
            base += f" × {self.factor:g}"
        return base


@dataclass(frozen=True)
class IndicatorRule:
    id: str
    weight: float
    missing: Literal["zero", "average"] = "zero"
    benchmark: Benchmark = field(default_factory=Benchmark)
    normalise: Literal["ratio", "minmax"] = "ratio"
    direction: Literal["benefit", "cost"] = "benefit"
    cap: float | None = None  # ratio: cap on v/b (a multiple of the weight)
    floor: float | None = 0.0  # ratio: floor on v/b; minmax: the floor fraction (旌德 0.2)
    decimals: int | None = None  # the score rounded half-up to this many decimals (None: the scheme's score_decimals)

    @property
    def label(self) -> str:
        return INDICATOR_BY_ID[self.id].label


@dataclass(frozen=True)
class FlagPoints:
    flag: str
    points: float

    @property
    def label(self) -> str:
        return FLAG_FIELDS[self.flag]


@dataclass(frozen=True)
class Condition:
    """`rd_expense < 100`: a field (canonical units) or an indicator compared with a number.
    A firm whose value is missing does not meet the condition."""

    source: str  # a field id or `v_<indicator>`
    op: Literal["below", "at_least"]
    value: float


@dataclass(frozen=True)
class TierMove:
    """定档 (fix to a tier), 提档 (one tier up) or 降档 (one tier down) for firms with a flag or
    meeting a condition; `reason` is the plain sentence printed on the letter."""

    action: Literal["fix", "up", "down"]
    reason: str
    flag: str | None = None
    condition: Condition | None = None
    tier: str | None = None  # fix only


@dataclass(frozen=True)
class TierGroup:
    """A grouping cut on its own (温岭's industry groups): `members` are division codes or townships."""

    name: str
    members: tuple[str, ...]
    shares: tuple[float, ...] | None = None  # None: the population's shares


@dataclass(frozen=True)
class TierGrouping:
    by: Literal["division", "township"]
    groups: tuple[TierGroup, ...]
    min_firms: int = 1  # a group with fewer evaluated firms is cut together with the rest (其他)
    rest_name: str = "其他"
    # The rest (firms in no listed group, and small groups): "rest" cut among themselves with the
    # population's shares; "population" take the tier of their place in the whole population.
    fallback: Literal["rest", "population"] = "rest"


@dataclass(frozen=True)
class TierRules:
    method: Literal["rank_share", "score"] = "rank_share"
    labels: tuple[str, ...] = ("A", "B", "C", "D")
    names: dict[str, str] = field(default_factory=dict)
    shares: tuple[float, ...] = (0.20, 0.70, 0.95)
    thresholds: tuple[float, ...] = ()
    tiebreak: str | None = "tax_per_mu"
    veto_flags: tuple[str, ...] = ()
    veto_max: str = "C"
    protect_flags: tuple[str, ...] = ()
    protect_min: str = "C"
    policies: dict[str, str] = field(default_factory=dict)
    moves: tuple[TierMove, ...] = ()
    grouping: TierGrouping | None = None

    def position(self, label: str | None) -> int:
        """0 for the top tier …; tiers sort and colour by their place in the scheme, not by letter."""
        return self.labels.index(label) if label in self.labels else len(self.labels)

    def full_name(self, label: str | None) -> str:
        """`A类（优先发展类）` as printed on letters and lists."""
        if not label:
            return ""
        name = self.names.get(label, "")
        return f"{label}类（{name}）" if name else f"{label}类"


@dataclass(frozen=True)
class TenantPenalty:
    """温岭: points off a landlord per firm renting from it: `first` for the first, `further` for each
    further one, at most `cap` in all (None: no cap)."""

    first: float
    further: float
    cap: float | None = None

    def points(self, tenants: np.ndarray) -> np.ndarray:
        p = np.where(tenants >= 1, self.first + self.further * np.maximum(tenants - 1, 0), 0.0)
        return np.minimum(p, self.cap) if self.cap is not None else p


@dataclass(frozen=True)
class LandRules:
    """How the land ledger of a lease file is used (without a lease file land is the parcels' sum)."""

    ledger: bool = True  # evaluated land = own + rented in − rented out
    floor_factor: float = 0.0  # 亩 of land per ㎡ of factory floor rented; 0: floor area not counted
    landlord_tier: tuple[str, ...] = ()  # populations whose tenants take their landlord's final tier (江山)


@dataclass(frozen=True)
class Population:
    id: str
    label: str
    min_land: float
    indicators: tuple[IndicatorRule, ...]
    bonus: tuple[FlagPoints, ...]
    bonus_cap: float | None
    penalties: tuple[FlagPoints, ...]
    penalty_cap: float | None
    tiers: TierRules
    # Membership (a firm goes to the first population, in the scheme's order, whose rules it meets):
    scale: Literal["above", "below", "any"] = "any"
    max_land: float | None = None  # land < max_land (规下 < 3 亩)
    divisions: tuple[str, ...] = ()  # only these industry divisions (empty: all)
    exclude_divisions: tuple[str, ...] = ()
    prior_tiers: tuple[str, ...] = ()  # admitted whatever the land when last year's tier is one of these (路桥: D)
    tenant: bool | None = None  # True: only firms with no land of their own that rent (租赁企业); False: none of them
    min_floor: float | None = None  # floor area rented ≥ this many ㎡ (罗庄's 多层厂房 list: 2,000 ㎡)
    tenant_penalty: TenantPenalty | None = None

    def membership(self) -> str:
        """The population's rules in words, for the scheme page and the letters' method notes."""
        parts = [{"above": "规上企业", "below": "规下企业", "any": "规上、规下企业"}[self.scale]]
        if self.min_land > 0:
            parts.append(f"用地 {self.min_land:g} 亩及以上")
        if self.max_land is not None:
            parts.append(f"用地不足 {self.max_land:g} 亩")
        if self.divisions:
            parts.append(f"行业大类 {'、'.join(self.divisions)}")
        if self.exclude_divisions:
            parts.append(f"不含行业大类 {'、'.join(self.exclude_divisions)}")
        if self.tenant is True:
            parts.append("无自有用地、租用厂房或土地的企业")
        if self.tenant is False:
            parts.append("不含无自有用地的租赁企业")
        if self.min_floor is not None:
            parts.append(f"租用厂房 {self.min_floor:g} 平方米及以上")
        if self.prior_tiers:
            parts.append(f"上年为 {'、'.join(self.prior_tiers)} 类的企业不论用地均参评")
        return "，".join(parts)


@dataclass(frozen=True)
class StatusRules:
    exempt_divisions: tuple[str, ...] = ("44", "45", "46")
    new_firm_years: int = 2  # commissioned in Y or Y−1 → exempt


@dataclass(frozen=True)
class Rounding:
    """Half-up rounding the scheme publishes; None: not rounded (the reference scheme, METHOD §4).
    When `total_decimals` is set, ordering, tiers and ranks use the rounded total."""

    total_decimals: int | None = None
    score_decimals: int | None = None


@dataclass(frozen=True)
class NotGraded:
    """The 暂不评价 class (淮安/济宁 T): listed, counted and printed, never ranked."""

    label: str = "T"
    name: str = "暂不评价"
    statuses: tuple[str, ...] = ("exempt",)  # firms with these statuses are in the class
    flags: tuple[str, ...] = ()  # firms otherwise evaluated but with one of these flags too
    managed_as: str | None = None  # policy text: managed as this tier (an Anhui city: as B)

    def full_name(self) -> str:
        return f"{self.label}类（{self.name}）" if self.name else f"{self.label}类"


@dataclass(frozen=True)
class Scheme:
    id: str
    name: str
    version: str
    year: int | None
    authority: str
    source: str
    description: str
    status: StatusRules
    populations: dict[str, Population]
    text: str = ""  # the TOML as loaded; kept for reproduction and the project file
    path: str = ""
    rounding: Rounding = field(default_factory=Rounding)
    not_graded: NotGraded | None = None
    warnings: tuple[str, ...] = ()
    land: LandRules = field(default_factory=LandRules)  # doubtful but legal settings (a weight total other than 100)

    @property
    def uses_prior(self) -> bool:
        """Whether the evaluation needs the prior-year result (a benchmark or a membership rule)."""
        return any(r.benchmark.method in PRIOR_METHODS for p in self.populations.values() for r in p.indicators) or any(
            p.prior_tiers for p in self.populations.values())

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:12]

    @property
    def scored_indicators(self) -> list[str]:
        seen: dict[str, None] = {}
        for p in self.populations.values():
            for r in p.indicators:
                seen.setdefault(r.id, None)
        return list(seen)

    def with_text(self, text: str, path: str = "") -> Scheme:
        return replace(self, text=text, path=path)


class _Reader:
    """Walks the parsed TOML, collecting the path of each key for messages."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, where: str, msg: str) -> InputError:
        loc = f"（{where}）" if where else ""
        return InputError(f"方案文件 {self.source}{loc}：{msg}")

    def table(self, data: dict[str, Any], key: str, where: str, allowed: set[str] | None = None) -> dict[str, Any]:
        v = data.get(key, {})
        if not isinstance(v, dict):
            raise self.fail(f"{where}.{key}".strip("."), "应为表（[...] 形式）")
        if allowed is not None:
            self.only(v, allowed, f"{where}.{key}".strip("."))
        return v

    def entries(self, items: list[Any], where: str, allowed: set[str], shape: str
                ) -> Iterator[tuple[str, dict[str, Any]]]:
        """Each item of a list of tables with its place (`where 第 i 项`); an item that is not a
        table (`shape` says what it should be) or has unknown keys is an error."""
        for i, it in enumerate(items, 1):
            w = f"{where} 第 {i} 项"
            if not isinstance(it, dict):
                raise self.fail(w, shape)
            self.only(it, allowed, w)
            yield w, it

    def only(self, data: dict[str, Any], allowed: set[str], where: str) -> None:
        unknown = [k for k in data if k not in allowed]
        if unknown:
            raise self.fail(where, f"未知的设置项“{'、'.join(unknown)}”（可用：{'、'.join(sorted(allowed))}）")

    def number(self, data: dict[str, Any], key: str, where: str, default: float | None = None,
               positive: bool = False, allow_none: bool = False, lo: float | None = None,
               hi: float | None = None, integer: bool = False) -> float | None:
        """A finite number within [lo, hi] (and > 0 when `positive`); the message names the key."""
        if key not in data:
            if default is None and not allow_none:
                raise self.fail(where, f"缺少“{key}”")
            return default
        v = data[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.fail(where, f"“{key}”应为数字，实际为“{v}”")
        if not math.isfinite(v):
            raise self.fail(where, f"“{key}”应为有限的数字，实际为 {v}")
        if integer and v != int(v):
            raise self.fail(where, f"“{key}”应为整数，实际为 {v:g}")
        if positive and v <= 0:
            raise self.fail(where, f"“{key}”应大于 0，实际为 {v:g}")
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            rng = f"在 {lo:g} 到 {hi:g} 之间" if lo is not None and hi is not None else (
                f"不小于 {lo:g}" if lo is not None else f"不大于 {hi:g}")
            raise self.fail(where, f"“{key}”应{rng}，实际为 {v:g}")
        return float(v)

    def label(self, v: Any, where: str, labels: tuple[str, ...]) -> str:
        if not isinstance(v, str) or v not in labels:
            raise self.fail(where, f"等级“{v}”不在等级列表 {list(labels)} 中")
        return v

    def choice(self, data: dict[str, Any], key: str, where: str, options: tuple[str, ...], default: str) -> str:
        v = data.get(key, default)
        if v not in options:
            raise self.fail(where, f"“{key}”应为 {' / '.join(options)} 之一，实际为“{v}”")
        return str(v)

    def flags(self, values: Any, where: str) -> tuple[str, ...]:
        if not isinstance(values, list) or not all(isinstance(x, str) for x in values):
            raise self.fail(where, "应为标志名列表，如 [\"safety_accident\"]")
        for f in values:
            if f not in FLAG_FIELDS:
                raise self.fail(where, f"未知标志“{f}”（可用：{'、'.join(f'{k}（{v}）' for k, v in FLAG_FIELDS.items())}）")
        return tuple(values)


def _benchmark(r: _Reader, raw: Any, where: str) -> Benchmark:
    if isinstance(raw, str):
        raw = {"method": raw}
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        raw = {"method": "fixed", "value": raw}
    if not isinstance(raw, dict):
        raise r.fail(where, "benchmark 应为 \"aggregate\"、数字，或 { method = …, value = …, factor = … }")
    r.only(raw, {"method", "value", "factor", "by_division", "min_firms"}, where)
    method = r.choice(raw, "method", where, BENCHMARK_METHODS, "aggregate")
    value = r.number(raw, "value", where, positive=True) if method == "fixed" else None
    if method != "fixed" and "value" in raw:
        raise r.fail(where, "只有 method = \"fixed\" 时才能设置 value")
    factor = r.number(raw, "factor", where, 1.0, positive=True, hi=100) or 1.0
    by_div = raw.get("by_division", False)
    if not isinstance(by_div, bool):
        raise r.fail(where, "by_division 应为 true 或 false")
    if by_div and method in PRIOR_METHODS:
        raise r.fail(where, "上年度基准值按全群体计算，不能同时设置 by_division")
    min_firms = int(r.number(raw, "min_firms", where, 5.0, lo=1, hi=10000, integer=True) or 5)
    return Benchmark(method, value, factor, by_div, min_firms)  # type: ignore[arg-type]


def _indicator(r: _Reader, raw: Any, where: str) -> IndicatorRule:
    if not isinstance(raw, dict):
        raise r.fail(where, "指标应为表")
    r.only(raw, {"id", "weight", "missing", "benchmark", "normalise", "direction", "cap", "floor", "decimals", "note"},
           where)
    iid = raw.get("id")
    if iid not in INDICATOR_BY_ID:
        opts = "、".join(f"{k}（{v.label}）" for k, v in INDICATOR_BY_ID.items())
        raise r.fail(where, f"未知指标“{iid}”（可用：{opts}）")
    weight = r.number(raw, "weight", where, positive=True, hi=1000)
    missing = r.choice(raw, "missing", where, ("zero", "average"), "zero")
    normalise = r.choice(raw, "normalise", where, ("ratio", "minmax"), "ratio")
    direction = r.choice(raw, "direction", where, ("benefit", "cost"), "benefit")
    cap = r.number(raw, "cap", where, allow_none=True, positive=True, hi=100)
    floor = None if raw.get("floor") == "none" else r.number(raw, "floor", where, 0.0, allow_none=True, lo=-100, hi=100)
    if normalise == "minmax" and floor is not None and not 0 <= floor < 1:
        raise r.fail(where, "minmax 的 floor 为保底比例，应在 0 与 1 之间（如 0.2）")
    if cap is not None and floor is not None and normalise == "ratio" and floor >= cap:
        raise r.fail(where, f"floor（{floor:g}）应小于 cap（{cap:g}）")
    decimals = r.number(raw, "decimals", where, allow_none=True, lo=0, hi=MAX_DECIMALS, integer=True)
    bench = _benchmark(r, raw.get("benchmark", "aggregate"), f"{where}.benchmark")
    return IndicatorRule(iid, float(weight or 0), missing, bench, normalise, direction, cap, floor,  # type: ignore[arg-type]
                         None if decimals is None else int(decimals))


def _points(r: _Reader, raw: Any, where: str) -> tuple[tuple[FlagPoints, ...], float | None]:
    if raw is None:
        return (), None
    if not isinstance(raw, dict):
        raise r.fail(where, "应为表，含 cap 与 items")
    r.only(raw, {"cap", "items"}, where)
    cap = r.number(raw, "cap", where, allow_none=True, positive=True, hi=1000)
    items = raw.get("items", [])
    if not isinstance(items, list):
        raise r.fail(where, "items 应为列表")
    out = []
    for w, it in r.entries(items, f"{where}.items", {"flag", "points", "note"}, "应为 { flag = …, points = … }"):
        (flag,) = r.flags([it.get("flag")], w)
        out.append(FlagPoints(flag, float(r.number(it, "points", w, positive=True, hi=1000) or 0)))
    return tuple(out), cap


def _number_list(r: _Reader, raw: Any, where: str, example: str) -> tuple[float, ...]:
    if not isinstance(raw, list) or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in raw):
        raise r.fail(where, f"应为数字列表，如 {example}")
    if not all(math.isfinite(x) for x in raw):
        raise r.fail(where, f"应为有限的数字，实际为 {list(raw)}")
    return tuple(float(x) for x in raw)


def _check_shares(r: _Reader, shares: tuple[float, ...], n: int, where: str) -> None:
    if len(shares) != n - 1:
        raise r.fail(where, f"{n} 个等级需要 {n - 1} 个累计比例，实际为 {len(shares)} 个")
    if any(not 0 < x <= 1 for x in shares) or list(shares) != sorted(shares) or len(set(shares)) != len(shares):
        raise r.fail(where, f"累计比例应在 0 到 1 之间且逐级递增，实际为 {list(shares)}")


def _condition(r: _Reader, raw: Any, where: str) -> Condition:
    from ..core.fields import FIELDS

    numeric = {f.id: f for f in FIELDS if f.kind == "number"}
    if not isinstance(raw, dict):
        raise r.fail(where, "应为 { field = \"rd_expense\", below = 100 } 或 { indicator = \"rd_intensity\", below = 2 }")
    r.only(raw, {"field", "indicator", "below", "at_least"}, where)
    if ("field" in raw) == ("indicator" in raw):
        raise r.fail(where, "field 与 indicator 应设且只设一个")
    if "field" in raw:
        f = raw["field"]
        if f not in numeric:
            opts = "、".join(numeric)
            raise r.fail(where, f"未知的数值字段“{f}”（可用：{opts}）")
        source = str(f)
    else:
        i = raw["indicator"]
        if i not in INDICATOR_BY_ID:
            raise r.fail(where, f"未知指标“{i}”")
        source = f"v_{i}"
    if ("below" in raw) == ("at_least" in raw):
        raise r.fail(where, "below 与 at_least 应设且只设一个")
    op = "below" if "below" in raw else "at_least"
    return Condition(source, op, float(r.number(raw, op, where) or 0.0))  # type: ignore[arg-type]


def _moves(r: _Reader, raw: Any, where: str, labels: tuple[str, ...]) -> tuple[TierMove, ...]:
    if not isinstance(raw, list):
        raise r.fail(where, "应为列表，如 [{ action = \"up\", flag = \"high_tech\", reason = \"……\" }]")
    out = []
    for w, m in r.entries(raw, where, {"action", "flag", "when", "tier", "reason"}, "应为表"):
        action = r.choice(m, "action", w, tuple(MOVE_ACTIONS), "")
        if ("flag" in m) == ("when" in m):
            raise r.fail(w, "flag 与 when 应设且只设一个")
        flag = r.flags([m["flag"]], w)[0] if "flag" in m else None
        cond = _condition(r, m["when"], f"{w}.when") if "when" in m else None
        tier = None
        if action == "fix":
            tier = r.label(m.get("tier"), f"{w}.tier", labels)
        elif "tier" in m:
            raise r.fail(w, "只有 action = \"fix\"（定档）时才能设置 tier")
        reason = m.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise r.fail(w, "缺少 reason（打印在告知书上的调档理由）")
        out.append(TierMove(action, reason.strip(), flag, cond, tier))  # type: ignore[arg-type]
    return tuple(out)


def _grouping(r: _Reader, raw: Any, where: str, n_labels: int) -> TierGrouping:
    if not isinstance(raw, dict):
        raise r.fail(where, "应为表：by、min_firms 与 [[….groups.list]]")
    r.only(raw, {"by", "min_firms", "rest_name", "fallback", "list"}, where)
    by = r.choice(raw, "by", where, ("division", "township"), "division")
    fallback = r.choice(raw, "fallback", where, ("rest", "population"), "rest")
    min_firms = int(r.number(raw, "min_firms", where, 1.0, lo=1, hi=10000, integer=True) or 1)
    rest = str(raw.get("rest_name", "其他"))
    items = raw.get("list", [])
    if not isinstance(items, list) or not items:
        raise r.fail(f"{where}.list", "至少需要一个分组 { name = …, members = [...] }")
    groups, seen = [], {}
    for w, g in r.entries(items, f"{where}.list", {"name", "members", "shares"}, "应为表"):
        name = g.get("name")
        if not isinstance(name, str) or not name.strip():
            raise r.fail(w, "缺少分组名称 name")
        members = g.get("members")
        if not isinstance(members, list) or not members:
            raise r.fail(w, "members 应为行业大类代码（如 [\"33\", \"34\"]）或乡镇名称的列表")
        mem = tuple(str(x).zfill(2) if by == "division" else str(x).strip() for x in members)
        for x in mem:
            if x in seen:
                raise r.fail(w, f"“{x}”已在分组“{seen[x]}”中")
            seen[x] = name
        shares = None
        if "shares" in g:
            shares = _number_list(r, g["shares"], f"{w}.shares", "[0.05, 0.60, 0.95]")
            _check_shares(r, shares, n_labels, f"{w}.shares")
        groups.append(TierGroup(name.strip(), mem, shares))
    return TierGrouping(by, tuple(groups), min_firms, rest, fallback)  # type: ignore[arg-type]


def _tiers(r: _Reader, raw: dict[str, Any], where: str, base: TierRules | None = None) -> TierRules:
    r.only(raw, {"method", "shares", "thresholds", "labels", "policies", "tiebreak", "veto", "protect", "moves",
                 "groups"}, where)
    b = base or TierRules()
    method = r.choice(raw, "method", where, ("rank_share", "score"), b.method)
    labels_raw = raw.get("labels")
    if labels_raw is None:
        labels, names = b.labels, dict(b.names)
    else:
        if not isinstance(labels_raw, dict) or len(labels_raw) < 2:
            raise r.fail(f"{where}.labels", "应为表，按从高到低列出至少两个等级，如 A = \"优先发展类\"")
        if any(not str(k).strip() for k in labels_raw):
            raise r.fail(f"{where}.labels", "等级代码不能为空")
        labels, names = tuple(labels_raw), {k: str(v) for k, v in labels_raw.items()}
    shares = _number_list(r, raw["shares"], f"{where}.shares", "[0.20, 0.70, 0.95]") if "shares" in raw else b.shares
    thresholds = (_number_list(r, raw["thresholds"], f"{where}.thresholds", "[90, 75, 60]") if "thresholds" in raw
                  else b.thresholds)
    n = len(labels)
    if method == "rank_share":
        _check_shares(r, shares, n, f"{where}.shares")
    else:
        if len(thresholds) != n - 1:
            raise r.fail(f"{where}.thresholds", f"{n} 个等级需要 {n - 1} 条分数线，实际为 {len(thresholds)} 条")
        if list(thresholds) != sorted(thresholds, reverse=True) or len(set(thresholds)) != len(thresholds):
            raise r.fail(f"{where}.thresholds", f"分数线应从高到低排列，实际为 {list(thresholds)}")
    tiebreak = raw.get("tiebreak", b.tiebreak)
    if tiebreak in ("", "none"):
        tiebreak = None
    if tiebreak is not None and tiebreak not in INDICATOR_BY_ID:
        raise r.fail(f"{where}.tiebreak", f"未知指标“{tiebreak}”")
    # Unstated caps and floors are the second-lowest tier (C of A–D, 丙 of 甲乙丙丁): whatever the
    # codes, "cannot be A or B" and "cannot be D" of METHOD §3 on a four-tier scale.
    default_cap = labels[-2]
    veto_flags, veto_max = _flag_bound(r, raw, "veto", "max_tier", where, labels,
                                       (b.veto_flags, b.veto_max if b.veto_max in labels else default_cap))
    protect_flags, protect_min = _flag_bound(r, raw, "protect", "min_tier", where, labels,
                                             (b.protect_flags, b.protect_min if b.protect_min in labels else default_cap))
    policies = {k: v for k, v in b.policies.items() if k in labels}
    if "policies" in raw:
        pol = raw["policies"]
        if not isinstance(pol, dict):
            raise r.fail(f"{where}.policies", "应为表，如 A = \"……\"")
        for k in pol:
            r.label(k, f"{where}.policies", labels)
        policies.update({k: str(v) for k, v in pol.items()})
    moves = _moves(r, raw["moves"], f"{where}.moves", labels) if "moves" in raw else b.moves
    for m in moves:  # inherited 定档 rules must name a tier of this population too
        if m.tier is not None and m.tier not in labels:
            raise r.fail(f"{where}.moves", f"继承的定档规则“{m.reason}”的等级“{m.tier}”不在等级列表 {list(labels)} 中，"
                                           "请在本群体的 tiers 中另写 moves")
    if "groups" in raw and method != "rank_share":
        raise r.fail(f"{where}.groups", "分组分档只适用于 method = \"rank_share\"")
    grouping = _grouping(r, raw["groups"], f"{where}.groups", n) if "groups" in raw else (
        b.grouping if method == "rank_share" else None)  # score thresholds cut everyone alike
    for g in grouping.groups if grouping is not None else ():
        if g.shares is not None and len(g.shares) != n - 1:
            raise r.fail(f"{where}.groups", f"分组“{g.name}”的累计比例有 {len(g.shares)} 个，本群体 {n} 个等级需要 "
                                            f"{n - 1} 个，请在本群体的 tiers 中另写 groups")
    return TierRules(method, labels, names, shares, thresholds, tiebreak, veto_flags, veto_max,  # type: ignore[arg-type]
                     protect_flags, protect_min, policies, moves, grouping)


def _flag_bound(r: _Reader, raw: dict[str, Any], key: str, bound: str, where: str, labels: tuple[str, ...],
                inherited: tuple[tuple[str, ...], str]) -> tuple[tuple[str, ...], str]:
    """`veto = { flags, max_tier }` or `protect = { flags, min_tier }`: the flags and the tier bound.

    Absent, the inherited pair stands; given without the bound, the bound is the second-lowest tier."""
    if key not in raw:
        return inherited
    v = raw[key]
    if not isinstance(v, dict):
        raise r.fail(f"{where}.{key}", f"应为 {{ flags = [...], {bound} = \"C\" }}")
    r.only(v, {"flags", bound}, f"{where}.{key}")
    flags = r.flags(v.get("flags", []), f"{where}.{key}.flags")
    return flags, (r.label(v[bound], f"{where}.{key}.{bound}", labels) if bound in v else labels[-2])


def _divisions(r: _Reader, raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(x, (str, int)) and not isinstance(x, bool) for x in raw):
        raise r.fail(where, "应为行业大类代码列表，如 [\"33\", \"34\"]")
    out = tuple(str(x).strip().zfill(2) for x in raw)
    bad = [x for x in out if not re.fullmatch(r"\d{2}", x)]
    if bad:
        raise r.fail(where, f"行业大类应为两位数字代码，实际为“{'、'.join(bad)}”")
    return out


def _tenant_penalty(r: _Reader, raw: Any, where: str) -> TenantPenalty:
    if not isinstance(raw, dict):
        raise r.fail(where, "应为 { first = 0, further = 5 }（第一家扣分、此后每家扣分）")
    r.only(raw, {"first", "further", "cap"}, where)
    first = float(r.number(raw, "first", where, lo=0, hi=1000) or 0.0)
    further = float(r.number(raw, "further", where, lo=0, hi=1000) or 0.0)
    return TenantPenalty(first, further, r.number(raw, "cap", where, allow_none=True, positive=True, hi=1000))


def _land(r: _Reader, raw: dict[str, Any], pops: dict[str, Population]) -> LandRules:
    ledger = raw.get("ledger", True)
    if not isinstance(ledger, bool):
        raise r.fail("land.ledger", "应为 true 或 false")
    factor = float(r.number(raw, "floor_factor", "land", 0.0, lo=0, hi=15 / 10000) or 0.0)
    lt = raw.get("landlord_tier", [])
    if not isinstance(lt, list) or any(x not in pops for x in lt):
        raise r.fail("land.landlord_tier", f"应为群体编号列表（本方案的群体：{'、'.join(pops)}），实际为 {lt}")
    return LandRules(ledger, factor, tuple(lt))


def _rounding(r: _Reader, raw: dict[str, Any]) -> Rounding:
    def dec(key: str) -> int | None:
        v = r.number(raw, key, "rounding", allow_none=True, lo=0, hi=MAX_DECIMALS, integer=True)
        return None if v is None else int(v)

    return Rounding(dec("total_decimals"), dec("score_decimals"))


def _not_graded(r: _Reader, raw: Any) -> NotGraded | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise r.fail("not_graded", "应为表")
    r.only(raw, {"label", "name", "statuses", "flags", "managed_as"}, "not_graded")
    label = raw.get("label", "T")
    if not isinstance(label, str) or not label.strip():
        raise r.fail("not_graded.label", "应为等级代码，如 \"T\"")
    statuses = raw.get("statuses", ["exempt"])
    if not isinstance(statuses, list) or any(x not in NOT_GRADED_STATUSES for x in statuses):
        raise r.fail("not_graded.statuses", f"应为 {'、'.join(NOT_GRADED_STATUSES)} 中若干项的列表，实际为 {statuses}")
    flags = r.flags(raw.get("flags", []), "not_graded.flags")
    managed = raw.get("managed_as")
    if managed is not None and not isinstance(managed, str):
        raise r.fail("not_graded.managed_as", "应为等级代码，如 \"B\"")
    return NotGraded(label.strip(), str(raw.get("name", "暂不评价")), tuple(statuses), flags, managed or None)


def _weight_warnings(source: str, pops: dict[str, Population]) -> list[str]:
    out = []
    for p in pops.values():
        total = sum(r.weight for r in p.indicators)
        if abs(total - 100) > 1e-9:
            out.append(f"方案文件 {source}（populations.{p.id}）：{p.label}指标权重合计为 {total:g}，不是 100，"
                       "请确认是否有意为之（满分随之改变）")
    return out


def scheme_from_dict(data: dict[str, Any], source: str = "方案", text: str = "", path: str = "") -> Scheme:
    """Build and validate a scheme from parsed TOML."""
    r = _Reader(source)
    r.only(data, {"id", "name", "version", "year", "authority", "source", "description", "status",
                  "populations", "bonus", "penalty", "tiers", "rounding", "not_graded", "land"}, "")
    sid = data.get("id")
    if not isinstance(sid, str) or not sid.strip():
        raise r.fail("", "缺少方案编号 id")
    name = str(data.get("name", sid))
    version = str(data.get("version", "1"))
    year = data.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int) or not 1990 <= year <= 2100):
        raise r.fail("year", f"应为 1990 到 2100 之间的年份整数，实际为“{year}”")
    st = r.table(data, "status", "", {"exempt_divisions", "new_firm_years"})
    divs = st.get("exempt_divisions", ["44", "45", "46"])
    if not isinstance(divs, list):
        raise r.fail("status.exempt_divisions", "应为行业大类代码列表，如 [\"44\", \"45\", \"46\"]")
    new_years = r.number(st, "new_firm_years", "status", 2.0, lo=0, hi=10, integer=True)
    status = StatusRules(tuple(str(d).zfill(2) for d in divs), int(new_years or 0))
    tiers_base = _tiers(r, r.table(data, "tiers", ""), "tiers")
    bonus, bonus_cap = _points(r, data.get("bonus"), "bonus")
    penalties, penalty_cap = _points(r, data.get("penalty"), "penalty")
    pops_raw = r.table(data, "populations", "")
    if not pops_raw:
        raise r.fail("populations", "至少需要一个参评群体（above 规上 / below 规下）")
    pops: dict[str, Population] = {}
    for pid, praw in pops_raw.items():
        where = f"populations.{pid}"
        if not re.fullmatch(r"[a-z][a-z0-9_]*", pid):
            raise r.fail(where, "群体编号应为小写英文字母、数字和下划线，如 above、below、below_small、tenants")
        if not isinstance(praw, dict):
            raise r.fail(where, "应为表")
        r.only(praw, {"label", "min_land", "max_land", "scale", "divisions", "exclude_divisions", "prior_tiers",
                      "tenant", "min_floor", "tenant_penalty", "indicators", "bonus", "penalty", "tiers"}, where)
        if pid not in POPULATIONS and "label" not in praw:
            raise r.fail(where, "自定义群体须写明名称 label，如“规下企业（3 亩以下）”")
        if pid not in POPULATIONS and "scale" not in praw:
            raise r.fail(where, "自定义群体须写明 scale：above（规上）、below（规下）或 any（不限）")
        inds_raw = praw.get("indicators", [])
        if not isinstance(inds_raw, list) or not inds_raw:
            raise r.fail(f"{where}.indicators", "至少需要一个指标（[[populations.….indicators]]）")
        inds = tuple(_indicator(r, x, f"{where}.indicators 第 {i} 项") for i, x in enumerate(inds_raw, 1))
        ids = [x.id for x in inds]
        if len(set(ids)) != len(ids):
            raise r.fail(f"{where}.indicators", "同一指标出现了两次")
        pb, pbc = (_points(r, praw["bonus"], f"{where}.bonus") if "bonus" in praw else (bonus, bonus_cap))
        pp, ppc = (_points(r, praw["penalty"], f"{where}.penalty") if "penalty" in praw else (penalties, penalty_cap))
        ptiers = _tiers(r, praw["tiers"], f"{where}.tiers", tiers_base) if "tiers" in praw else tiers_base
        min_land = float(r.number(praw, "min_land", where, 0.0, lo=0, hi=100000) or 0.0)
        max_land = r.number(praw, "max_land", where, allow_none=True, positive=True, hi=100000)
        if max_land is not None and max_land <= min_land:
            raise r.fail(where, f"max_land（{max_land:g}）应大于 min_land（{min_land:g}）")
        scale = r.choice(praw, "scale", where, ("above", "below", "any"), pid if pid in POPULATIONS else "any")
        divs_in = _divisions(r, praw.get("divisions", []), f"{where}.divisions")
        divs_out = _divisions(r, praw.get("exclude_divisions", []), f"{where}.exclude_divisions")
        prior_tiers = praw.get("prior_tiers", [])
        if not isinstance(prior_tiers, list):
            raise r.fail(f"{where}.prior_tiers", "应为等级列表，如 [\"D\"]")
        prior_tiers = tuple(r.label(x, f"{where}.prior_tiers", ptiers.labels) for x in prior_tiers)
        tenant = praw.get("tenant")
        if tenant is not None and not isinstance(tenant, bool):
            raise r.fail(f"{where}.tenant", "应为 true（只含租赁企业）或 false（不含租赁企业）")
        min_floor = r.number(praw, "min_floor", where, allow_none=True, positive=True, hi=1e7)
        tp = _tenant_penalty(r, praw["tenant_penalty"], f"{where}.tenant_penalty") if "tenant_penalty" in praw else None
        pops[pid] = Population(pid, str(praw.get("label", POPULATIONS.get(pid, pid))), min_land, inds, pb, pbc, pp, ppc,
                               ptiers, scale, max_land, divs_in, divs_out, prior_tiers,  # type: ignore[arg-type]
                               tenant, min_floor, tp)
    rounding = _rounding(r, r.table(data, "rounding", "", {"total_decimals", "score_decimals"}))
    land = _land(r, r.table(data, "land", "", {"ledger", "floor_factor", "landlord_tier"}), pops)
    not_graded = _not_graded(r, data.get("not_graded"))
    if not_graded is not None:
        for p in pops.values():
            if not_graded.label in p.tiers.labels:
                raise r.fail("not_graded.label", f"“{not_graded.label}”与{p.label}的等级代码重复")
            if not_graded.managed_as is not None:
                r.label(not_graded.managed_as, "not_graded.managed_as", p.tiers.labels)
    return Scheme(sid.strip(), name, version, year, str(data.get("authority", "")), str(data.get("source", "")),
                  str(data.get("description", "")), status, pops, text, path, rounding, not_graded,
                  tuple(_weight_warnings(source, pops)), land)


def parse_scheme(text: str, source: str = "方案", path: str = "") -> Scheme:
    return scheme_from_dict(parse_toml(text, "方案文件", source), source, text, path)


def load_scheme(ref: str | Path) -> Scheme:
    """A template id (`reference`) or a path to a `.toml` file."""
    p = Path(ref)
    if not p.suffix and not p.exists():
        p = templates_dir() / "schemes" / f"{ref}.toml"
        if not p.exists():
            known = "、".join(s.id for s in list_schemes())
            raise InputError(f"找不到评价方案“{ref}”（可用模板：{known}；也可给出 .toml 文件路径）")
    return parse_scheme(read_text(p, "方案文件"), p.name, str(p))


_TOP_KEY = r"^(?P<key>{key})\s*=\s*(?P<value>.+?)\s*(?P<comment>#.*)?$"


def copy_for_year(text: str, year: int, source: str = "方案") -> str:
    """A scheme's TOML for a new evaluation year ("copy from last year"): everything kept, comments
    too, with the year in `id`, `year` and `version` moved on (`huangyan-2021` → `huangyan-2022`,
    version `2021.1` → `2022.1`, other versions → `2022.1`). The result is validated."""
    old = parse_scheme(text, source)
    body_end = re.search(r"^\[", text, flags=re.MULTILINE)
    head, body = (text[:body_end.start()], text[body_end.start():]) if body_end else (text, "")
    prev = old.year
    new_id = re.sub(rf"{prev}$", str(year), old.id) if prev and old.id.endswith(str(prev)) else f"{old.id}-{year}"
    new_version = f"{year}.1"

    def put(head: str, key: str, value: str) -> str:
        pat = re.compile(_TOP_KEY.format(key=key), flags=re.MULTILINE)
        if pat.search(head):
            return pat.sub(lambda m: f"{key} = {value}" + (f"  {m.group('comment')}" if m.group("comment") else ""),
                           head, count=1)
        return re.sub(r"^(id\s*=.*)$", lambda m: f"{m.group(1)}\n{key} = {value}", head, count=1, flags=re.MULTILINE)

    head = put(head, "id", f'"{new_id}"')
    head = put(head, "version", f'"{new_version}"')
    head = put(head, "year", str(year))
    out = head + body
    parse_scheme(out, source)
    return out


def list_schemes(errors: list[str] | None = None) -> list[Scheme]:
    """Templates shipped in `templates/schemes/`; broken ones are left out and described in `errors`."""
    out = []
    for p in sorted((templates_dir() / "schemes").glob("*.toml")):
        try:
            out.append(parse_scheme(p.read_text(encoding="utf-8-sig"), p.name, str(p)))
        except (InputError, OSError, UnicodeDecodeError) as exc:
            if errors is not None:
                errors.append(str(exc))
    return out


def scheme_to_dict(s: Scheme) -> dict[str, Any]:
    """The TOML document for a scheme (the GUI's editor saves through this)."""
    def bench(b: Benchmark) -> Any:
        if b.method == "aggregate" and b.factor == 1 and not b.by_division:
            return "aggregate"
        d: dict[str, Any] = {"method": b.method}
        if b.value is not None:
            d["value"] = b.value
        if b.factor != 1:
            d["factor"] = b.factor
        if b.by_division:
            d["by_division"] = True
            d["min_firms"] = b.min_firms
        return d

    def points(items: tuple[FlagPoints, ...], cap: float | None) -> dict[str, Any]:
        d: dict[str, Any] = {"items": [{"flag": i.flag, "points": i.points} for i in items]}
        if cap is not None:
            d["cap"] = cap
        return d

    def tiers(t: TierRules) -> dict[str, Any]:
        d: dict[str, Any] = {"method": t.method, "labels": {k: t.names.get(k, "") for k in t.labels}}
        if t.method == "rank_share":
            d["shares"] = list(t.shares)
        else:
            d["thresholds"] = list(t.thresholds)
        d["tiebreak"] = t.tiebreak or "none"
        d["veto"] = {"flags": list(t.veto_flags), "max_tier": t.veto_max}
        d["protect"] = {"flags": list(t.protect_flags), "min_tier": t.protect_min}
        if t.policies:
            d["policies"] = dict(t.policies)
        if t.moves:
            d["moves"] = [move(m) for m in t.moves]
        if t.grouping is not None:
            g = t.grouping
            d["groups"] = {"by": g.by, "min_firms": g.min_firms, "rest_name": g.rest_name, "fallback": g.fallback,
                           "list": [{"name": x.name, "members": list(x.members),
                                     **({"shares": list(x.shares)} if x.shares is not None else {})} for x in g.groups]}
        return d

    def move(m: TierMove) -> dict[str, Any]:
        d: dict[str, Any] = {"action": m.action}
        if m.flag is not None:
            d["flag"] = m.flag
        if m.condition is not None:
            c = m.condition
            key = ("indicator", c.source[2:]) if c.source.startswith("v_") else ("field", c.source)
            d["when"] = {key[0]: key[1], c.op: c.value}
        if m.tier is not None:
            d["tier"] = m.tier
        d["reason"] = m.reason
        return d

    first = next(iter(s.populations.values()))
    doc: dict[str, Any] = {"id": s.id, "name": s.name, "version": s.version}
    if s.year is not None:
        doc["year"] = s.year
    doc.update({"authority": s.authority, "source": s.source, "description": s.description})
    doc["status"] = {"exempt_divisions": list(s.status.exempt_divisions), "new_firm_years": s.status.new_firm_years}
    rounding = {k: v for k, v in (("total_decimals", s.rounding.total_decimals),
                                  ("score_decimals", s.rounding.score_decimals)) if v is not None}
    if rounding:
        doc["rounding"] = rounding
    if s.land != LandRules():
        doc["land"] = {"ledger": s.land.ledger, "floor_factor": s.land.floor_factor,
                       "landlord_tier": list(s.land.landlord_tier)}
    if s.not_graded is not None:
        ng = s.not_graded
        doc["not_graded"] = {"label": ng.label, "name": ng.name, "statuses": list(ng.statuses), "flags": list(ng.flags),
                             **({"managed_as": ng.managed_as} if ng.managed_as else {})}
    doc["tiers"] = tiers(first.tiers)
    doc["bonus"] = points(first.bonus, first.bonus_cap)
    doc["penalty"] = points(first.penalties, first.penalty_cap)
    pops: dict[str, Any] = {}
    for pid, p in s.populations.items():
        pd_: dict[str, Any] = {"label": p.label, "min_land": p.min_land}
        if p.scale != (pid if pid in POPULATIONS else "any") or pid not in POPULATIONS:
            pd_["scale"] = p.scale
        if p.max_land is not None:
            pd_["max_land"] = p.max_land
        for key in ("divisions", "exclude_divisions", "prior_tiers"):
            if getattr(p, key):
                pd_[key] = list(getattr(p, key))
        if p.tenant is not None:
            pd_["tenant"] = p.tenant
        if p.min_floor is not None:
            pd_["min_floor"] = p.min_floor
        if p.tenant_penalty is not None:
            tp = p.tenant_penalty
            pd_["tenant_penalty"] = {"first": tp.first, "further": tp.further, **({"cap": tp.cap} if tp.cap else {})}
        if p.tiers != first.tiers:
            pd_["tiers"] = tiers(p.tiers)
        if (p.bonus, p.bonus_cap) != (first.bonus, first.bonus_cap):
            pd_["bonus"] = points(p.bonus, p.bonus_cap)
        if (p.penalties, p.penalty_cap) != (first.penalties, first.penalty_cap):
            pd_["penalty"] = points(p.penalties, p.penalty_cap)
        inds = []
        for r in p.indicators:
            d: dict[str, Any] = {"id": r.id, "weight": r.weight, "missing": r.missing, "benchmark": bench(r.benchmark)}
            if r.normalise != "ratio":
                d["normalise"] = r.normalise
            if r.direction != "benefit":
                d["direction"] = r.direction
            if r.cap is not None:
                d["cap"] = r.cap
            d["floor"] = "none" if r.floor is None else r.floor
            if r.decimals is not None:
                d["decimals"] = r.decimals
            inds.append(d)
        pd_["indicators"] = inds
        pops[pid] = pd_
    doc["populations"] = pops
    return doc


def dumps_scheme(s: Scheme) -> str:
    import tomli_w

    return tomli_w.dumps(scheme_to_dict(s))
