"""Laying out one evaluation letter (评价结果告知书) on A4, and rendering batches of them.

This module only turns `LetterData` strings into PDF pages with the small layout engine in
`pdf_layout` (direct canvas drawing, much faster than platypus); it imports neither pandas nor
the evaluation core, so worker processes start fast. All text is drawn literally.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm

from ..core.atomic import atomic_target
from .fonts import FontChoice, PdfFonts, pdf_fonts
from .letter_model import IndicatorLine, LetterData
from .pdf_common import (
    GREY,
    HEADER_FILL,
    INK,
    PAGE_H,
    PAGE_W,
    RULE,
    PageStyle,
    footer_canvas,
    tier_fill,
)
from .pdf_layout import Cell, Measure, NullCanvas, PageLimit, Writer

RED = colors.HexColor("#C0392B")
BAR_AT_OR_ABOVE = colors.HexColor("#4E8F47")  # a bar is coloured by its own ratio, never by the firm's tier
BAR_BELOW = colors.HexColor("#A7B0BA")


@dataclass(frozen=True)
class LetterStyle:
    """Page geometry and type sizes of one letter layout."""

    margin_t: float
    margin_b: float
    margin_l: float  # the binding side
    margin_r: float
    body: float
    leading: float
    title: float
    title_leading: float
    heading: float
    cell: float
    small: float
    chart_min_indicators: int  # draw the ratio chart only for letters with at least this many indicators
    numbers: str  # page numbers: "dash" (— 1 —) or "count" (第 1 页 共 2 页)
    gb_signature: bool  # GB/T 9704: date four characters in from the right, the authority centred above it
    run_in: bool = False  # section headings open their paragraph (一、评价结果。贵单位…) instead of a line of their own

    @property
    def width(self) -> float:
        return PAGE_W - self.margin_l - self.margin_r

    def page_style(self) -> PageStyle:
        return PageStyle(self.margin_l, self.margin_r, self.margin_b, self.numbers)


# GB/T 9704-2012: A4, top margin 37 mm, binding margin 28 mm, text block 156 × 225 mm, body 3号 (16 pt),
# title 2号 (22 pt). Tables and the scoring notes use 五号/小五 so a 规下 letter keeps to one page.
OFFICIAL = LetterStyle(margin_t=37 * mm, margin_b=35 * mm, margin_l=28 * mm, margin_r=26 * mm, body=16, leading=26,
                       title=22, title_leading=32, heading=16, cell=10.5, small=9, chart_min_indicators=3,
                       numbers="dash", gb_signature=True)
# 4号 (14 pt) body, used only when it saves a page (a 规下 letter then keeps to one page).
OFFICIAL_TIGHT = replace(OFFICIAL, body=14, heading=14, leading=20, title_leading=26, cell=9, small=7.5, run_in=True)
COMPACT = LetterStyle(margin_t=24 * mm, margin_b=24 * mm, margin_l=25 * mm, margin_r=24 * mm, body=11.5, leading=19.5,
                      title=19, title_leading=28, heading=12.5, cell=9.5, small=8.5, chart_min_indicators=1,
                      numbers="count", gb_signature=False)
OFFICIAL_NO_CHART = replace(OFFICIAL_TIGHT, chart_min_indicators=99)
OFFICIAL_TIGHTEST = replace(OFFICIAL_NO_CHART, leading=19, cell=8.5, small=7)
# Last resort before a second page: body 小四-size, title 小二 (a long 规下 letter with a prior-year line)
OFFICIAL_SMALL = replace(OFFICIAL_TIGHTEST, body=12, heading=12, leading=17, title=18, title_leading=24)
STYLES = {"official": (OFFICIAL, OFFICIAL_TIGHT, OFFICIAL_NO_CHART, OFFICIAL_TIGHTEST, OFFICIAL_SMALL),
          "compact": (COMPACT,)}

_CHART_ROW, _CHART_PAD = 15.0, 16.0  # a bar's row; the room above the bars and below them (the scale)


def _chart_height(n: int) -> float:
    return _CHART_PAD + _CHART_ROW * n + _CHART_PAD


def _ratio_chart(w: Writer, lines: Sequence[IndicatorLine], st: LetterStyle) -> float:
    """Horizontal bars of each scored indicator's value ÷ benchmark, the benchmark dashed at 1.

    A bar at or above the benchmark is green, below it grey (its own ratio decides, not the
    tier). A ratio beyond the scale is drawn to the end with a notch and printed as it is.
    Drawn with reportlab's canvas primitives at the cursor; returns the height used."""
    row, pad, label_w, value_w = _CHART_ROW, _CHART_PAD, 96.0, 62.0
    height = _chart_height(len(lines))
    caps = [ln.cap for ln in lines if ln.cap]
    scale_max = max([2.0] + caps)
    c = w.c
    x0 = w.left + label_w
    x1 = w.left + w.width - value_w
    span = x1 - x0

    def xr(r: float) -> float:
        return x0 + span * min(max(r, 0.0), scale_max) / scale_max

    top = w.y - pad
    bottom = w.y - height + pad
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
        lw = w.metrics().text(ln.label) * st.small
        w.draw_line(x0 - 6 - lw, yc - 3, ln.label, st.small)
        if ln.ratio is None:
            w.draw_line(x0 + 4, yc - 3, "无数据", 8, colour=GREY)
            continue
        c.setFillColor(BAR_AT_OR_ABOVE if ln.ratio >= 1 else BAR_BELOW)
        c.rect(x0, yc - 4.5, max(xr(ln.ratio) - x0, 0.5), 9, stroke=0, fill=1)
        if ln.ratio > scale_max:  # clipped: a white notch near the end says the bar goes on
            c.setFillColor(colors.white)
            c.rect(x1 - 7, yc - 5, 2, 10, stroke=0, fill=1)
        text = f"{ln.ratio:.2f} 倍"
        c.setFillColor(colors.white)
        c.rect(xr(ln.ratio) + 2, yc - 5, w.metrics().text(text) * 7.5 + 2, 10, stroke=0, fill=1)
        w.draw_line(xr(ln.ratio) + 3, yc - 3, text, 7.5)
    label = "基准值"
    w.draw_line(xr(1.0) - w.metrics().text(label) * 7.5 / 2, top + 5, label, 7.5, colour=RED)
    c.restoreState()
    return height


