"""What each letter says, worked out once from the result as plain strings.

Numbers are formatted here (with `evaluator.method.indicators.format_number`, the same formats as the
workbook), so the PDF renderer only lays out text: it needs no pandas, pickles cheaply to worker
processes, and the letter and the graded list can never disagree about a figure.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..core.divisions import DIVISION_NAMES, division_label, industry_label
from ..core.fields import FIELD_BY_ID, FLAG_FIELDS
from ..core.values import finite_or_none
from ..merge.tables import NAME_KEY_PREFIX
from ..method.evaluate import STATUS_LABELS, status_label
from ..method.indicators import INDICATOR_BY_ID, decimals_for, format_number
from ..method.scheme import IndicatorRule, Population, Scheme
from ..pipeline.fingerprint import data_fingerprint, verification_code
from ..pipeline.run import RunResult
from .letter_model import IndicatorLine, LetterData
from .letter_template import LetterTemplate
from .method_text import method_sentences
from .names import letter_filename
from .settings import Settings

BASE_FIELDS = ("land", "tax", "value_added", "revenue", "electricity", "energy", "employees", "rd_expense", "emissions")
MIN_SIGNIFICANT = 4  # digits shown for values and benchmarks, so that value ÷ benchmark can be redone by hand
RATIO_DECIMALS = 4  # weight × ratio then reproduces the printed score to the cent


_CONTROL = dict.fromkeys([*range(32), 127], " ")


def _s(v: Any) -> str:
    """Text for the letter: missing as "", control characters (a stray tab or line break in a
    spreadsheet cell) as spaces."""
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v).translate(_CONTROL).strip()


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
    ranks = np.array([finite_or_none(v) for v in table["rank"].tolist()], dtype=float)
    ranks = np.where(evaluated, np.nan_to_num(ranks, nan=math.inf), 0.0)
    # numpy sorts without holding the interpreter lock, which a Python sort of key tuples holds throughout
    key_rank = np.empty(len(keys), dtype=np.int64)
    key_rank[np.argsort(np.array(keys, dtype=str), kind="stable")] = np.arange(len(keys))
    order = np.lexsort((key_rank, ranks, group, ~evaluated))
    return [keys[i] for i in order.tolist()]


def _group_sizes(t: pd.DataFrame, col: str) -> dict[tuple[str, str], int]:
    ev = t[t["population"].notna() & t[col].notna()]
    return {(str(p), str(g)): int(n) for (p, g), n in ev.groupby(["population", col]).size().items()}


def _tier_text(pop: Population, label: Any) -> str:
    return pop.tiers.full_name(label) if label else ""


def figure(v: float | None, unit: str) -> str:
    """A value or benchmark with its unit's decimals, and at least `MIN_SIGNIFICANT` significant
    digits: 0.3612 stays 0.3612 instead of 0.36, so a reader can recompute the ratio."""
    if v is None:
        return "—"
    d = decimals_for(unit)
    if v != 0:
        d = max(d, MIN_SIGNIFICANT - 1 - math.floor(math.log10(abs(v))))
    d = min(d, 6)
    return f"{v:,.{d}f}"


def _tier(label: str) -> str:
    return f"{label}类"


RECORD_BLOCK = 2000  # rows turned into records at a time (cancel checks in between)


class LetterBuilder:
    """Builds `LetterData` for any firm of one result (shared lookups computed once)."""

    def __init__(self, result: RunResult, settings: Settings, template: LetterTemplate,
                 only: Collection[str] | None = None, numbers: dict[str, int] | None = None, stage: str = "",
                 tick: Callable[[], None] | None = None):
        """`only`: the firms letters will be built for (all when None); group sizes still come
        from the whole result. `numbers`: the 文号 serial of each firm whose letter is issued
        (see `doc_numbers.allocate`); without it, serials follow `letter_order` from the
        settings' first serial, over the firms in `only`. `tick` is called between blocks of
        records and may raise to stop (取消 during a 100k-firm batch)."""
        self.result = result
        self.settings = settings
        self.template = template
        self.stage = stage
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
        if numbers is None:
            issued = [k for k in self.order if k in self.records]
            numbers = {k: settings.first_serial + i for i, k in enumerate(issued)}
        self.serial = numbers
        self.width = max(3, len(str(max(numbers.values(), default=0))))
        ev = t[t["population"].notna()]
        self.pop_sizes = {str(p): int(n) for p, n in ev.groupby("population").size().items()}
        self.town_sizes = _group_sizes(t, "township")
        self.div_sizes = _group_sizes(t, "division")
        self.computable: dict[tuple[str, str], bool] = {}
        for p, pop in result.scheme.populations.items():
            # one comparison of the population column per population, not per indicator: each is a
            # C loop over 100k objects holding the interpreter lock (the window waits behind it)
            members = ev[ev["population"] == p]
            for rule in pop.indicators:
                self.computable[(str(p), rule.id)] = bool(members[f"v_{rule.id}"].notna().any())
        self.overrides = {o.key: o for o in result.overrides}
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
        self.footer = f"评价方案：{s.name}（{s.version} 版）　核验码：{verification_code(data_fingerprint(result))}"
        self.headings = {k: template.fill(k, self.common) for k in
                         ("heading_scores", "chart_caption", "heading_result", "heading_method", "heading_policies",
                          "heading_appeal")}
        self.method = {pid: tuple(method_sentences(pop)) for pid, pop in s.populations.items()}

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
            "评价状态": status_label(r["status"], self.result.scheme),
            "状态原因": "" if pop else status_sentence(r, self.result.scheme, self.result.year),
            "综合得分": format_number(finite_or_none(r["total_score"]), "分") if pop else "—",
            "等级": _s(r["tier"]) if pop else "—", "等级全称": _tier_text(pop, r["tier"]) if pop else "—",
            "排名": _s(r["rank"]) if pop else "—", "参评企业数": str(self.pop_sizes.get(str(pid), 0)) if pop else "—",
        })
        tpl = self.template
        kind = "letter" if pop else "notice"
        base = dict(
            key=key, serial=serial, filename=letter_filename(serial, name, self.width, code or "企业"),
            kind=kind, doc_number=values["文号"], layout=tpl.layout, stage=self.stage,
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
        indicators = self._indicators(r, pop)
        return LetterData(
            **base,
            result=(tpl.fill("result", values), *self._tier_sentences(r, pop, key), *self._prior_sentences(r, pop)),
            tier_label=tier,
            tier_index=labels.index(tier) if tier in labels else 0,
            indicators=indicators,
            bonus=self._points(r, pop.bonus, "+"),
            bonus_note=(f"加分合计不超过{pop.bonus_cap:g}分" if pop.bonus_cap is not None and pop.bonus else ""),
            bonus_total=format_number(finite_or_none(r["bonus"]) or 0.0, "分"),
            penalty=self._points(r, pop.penalties, "−") + self._tenant_penalty(r, pop),
            penalty_total=format_number(-(finite_or_none(r["penalty"]) or 0.0), "分"),
            total=format_number(finite_or_none(r["total_score"]), "分"),
            score_notes=self._score_notes(r, pop),
            method=self.method[str(pid)],
            ranks=self._ranks(r, pop),
            policies=pop.tiers.policies.get(tier, ""),
            policies_intro=tpl.fill("policies_intro", values),
            appeal=tuple(tpl.paragraphs("appeal", values)),
        )

    def _identity(self, r: dict[str, Any], name: str, code: str, pop: Population | None) -> tuple[tuple[str, str], ...]:
        industry = industry_label(_s(r["industry"]))
        scale = {1.0: "规上企业", 0.0: "规下企业"}.get(finite_or_none(r["above_scale"]) if finite_or_none(r["above_scale"]) is not None else -1, "—")
        rows = [("企业名称", name), ("统一社会信用代码", code or "—"), ("所属乡镇", _s(r["township"]) or "—"),
                ("所属行业", industry or "—"), ("企业规模", scale)]
        used = {"land"}
        for rule in (pop.indicators if pop else ()):
            ind = INDICATOR_BY_ID[rule.id]
            used |= {ind.numerator, ind.denominator}
        for f in BASE_FIELDS:
            if f in used:
                spec = FIELD_BY_ID[f]
                rows.append((f"{spec.label}（{spec.unit}）", format_number(finite_or_none(r[f]), spec.unit)))
        rows.extend(self._land_ledger(r))
        return tuple(rows)

    def _land_ledger(self, r: dict[str, Any]) -> list[tuple[str, str]]:
        """Where the evaluated land comes from when a lease file changed it (own + in − out)."""
        moved = [finite_or_none(r.get(c)) or 0.0 for c in ("land_rented_in", "land_rented_out", "floor_rented_in", "floor_rented_out")]
        if "own_land" not in r or not any(moved):
            return []
        rows = [("其中：自有用地（亩）", format_number(finite_or_none(r["own_land"]), "亩")),
                ("租入用地（亩）", format_number(moved[0], "亩")), ("租出用地（亩）", format_number(moved[1], "亩"))]
        if moved[2] or moved[3]:
            rows += [("租入厂房（平方米）", format_number(moved[2], "平方米")), ("租出厂房（平方米）", format_number(moved[3], "平方米"))]
        return rows

    def _indicators(self, r: dict[str, Any], pop: Population) -> tuple[IndicatorLine, ...]:
        out = []
        for rule in pop.indicators:
            ind = INDICATOR_BY_ID[rule.id]
            v, b, s = finite_or_none(r[f"v_{rule.id}"]), finite_or_none(r.get(f"b_{rule.id}")), finite_or_none(r.get(f"s_{rule.id}"))
            ratio = v / b if v is not None and b is not None and b > 0 else None
            shown_ratio = (f"{ratio:.{RATIO_DECIMALS}f}" if ratio is not None and rule.normalise == "ratio" else "—")
            out.append(IndicatorLine(ind.label, ind.unit, figure(v, ind.unit), figure(b, ind.unit),
                                     f"{rule.weight:g}", format_number(s, "分"), self._note(rule, v, ratio, str(r["population"])),
                                     ratio, rule.cap if rule.normalise == "ratio" else None, shown_ratio))
        return tuple(out)

    def _note(self, rule: IndicatorRule, v: float | None, ratio: float | None, pid: str) -> str:
        """What was done for this indicator, where the formula alone does not say it."""
        if v is None:
            if rule.missing == "average":
                if self.computable.get((pid, rule.id)):
                    return "缺少数据，按参评企业该项平均得分计"
                return "参评企业均无此项数据，按0分计"
            return "缺少数据，按0分计"
        if rule.normalise != "ratio":
            return ""
        if ratio is None:
            return "基准值无法计算，按0分计"
        r = max(0.0, 2.0 - ratio) if rule.direction == "cost" else ratio
        if rule.cap is not None and r > rule.cap:
            return "超过上限，按权重计" if rule.cap == 1 else f"超过上限，按权重的{rule.cap:g}倍计"
        if rule.direction == "benefit" and rule.floor is not None and r < rule.floor:
            return "数值为负，按0分计" if rule.floor == 0 else f"低于下限，按权重的{rule.floor:g}倍计"
        if rule.direction == "benefit" and rule.floor is None and r < 0:
            return "数值为负，得分为负"
        return ""

    def _score_notes(self, r: dict[str, Any], pop: Population) -> tuple[str, ...]:
        notes = []
        total = finite_or_none(r["total_score"])
        if total is not None and total < 0:
            neg = [INDICATOR_BY_ID[rule.id].label for rule in pop.indicators if (finite_or_none(r.get(f"s_{rule.id}")) or 0) < 0]
            what = "、".join(neg) or "部分指标"
            notes.append(f"综合得分为负数，是因为{what}的数值为负（如当年退税多于缴税），"
                         "按评价方案该项得分不设下限，负分计入综合得分。")
        return tuple(notes)

    def _points(self, r: dict[str, Any], items: Sequence[Any], sign: str) -> tuple[tuple[str, str], ...]:
        return tuple((FLAG_FIELDS[it.flag], f"{sign}{it.points:g}") for it in items if finite_or_none(r[it.flag]) == 1)

    def _tenant_penalty(self, r: dict[str, Any], pop: Population) -> tuple[tuple[str, str], ...]:
        """The landlord's points off per tenant (part of the penalty total), itemised so the lines add up."""
        points = finite_or_none(r.get("tenant_penalty"))
        if pop.tenant_penalty is None or not points:
            return ()
        return ((f"出租厂房（承租企业 {int(finite_or_none(r.get('tenant_count')) or 0)} 家）", f"−{points:g}"),)

    def _ranks(self, r: dict[str, Any], pop: Population) -> tuple[str, ...]:
        pid = r["population"]
        lines = []
        town = _s(r["township"])
        if town and finite_or_none(r["township_rank"]) is not None:
            lines.append(f"在{town}{self.town_sizes.get((pid, town), 0)}家中排第{int(r['township_rank'])}名")
        div = _s(r["division"])
        if div and finite_or_none(r["industry_rank"]) is not None:
            lines.append(f"在同行业（{DIVISION_NAMES.get(div, div)}）{self.div_sizes.get((pid, div), 0)}家中"
                         f"排第{int(r['industry_rank'])}名")
        return ("贵单位" + "，".join(lines) + "。",) if lines else ()

    def _tier_sentences(self, r: dict[str, Any], pop: Population, key: str) -> list[str]:
        """Why the final tier differs from the initial one, in plain words."""
        out = []
        for m in tier_moves(r, pop, self.overrides.get(key)):
            if m.kind == "veto":
                out.append(f"贵单位按得分排序初评为{_tier(m.before)}，因本年度发生{m.detail}，"
                           f"按评价方案等级最高为{_tier(m.after)}，调整为{_tier(m.after)}。")
            elif m.kind == "protect":
                out.append(f"贵单位按得分排序初评为{_tier(m.before)}，因属{m.detail}企业，"
                           f"按评价方案等级不低于{_tier(m.after)}，调整为{_tier(m.after)}。")
            elif m.kind == "override":
                out.append(f"经复核，贵单位等级由{_tier(m.before)}调整为{_tier(m.after)}，理由：{m.detail}")
            else:  # a rule this builder does not know moved the tier: say so rather than nothing
                out.append(f"贵单位初评为{_tier(m.before)}，按评价方案规定调整为{_tier(m.after)}。")
        return out

    def _prior_sentences(self, r: dict[str, Any], pop: Population) -> list[str]:
        if not self.has_prior:
            return []
        prior, change = _s(r.get("prior_tier")), _s(r.get("tier_change"))
        tier = _s(r["tier"])
        if not prior:
            return ["贵单位上年度未参加评价。"]
        moved = {"升档": "本年度等级上升", "降档": "本年度等级下降", "持平": "本年度等级不变"}.get(change, "")
        out = [f"贵单位上年度评价等级为{pop.tiers.full_name(prior)}" + (f"，{moved}" if moved else "") + "。"]
        d_years = finite_or_none(r.get("d_years"))
        if d_years and d_years >= 2 and tier == pop.tiers.labels[-1]:
            out.append(f"贵单位已连续{int(d_years)}年被评为{_tier(tier)}。")
        return out


