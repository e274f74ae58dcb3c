"""One enterprise on one screen: identity, status, tiers, score breakdown, ranks, inputs, issues.

This is what an official reads out on the phone when a firm asks "why are we C?": each scored
indicator with its value, the benchmark, the weight and the score; the bonus; the ranks; the data
problems and every correction or override with its reason. HTML in a text browser: selectable,
printable, and quick to build for one row.
"""

from __future__ import annotations

import html
from typing import Any

from evaluator.core.divisions import industry_label
from evaluator.core.fields import FIELD_BY_ID, FLAG_FIELDS
from evaluator.core.issues import LEVEL_LABELS, Issue
from evaluator.core.values import finite_or_none
from evaluator.merge.corrections import Correction
from evaluator.merge.tables import NAME_KEY_PREFIX
from evaluator.method.evaluate import STATUS_LABELS, TierOverride
from evaluator.method.indicators import INDICATOR_BY_ID, INDICATORS, format_number
from evaluator.method.scheme import POPULATIONS
from evaluator.pipeline.run import RunResult

from .. import style
from ..models import correction_value_text, division_label

INPUT_FIELDS = ("land", "tax", "value_added", "revenue", "electricity", "energy", "employees", "rd_expense",
                "emissions", "commissioned")


def _e(v: object) -> str:
    return html.escape(str(v))




def tier_badge(label: str | None, full: str = "", labels: tuple[str, ...] = ()) -> str:
    """A coloured tier label; `labels` (the scheme's, top first) colour codes other than A–D by place."""
    if not label:
        return "<span style='color:#8a8f98'>—</span>"
    key = style.tier_palette([labels]).get(label, label) if labels else label
    bg, fg = style.TIER_COLOURS.get(key, ("#eeeeee", "#333333"))
    text = _e(full or f"{label}类")
    return f"<span style='background:{bg};color:{fg};font-weight:bold'>&nbsp;{text}&nbsp;</span>"


def _rank_text(rank: object, total: int, scope: str) -> str:
    r = finite_or_none(rank)
    if r is None:
        return f"{_e(scope)}：—"
    return f"{_e(scope)}第 <b>{int(r)}</b> 名/共 {total} 家"


