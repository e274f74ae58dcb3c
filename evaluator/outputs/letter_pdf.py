"""Laying out one evaluation letter (评价结果告知书) on A4, and rendering batches of them.

This module only turns `LetterData` strings into PDF pages with the small layout engine in
`pdf_layout` (direct canvas drawing, ~5x faster than platypus); it imports neither pandas nor
the evaluation core, so worker processes start fast. All text is drawn literally.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm

from .fonts import FontChoice, PdfFonts, pdf_fonts
from .letter_model import IndicatorLine, LetterData
from .pdf_common import (FRAME_W, GREY, HEADER_FILL, INK, MARGIN_B, MARGIN_L, MARGIN_R, MARGIN_T, PAGE_H, PAGE_W,
                         RULE, footer_canvas, tier_bar, tier_fill)
from .pdf_layout import Cell, Writer

BODY = 11.5
BODY_LEADING = 19.5
CELL = 9.5
SMALL = 8.5
RED = colors.HexColor("#C0392B")


def _ratio_chart(w: Writer, lines: Sequence[IndicatorLine], colour: Any) -> float:
    """Horizontal bars of each scored indicator's value ÷ benchmark, the benchmark dashed at 1.

    Drawn with reportlab's canvas primitives at the cursor; returns the height used."""
    row, top_pad, bottom_pad, label_w, value_w = 15.0, 16.0, 16.0, 96.0, 62.0
    height = top_pad + row * len(lines) + bottom_pad
    caps = [ln.cap for ln in lines if ln.cap]
    scale_max = max([2.0] + caps)
    c = w.c
    x0 = w.left + label_w
    x1 = w.left + w.width - value_w
    span = x1 - x0

    def xr(r: float) -> float:
        return x0 + span * min(max(r, 0.0), scale_max) / scale_max

    top = w.y - top_pad
    bottom = w.y - height + bottom_pad
    c.saveState()
    c.setStrokeColor(RULE)
    c.setLineWidth(0.4)
    tick = 0.0
    while tick <= scale_max + 1e-9:
        x = xr(tick)
        c.line(x, bottom, x, bottom - 3)
        label = f"{tick:g}"
        w.draw_line(x - w.metrics().text(label) * 7 / 2, bottom - 11, label, 7, colour=GREY)
        tick += 0.5
    c.line(x0, bottom, x1, bottom)
    c.setStrokeColor(RED)  # the benchmark line goes under the bars and their labels
    c.setLineWidth(0.8)
    c.setDash(3, 2)
    c.line(xr(1.0), bottom, xr(1.0), top + 2)
    c.setDash()
    for i, ln in enumerate(lines):
        yc = top - row * i - row / 2
        lw = w.metrics().text(ln.label) * SMALL
        w.draw_line(x0 - 6 - lw, yc - 3, ln.label, SMALL)
        if ln.ratio is None:
            w.draw_line(x0 + 4, yc - 3, "无数据", 8, colour=GREY)
            continue
        c.setFillColor(colour if ln.ratio >= 1 else colors.HexColor("#B9B9B9"))
        c.rect(x0, yc - 4.5, max(xr(ln.ratio) - x0, 0.5), 9, stroke=0, fill=1)
        more = "＞" if ln.ratio > scale_max else ""
        text = f"{more}{ln.ratio:.2f} 倍"
        c.setFillColor(colors.white)
        c.rect(xr(ln.ratio) + 2, yc - 5, w.metrics().text(text) * 7.5 + 2, 10, stroke=0, fill=1)
        w.draw_line(xr(ln.ratio) + 3, yc - 3, text, 7.5)
    label = "基准值"
    w.draw_line(xr(1.0) - w.metrics().text(label) * 7.5 / 2, top + 5, label, 7.5, colour=RED)
    c.restoreState()
    return height


def _heading(w: Writer, text: str, fonts: PdfFonts, keep: float = 70.0) -> None:
    w.y -= 8
    w.ensure(20 + keep)
    w.paragraph(text, 12.5, 20, font=fonts.title if fonts.title != fonts.body else None, align="left")
    w.y -= 3


