"""Evaluation schemes as data: a TOML file, validated on load with messages an official can act on.

No two counties use the same scheme, so everything a county changes (indicators, weights,
benchmarks, caps, missing-data rules, bonus, veto, tier shares and names, policies) is read from
the file. The full text is kept so that a result can be reproduced and printed with its scheme.
The schema is documented in `templates/schemes/README.md`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from ..core.fields import FLAG_FIELDS
from ..core.issues import InputError
from ..core.paths import templates_dir
from ..core.tomlfiles import parse_toml, read_text
from .indicators import INDICATOR_BY_ID

POPULATIONS: dict[str, str] = {"above": "规上企业", "below": "规下企业"}
BENCHMARK_METHODS = ("aggregate", "mean", "median", "fixed")


@dataclass(frozen=True)
class Benchmark:
    method: Literal["aggregate", "mean", "median", "fixed"] = "aggregate"
    value: float | None = None
    factor: float = 1.0
    by_division: bool = False
    min_firms: int = 5

    def describe(self) -> str:
        base = {"aggregate": "全体参评企业合计值之比（Σ分子/Σ分母）", "mean": "参评企业平均值",
                "median": "参评企业中位数", "fixed": f"固定值 {self.value:g}" if self.value is not None else "固定值"}[self.method]
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

    def full_name(self, label: str | None) -> str:
        """`A类（优先发展类）` as printed on letters and lists."""
        if not label:
            return ""
        name = self.names.get(label, "")
        return f"{label}类（{name}）" if name else f"{label}类"


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


@dataclass(frozen=True)
class StatusRules:
    exempt_divisions: tuple[str, ...] = ("44", "45", "46")
    new_firm_years: int = 2  # commissioned in Y or Y−1 → exempt


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

    def only(self, data: dict[str, Any], allowed: set[str], where: str) -> None:
        unknown = [k for k in data if k not in allowed]
        if unknown:
            raise self.fail(where, f"未知的设置项“{'、'.join(unknown)}”（可用：{'、'.join(sorted(allowed))}）")

    def number(self, data: dict[str, Any], key: str, where: str, default: float | None = None,
               positive: bool = False, allow_none: bool = False) -> float | None:
        if key not in data:
            if default is None and not allow_none:
                raise self.fail(where, f"缺少“{key}”")
            return default
        v = data[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.fail(where, f"“{key}”应为数字，实际为“{v}”")
        if positive and v <= 0:
            raise self.fail(where, f"“{key}”应大于 0，实际为 {v}")
        return float(v)

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
    factor = r.number(raw, "factor", where, 1.0, positive=True) or 1.0
    by_div = raw.get("by_division", False)
    if not isinstance(by_div, bool):
        raise r.fail(where, "by_division 应为 true 或 false")
    min_firms = int(r.number(raw, "min_firms", where, 5.0, positive=True) or 5)
    return Benchmark(method, value, factor, by_div, min_firms)  # type: ignore[arg-type]


def _indicator(r: _Reader, raw: Any, where: str) -> IndicatorRule:
    if not isinstance(raw, dict):
        raise r.fail(where, "指标应为表")
    r.only(raw, {"id", "weight", "missing", "benchmark", "normalise", "direction", "cap", "floor", "note"}, where)
    iid = raw.get("id")
    if iid not in INDICATOR_BY_ID:
        opts = "、".join(f"{k}（{v.label}）" for k, v in INDICATOR_BY_ID.items())
        raise r.fail(where, f"未知指标“{iid}”（可用：{opts}）")
    weight = r.number(raw, "weight", where, positive=True)
    missing = r.choice(raw, "missing", where, ("zero", "average"), "zero")
    normalise = r.choice(raw, "normalise", where, ("ratio", "minmax"), "ratio")
    direction = r.choice(raw, "direction", where, ("benefit", "cost"), "benefit")
    cap = r.number(raw, "cap", where, allow_none=True, positive=True)
    floor = None if raw.get("floor") == "none" else r.number(raw, "floor", where, 0.0, allow_none=True)
    if normalise == "minmax" and floor is not None and not 0 <= floor < 1:
        raise r.fail(where, "minmax 的 floor 为保底比例，应在 0 与 1 之间（如 0.2）")
    bench = _benchmark(r, raw.get("benchmark", "aggregate"), f"{where}.benchmark")
    return IndicatorRule(iid, float(weight or 0), missing, bench, normalise, direction, cap, floor)  # type: ignore[arg-type]


def _points(r: _Reader, raw: Any, where: str) -> tuple[tuple[FlagPoints, ...], float | None]:
    if raw is None:
        return (), None
    if not isinstance(raw, dict):
        raise r.fail(where, "应为表，含 cap 与 items")
    r.only(raw, {"cap", "items"}, where)
    cap = r.number(raw, "cap", where, allow_none=True, positive=True)
    items = raw.get("items", [])
    if not isinstance(items, list):
        raise r.fail(where, "items 应为列表")
    out = []
    for i, it in enumerate(items, 1):
        w = f"{where}.items 第 {i} 项"
        if not isinstance(it, dict):
            raise r.fail(w, "应为 { flag = …, points = … }")
        r.only(it, {"flag", "points", "note"}, w)
        (flag,) = r.flags([it.get("flag")], w)
        out.append(FlagPoints(flag, float(r.number(it, "points", w, positive=True) or 0)))
    return tuple(out), cap


def _tiers(r: _Reader, raw: dict[str, Any], where: str, base: TierRules | None = None) -> TierRules:
    r.only(raw, {"method", "shares", "thresholds", "labels", "policies", "tiebreak", "veto", "protect"}, where)
    b = base or TierRules()
    method = r.choice(raw, "method", where, ("rank_share", "score"), b.method)
    labels_raw = raw.get("labels")
    if labels_raw is None:
        labels, names = b.labels, dict(b.names)
    else:
        if not isinstance(labels_raw, dict) or len(labels_raw) < 2:
            raise r.fail(f"{where}.labels", "应为表，按从高到低列出至少两个等级，如 A = \"优先发展类\"")
        labels, names = tuple(labels_raw), {k: str(v) for k, v in labels_raw.items()}
    shares = b.shares
    thresholds = b.thresholds
    if "shares" in raw:
        s = raw["shares"]
        if not isinstance(s, list) or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in s):
            raise r.fail(f"{where}.shares", "应为累计比例列表，如 [0.20, 0.70, 0.95]")
        shares = tuple(float(x) for x in s)
    if "thresholds" in raw:
        s = raw["thresholds"]
        if not isinstance(s, list) or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in s):
            raise r.fail(f"{where}.thresholds", "应为分数线列表（从高到低），如 [90, 75, 60]")
        thresholds = tuple(float(x) for x in s)
    n = len(labels)
    if method == "rank_share":
        if len(shares) != n - 1:
            raise r.fail(f"{where}.shares", f"{n} 个等级需要 {n - 1} 个累计比例，实际为 {len(shares)} 个")
        if any(not 0 < x <= 1 for x in shares) or list(shares) != sorted(shares) or len(set(shares)) != len(shares):
            raise r.fail(f"{where}.shares", f"累计比例应在 0 到 1 之间且逐级递增，实际为 {list(shares)}")
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
    veto_flags, veto_max = b.veto_flags, b.veto_max
    if "veto" in raw:
        v = raw["veto"]
        if not isinstance(v, dict):
            raise r.fail(f"{where}.veto", "应为 { flags = [...], max_tier = \"C\" }")
        r.only(v, {"flags", "max_tier"}, f"{where}.veto")
        veto_flags = r.flags(v.get("flags", []), f"{where}.veto.flags")
        veto_max = str(v.get("max_tier", "C"))
    protect_flags, protect_min = b.protect_flags, b.protect_min
    if "protect" in raw:
        v = raw["protect"]
        if not isinstance(v, dict):
            raise r.fail(f"{where}.protect", "应为 { flags = [...], min_tier = \"C\" }")
        r.only(v, {"flags", "min_tier"}, f"{where}.protect")
        protect_flags = r.flags(v.get("flags", []), f"{where}.protect.flags")
        protect_min = str(v.get("min_tier", "C"))
    for name, lab in (("veto.max_tier", veto_max), ("protect.min_tier", protect_min)):
        if lab not in labels:
            raise r.fail(f"{where}.{name}", f"等级“{lab}”不在等级列表 {list(labels)} 中")
    policies = dict(b.policies)
    if "policies" in raw:
        pol = raw["policies"]
        if not isinstance(pol, dict):
            raise r.fail(f"{where}.policies", "应为表，如 A = \"……\"")
        for k in pol:
            if k not in labels:
                raise r.fail(f"{where}.policies", f"等级“{k}”不在等级列表 {list(labels)} 中")
        policies.update({k: str(v) for k, v in pol.items()})
    return TierRules(method, labels, names, shares, thresholds, tiebreak, veto_flags, veto_max,  # type: ignore[arg-type]
                     protect_flags, protect_min, policies)


def scheme_from_dict(data: dict[str, Any], source: str = "方案", text: str = "", path: str = "") -> Scheme:
    """Build and validate a scheme from parsed TOML."""
    r = _Reader(source)
    r.only(data, {"id", "name", "version", "year", "authority", "source", "description", "status",
                  "populations", "bonus", "penalty", "tiers"}, "")
    sid = data.get("id")
    if not isinstance(sid, str) or not sid.strip():
        raise r.fail("", "缺少方案编号 id")
    name = str(data.get("name", sid))
    version = str(data.get("version", "1"))
    year = data.get("year")
    if year is not None and not isinstance(year, int):
        raise r.fail("year", "应为年份整数")
    st = r.table(data, "status", "", {"exempt_divisions", "new_firm_years"})
    divs = st.get("exempt_divisions", ["44", "45", "46"])
    if not isinstance(divs, list):
        raise r.fail("status.exempt_divisions", "应为行业大类代码列表，如 [\"44\", \"45\", \"46\"]")
    status = StatusRules(tuple(str(d).zfill(2) for d in divs), int(r.number(st, "new_firm_years", "status", 2.0) or 0))
    tiers_base = _tiers(r, r.table(data, "tiers", ""), "tiers")
    bonus, bonus_cap = _points(r, data.get("bonus"), "bonus")
    penalties, penalty_cap = _points(r, data.get("penalty"), "penalty")
    pops_raw = r.table(data, "populations", "")
    if not pops_raw:
        raise r.fail("populations", "至少需要一个参评群体（above 规上 / below 规下）")
    pops: dict[str, Population] = {}
    for pid, praw in pops_raw.items():
        where = f"populations.{pid}"
        if pid not in POPULATIONS:
            raise r.fail(where, "群体只能是 above（规上）或 below（规下）")
        if not isinstance(praw, dict):
            raise r.fail(where, "应为表")
        r.only(praw, {"label", "min_land", "indicators", "bonus", "penalty", "tiers"}, where)
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
        pops[pid] = Population(pid, str(praw.get("label", POPULATIONS[pid])),
                               float(r.number(praw, "min_land", where, 0.0) or 0.0), inds, pb, pbc, pp, ppc, ptiers)
    return Scheme(sid.strip(), name, version, year, str(data.get("authority", "")), str(data.get("source", "")),
                  str(data.get("description", "")), status, pops, text, path)


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
        return d

    first = next(iter(s.populations.values()))
    doc: dict[str, Any] = {"id": s.id, "name": s.name, "version": s.version}
    if s.year is not None:
        doc["year"] = s.year
    doc.update({"authority": s.authority, "source": s.source, "description": s.description})
    doc["status"] = {"exempt_divisions": list(s.status.exempt_divisions), "new_firm_years": s.status.new_firm_years}
    doc["tiers"] = tiers(first.tiers)
    doc["bonus"] = points(first.bonus, first.bonus_cap)
    doc["penalty"] = points(first.penalties, first.penalty_cap)
    pops: dict[str, Any] = {}
    for pid, p in s.populations.items():
        pd_: dict[str, Any] = {"label": p.label, "min_land": p.min_land}
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
            inds.append(d)
        pd_["indicators"] = inds
        pops[pid] = pd_
    doc["populations"] = pops
    return doc


def dumps_scheme(s: Scheme) -> str:
    import tomli_w

    return tomli_w.dumps(scheme_to_dict(s))