@dataclass(frozen=True)
class TierMove:
    kind: str  # veto / protect / override / other
    before: str
    after: str
    detail: str  # the flags, or the override's reason ending with 。


def move_fields(pop: Population) -> tuple[str, ...]:
    """The fields of a firm's record that `tier_moves` reads (a record of these alone will do)."""
    return ("tier", "initial_tier", *pop.tiers.veto_flags, *pop.tiers.protect_flags)


def tier_moves(r: dict[str, Any], pop: Population, override: Any = None) -> list[TierMove]:
    """The steps from the initial to the final tier, worked out from the firm's flags and the
    scheme's rules (veto caps, then protection floors, then a manual adjustment), so the letter
    and the graded list explain a tier in the same words and never print the engine's notes."""
    t = pop.tiers
    labels = list(t.labels)
    tier, cur = _s(r.get("tier")), _s(r.get("initial_tier"))
    if not cur or cur not in labels or tier not in labels:
        return []
    out = []
    veto = [FLAG_FIELDS[f] for f in t.veto_flags if finite_or_none(r.get(f)) == 1]
    if veto and labels.index(cur) < labels.index(t.veto_max):
        out.append(TierMove("veto", cur, t.veto_max, "、".join(veto)))
        cur = t.veto_max
    protect = [FLAG_FIELDS[f] for f in t.protect_flags if finite_or_none(r.get(f)) == 1]
    if protect and labels.index(cur) > labels.index(t.protect_min):
        out.append(TierMove("protect", cur, t.protect_min, "、".join(protect)))
        cur = t.protect_min
    if override is not None and tier != cur:
        out.append(TierMove("override", cur, tier, override.reason.strip().rstrip("。；;，,.") + "。"))
        cur = tier
    if cur != tier:
        out.append(TierMove("other", cur, tier, ""))
    return out