def _identity_rows(d: LetterData) -> list[list[Cell]]:
    name_label, name = d.identity[0]
    rows = [[Cell("企业基本情况及基础数据", "center", fill=HEADER_FILL, span=4)],
            [Cell(name_label, fill=HEADER_FILL, size=SMALL), Cell(name, span=3)]]
    rest = list(d.identity[1:])
    for i in range(0, len(rest), 2):
        pair = rest[i:i + 2] + [("", "")] * (2 - len(rest[i:i + 2]))
        rows.append([Cell(pair[0][0], fill=HEADER_FILL, size=SMALL), Cell(pair[0][1]),
                     Cell(pair[1][0], fill=HEADER_FILL, size=SMALL), Cell(pair[1][1])])
    return rows


SCORE_WIDTHS = [90.0, 66.0, 56.0, 56.0, 30.0, 52.0]
SCORE_WIDTHS.append(FRAME_W - sum(SCORE_WIDTHS))


def _score_rows(d: LetterData, fonts: PdfFonts) -> list[list[Cell]]:
    rows = [[Cell(h, "center", fill=HEADER_FILL) for h in ("评价指标", "单位", "本企业", "基准值", "权重", "得分", "说明")]]
    for ln in d.indicators:
        rows.append([Cell(ln.label), Cell(ln.unit, "center", size=SMALL), Cell(ln.value, "right"),
                     Cell(ln.benchmark, "right"), Cell(ln.weight, "right"), Cell(ln.score, "right"),
                     Cell(ln.note, size=SMALL)])
    extra = []
    if d.bonus or d.bonus_note:
        extra.append(("加分项", d.bonus, d.bonus_note, d.bonus_total))
    if d.penalty:
        extra.append(("减分项", d.penalty, "", d.penalty_total))
    for label, items, note, total in extra:
        text = "、".join(f"{a} {b}" for a, b in items) or "无"
        rows.append([Cell(label), Cell(text + (f"（{note}）" if note else ""), span=4), Cell(total, "right"), Cell("")])
    fill = tier_fill(d.tier_index)
    title_font = fonts.title if fonts.title != fonts.body else None
    rows.append([Cell("综合得分", "center", size=11, fill=fill, span=5, font=title_font),
                 Cell(d.total, "right", size=11, fill=fill, font=title_font), Cell("", fill=fill)])
    return rows


def _result_rows(d: LetterData, fonts: PdfFonts) -> list[list[Cell]]:
    rows = [[Cell("综合得分", fill=HEADER_FILL), Cell(f"{d.total} 分")]]
    if d.ranks:
        rows.append([Cell("排名", fill=HEADER_FILL), Cell("\n".join(d.ranks))])
    title_font = fonts.title if fonts.title != fonts.body else None
    for label, value in d.tier_lines:
        if label == "评价等级":
            rows.append([Cell(label, fill=HEADER_FILL), Cell(value, size=12, fill=tier_fill(d.tier_index), font=title_font)])
        else:
            rows.append([Cell(label, fill=HEADER_FILL), Cell(value)])
    return rows


