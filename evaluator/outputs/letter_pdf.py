"""Laying out one evaluation letter (评价结果告知书) on A4, and rendering batches of them.

This module only turns `LetterData` strings into PDF pages; it imports neither pandas nor the
evaluation core, so worker processes start fast. Text from the data files is always drawn
literally: Paragraph text goes through `PdfFonts.markup` (escaped), table cells that need no
wrapping are plain strings (never parsed as markup).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import (Flowable, KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table,
                                TableStyle)

from .fonts import FontChoice, PdfFonts, pdf_fonts
from .letter_model import IndicatorLine, LetterData
from .pdf_common import (FRAME_W, GREY, HEADER_FILL, INK, MARGIN_B, MARGIN_L, MARGIN_R, MARGIN_T, RULE, SectionMark,
                         footer_canvas, styles, tier_bar, tier_fill)

GRID = [("GRID", (0, 0), (-1, -1), 0.5, RULE), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 4), ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK)]


class RatioChart(Flowable):
    """Horizontal bars of each scored indicator's value ÷ benchmark, with the benchmark line at 1.

    Drawn straight on the canvas (reportlab graphics primitives) so every label goes through the
    same font routing as the text.
    """

    ROW = 15.0
    TOP = 16.0
    BOTTOM = 16.0
    LABEL_W = 96.0
    VALUE_W = 58.0

    def __init__(self, lines: Sequence[IndicatorLine], fonts: PdfFonts, colour: colors.Color, width: float = FRAME_W):
        super().__init__()
        self.lines = list(lines)
        self.fonts = fonts
        self.colour = colour
        self.width = width
        self.height = self.TOP + self.ROW * len(self.lines) + self.BOTTOM
        caps = [ln.cap for ln in self.lines if ln.cap]
        self.scale_max = max([2.0] + caps) if caps else 2.0

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        c = self.canv
        f = self.fonts
        x0 = self.LABEL_W
        x1 = self.width - self.VALUE_W
        span = x1 - x0

        def xr(r: float) -> float:
            return x0 + span * min(max(r, 0.0), self.scale_max) / self.scale_max

        top = self.height - self.TOP
        bottom = self.BOTTOM
        c.saveState()
        c.setStrokeColor(RULE)
        c.setLineWidth(0.4)
        c.setFillColor(GREY)
        tick = 0.0
        while tick <= self.scale_max + 1e-9:
            x = xr(tick)
            c.line(x, bottom, x, bottom - 3)
            f.draw(c, x, bottom - 11, f"{tick:g}", 7, align="center")
            tick += 0.5
        c.line(x0, bottom, x1, bottom)
        for i, ln in enumerate(self.lines):
            yc = top - self.ROW * i - self.ROW / 2
            c.setFillColor(INK)
            f.draw(c, x0 - 6, yc - 3, ln.label, 8.5, align="right")
            if ln.ratio is None:
                c.setFillColor(GREY)
                f.draw(c, x0 + 4, yc - 3, "无数据", 8)
                continue
            c.setFillColor(self.colour if ln.ratio >= 1 else colors.HexColor("#B9B9B9"))
            c.rect(x0, yc - 4.5, xr(ln.ratio) - x0, 9, stroke=0, fill=1)
            c.setFillColor(INK)
            more = "＞" if ln.ratio > self.scale_max else ""
            f.draw(c, xr(ln.ratio) + 3, yc - 3, f"{more}{ln.ratio:.2f} 倍", 7.5)
        c.setStrokeColor(colors.HexColor("#C0392B"))
        c.setLineWidth(0.8)
        c.setDash(3, 2)
        c.line(xr(1.0), bottom, xr(1.0), top + 2)
        c.setDash()
        c.setFillColor(colors.HexColor("#C0392B"))
        f.draw(c, xr(1.0), top + 5, "基准值", 7.5, align="center")
        c.restoreState()


def _cell(fonts: PdfFonts, text: str, style: Any, wrap_width: float | None = None) -> Any:
    """A plain string when the body font draws it on one line (fast, never markup), else a Paragraph."""
    if fonts.plain_ok(text) and "\n" not in text and (wrap_width is None or fonts.width(text, style.fontSize) <= wrap_width):
        return text
    return Paragraph(fonts.markup(text), style)


def _identity_table(d: LetterData, fonts: PdfFonts, st: dict[str, Any]) -> Table:
    """企业基本情况: the name on its own row, then label/value pairs two to a row."""
    lw, vw = 80.0, FRAME_W / 2 - 80.0
    name_label, name = d.identity[0]
    rows: list[list[Any]] = [["企业基本情况及基础数据", "", "", ""],
                             [name_label, Paragraph(fonts.markup(name), st["cell"]), "", ""]]
    rest = list(d.identity[1:])
    for i in range(0, len(rest), 2):
        pair = rest[i:i + 2] + [("", "")] * (2 - len(rest[i:i + 2]))
        rows.append([_cell(fonts, pair[0][0], st["cell_small"], lw - 8), _cell(fonts, pair[0][1], st["cell"], vw - 8),
                     _cell(fonts, pair[1][0], st["cell_small"], lw - 8), _cell(fonts, pair[1][1], st["cell"], vw - 8)])
    t = Table(rows, colWidths=[lw, vw, lw, vw])
    t.setStyle(TableStyle(GRID + [
        ("FONTNAME", (0, 0), (-1, -1), fonts.body), ("FONTSIZE", (0, 0), (-1, -1), 9.5),
        ("FONTSIZE", (0, 2), (0, -1), 8.5), ("FONTSIZE", (2, 2), (2, -1), 8.5),
        ("SPAN", (0, 0), (-1, 0)), ("SPAN", (1, 1), (-1, 1)),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL), ("ALIGN", (0, 0), (-1, 0), "CENTER"),
        ("BACKGROUND", (0, 1), (0, -1), HEADER_FILL), ("BACKGROUND", (2, 2), (2, -1), HEADER_FILL),
    ]))
    return t


def _score_table(d: LetterData, fonts: PdfFonts, st: dict[str, Any]) -> Table:
    widths = [82.0, 64.0, 56.0, 56.0, 30.0, 46.0]
    widths.append(FRAME_W - sum(widths))
    head = ["评价指标", "单位", "本企业", "基准值", "权重", "得分", "说明"]
    rows: list[list[Any]] = [head]
    for ln in d.indicators:
        rows.append([ln.label, ln.unit, ln.value, ln.benchmark, ln.weight, ln.score,
                     _cell(fonts, ln.note, st["cell_small"], widths[-1] - 8)])
    n_ind = len(rows)
    extra: list[tuple[str, tuple[tuple[str, str], ...], str, str]] = []
    if d.bonus or d.bonus_note:
        extra.append(("加分项", d.bonus, d.bonus_note, d.bonus_total))
    if d.penalty:
        extra.append(("减分项", d.penalty, "", d.penalty_total))
    for label, items, note, total in extra:
        text = "、".join(f"{a} {b}" for a, b in items) or "无"
        rows.append([label, _cell(fonts, text + (f"（{note}）" if note else ""), st["cell"], sum(widths[1:5]) - 8),
                     "", "", "", total, ""])
    rows.append(["综合得分", "", "", "", "", d.total, ""])
    t = Table(rows, colWidths=widths, repeatRows=1)
    style = GRID + [
        ("FONTNAME", (0, 0), (-1, -1), fonts.body), ("FONTSIZE", (0, 0), (-1, -1), 9.5),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL), ("ALIGN", (0, 0), (-1, 0), "CENTER"),
        ("ALIGN", (2, 1), (5, -1), "RIGHT"), ("ALIGN", (1, 1), (1, n_ind - 1), "CENTER"),
        ("FONTSIZE", (1, 1), (1, n_ind - 1), 8.5),
        ("BACKGROUND", (0, -1), (-1, -1), tier_fill(d.tier_index)),
        ("FONTNAME", (0, -1), (-1, -1), fonts.title), ("FONTSIZE", (0, -1), (-1, -1), 11),
        ("SPAN", (0, -1), (4, -1)), ("ALIGN", (0, -1), (0, -1), "CENTER"),
    ]
    for i in range(len(extra)):
        r = n_ind + i
        style += [("SPAN", (1, r), (4, r))]
    t.setStyle(TableStyle(style))
    return t


def _result_table(d: LetterData, fonts: PdfFonts, st: dict[str, Any]) -> Table:
    lw = 80.0
    rows: list[list[Any]] = [["综合得分", _cell(fonts, f"{d.total} 分", st["cell"], FRAME_W - lw - 8)]]
    if d.ranks:
        rows.append(["排名", Paragraph("<br/>".join(fonts.markup(r) for r in d.ranks), st["cell"])])
    for label, value in d.tier_lines:
        rows.append([label, _cell(fonts, value, st["cell"], FRAME_W - lw - 8)])
    t = Table(rows, colWidths=[lw, FRAME_W - lw])
    style = GRID + [
        ("FONTNAME", (0, 0), (-1, -1), fonts.body), ("FONTSIZE", (0, 0), (-1, -1), 9.5),
        ("BACKGROUND", (0, 0), (0, -1), HEADER_FILL),
    ]
    tier_row = next((i for i, r in enumerate(rows) if r[0] == "评价等级"), None)
    if tier_row is not None:
        style += [("BACKGROUND", (1, tier_row), (1, tier_row), tier_fill(d.tier_index)),
                  ("FONTNAME", (1, tier_row), (1, tier_row), fonts.title), ("FONTSIZE", (1, tier_row), (1, tier_row), 12)]
    t.setStyle(TableStyle(style))
    return t


def letter_story(d: LetterData, fonts: PdfFonts) -> list[Flowable]:
    """The flowables of one letter, starting with its section mark (footer, page numbering)."""
    st = styles(fonts)
    m = fonts.markup
    story: list[Flowable] = [SectionMark((d.footer, f"{d.doc_number}　{d.identity[0][1]}")),
                             Paragraph(m(d.title), st["title"]), Paragraph(m(d.doc_number), st["docnum"]),
                             Paragraph(m(d.addressee), st["plain"])]
    story += [Paragraph(m(p), st["body"]) for p in d.body]
    story += [Spacer(1, 5), _identity_table(d, fonts, st)]
    if d.kind == "letter":
        story += [Paragraph(m(d.headings["heading_scores"]), st["heading"]), _score_table(d, fonts, st)]
        if d.indicators:
            story.append(KeepTogether([Spacer(1, 6), RatioChart(d.indicators, fonts, tier_bar(d.tier_index)),
                                       Paragraph(m(d.headings["chart_caption"]), st["caption"])]))
        story += [Paragraph(m(d.headings["heading_result"]), st["heading"]), _result_table(d, fonts, st)]
        story += [Paragraph(m(d.headings["heading_policies"]), st["heading"])]
        if d.policies:
            story += [Paragraph(m(d.policies_intro), st["body"]), Paragraph(m(d.policies), st["body"])]
        else:
            story += [Paragraph("本等级未规定差别化政策。", st["body"])]
        story += [Paragraph(m(d.headings["heading_appeal"]), st["heading"])]
        story += [Paragraph(m(p), st["body"]) for p in d.appeal]
    story.append(KeepTogether([
        Paragraph(m(d.closing), st["body"]) if d.closing else Spacer(1, 1),
        Spacer(1, 16 * mm), Paragraph(m(d.authority), st["sign"]), Paragraph(m(d.date), st["sign"]),
    ]))
    return story


def _doc(target: Any, title: str, fonts: PdfFonts) -> SimpleDocTemplate:
    return SimpleDocTemplate(target, pagesize=(595.2755905511812, 841.8897637795277), leftMargin=MARGIN_L,
                             rightMargin=MARGIN_R, topMargin=MARGIN_T, bottomMargin=MARGIN_B, title=title,
                             author="亩均效益综合评价系统", creator="亩均效益综合评价系统", subject="评价结果告知书")


def render_letter(d: LetterData, fonts: PdfFonts, target: Any) -> None:
    """One letter to a path or a binary file object."""
    doc = _doc(target, d.title, fonts)
    doc.build(letter_story(d, fonts), canvasmaker=footer_canvas(fonts))


def render_combined(items: Sequence[LetterData], fonts: PdfFonts, target: Any,
                    check: Callable[[], None] | None = None) -> None:
    """All letters in one PDF for printing in one go; each keeps its own page numbering and footer.

    `check` is called before each letter and may raise to stop (cancellation)."""
    story: list[Flowable] = []
    for i, d in enumerate(items):
        if check is not None:
            story.append(_Check(check))
        story += letter_story(d, fonts)
        if i < len(items) - 1:
            story.append(PageBreak())
    doc = _doc(target, "评价结果告知书（合订本）", fonts)
    doc.build(story, canvasmaker=footer_canvas(fonts))


class _Check(Flowable):
    def __init__(self, fn: Callable[[], None]):
        super().__init__()
        self.fn = fn

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.fn()
        return 0, 0

    def draw(self) -> None:
        return None


# --- worker side ----------------------------------------------------------------------------------
_WORKER: dict[str, Any] = {}


class Stopped(Exception):
    """The batch was cancelled while this worker was rendering."""


def init_worker(choice: FontChoice, stop_event: Any = None) -> None:
    """Process-pool initializer: register the fonts once per worker."""
    _WORKER["fonts"] = pdf_fonts(choice)
    _WORKER["stop"] = stop_event


def _stopped() -> bool:
    ev = _WORKER.get("stop")
    return bool(ev is not None and ev.is_set())


def render_chunk(items: Sequence[tuple[LetterData, str]]) -> list[str]:
    """Render (letter, path) pairs in a worker; returns the paths written (stops early on cancel)."""
    fonts: PdfFonts = _WORKER["fonts"]
    done = []
    for d, path in items:
        if _stopped():
            break
        render_letter(d, fonts, path)
        done.append(path)
    return done


def render_combined_job(items: Sequence[LetterData], path: str) -> str:
    """Worker job for the combined PDF: written to a temporary name, renamed when complete."""
    fonts: PdfFonts = _WORKER["fonts"]

    def check() -> None:
        if _stopped():
            raise Stopped()

    tmp = Path(path).with_name(Path(path).name + ".part")
    try:
        render_combined(items, fonts, str(tmp), check)
    except Stopped:
        tmp.unlink(missing_ok=True)
        return ""
    tmp.replace(path)
    return path
