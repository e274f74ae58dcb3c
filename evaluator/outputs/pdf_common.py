"""Page set-up shared by the letters and the summary report: A4, styles, tier colours, and a canvas
that prints "第 x 页 共 y 页" per document even when many letters share one PDF.

The page count of a letter is only known after it is laid out, so the canvas keeps each page's
drawing and writes the footers when the file is saved. `SectionMark` flowables tell it where each
letter starts and which footer it carries.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfdoc
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, SimpleDocTemplate

from ..core.issues import InputError
from .fonts import PdfFonts

PAGE_W, PAGE_H = A4
MARGIN_L = 25 * mm
MARGIN_R = 24 * mm
MARGIN_T = 24 * mm
MARGIN_B = 24 * mm
FRAME_W = PAGE_W - MARGIN_L - MARGIN_R

INK = colors.HexColor("#1A1A1A")
GREY = colors.HexColor("#6B6B6B")
RULE = colors.HexColor("#8C8C8C")
HEADER_FILL = colors.HexColor("#EDEFF2")
# Best tier first; tiers beyond four reuse the last colour.
TIER_FILLS = [colors.HexColor(c) for c in ("#DDEFD9", "#DCE8F6", "#FFF1CC", "#F9DCDA")]
TIER_BARS = [colors.HexColor(c) for c in ("#4E8F47", "#3F73B5", "#D69A1E", "#C4473D")]
# The ruled grid every report table shares: thin rules, ink text, cells centred vertically.
GRID_LOOK: tuple[tuple[Any, ...], ...] = (
    ("GRID", (0, 0), (-1, -1), 0.5, RULE), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ("TEXTCOLOR", (0, 0), (-1, -1), INK),
    ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3))


class _FontFileCompressor(pdfdoc.PDFStreamFilterZCompress):
    """reportlab's Flate filter, remembering the compressed form of recent font streams.

    Letters primed with the same characters embed byte-identical font subsets and character
    maps (ToUnicode); compressing each once instead of once per letter saves a fifth of a
    letter's cost. Output bytes are unchanged. Only embedded TrueType files (sfnt header) and
    character maps are remembered, so page streams never crowd them out."""

    def __init__(self, size: int = 64):
        self._cache: dict[bytes, bytes] = {}
        self._size = size
        self._lock = threading.Lock()

    def encode(self, text: Any) -> bytes:
        if isinstance(text, str):
            text = text.encode("utf8")  # as reportlab's filter does
        if isinstance(text, bytes) and (text[:4] in _SFNT and len(text) > 4096 or text.startswith(_CMAP)):
            with self._lock:  # PDFs are made on several worker threads at once
                out = self._cache.pop(text, None)
                if out is None:
                    out = super().encode(text)
                    while len(self._cache) >= self._size:
                        self._cache.pop(next(iter(self._cache)))
                self._cache[text] = out  # the most recently used last: the least recently used goes first
            return out
        return super().encode(text)


_SFNT = (b"\x00\x01\x00\x00", b"true")
_CMAP = b"/CIDInit /ProcSet findresource begin"


if not isinstance(pdfdoc.PDFZCompress, _FontFileCompressor):
    pdfdoc.PDFZCompress = _FontFileCompressor()


def tier_fill(index: int) -> colors.Color:
    return TIER_FILLS[min(max(index, 0), len(TIER_FILLS) - 1)]


def tier_bar(index: int) -> colors.Color:
    return TIER_BARS[min(max(index, 0), len(TIER_BARS) - 1)]


_STYLES: dict[str, dict[str, ParagraphStyle]] = {}


def styles(fonts: PdfFonts) -> dict[str, ParagraphStyle]:
    """Paragraph styles for one font set; `wordWrap='CJK'` so Chinese lines break between characters."""
    key = fonts.body + fonts.title
    if key in _STYLES:
        return _STYLES[key]
    base = ParagraphStyle("body", fontName=fonts.body, fontSize=11.5, leading=19, textColor=INK,
                          wordWrap="CJK", firstLineIndent=23, alignment=TA_LEFT)
    s = {
        "body": base,
        "plain": ParagraphStyle("plain", parent=base, firstLineIndent=0),
        "title": ParagraphStyle("title", parent=base, fontName=fonts.title, fontSize=19, leading=28,
                                alignment=TA_CENTER, firstLineIndent=0, spaceAfter=2),
        "docnum": ParagraphStyle("docnum", parent=base, fontSize=11.5, leading=18, alignment=TA_CENTER,
                                 firstLineIndent=0, spaceAfter=10),
        "heading": ParagraphStyle("heading", parent=base, fontName=fonts.title, fontSize=12.5, leading=20,
                                  firstLineIndent=0, spaceBefore=8, spaceAfter=3, keepWithNext=1),
        "cell": ParagraphStyle("cell", parent=base, fontSize=9.5, leading=12.5, firstLineIndent=0),
        "cell_small": ParagraphStyle("cell_small", parent=base, fontSize=8.5, leading=11, firstLineIndent=0),
        "cell_right": ParagraphStyle("cell_right", parent=base, fontSize=9.5, leading=12.5, firstLineIndent=0,
                                     alignment=TA_RIGHT),
        "caption": ParagraphStyle("caption", parent=base, fontSize=8.5, leading=11, textColor=GREY,
                                  firstLineIndent=0, alignment=TA_CENTER),
        "sign": ParagraphStyle("sign", parent=base, firstLineIndent=0, alignment=TA_RIGHT, rightIndent=18),
        "small": ParagraphStyle("small", parent=base, fontSize=9, leading=13, firstLineIndent=0),
    }
    _STYLES[key] = s
    return s


class SectionMark(Flowable):
    """Invisible marker: a new document section (one letter) starts here, with these footer lines."""

    def __init__(self, footer: tuple[str, ...]):
        super().__init__()
        self.footer = footer
        self.width = self.height = 0

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        self.canv.mark_section(self.footer)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class PageStyle:
    """Where a document's footer goes and how its pages are numbered.

    `count`: "第 1 页 共 2 页" at the right (reports, the compact letter). `dash`: GB/T 9704's
    "— 1 —" in 4号 figures 7 mm below the text block, odd pages at the right and even pages at the
    left, each one character in from the edge of the block."""

    margin_l: float = MARGIN_L
    margin_r: float = MARGIN_R
    margin_b: float = MARGIN_B
    numbers: str = "count"


def footer_canvas(fonts: PdfFonts, default_footer: tuple[str, ...] = (), style: PageStyle | None = None) -> type[Canvas]:
    """A canvas class that draws footers and per-section page numbers when the file is saved.

    `blank_page()` adds a page with nothing on it (no number, no footer), so that in a combined
    PDF printed on both sides every letter starts on a new sheet."""
    st = style or PageStyle()

    class FooterCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any):
            kwargs.setdefault("pageCompression", 1)
            if not kwargs.get("initialFontName"):  # else every page names Helvetica, unembedded
                kwargs["initialFontName"] = fonts.body
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []
            self._starts: dict[int, tuple[str, ...]] = {}
            self._blank: set[int] = set()

        def mark_section(self, footer: tuple[str, ...]) -> None:
            self._starts[len(self._pages) + 1] = footer

        def pages_so_far(self) -> int:
            return len(self._pages)

        def blank_page(self) -> None:
            self._blank.add(len(self._pages) + 1)
            self.showPage()

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            n = len(self._pages)
            starts = sorted(self._starts) or [1]
            if starts[0] != 1:
                self._starts.setdefault(1, default_footer)
                starts = [1] + starts
            bounds = starts + [n + 1]
            for page_state in self._pages:
                self.__dict__.update(page_state)
                page = self._pageNumber
                if page not in self._blank:
                    i = max(j for j, s in enumerate(starts) if s <= page)
                    first, end = bounds[i], bounds[i + 1] - 1
                    shown = sum(1 for p in range(first, end + 1) if p not in self._blank)
                    self._draw_footer(self._starts.get(first, default_footer), page - first + 1, shown)
                Canvas.showPage(self)
            Canvas.save(self)

        def _draw_footer(self, lines: tuple[str, ...], page: int, pages: int) -> None:
            self.saveState()
            self.setFillColor(GREY)
            self.setStrokeColor(RULE)
            self.setLineWidth(0.4)
            right = PAGE_W - st.margin_r
            if st.numbers == "dash":
                y = st.margin_b - 7 * mm - 14 * 0.8
                text = f"— {page} —"
                self.setFillColor(INK)
                if page % 2:
                    fonts.draw(self, right - 14, y, text, 14, align="right")
                else:
                    fonts.draw(self, st.margin_l + 14, y, text, 14)
                self.setFillColor(GREY)
                y -= 16
                for line in lines:
                    fonts.draw(self, st.margin_l, y, line, 7.5)
                    y -= 9
            else:
                top = st.margin_b - 7 * mm
                self.line(st.margin_l, top + 9, right, top + 9)
                y = top
                for line in lines:
                    fonts.draw(self, st.margin_l, y, line, 7)
                    y -= 9
                fonts.draw(self, right, top - 9 * (max(len(lines), 1) - 1), f"第 {page} 页 共 {pages} 页", 8,
                           align="right")
            self.restoreState()

    return FooterCanvas


def build_pdf(path: str | Path, story: list[Flowable], fonts: PdfFonts, title: str, author: str,
              footer: tuple[str, ...] = ()) -> Path:
    """Lay out `story` on A4 into `path` (through a `.part` file, so a failure leaves no half file)."""
    out = Path(path)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"无法创建文件夹 {out.parent}（{exc.strerror or exc}）") from exc
    tmp = out.with_name(out.name + ".part")
    doc = SimpleDocTemplate(str(tmp), pagesize=(PAGE_W, PAGE_H), leftMargin=MARGIN_L, rightMargin=MARGIN_R,
                            topMargin=MARGIN_T, bottomMargin=MARGIN_B, title=title, author=author,
                            creator="亩均效益综合评价系统")
    try:
        doc.build(story, canvasmaker=footer_canvas(fonts, footer))
        tmp.replace(out)
    except OSError as exc:
        raise InputError(f"无法写出 {out}（{exc.strerror or exc}；文件可能正被其他程序打开）") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return out