def draw_letter(w: Writer, d: LetterData) -> None:
    """One letter from the cursor (a fresh page) on; the caller marks the section and ends the page."""
    fonts = w.fonts
    title_font = fonts.title if fonts.title != fonts.body else None
    w.paragraph(d.title, 19, 28, align="center", font=title_font)
    w.paragraph(d.doc_number, BODY, 18, align="center", space_after=12)
    w.paragraph(d.addressee, BODY, BODY_LEADING, align="left")
    for p in d.body:
        w.paragraph(p, BODY, BODY_LEADING, indent=2 * BODY)
    w.y -= 6
    w.table(_identity_rows(d), [96.0, FRAME_W / 2 - 96.0, 96.0, FRAME_W / 2 - 96.0], header_rows=0)
    if d.kind == "letter":
        _heading(w, d.headings["heading_scores"], fonts, keep=80)
        w.table(_score_rows(d, fonts), SCORE_WIDTHS, header_rows=1)
        if d.indicators:
            chart_h = 16 + 15 * len(d.indicators) + 16 + 16
            w.ensure(chart_h + 8)
            w.y -= 8
            w.y -= _ratio_chart(w, d.indicators, tier_bar(d.tier_index))
            w.paragraph(d.headings["chart_caption"], SMALL, 12, align="center", colour=GREY)
        _heading(w, d.headings["heading_result"], fonts, keep=90)
        w.table(_result_rows(d, fonts), [80.0, FRAME_W - 80.0])
        _heading(w, d.headings["heading_policies"], fonts, keep=40)
        if d.policies:
            w.paragraph(d.policies_intro, BODY, BODY_LEADING, indent=2 * BODY)
            w.paragraph(d.policies, BODY, BODY_LEADING, indent=2 * BODY)
        else:
            w.paragraph("本等级未规定差别化政策。", BODY, BODY_LEADING, indent=2 * BODY)
        _heading(w, d.headings["heading_appeal"], fonts, keep=40)
        for p in d.appeal:
            w.paragraph(p, BODY, BODY_LEADING, indent=2 * BODY)
    # closing, then the signature with room for the seal, kept on one page
    sign_h = (BODY_LEADING if d.closing else 0) + 16 * mm + 2 * BODY_LEADING + 4
    w.y -= 4
    w.ensure(sign_h)
    if d.closing:
        w.paragraph(d.closing, BODY, BODY_LEADING, indent=2 * BODY)
    w.y -= 16 * mm
    w.paragraph(d.authority, BODY, BODY_LEADING, align="right", right_indent=18)
    w.paragraph(d.date, BODY, BODY_LEADING, align="right", right_indent=18)


def _writer(canv: Any, fonts: PdfFonts) -> Writer:
    return Writer(canv, fonts, MARGIN_L, PAGE_W - MARGIN_R, PAGE_H - MARGIN_T, MARGIN_B, INK, RULE)


def _footer(d: LetterData) -> tuple[str, ...]:
    name = d.identity[0][1]
    return (d.footer, f"{d.doc_number}　{name if len(name) <= 32 else name[:31] + '…'}")


def _canvas(target: Any, fonts: PdfFonts, title: str) -> Any:
    c = footer_canvas(fonts)(target, pagesize=(PAGE_W, PAGE_H))
    c.setTitle(title)
    c.setAuthor("亩均效益综合评价系统")
    c.setCreator("亩均效益综合评价系统")
    c.setSubject("评价结果告知书")
    return c


def render_letter(d: LetterData, fonts: PdfFonts, target: Any) -> None:
    """One letter to a path or a binary file object."""
    c = _canvas(target, fonts, f"{d.title}（{d.identity[0][1]}）")
    if d.prelude:
        fonts.prime(c, d.prelude)
    c.mark_section(_footer(d))
    draw_letter(_writer(c, fonts), d)
    c.showPage()
    c.save()


def render_combined(items: Sequence[LetterData], fonts: PdfFonts, target: Any,
                    check: Callable[[], None] | None = None) -> None:
    """All letters in one PDF for printing in one go; each keeps its own page numbering and footer.

    `check` is called before each letter and may raise to stop (cancellation)."""
    c = _canvas(target, fonts, "评价结果告知书（合订本）")
    if items and items[0].prelude:
        fonts.prime(c, items[0].prelude)
    for d in items:
        if check is not None:
            check()
        c.mark_section(_footer(d))
        draw_letter(_writer(c, fonts), d)
        c.showPage()
    c.save()


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
        # Under a temporary name, renamed when complete: a worker ended on 取消 leaves no half letter.
        tmp = path + ".part"
        render_letter(d, fonts, tmp)
        os.replace(tmp, path)
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