def _title_font(fonts: PdfFonts) -> str | None:
    return fonts.title if fonts.title != fonts.body else None


def _heading(w: Writer, text: str, st: LetterStyle, keep: float = 70.0) -> None:
    w.ensure(st.leading + keep)
    w.paragraph(text, st.heading, st.leading, font=_title_font(w.fonts), align="left", indent=2 * st.body)


def _identity_rows(d: LetterData, st: LetterStyle) -> list[list[Cell]]:
    """Name and industry on rows of their own (never broken inside a word), the rest in pairs."""
    rows: list[list[Cell]] = []
    pairs: list[tuple[str, str]] = []
    for label, value in d.identity:
        if label == "企业名称" and d.kind == "letter":
            continue  # the addressee names the firm
        if label in ("企业名称", "所属行业"):
            rows.append([Cell(label, fill=HEADER_FILL, size=st.small), Cell(value, span=3, size=st.cell)])
        else:
            pairs.append((label, value))
    for i in range(0, len(pairs), 2):
        pair = pairs[i:i + 2] + [("", "")] * (2 - len(pairs[i:i + 2]))
        rows.append([Cell(pair[0][0], fill=HEADER_FILL, size=st.small), Cell(pair[0][1], size=st.cell),
                     Cell(pair[1][0], fill=HEADER_FILL, size=st.small), Cell(pair[1][1], size=st.cell)])
    return rows


def _score_widths(st: LetterStyle) -> list[float]:
    w = st.width
    cols = [0.25, 0.12, 0.12, 0.09, 0.06, 0.09]
    widths = [w * f for f in cols]
    return widths + [w - sum(widths)]


def _label_with_unit(w: Writer, label: str, unit: str, size: float, width: float) -> str:
    """`亩均税收（万元/亩）` on one line when it fits, else the unit on a line of its own: a cell
    never breaks inside a name or a unit."""
    one = f"{label}（{unit}）"
    return one if w.metrics().text(one) * size <= width - 8 else f"{label}\n（{unit}）"