def enterprise_html(result: RunResult, key: str, corrections: list[Correction] | None = None,
                    override: TierOverride | None = None, prior_tier: str = "",
                    issues_by_key: dict[str, list[Issue]] | None = None) -> str:
    """The detail pane's HTML for one firm (empty-state text when the key is unknown).

    Costs one row lookup: group sizes for the ranks come from the core's summary and the firm's
    issues from `issues_by_key` (built once per result in the worker), so it stays instant at 100k.
    """
    t = result.table
    if key not in t.index:
        return "<p style='color:#5f6b7a'>在左侧表格中选择一家企业，查看其指标、得分、排名和数据问题。</p>"
    row = t.loc[key]
    scheme = result.scheme
    pid = row["population"] if isinstance(row["population"], str) else None
    pop = scheme.populations.get(pid) if pid else None
    name = row["name"] if isinstance(row["name"], str) else key.removeprefix(NAME_KEY_PREFIX)
    code = "" if key.startswith(NAME_KEY_PREFIX) else (row["credit_code"] if isinstance(row["credit_code"], str) else "")
    parts: list[str] = [f"<h2 style='margin:0'>{_e(name)}</h2>"]
    ident = [f"统一社会信用代码：{_e(code) if code else '（无）'}"]
    if not bool(row.get("code_valid", True)) and code:
        ident[-1] += " <span style='color:#9b1c1c'>（校验未通过）</span>"
    ident.append(f"所属乡镇：{_e(row['township']) if isinstance(row['township'], str) else '—'}")
    div = row["division"] if isinstance(row.get("division"), str) else ""
    ind_text = industry_label(row["industry"]) if isinstance(row["industry"], str) else ""
    ident.append(f"行业：{_e(ind_text or '—')}" + (f"（{_e(division_label(div))}）" if div else ""))
    scale = finite_or_none(row["above_scale"])
    ident.append("规模：" + ("规上" if scale == 1 else "规下" if scale == 0 else "—"))
    parts.append("<p style='color:#37414d;margin-top:4px'>" + "　".join(ident) + "</p>")

    status = STATUS_LABELS.get(row["status"], row["status"])
    if pop is not None:
        parts.append(f"<p><b>状态：</b>{_e(status)}（{_e(pop.label)}）</p>")
    else:
        reason = row["status_reason"] or ""
        parts.append(f"<p><b>状态：</b><span style='color:#7a4f00'>{_e(status)}</span>"
                     + (f"：{_e(reason)}" if reason else "") + "</p>")

    if pop is not None:
        rules = pop.tiers
        initial, final = row["initial_tier"], row["tier"]
        tiers = (f"<b>初评等级：</b>{tier_badge(initial, rules.full_name(initial), rules.labels)}　→　"
                 f"<b>最终等级：</b>{tier_badge(final, rules.full_name(final), rules.labels)}")
        if prior_tier:
            tiers += f"　　<b>上年等级：</b>{tier_badge(prior_tier, rules.full_name(prior_tier), rules.labels)}"
        parts.append(f"<p>{tiers}</p>")
        if row["tier_reason"]:
            parts.append(f"<p style='color:#7a4f00'>调档说明：{_e(row['tier_reason'])}</p>")
        if override is not None:
            who = "，".join(x for x in (override.user, override.time) if x)
            parts.append(f"<p style='color:#0d47a1'>✎ 手动调档为 {_e(override.tier)} 类（{_e(who)}）：{_e(override.reason)}</p>")

        summary = result.evaluation.summary.get(pid) or {}
        n_pop = int(summary.get("evaluated", 0))
        town = row["township"]
        n_town = int(summary.get("by_township", {}).get(town, {}).get("evaluated", 0)) if isinstance(town, str) else 0
        n_div = int(summary.get("by_industry", {}).get(div, {}).get("evaluated", 0)) if div else 0
        ranks = [_rank_text(row["rank"], n_pop, f"全县{pop.label}")]
        if isinstance(town, str):
            ranks.append(_rank_text(row["township_rank"], n_town, f"{town}{pop.label}"))
        if div:
            ranks.append(_rank_text(row["industry_rank"], n_div, f"行业大类 {div} "))
        score = finite_or_none(row["total_score"])
        bonus = finite_or_none(row["bonus"]) or 0.0
        penalty = finite_or_none(row["penalty"]) or 0.0
        parts.append(f"<p><b>总分：</b><span style='font-size:16pt;font-weight:bold'>{format_number(score, '分')}</span>"
                     f"　（指标得分 {format_number((score or 0) - bonus + penalty, '分')} + 加分 {format_number(bonus, '分')}"
                     + (f" − 减分 {format_number(penalty, '分')}" if penalty else "") + "）<br>"
                     + "；".join(ranks) + "</p>")

        rows = []
        for r in pop.indicators:
            ind = INDICATOR_BY_ID[r.id]
            v, b, s = finite_or_none(row[f"v_{r.id}"]), finite_or_none(row[f"b_{r.id}"]), finite_or_none(row[f"s_{r.id}"])
            ratio = f"{v / b:.2f}" if v is not None and b else "—"
            note = "" if v is not None else ("按平均得分计" if r.missing == "average" else "无法计算，计 0 分")
            colour = "#1b5e20" if (v is not None and b and v >= b) else ("#9b1c1c" if v is not None else "#7a4f00")
            rows.append(f"<tr><td>{_e(ind.label)}</td><td align=right style='color:{colour}'>{format_number(v, ind.unit)}</td>"
                        f"<td align=right>{format_number(b, ind.unit)}</td><td>{_e(ind.unit)}</td><td align=right>{ratio}</td>"
                        f"<td align=right>{r.weight:g}</td><td align=right><b>{format_number(s, '分')}</b></td>"
                        f"<td style='color:#7a4f00'>{_e(note)}</td></tr>")
        parts.append(_table(["指标", "数值", "基准值", "单位", "比值", "权重", "得分", ""], rows, "评分明细"))
        bonus_rows = []
        for item in pop.bonus:
            if finite_or_none(row.get(item.flag)) == 1:
                bonus_rows.append(f"{_e(item.label)} +{item.points:g}")
        for item in pop.penalties:
            if finite_or_none(row.get(item.flag)) == 1:
                bonus_rows.append(f"{_e(item.label)} −{item.points:g}")
        if bonus_rows:
            cap = f"（加分上限 {pop.bonus_cap:g} 分）" if pop.bonus_cap is not None else ""
            parts.append(f"<p><b>加减分：</b>{'；'.join(bonus_rows)}{cap}</p>")

        scored = {r.id for r in pop.indicators}
        aggregates = (result.evaluation.summary.get(pid) or {}).get("aggregates", {})
        others = []
        for ind in INDICATORS:
            if ind.id in scored:
                continue
            v = finite_or_none(row[f"v_{ind.id}"])
            others.append(f"<tr><td>{_e(ind.label)}</td><td align=right>{format_number(v, ind.unit)}</td>"
                          f"<td align=right>{format_number(aggregates.get(ind.id), ind.unit)}</td><td>{_e(ind.unit)}</td></tr>")
        if others:
            parts.append(_table(["其他指标（不计分）", "数值", f"全县{pop.label}平均", "单位"], others))
    else:
        vals = []
        for ind in INDICATORS:
            v = finite_or_none(row[f"v_{ind.id}"])
            vals.append(f"<tr><td>{_e(ind.label)}</td><td align=right>{format_number(v, ind.unit)}</td><td>{_e(ind.unit)}</td></tr>")
        parts.append(_table(["指标", "数值", "单位"], vals, "指标（未参评，仅供参考）"))

    corrected = {c.field: c for c in corrections or [] if c.key == key}
    inputs = []
    for fid in INPUT_FIELDS:
        spec = FIELD_BY_ID[fid]
        v = row.get(fid)
        if fid == "commissioned":
            text = str(int(v)) if finite_or_none(v) is not None else "—"
        else:
            text = format_number(finite_or_none(v), spec.unit)
        mark = " <span style='color:#0d47a1'>✎ 已更正</span>" if fid in corrected else ""
        inputs.append(f"<tr><td>{_e(spec.label)}</td><td align=right>{text}</td><td>{_e(spec.unit)}</td><td>{mark}</td></tr>")
    parts.append(_table(["数据项", "数值", "单位", ""], inputs, "基础数据（标准单位）"))
    flags = [label for fid, label in FLAG_FIELDS.items() if finite_or_none(row.get(fid)) == 1]
    parts.append(f"<p><b>认定与标志：</b>{_e('、'.join(flags)) if flags else '无'}</p>")
    src = row.get("sources")
    if isinstance(src, str) and src:
        parts.append(f"<p style='color:#5f6b7a'>数据来源：{_e(src)}（共 {int(finite_or_none(row.get('n_rows')) or 0)} 行）</p>")

    if corrected:
        items = [f"<li>{_e(FIELD_BY_ID[c.field].label)} 更正为 {_e(correction_value_text(c))}；理由：{_e(c.reason)}"
                 f"<span style='color:#5f6b7a'>（{_e(c.user)}，{_e(c.time)}）</span></li>" for c in corrected.values()]
        parts.append("<p><b>人工更正</b></p><ul>" + "".join(items) + "</ul>")
    issues = (issues_by_key if issues_by_key is not None else result.issues_by_key()).get(key, [])
    if issues:
        order = {"error": 0, "warning": 1, "info": 2}
        items = []
        for it in sorted(issues, key=lambda i: order[i.level]):
            colour = style.LEVEL_COLOURS[it.level][1]
            where = it.where()
            items.append(f"<li><span style='color:{colour}'>[{LEVEL_LABELS[it.level]}]</span> "
                         + (f"<span style='color:#5f6b7a'>{_e(where)}：</span>" if where else "") + f"{_e(it.message)}</li>")
        parts.append(f"<p><b>数据问题（{len(issues)} 条）</b></p><ul>" + "".join(items) + "</ul>")
    else:
        parts.append("<p style='color:#1b5e20'>该企业没有数据问题。</p>")
    return "\n".join(parts)


