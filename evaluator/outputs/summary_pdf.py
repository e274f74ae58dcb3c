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

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ..core.divisions import division_label
from ..core.issues import InputError
from ..method.evaluate import STATUS_LABELS
from ..method.indicators import INDICATOR_BY_ID, INDICATORS, format_number
from ..method.scheme import Population
from ..pipeline.run import RunResult
from .fingerprint import data_fingerprint, verification_code
from .fonts import PdfFonts, find_cjk_font, pdf_fonts
from .letter_data import date_text
from .pdf_common import (
    FRAME_W,
    GREY,
    HEADER_FILL,
    INK,
    MARGIN_B,
    MARGIN_L,
    MARGIN_R,
    MARGIN_T,
    PAGE_H,
    PAGE_W,
    RULE,
    footer_canvas,
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
        style = [("GRID", (0, 0), (-1, -1), 0.5, RULE), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                 ("FONTNAME", (0, 0), (-1, -1), self.f.body), ("FONTSIZE", (0, 0), (-1, -1), size),
                 ("TEXTCOLOR", (0, 0), (-1, -1), INK), ("LEADING", (0, 0), (-1, -1), size * 1.25),
                 ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                 ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
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
        total = sum(e["total"] for e in summary.values())
        evaluated = sum(e["evaluated"] for e in summary.values())
        parts = "、".join(f"{e['label']} {e['total']} 家" for e in summary.values() if e["total"])
        out.append(self.p(f"本次评价依据《{r.scheme.name}》（编号 {r.scheme.id}，版本 {r.scheme.version}），"
                          f"对{s.county}{r.year}年度工业企业亩均效益情况进行综合评价。共涉及工业企业 {total} 家"
                          f"（{parts or '无'}），其中参评 {evaluated} 家。各项指标的“全县平均”为参评企业"
                          "合计值之比（Σ分子 ÷ Σ分母）。"))
        out += self._status_section(summary)
        out += self._tier_section(summary, pops)
        out += self._benchmark_section(summary, pops)
        out += self._group_section(summary, pops, "by_township", "四、分乡镇（街道）情况", "乡镇（街道）")
        out += self._group_section(summary, pops, "by_industry", "五、分行业（大类）情况", "行业大类")
        return out

    def _status_section(self, summary: dict[str, Any]) -> list[Flowable]:
        head = ["企业类别", "企业总数", *STATUS_LABELS.values()]
        rows = [head]
        for e in summary.values():
            rows.append([e["label"], str(e["total"]), *(str(e.get(k, 0)) for k in STATUS_LABELS)])
        rows.append(["合计", str(sum(e["total"] for e in summary.values())),
                     *(str(sum(e.get(k, 0) for e in summary.values())) for k in STATUS_LABELS)])
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
        out: list[Flowable] = [CondPageBreak(60 * mm), self.p(title, "heading")]
        for pid, pop in pops.items():
            e = summary.get(pid)
            if not e or not e.get(key):
                continue
            labels = list(pop.tiers.labels)
            inds = [r.id for r in pop.indicators]
            head = [group_label, "参评", *(f"{lab}类" for lab in labels), "平均得分",
                    *(f"{INDICATOR_BY_ID[i].label}\n（{INDICATOR_BY_ID[i].unit}）" for i in inds)]
            rows = [head]
            for g, row in e[key].items():
                rows.append([division_label(g) if key == "by_industry" else g, str(row["evaluated"]), *(str(row["tiers"].get(lab, 0)) for lab in labels),
                             format_number(row["mean_score"], "分"),
                             *(format_number((row["aggregates"] or {}).get(i), INDICATOR_BY_ID[i].unit) for i in inds)])
            rows.append(["全县", str(e["evaluated"]), *(str(e["tiers"].get(lab, 0)) for lab in labels),
                         format_number(_mean_score(self.r, pid), "分"),
                         *(format_number(e["aggregates"].get(i), INDICATOR_BY_ID[i].unit) for i in inds)])
            first_w = 96.0 if key == "by_industry" else 62.0
            small_w = 24.0
            rest = FRAME_W - first_w - small_w * (1 + len(labels)) - 36
            ind_w = rest / max(len(inds), 1)
            widths = [first_w, small_w, *([small_w] * len(labels)), 36, *([ind_w] * len(inds))]
            out += [self.p(f"{pop.label}（指标为合计值之比）", "plain"),
                    self.table(rows, widths, number_cols=range(1, len(head)), size=7.5,
                               extra=[("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#F2F2F2"))]),
                    Spacer(1, 6)]
        return out


def _mean_score(result: RunResult, pid: str) -> float | None:
    t = result.table
    v = t.loc[t["population"] == pid, "total_score"]
    return float(v.mean()) if len(v) else None


def write_summary_pdf(result: RunResult, path: str | Path, settings: Settings | None = None) -> Path:
    """Write the summary report PDF; raises `InputError` for a missing font or an unwritable file."""
    settings = settings or load_settings()
    fonts = pdf_fonts(find_cjk_font(settings))
    out = Path(path)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"无法创建文件夹 {out.parent}（{exc.strerror or exc}）") from exc
    s = result.scheme
    fp = data_fingerprint(result)
    footer = (f"评价方案：{s.name}（编号 {s.id}，版本 {s.version}，方案指纹 {s.fingerprint}）",
              f"核验码：{verification_code(fp)}（数据指纹 {fp}）　生成时间：{dt.datetime.now():%Y-%m-%d %H:%M}")
    tmp = out.with_name(out.name + ".part")
    doc = SimpleDocTemplate(str(tmp), pagesize=(PAGE_W, PAGE_H), leftMargin=MARGIN_L, rightMargin=MARGIN_R,
                            topMargin=MARGIN_T, bottomMargin=MARGIN_B,
                            title=f"{settings.county}{result.year}年度亩均效益综合评价汇总报告",
                            author=settings.authority, creator="亩均效益综合评价系统")
    try:
        doc.build(_Report(result, settings, fonts).story(), canvasmaker=footer_canvas(fonts, footer))
        tmp.replace(out)
    except OSError as exc:
        raise InputError(f"无法写出 {out}（{exc.strerror or exc}；文件可能正被其他程序打开）") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return out