def _score_rows(w: Writer, d: LetterData, st: LetterStyle, fonts: PdfFonts) -> list[list[Cell]]:
    c, sm = st.cell, st.small
    label_w = _score_widths(st)[0]
    rows = [[Cell(h, "center", fill=HEADER_FILL, size=sm)
             for h in ("评价指标（单位）", "本企业", "基准值", "比值", "权重", "得分", "说明")]]
    for ln in d.indicators:
        rows.append([Cell(_label_with_unit(w, ln.label, ln.unit, c, label_w), size=c), Cell(ln.value, "right", size=c),
                     Cell(ln.benchmark, "right", size=c), Cell(ln.ratio_text, "right", size=c),
                     Cell(ln.weight, "right", size=c), Cell(ln.score, "right", size=c), Cell(ln.note, size=sm)])
    extra = []
    if d.bonus or d.bonus_note:
        extra.append(("加分", d.bonus, d.bonus_note, d.bonus_total))
    if d.penalty:
        extra.append(("减分", d.penalty, "", d.penalty_total))
    for label, items, note, total in extra:
        text = "、".join(f"{a}{b}分" for a, b in items) or "无"
        rows.append([Cell(label, size=c), Cell(text + (f"（{note}）" if note else ""), span=4, size=c),
                     Cell(total, "right", size=c), Cell("", size=sm)])
    fill = tier_fill(d.tier_index)
    rows.append([Cell("综合得分", "center", size=c + 0.5, fill=fill, span=5, font=_title_font(fonts)),
                 Cell(d.total, "left", size=c + 0.5, fill=fill, span=2, font=_title_font(fonts))])  # never wraps
    return rows


def _small_paragraphs(w: Writer, texts: Sequence[str], st: LetterStyle) -> None:
    for t in texts:
        w.paragraph(t, st.small, st.small * 1.4, colour=INK)


def _section(w: Writer, heading: str, paragraphs: Sequence[str], st: LetterStyle) -> None:
    """A numbered section: its heading on a line of its own, or opening the first paragraph."""
    if st.run_in and paragraphs:
        first, *rest = paragraphs
        w.paragraph(f"{heading}。{first}", st.body, st.leading, indent=2 * st.body)
    else:
        _heading(w, heading, st, keep=st.leading * 2)
        rest = list(paragraphs)
    for p in rest:
        w.paragraph(p, st.body, st.leading, indent=2 * st.body)


def draw_letter(w: Writer, d: LetterData, st: LetterStyle) -> None:
    """One letter from the cursor (a fresh page) on; the caller marks the section and ends the page."""
    fonts = w.fonts
    w.paragraph(d.title, st.title, st.title_leading, align="center", font=_title_font(fonts))
    if d.stage:
        w.paragraph(f"（{d.stage}）", st.body, st.leading, align="center")
    w.paragraph(d.doc_number, st.body, st.leading, align="center", space_after=st.leading * 0.25)
    w.paragraph(d.addressee, st.body, st.leading, align="left")
    for p in d.body:
        w.paragraph(p, st.body, st.leading, indent=2 * st.body)
    if d.kind == "letter":
        # one paragraph: score, county rank and tier; the other ranks; any adjustment; last year
        result = "".join([*d.result[:1], *d.ranks, *d.result[1:]])
        _section(w, d.headings["heading_result"], [result], st)
        _heading(w, d.headings["heading_scores"], st, keep=90)
    else:
        w.y -= st.leading * 0.4
    q = st.width / 4
    w.table(_identity_rows(d, st), [q * 0.95, q * 1.1, q * 0.95, q * 1.0], header_rows=0, pad_y=2.2)
    if d.kind == "letter":
        w.y -= 4
        w.table(_score_rows(w, d, st, fonts), _score_widths(st), header_rows=1, pad_y=2.2)
        if len(d.indicators) >= st.chart_min_indicators:
            w.ensure(_chart_height(len(d.indicators)) + 16 + 8)  # with its caption
            w.y -= 6
            w.y -= _ratio_chart(w, d.indicators, st) if w.draws else _chart_height(len(d.indicators))
            w.paragraph(d.headings["chart_caption"], st.small, st.small * 1.4, align="center", colour=GREY)
        w.y -= 2
        _small_paragraphs(w, d.score_notes, st)
        if d.method:
            w.paragraph(d.headings["heading_method"] + "：" + "".join(f"{i}.{t}" for i, t in enumerate(d.method, 1)),
                        st.small, st.small * 1.35, colour=INK)
        policy = d.policies_intro + d.policies if d.policies else "本等级未规定差别化政策。"
        _section(w, d.headings["heading_policies"], [policy], st)
        _section(w, d.headings["heading_appeal"], list(d.appeal), st)
    _signature(w, d, st)