def _table(headers: list[str], rows: list[str], caption: str = "") -> str:
    head = "".join(f"<th style='background:#f1f3f6;padding:3px 6px' align=left>{_e(h)}</th>" for h in headers)
    cap = f"<p style='margin-bottom:2px'><b>{_e(caption)}</b></p>" if caption else ""
    return (cap + "<table cellspacing=0 cellpadding=3 style='border-collapse:collapse;border:1px solid #dfe3e8'>"
            f"<tr>{head}</tr>" + "".join(rows) + "</table>")


def summary_numbers(result: RunResult, summary: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Per population, the figures the summary panel prints (plain data, testable); `summary`
    defaults to the evaluation's (all firms)."""
    out = []
    for pid, entry in (result.evaluation.summary if summary is None else summary).items():
        pop = result.scheme.populations.get(pid)
        out.append({
            "id": pid, "label": entry.get("label", POPULATIONS.get(pid, pid)), "total": entry.get("total", 0),
            "status": {k: entry.get(k, 0) for k in STATUS_LABELS},
            "tiers": entry.get("tiers", {}), "initial_tiers": entry.get("initial_tiers", {}),
            "benchmarks": entry.get("benchmarks", {}), "aggregates": entry.get("aggregates", {}),
            "tier_names": dict(pop.tiers.names) if pop else {}, "labels": list(pop.tiers.labels) if pop else [],
            "by_township": {k: v.get("tiers", {}) for k, v in entry.get("by_township", {}).items()},
            "scored": [r.id for r in pop.indicators] if pop else [],
        })
    return out