def moves_text(moves: Sequence[TierMove]) -> str:
    """The same steps in a few words for the graded list: `发生安全生产事故，由A类调整为C类`."""
    parts = []
    for m in moves:
        head = {"veto": f"发生{m.detail}，", "protect": f"属{m.detail}企业，", "override": "复核调整，"}.get(m.kind, "")
        parts.append(f"{head}由{m.before}类调整为{m.after}类" + (f"，理由：{m.detail}" if m.kind == "override" else ""))
    text = "；".join(parts)
    return text if not text or text.endswith("。") else text + "。"


SENTENCE_FIELDS = ("status", "land", "division", "status_reason")  # what `status_sentence` reads of a record


def status_sentence(r: dict[str, Any], scheme: Scheme, year: int) -> str:
    """Why a firm was not evaluated, as one plain clause (the notice says "经核查，…。")."""
    status = r["status"]
    land = finite_or_none(r.get("land"))
    if status == "incomplete":
        if land is None:
            return "未取得贵单位的用地面积数据，无法计算亩均指标，本年度暂未参加评价"
        return f"贵单位的用地面积数据为{format_number(land, '亩')}亩，无法计算亩均指标，本年度暂未参加评价"
    if status == "exempt":
        div = _s(r.get("division"))
        if div and div in scheme.status.exempt_divisions:
            return f"贵单位所属行业（{division_label(div)}）按评价方案不参加评价"
        m = re.search(r"(\d{4})\s*年投产", _s(r.get("status_reason")))
        when = f"于{m.group(1)}年投产，" if m else ""
        return (f"贵单位{when}属新投产企业（投产未满{scheme.status.new_firm_years}年），"
                f"按评价方案{year}年度暂不参加评价")
    if status == "out_of_scope":
        below = scheme.populations.get("below")
        need = f"，不足评价方案规定的{below.min_land:g}亩" if below is not None and below.min_land else ""
        shown = f"用地面积{format_number(land, '亩')}亩" if land is not None else "用地面积不足"
        return f"贵单位为规下企业，{shown}{need}，不在本年度评价范围"
    return _s(r.get("status_reason")) or STATUS_LABELS.get(status, str(status))