def _signature(w: Writer, d: LetterData, st: LetterStyle) -> None:
    """特此告知, then the authority and the date with room for the seal, kept on one page.

    GB/T 9704 7.3.5.1: the date in Arabic numerals four characters in from the right, the
    authority centred above the date, the seal pressing both, its top within one line of the
    text above; so one blank line is left and the seal overlaps the two lines."""
    lines = (1 if d.closing else 0) + 2
    seal_room = st.leading if st.gb_signature else 16 * mm
    w.ensure(lines * st.leading + seal_room)
    if d.closing:
        w.paragraph(d.closing, st.body, st.leading, indent=2 * st.body)
    w.y -= seal_room
    if st.gb_signature:
        m = w.metrics()
        date_w = m.text(d.date) * st.body
        date_right = w.left + w.width - 4 * st.body
        centre = date_right - date_w / 2
        auth_w = m.text(d.authority) * st.body
        x_auth = min(centre - auth_w / 2, w.left + w.width - auth_w)
        w.draw_line(x_auth, w.baseline(w.y, st.leading, st.body), d.authority, st.body)
        w.y -= st.leading
        w.draw_line(date_right - date_w, w.baseline(w.y, st.leading, st.body), d.date, st.body)
        w.y -= st.leading
    else:
        w.paragraph(d.authority, st.body, st.leading, align="right", right_indent=18)
        w.paragraph(d.date, st.body, st.leading, align="right", right_indent=18)


def _writer(canv: Any, fonts: PdfFonts, st: LetterStyle, cls: type[Writer] = Writer) -> Writer:
    return cls(canv, fonts, st.margin_l, PAGE_W - st.margin_r, PAGE_H - st.margin_t, st.margin_b, INK, RULE)


def choose_style(d: LetterData, fonts: PdfFonts) -> tuple[LetterStyle, int]:
    """The letter's style and page count: the layout's first style unless a tighter one of the
    same layout needs fewer pages."""
    options = STYLES.get(d.layout, STYLES["official"])
    best: tuple[LetterStyle, int] | None = None
    for st in options:
        m = _writer(NullCanvas(), fonts, st, Measure)
        if best is not None:
            m.page_limit = best[1]  # as many pages as the best so far: this style cannot win
        try:
            draw_letter(m, d, st)
        except PageLimit:
            continue
        pages = m.pages  # type: ignore[attr-defined]
        if best is None or pages < best[1]:
            best = (st, pages)
        if pages == 1:
            break
    assert best is not None
    return best


def _footer(d: LetterData) -> tuple[str, ...]:
    return (d.footer,)


def _canvas(target: Any, fonts: PdfFonts, title: str, st: LetterStyle) -> Any:
    c = footer_canvas(fonts, style=st.page_style())(target, pagesize=(PAGE_W, PAGE_H))
    c.setTitle(title)
    c.setAuthor("亩均效益综合评价系统")
    c.setCreator("亩均效益综合评价系统")
    c.setSubject("评价结果告知书")
    return c


def render_letter_file(d: LetterData, fonts: PdfFonts, path: str) -> None:
    """One letter to a file, atomically: a full disk or a cancel never leaves a truncated PDF."""
    with atomic_target(path, durable=False) as tmp:
        render_letter(d, fonts, str(tmp))


def render_letter(d: LetterData, fonts: PdfFonts, target: Any) -> None:
    """One letter to a path or a binary file object."""
    st, _pages = choose_style(d, fonts)
    c = _canvas(target, fonts, f"{d.title}（{d.identity[0][1]}）", st)
    if d.prelude:
        fonts.prime(c, d.prelude)
    c.mark_section(_footer(d))
    draw_letter(_writer(c, fonts, st), d, st)
    c.showPage()
    c.save()


def render_combined(items: Sequence[LetterData], fonts: PdfFonts, target: Any,
                    check: Callable[[], None] | None = None) -> None:
    """All letters in one PDF for printing in one go; each keeps its own page numbering and footer,
    and each starts on an odd page (a blank page follows a letter with an odd page count), so
    printed on both sides no two letters share a sheet.

    `check` is called before each letter and may raise to stop (cancellation)."""
    first = STYLES.get(items[0].layout, STYLES["official"])[0] if items else OFFICIAL
    c = _canvas(target, fonts, "评价结果告知书（合订本）", first)
    if items and items[0].prelude:
        fonts.prime(c, items[0].prelude)
    for d in items:
        if check is not None:
            check()
        st, _pages = choose_style(d, fonts)
        start = c.pages_so_far()
        c.mark_section(_footer(d))
        draw_letter(_writer(c, fonts, st), d, st)
        c.showPage()
        if (c.pages_so_far() - start) % 2:
            c.blank_page()
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
        render_letter_file(d, fonts, path)
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
