"""What each letter says, worked out once from the result as plain strings.

Numbers are formatted here (with `evaluator.indicators.format_number`, the same formats as the
workbook), so the PDF renderer only lays out text: it needs no pandas, pickles cheaply to worker
processes, and the letter and the graded list can never disagree about a figure.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..divisions import division_label
from ..evaluate import STATUS_LABELS
from ..fields import FIELD_BY_ID, FLAG_FIELDS
from ..indicators import INDICATOR_BY_ID, format_number
from ..merge import NAME_KEY_PREFIX
from ..pipeline import RunResult
from ..scheme import Population
from .letter_model import IndicatorLine, LetterData
from .letter_template import LetterTemplate
from .names import letter_filename
from .settings import Settings

BASE_FIELDS = ("land", "tax", "value_added", "revenue", "electricity", "energy", "employees", "rd_expense")


_CONTROL = dict.fromkeys([*range(0, 32), 127], " ")


def _s(v: Any) -> str:
    """Text for the letter: missing as "", control characters (a stray tab or line break in a
    spreadsheet cell) as spaces."""
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v).translate(_CONTROL).strip()


def _f(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def date_text(d: Any) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def letter_order(table: pd.DataFrame, scheme_pops: Sequence[str]) -> list[str]:
    """Every firm in the order serial numbers are given: evaluated firms by population and county
    rank, then the others. Serials therefore do not depend on which letters are selected."""
    pop_order = {p: i for i, p in enumerate(scheme_pops)}
    status_order = {s: i for i, s in enumerate(STATUS_LABELS)}
    keys = [str(k) for k in table.index]
    pops = table["population"].tolist()
    status = table["status"].tolist()
    evaluated = table["population"].notna().to_numpy()
    group = np.array([pop_order.get(p, 99) if e else status_order.get(s, 9) for p, s, e in zip(pops, status, evaluated)])
    ranks = np.array([_f(v) for v in table["rank"].tolist()], dtype=float)
    ranks = np.where(evaluated, np.nan_to_num(ranks, nan=math.inf), 0.0)
    # numpy sorts (without holding the interpreter lock): a Python sort of 100k key tuples held it 0.17 s
    key_rank = np.empty(len(keys), dtype=np.int64)
    key_rank[np.argsort(np.array(keys, dtype=str), kind="stable")] = np.arange(len(keys))
    order = np.lexsort((key_rank, ranks, group, ~evaluated))
    return [keys[i] for i in order.tolist()]


def _group_sizes(t: pd.DataFrame, col: str) -> dict[tuple[str, str], int]:
    ev = t[t["population"].notna() & t[col].notna()]
    return {(str(p), str(g)): int(n) for (p, g), n in ev.groupby(["population", col]).size().items()}


def _tier_text(pop: Population, label: Any) -> str:
    return pop.tiers.full_name(label) if label else ""


RECORD_BLOCK = 2000  # rows turned into records at a time (cancel checks in between)


class LetterBuilder:
    """Builds `LetterData` for any firm of one result (shared lookups computed once)."""

    def __init__(self, result: RunResult, settings: Settings, template: LetterTemplate, fingerprint: str,
                 only: Collection[str] | None = None, tick: Callable[[], None] | None = None):
        """`only`: the firms letters will be built for (all when None); serial numbers and group
        sizes still come from the whole result. Records for 100k firms when a township's letters
        are wanted cost seconds and, freed at the end, a long pause. `tick` is called between
        blocks of records and may raise to stop (取消 during a 100k-firm batch)."""
        self.result = result
        self.settings = settings
        self.template = template
        t = result.table
        self.table = t
        rows = t if only is None else t[t.index.isin(list(only))]
        self.records = {}
        for start in range(0, len(rows), RECORD_BLOCK):
            block = rows.iloc[start:start + RECORD_BLOCK]
            self.records.update(zip((str(k) for k in block.index), block.to_dict("records")))
            if tick is not None:
                tick()
        self.order = letter_order(t, list(result.scheme.populations))
        self.serial = {k: settings.first_serial + i for i, k in enumerate(self.order)}
        self.width = max(3, len(str(settings.first_serial + len(self.order))))
        ev = t[t["population"].notna()]
        self.pop_sizes = {str(p): int(n) for p, n in ev.groupby("population").size().items()}
        self.town_sizes = _group_sizes(t, "township")
        self.div_sizes = _group_sizes(t, "division")
        self.has_prior = "prior_tier" in t.columns
        s = result.scheme
        issue = settings.issue_day()
        self.date = date_text(issue)
        self.common = {
            "评价年度": str(result.year), "评价机关": settings.authority, "县名": settings.county,
            "排名范围": settings.scope, "方案名称": s.name, "方案编号": s.id, "方案版本": s.version,
            "发文日期": self.date, "申诉期限": str(settings.appeal_days),
            "申诉截止日期": date_text(settings.appeal_deadline()), "申诉受理部门": settings.appeal_office or settings.authority,
            "申诉地址": settings.appeal_address or "—", "联系电话": settings.appeal_phone or "—",
        }
        self.footer = (f"评价方案：{s.name}（编号 {s.id}，版本 {s.version}，方案指纹 {s.fingerprint}）"
                       f"　数据指纹：{fingerprint}")
        self.headings = {k: template.fill(k, self.common) for k in
                         ("heading_scores", "chart_caption", "heading_result", "heading_policies", "heading_appeal")}

    def evaluated(self, key: str) -> bool:
        return self.records[key]["population"] is not None

    def build(self, key: str) -> LetterData:
        r = self.records[key]
        serial = self.serial[key]
        name = _s(r["name"]) or ("（未填名称）" if not key.startswith(NAME_KEY_PREFIX) else key[len(NAME_KEY_PREFIX):])
        code = "" if key.startswith(NAME_KEY_PREFIX) else _s(r["credit_code"])
        pid = r["population"]
        pop = self.result.scheme.populations[pid] if pid is not None else None
        values = dict(self.common)
        values.update({
            "企业名称": name, "统一社会信用代码": code, "所属乡镇": _s(r["township"]),
            "参评群体": pop.label if pop else "", "文号": self.settings.document_number(serial),
            "评价状态": STATUS_LABELS.get(r["status"], r["status"]), "状态原因": _s(r["status_reason"]) or "—",
            "综合得分": format_number(_f(r["total_score"]), "分") if pop else "—",
            "等级": _s(r["tier"]) if pop else "—", "等级全称": _tier_text(pop, r["tier"]) if pop else "—",
            "排名": _s(r["rank"]) if pop else "—", "参评企业数": str(self.pop_sizes.get(str(pid), 0)) if pop else "—",
        })
        tpl = self.template
        kind = "letter" if pop else "notice"
        base = dict(
            key=key, serial=serial, filename=letter_filename(serial, name, self.width, code or "企业"),
            kind=kind, doc_number=values["文号"],
            title=tpl.fill("title" if pop else "notice_title", values),
            addressee=tpl.fill("addressee", values),
            body=tuple(tpl.paragraphs("body" if pop else "notice_body", values)),
            identity=self._identity(r, name, code, pop),
            headings=self.headings, closing=tpl.fill("closing", values),
            authority=self.settings.authority, date=self.date, footer=self.footer,
        )
        if pop is None:
            return LetterData(**base)
        labels = pop.tiers.labels
        tier = _s(r["tier"])
        return LetterData(
            **base,
            tier_label=tier,
            tier_index=labels.index(tier) if tier in labels else 0,
            indicators=self._indicators(r, pop),
            bonus=self._points(r, pop.bonus, "+"),
            bonus_note=(f"加分合计上限 {pop.bonus_cap:g} 分" if pop.bonus_cap is not None else ""),
            bonus_total=format_number(_f(r["bonus"]) or 0.0, "分"),
            penalty=self._points(r, pop.penalties, "−"),
            penalty_total=format_number(-(_f(r["penalty"]) or 0.0), "分"),
            total=format_number(_f(r["total_score"]), "分"),
            ranks=self._ranks(r, pop),
            tier_lines=self._tier_lines(r, pop),
            policies=pop.tiers.policies.get(tier, ""),
            policies_intro=tpl.fill("policies_intro", values),
            appeal=tuple(tpl.paragraphs("appeal", values)),
        )

    def _identity(self, r: dict[str, Any], name: str, code: str, pop: Population | None) -> tuple[tuple[str, str], ...]:
        div = _s(r["division"])
        industry = _s(r["industry"]) + (f"（{division_label(div)}）" if div else "")
        scale = {1.0: "规上企业", 0.0: "规下企业"}.get(_f(r["above_scale"]) if _f(r["above_scale"]) is not None else -1, "—")
        rows = [("企业名称", name), ("统一社会信用代码", code or "—"), ("所属乡镇", _s(r["township"]) or "—"),
                ("行业代码", industry or "—"), ("企业规模", scale),
                ("评价状态", STATUS_LABELS.get(r["status"], r["status"]) + (f"（{pop.label}）" if pop else ""))]
        for f in BASE_FIELDS:
            spec = FIELD_BY_ID[f]
            rows.append((f"{spec.label}（{spec.unit}）", format_number(_f(r[f]), spec.unit)))
        return tuple(rows)

    def _indicators(self, r: dict[str, Any], pop: Population) -> tuple[IndicatorLine, ...]:
        out = []
        for rule in pop.indicators:
            ind = INDICATOR_BY_ID[rule.id]
            v, b, s = _f(r[f"v_{rule.id}"]), _f(r.get(f"b_{rule.id}")), _f(r.get(f"s_{rule.id}"))
            ratio = v / b if v is not None and b is not None and b > 0 else None
            note = ""
            if v is None:
                note = "缺少数据，按参评企业平均得分计" if rule.missing == "average" else "缺少数据，按 0 分计"
            elif rule.normalise == "ratio" and rule.cap is not None and ratio is not None and ratio >= rule.cap:
                note = f"已达上限（{rule.cap:g} 倍权重）"
            out.append(IndicatorLine(ind.label, ind.unit, format_number(v, ind.unit), format_number(b, ind.unit),
                                     f"{rule.weight:g}", format_number(s, "分"), note, ratio,
                                     rule.cap if rule.normalise == "ratio" else None))
        return tuple(out)

    def _points(self, r: dict[str, Any], items: Sequence[Any], sign: str) -> tuple[tuple[str, str], ...]:
        return tuple((FLAG_FIELDS[it.flag], f"{sign}{it.points:g}") for it in items if _f(r[it.flag]) == 1)

    def _ranks(self, r: dict[str, Any], pop: Population) -> tuple[str, ...]:
        pid = r["population"]
        lines = []
        if _f(r["rank"]) is not None:
            lines.append(f"{self.settings.scope}{pop.label}第 {int(r['rank'])} 名 / 共 {self.pop_sizes.get(pid, 0)} 家")
        town = _s(r["township"])
        if town and _f(r["township_rank"]) is not None:
            lines.append(f"{town}{pop.label}第 {int(r['township_rank'])} 名 / 共 {self.town_sizes.get((pid, town), 0)} 家")
        div = _s(r["division"])
        if div and _f(r["industry_rank"]) is not None:
            lines.append(f"同行业（{division_label(div)}）{pop.label}第 {int(r['industry_rank'])} 名 / "
                         f"共 {self.div_sizes.get((pid, div), 0)} 家")
        return tuple(lines)

    def _tier_lines(self, r: dict[str, Any], pop: Population) -> tuple[tuple[str, str], ...]:
        tier, initial = _s(r["tier"]), _s(r["initial_tier"])
        reason = _s(r["tier_reason"])
        lines = [("评价等级", _tier_text(pop, tier))]
        if initial != tier:
            lines.append(("初评等级", _tier_text(pop, initial)))
            lines.append(("调整原因", reason or "—"))
        elif reason:
            lines.append(("等级说明", reason))
        if self.has_prior:
            prior = _s(r.get("prior_tier"))
            change = _s(r.get("tier_change"))
            if prior:
                lines.append(("上年等级", _tier_text(pop, prior) + (f"（本年{change}）" if change else "")))
            else:
                lines.append(("上年等级", "上年未参评" + (f"（本年{change}）" if change else "")))
            d_years = _f(r.get("d_years"))
            if d_years and tier == pop.tiers.labels[-1]:
                lines.append((f"连续 {tier} 类年数", f"{int(d_years)} 年"))
        return tuple(lines)
