"""The summary report (汇总报告): the county-level figures officials quote and file.

Per population: counts by status and tier (with a tier distribution chart), benchmarks, county
aggregates Σ numerator / Σ denominator for every indicator (the "全县平均" figures), and tables by
township and by industry. Laid out with platypus (speed does not matter for one report);
paragraph styles wrap Chinese with `wordWrap='CJK'` and all data text is escaped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from ..core.divisions import division_label
from ..core.issues import LEVEL_LABELS
from ..merge.tables import NAME_KEY_PREFIX
from ..method.evaluate import STATUS_LABELS
from ..method.indicators import INDICATOR_BY_ID, INDICATORS, format_number
from ..method.scheme import Population
from ..pipeline.fingerprint import data_fingerprint, verification_code
from ..pipeline.run import RunResult
from .fonts import PdfFonts, find_cjk_font, pdf_fonts
from .letter_data import date_text
from .pdf_common import (
    FRAME_W,
    GREY,
    GRID_LOOK,
    HEADER_FILL,
    INK,
    RULE,
    build_pdf,
    styles,
    tier_bar,
    tier_fill,
)
from .settings import Settings, load_settings


class TierChart(Flowable):
    """Grouped bars: firms per final tier for each population, counts on top, tier colours."""

    def __init__(self, groups: Sequence[tuple[str, Sequence[tuple[str, int]]]], fonts: PdfFonts,
                 width: float = FRAME_W, height: float = 150.0):
        super().__init__()
        self.groups = list(groups)
        self.fonts = fonts
        self.width = width
        self.height = height

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        c, f = self.canv, self.fonts
        left, bottom, top = 34.0, 30.0, self.height - 14.0
        right = self.width - 10.0
        vmax = max([n for _g, tiers in self.groups for _l, n in tiers] + [1])
        step = max(1, _nice_step(vmax / 4))
        ymax = step * (int(vmax / step) + 1)
        c.saveState()
        c.setStrokeColor(colors.HexColor("#D9D9D9"))
        c.setLineWidth(0.4)
        v = 0
        while v <= ymax:
            y = bottom + (top - bottom) * v / ymax
            c.line(left, y, right, y)
            c.setFillColor(GREY)
            f.draw(c, left - 4, y - 3, str(v), 7, align="right")
            v += step
        c.setStrokeColor(RULE)
        c.line(left, bottom, right, bottom)
        group_w = (right - left) / max(len(self.groups), 1)
        for gi, (label, tiers) in enumerate(self.groups):
            n = max(len(tiers), 1)
            bar_w = min(34.0, group_w * 0.7 / n)
            x = left + gi * group_w + (group_w - bar_w * n) / 2
            for ti, (tier, count) in enumerate(tiers):
                h = (top - bottom) * count / ymax
                c.setFillColor(tier_bar(ti))
                c.rect(x, bottom, bar_w - 3, h, stroke=0, fill=1)
                c.setFillColor(INK)
                f.draw(c, x + (bar_w - 3) / 2, bottom + h + 3, str(count), 7.5, align="center")
                f.draw(c, x + (bar_w - 3) / 2, bottom - 10, f"{tier}类", 7.5, align="center")
                x += bar_w
            c.setFillColor(INK)
            f.draw(c, left + gi * group_w + group_w / 2, bottom - 23, label, 9, align="center")
        c.setFillColor(GREY)
        f.draw(c, left - 28, top + 4, "企业数（家）", 7.5)
        c.restoreState()


def _nice_step(x: float) -> int:
    for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if s >= x:
            return s
    return int(x) + 1


class _Report:
    def __init__(self, result: RunResult, settings: Settings, fonts: PdfFonts):
        self.r = result
        self.settings = settings
        self.f = fonts
        self.st = dict(styles(fonts))
        self.st["cell_head"] = ParagraphStyle("cell_head", parent=self.st["cell_small"], fontSize=7.5, leading=9.5,
                                              alignment=TA_CENTER)
        self.st["report_title"] = ParagraphStyle("report_title", parent=self.st["title"], fontSize=17, leading=26)

    def p(self, text: str, style: str = "body") -> Paragraph:
        return Paragraph(self.f.markup(text), self.st[style])

    def cell(self, text: Any, style: ParagraphStyle) -> Any:
        """Short text as a plain string (drawn literally, fast); longer text wraps in a Paragraph."""
        t = "" if text is None else str(text)
        if self.f.plain_ok(t) and "\n" not in t and len(t) <= 10:
            return t
        return Paragraph(self.lines(t), style)

    def lines(self, text: str) -> str:
        """Paragraph markup for literal text whose line breaks are kept."""
        return "<br/>".join(self.f.markup(part) for part in text.split("\n"))

    def table(self, rows: list[list[Any]], widths: Sequence[float], header_rows: int = 1,
              number_cols: Sequence[int] = (), extra: Sequence[tuple[Any, ...]] = (), size: float = 8.5) -> Table:
        data = [[Paragraph(self.lines(str(v)), self.st["cell_head"]) for v in row] for row in rows[:header_rows]]
        body = self.st.setdefault(f"cell_{size}", ParagraphStyle(f"cell_{size}", parent=self.st["cell_small"],
                                                                 fontSize=size, leading=size * 1.25))
        right = self.st.setdefault(f"cell_{size}_r", ParagraphStyle(f"cell_{size}_r", parent=body,
                                                                    alignment=TA_RIGHT))
        nums = set(number_cols)
        data += [[self.cell(v, right if j in nums else body) for j, v in enumerate(row)] for row in rows[header_rows:]]
        t = Table(data, colWidths=list(widths), repeatRows=header_rows)
        style = [*GRID_LOOK,
                 ("FONTNAME", (0, 0), (-1, -1), self.f.body), ("FONTSIZE", (0, 0), (-1, -1), size),
                 ("LEADING", (0, 0), (-1, -1), size * 1.25),
                 ("BACKGROUND", (0, 0), (-1, header_rows - 1), HEADER_FILL),
                 ("ALIGN", (0, 0), (-1, header_rows - 1), "CENTER")]
        for c in number_cols:
            style.append(("ALIGN", (c, header_rows), (c, -1), "RIGHT"))
        style += list(extra)
        t.setStyle(TableStyle(style))
        return t

    # --- sections -------------------------------------------------------------------------------
    def story(self) -> list[Flowable]:
        r, s = self.r, self.settings
        summary = r.evaluation.summary
        pops = r.scheme.populations
        out: list[Flowable] = [
            self.p(f"{s.county}{r.year}年度工业企业亩均效益综合评价汇总报告", "report_title"),
            self.p(f"{s.authority}　{date_text(s.issue_day())}", "docnum"),
        ]
        self.skip = artefacts(r)
        self.counted = _counted(r, set(self.skip))
        c = self.counted
        total = len(c)
        evaluated = int(c["population"].notna().sum())
        parts = "、".join(f"{p.label}{int((c['_member'] == pid).sum())}家" for pid, p in pops.items())
        out.append(self.p(f"本次评价依据《{r.scheme.name}》（{r.scheme.version} 版），对{s.county}{r.year}年度工业企业"
                          f"亩均效益情况进行综合评价。共涉及工业企业{total}家（{parts or '无'}），其中参评{evaluated}家。"
                          "各项指标的“全县平均”为参评企业合计数之比（如亩均税收 = 实缴税金合计 ÷ 用地面积合计）。"
                          + (f"另有{len(self.skip)}条记录只见于一个部门的数据且无法与其他数据对应，"
                             "未计入企业数，列于第七部分待核实。" if self.skip else "")))
        out += self._status_section(summary)
        out += self._tier_section(summary, pops)
        out += self._benchmark_section(summary, pops)
        out += self._group_section(summary, pops, "by_township", "四、分乡镇（街道）情况", "乡镇（街道）")
        out += self._group_section(summary, pops, "by_industry", "五、分行业（大类）情况", "行业大类")
        out += self._prior_section(pops)
        out += self._errors_section()
        return out

    def _status_section(self, summary: dict[str, Any]) -> list[Flowable]:
        head = ["企业类别", "企业总数", *STATUS_LABELS.values()]
        rows = [head]
        c = self.counted
        for pid, pop in self.r.scheme.populations.items():
            m = c[c["_member"] == pid]
            rows.append([pop.label, str(len(m)), *(str(int((m["status"] == k).sum())) for k in STATUS_LABELS)])
        rows.append(["合计", str(len(c)), *(str(int((c["status"] == k).sum())) for k in STATUS_LABELS)])
        w = FRAME_W / len(head)
        return [self.p("一、参评情况", "heading"),
                self.table(rows, [w] * len(head), number_cols=range(1, len(head)),
                           extra=[("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#F2F2F2"))])]

    def _tier_section(self, summary: dict[str, Any], pops: dict[str, Population]) -> list[Flowable]:
        out: list[Flowable] = [self.p("二、分类结果", "heading")]
        groups = []
        for pid, pop in pops.items():
            e = summary.get(pid)
            if not e:
                continue
            labels = pop.tiers.labels
            n = max(e["evaluated"], 1)
            rows = [["等级", "等级名称", "初评企业数", "最终企业数", "占参评企业比例"]]
            extra = []
            for i, lab in enumerate(labels):
                final = e["tiers"].get(lab, 0)
                rows.append([f"{lab}类", pop.tiers.names.get(lab, ""), str(e["initial_tiers"].get(lab, 0)), str(final),
                             f"{final / n * 100:.1f}%"])
                extra.append(("BACKGROUND", (0, i + 1), (0, i + 1), tier_fill(i)))
            rows.append(["合计", "", str(sum(e["initial_tiers"].values())), str(sum(e["tiers"].values())),
                         "100.0%" if e["evaluated"] else "—"])
            out += [self.p(f"{pop.label}（参评 {e['evaluated']} 家）", "plain"),
                    self.table(rows, [60, FRAME_W - 60 - 3 * 90, 90, 90, 90], number_cols=(2, 3, 4), extra=extra),
                    Spacer(1, 6)]
            groups.append((pop.label, [(lab, e["tiers"].get(lab, 0)) for lab in labels]))
        if groups:
            out.append(KeepTogether([TierChart(groups, self.f), self.p("图：各类企业最终分类数量分布", "caption")]))
        return out

    def _benchmark_section(self, summary: dict[str, Any], pops: dict[str, Population]) -> list[Flowable]:
        out: list[Flowable] = [CondPageBreak(80 * mm), self.p("三、评价基准值与全县平均水平", "heading")]
        for pid, pop in pops.items():
            e = summary.get(pid)
            if not e:
                continue
            weights = {rule.id: rule for rule in pop.indicators}
            rows = [["指标", "单位", "计算方法", "权重", "基准值", "全县平均（Σ/Σ）"]]
            for ind in INDICATORS:
                rule = weights.get(ind.id)
                rows.append([ind.label, ind.unit, ind.formula(), f"{rule.weight:g}" if rule else "不计分",
                             format_number(e["benchmarks"].get(ind.id), ind.unit) if rule else "—",
                             format_number(e["aggregates"].get(ind.id), ind.unit)])
            out += [self.p(f"{pop.label}", "plain"),
                    self.table(rows, [80, 62, FRAME_W - 80 - 62 - 40 - 60 - 80, 40, 60, 80], number_cols=(3, 4, 5)),
                    Spacer(1, 6)]
        return out

    def _group_section(self, summary: dict[str, Any], pops: dict[str, Population], key: str, title: str,
                       group_label: str) -> list[Flowable]:
        """Counts per township (in the order of the input) or industry, then the indicators in a
        table of their own so that no header wraps to more than two lines."""
        out: list[Flowable] = [CondPageBreak(60 * mm), self.p(title, "heading")]
        t = self.r.table
        column = "township" if key == "by_township" else "division"
        seen = list(dict.fromkeys(str(g) for g in t[column].dropna().tolist()))
        for pid, pop in pops.items():
            e = summary.get(pid)
            if not e or not e.get(key):
                continue
            groups = e[key]
            order = [g for g in seen if g in groups] if key == "by_township" else sorted(groups)
            order += [g for g in groups if g not in order]
            labels = list(pop.tiers.labels)
            inds = [r.id for r in pop.indicators]
            name = (lambda g: division_label(g)) if key == "by_industry" else (lambda g: g)
            first_w = 120.0 if key == "by_industry" else 80.0
            rows = [[group_label, "参评企业", *(f"{lab}类" for lab in labels), "平均得分"]]
            for g in order:
                row = groups[g]
                rows.append([name(g), str(row["evaluated"]), *(str(row["tiers"].get(lab, 0)) for lab in labels),
                             format_number(row["mean_score"], "分")])
            rows.append(["全县", str(e["evaluated"]), *(str(e["tiers"].get(lab, 0)) for lab in labels),
                         format_number(_mean_score(self.r, pid), "分")])
            w = (FRAME_W - first_w) / (len(labels) + 2)
            grey = [("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#F2F2F2"))]
            out += [self.p(f"{pop.label}：企业分类", "plain"),
                    self.table(rows, [first_w, *([w] * (len(labels) + 2))], number_cols=range(1, len(labels) + 3),
                               size=8, extra=grey), Spacer(1, 6)]
            head = [group_label, *(f"{INDICATOR_BY_ID[i].label}\n（{INDICATOR_BY_ID[i].unit}）" for i in inds)]
            rows = [head]
            for g in order:
                agg = groups[g]["aggregates"] or {}
                rows.append([name(g), *(format_number(agg.get(i), INDICATOR_BY_ID[i].unit) for i in inds)])
            rows.append(["全县", *(format_number(e["aggregates"].get(i), INDICATOR_BY_ID[i].unit) for i in inds)])
            iw = (FRAME_W - first_w) / max(len(inds), 1)
            out += [self.p(f"{pop.label}：主要指标（合计数之比）", "plain"),
                    self.table(rows, [first_w, *([iw] * len(inds))], number_cols=range(1, len(inds) + 1), size=8,
                               extra=grey), Spacer(1, 6)]
        return out

    def _prior_section(self, pops: dict[str, Population]) -> list[Flowable]:
        """Year-on-year: tier transitions, 升档/降档, firms in the bottom tier for two years or more."""
        t = self.r.table
        if "prior_tier" not in t.columns:
            return []
        out: list[Flowable] = [CondPageBreak(60 * mm), self.p("六、与上年比较", "heading")]
        for pid, pop in pops.items():
            ev = t[t["population"] == pid]
            if ev.empty:
                continue
            labels = list(pop.tiers.labels)
            changes = ev["tier_change"].value_counts()
            counts = "，".join(f"{k}{int(changes.get(k, 0))}家" for k in ("升档", "降档", "持平", "新参评"))
            bottom = labels[-1]
            stuck = ev[(ev["tier"] == bottom) & (pd.to_numeric(ev["d_years"], errors="coerce") >= 2)]
            text = f"{pop.label}参评{len(ev)}家，与上年相比：{counts}。"
            text += (f"连续两年及以上为{bottom}类的企业{len(stuck)}家。" if len(stuck) else f"没有连续两年为{bottom}类的企业。")
            rows = [["上年等级＼本年等级", *(f"{lab}类" for lab in labels), "合计"]]
            prior = ev["prior_tier"].astype(object).where(ev["prior_tier"].notna(), "")
            for before in [*labels, ""]:
                part = ev[prior == before]
                rows.append([f"{before}类" if before else "上年未参评",
                             *(str(int((part["tier"] == lab).sum())) for lab in labels), str(len(part))])
            w = (FRAME_W - 90) / (len(labels) + 1)
            out += [self.p(text, "plain"),
                    self.table(rows, [90, *([w] * (len(labels) + 1))], number_cols=range(1, len(labels) + 2)),
                    Spacer(1, 4)]
            if len(stuck):
                names = "、".join(f"{n}（{int(d)}年）" for n, d in
                                 zip(stuck["name"].astype(str), pd.to_numeric(stuck["d_years"], errors="coerce")))
                out.append(self.p(f"连续{bottom}类企业：{names}。", "small"))
        return out

    def _errors_section(self) -> list[Flowable]:
        """Open data errors (to be resolved before the results are final) and the artefacts."""
        issues = self.r.issues
        errors = [i for i in issues if i.level == "error"]
        counts = "，".join(f"{LEVEL_LABELS[lv]}{sum(1 for i in issues if i.level == lv)}条"
                           for lv in ("error", "warning", "info"))
        out: list[Flowable] = [CondPageBreak(50 * mm), self.p("七、待核实的数据问题", "heading"),
                               self.p(f"数据核查共发现问题：{counts}（明细见分类名单“数据核查”工作表）。"
                                      + ("以下错误尚未处理，相关企业的结果可能受影响，定稿前应逐条核实。" if errors else
                                         "没有未处理的错误。"))]
        if errors:
            rows = [["序号", "文件", "位置", "问题"]]
            for n, it in enumerate(errors[:40], 1):
                where = "、".join(x for x in (it.sheet or "", f"第{it.row}行" if it.row else "", it.column or "") if x)
                rows.append([str(n), it.file or "", where, it.message])
            out.append(self.table(rows, [28, 110, 80, FRAME_W - 218], number_cols=(0,), size=7.5))
            if len(errors) > 40:
                out.append(self.p(f"另有{len(errors) - 40}条错误，见分类名单“数据核查”工作表。", "small"))
        if self.skip:
            recs = self.r.table.loc[self.skip]
            rows = [["记录", "来源文件", "情况"]]
            for k, rec in recs.iterrows():
                k = str(k)
                name = str(rec["name"]) if isinstance(rec["name"], str) else k.removeprefix(NAME_KEY_PREFIX)
                why = "无信用代码，按名称未能对应到其他数据中的企业" if k.startswith(NAME_KEY_PREFIX) else \
                    f"信用代码 {k} 校验不通过，未能与其他数据合并"
                rows.append([name, str(rec["sources"]), why])
            out += [Spacer(1, 6), self.p(f"未计入企业数的记录（{len(self.skip)}条）", "plain"),
                    self.table(rows, [150, 130, FRAME_W - 280], size=7.5)]
        return out


def _mean_score(result: RunResult, pid: str) -> float | None:
    t = result.table
    v = t.loc[t["population"] == pid, "total_score"]
    return float(v.mean()) if len(v) else None


def write_summary_pdf(result: RunResult, path: str | Path, settings: Settings | None = None) -> Path:
    """Write the summary report PDF; raises `InputError` for a missing font or an unwritable file."""
    settings = settings or load_settings()
    fonts = pdf_fonts(find_cjk_font(settings))
    s = result.scheme
    fp = data_fingerprint(result)
    # The report goes to the leadership: the scheme by name and version, and the short 核验码 that
    # ties it to the letters and the list (the full checksums are on the workbook's 说明 sheet).
    footer = (f"评价方案：{s.name}（{s.version} 版）",
              f"核验码：{verification_code(fp)}（与告知书、分类名单上的核验码一致）　生成时间：{dt.datetime.now():%Y-%m-%d %H:%M}")
    return build_pdf(path, _Report(result, settings, fonts).story(), fonts,
                     f"{settings.county}{result.year}年度亩均效益综合评价汇总报告", settings.authority, footer)


def artefacts(result: RunResult) -> list[str]:
    """Keys of records that are data artefacts rather than firms: a row seen in one file only whose
    code fails the check or which had no code and matched no firm by name. They are listed in the
    report (and stay in the graded list with their status), but not counted as firms."""
    t = result.table
    one_file = ~t["sources"].astype(str).str.contains("；", regex=False)
    unmatched = pd.Series(t.index.astype(str).str.startswith(NAME_KEY_PREFIX), index=t.index) | (
        t["code_valid"].astype("boolean").fillna(False) == False)
    mask = one_file & unmatched & t["population"].isna()
    return [str(k) for k in t.index[mask.to_numpy(dtype=bool)]]


def _counted(result: RunResult, skip: set[str]) -> pd.DataFrame:
    """The firm list without the artefacts, with the population each firm is counted in."""
    t = result.table
    t = t[~t.index.astype(str).isin(list(skip))]
    scale = t["above_scale"].to_numpy(dtype=float, na_value=float("nan"))
    pops = list(result.scheme.populations)
    by_scale = ["above" if x == 1 and "above" in pops else "below" if "below" in pops else pops[0] for x in scale]
    member = t["population"].where(t["population"].notna(), pd.Series(by_scale, index=t.index, dtype=object))
    return t.assign(_member=member.astype(str))
