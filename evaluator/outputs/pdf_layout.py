"""A small, fast layout engine for the letters: Chinese line breaking, paragraphs and ruled tables
drawn straight on a reportlab canvas.

Why not platypus: Paragraph/Table flowables cost several times the CPU per letter, too slow for
a county's batch. Letters have a fixed shape, so this module measures and draws text itself
and everything is literal text: nothing
is ever parsed as markup, so a name like `A&B<b>x</b>` prints exactly as typed.

Line breaking follows the usual Chinese rules: break between any two Chinese characters, keep
Latin words and numbers (`12.34`, `reference`) whole, never start a line with closing punctuation
(，。、；：）》” …) nor end one with opening punctuation (（《“ …).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from reportlab.lib import colors

from .fonts import PdfFonts

NO_LINE_START = set("，。、；：？！）》」』】〕〉’”…—·%‰,.;:?!)]}℃")
NO_LINE_END = set("（《「『【〔〈‘“([{")
_TOKEN = re.compile(r"[A-Za-z0-9_.,:;%+\-/@#&=°'*]+|\s+|.", re.S)


class Metrics:
    """Per-character widths (at 1 pt) for a font set, cached: the hot path of line breaking."""

    def __init__(self, fonts: PdfFonts, font: str | None = None):
        from reportlab.pdfbase.pdfmetrics import getFont

        self.fonts = fonts
        self.font = font
        self._w: dict[str, float] = {}
        f = getFont(font or fonts.body)
        face = getattr(f, "face", None)
        self.ascent = (face.ascent / 1000.0) if face is not None else 0.8
        self.descent = (face.descent / 1000.0) if face is not None else -0.2

    def char(self, c: str) -> float:
        w = self._w.get(c)
        if w is None:
            w = self.fonts.width(c, 1.0) if self.font is None else _sw(c, self.font)
            self._w[c] = w
        return w

    def text(self, s: str) -> float:
        w = 0.0
        cw = self._w
        for c in s:
            x = cw.get(c)
            w += x if x is not None else self.char(c)
        return w


_METRICS: dict[tuple[int, str | None], Metrics] = {}


def metrics_for(fonts: PdfFonts, font: str | None = None) -> Metrics:
    """One width cache per font set and face for the whole process (shared by every letter)."""
    key = (id(fonts), font)
    m = _METRICS.get(key)
    if m is None:
        m = _METRICS[key] = Metrics(fonts, font)
    return m


def _sw(text: str, font: str) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(text, font, 1.0)


_WRAPPED: dict[tuple[int, str, float, float, float], list[str]] = {}


def wrap_text(text: str, m: Metrics, size: float, width: float, first_indent: float = 0.0) -> list[str]:
    """Break `text` into lines no wider than `width` (the first line is `first_indent` narrower).

    Cached: labels, headings, policies and the appeal text repeat on every letter."""
    key = (id(m), text, size, width, first_indent)
    hit = _WRAPPED.get(key)
    if hit is not None:
        return hit
    lines: list[str] = []
    for para in text.split("\n"):
        lines.extend(_wrap_one(para, m, size, width, first_indent if not lines else 0.0))
    if len(_WRAPPED) > 50_000:
        _WRAPPED.clear()
    _WRAPPED[key] = lines = lines or [""]
    return lines


def _wrap_one(text: str, m: Metrics, size: float, width: float, first_indent: float) -> list[str]:
    tokens = _TOKEN.findall(text)
    lines: list[str] = []
    cur: list[str] = []
    cur_w = 0.0
    avail = (width - first_indent) / size

    def flush() -> None:
        nonlocal cur, cur_w, avail
        while cur and cur[-1].isspace():
            cur.pop()
        lines.append("".join(cur))
        cur, cur_w, avail = [], 0.0, width / size

    def by_character(tok: str) -> None:
        nonlocal cur_w
        for c in tok:
            cw = m.char(c)
            if cur and cur_w + cw > avail + 1e-6:
                flush()
            cur.append(c)
            cur_w += cw

    for tok in tokens:
        w = m.text(tok)
        if cur_w + w <= avail + 1e-6:
            cur.append(tok)
            cur_w += w
            continue
        if tok.isspace():
            flush()
            continue
        if not cur and w > avail:  # a token wider than the line: break it by character
            by_character(tok)
            continue
        carry: list[str] = []
        if tok[0] in NO_LINE_START and len(cur) > 1:
            carry.append(cur.pop())  # take the previous character along: no closing mark at a line start
        while len(cur) > 1 and cur[-1] and cur[-1][-1] in NO_LINE_END:
            carry.insert(0, cur.pop())  # an opening mark moves down to the text it opens
        flush()
        for c in carry:
            cur.append(c)
            cur_w += m.text(c)
        if w > avail - cur_w and len(tok) > 1:
            by_character(tok)
        else:
            cur.append(tok)
            cur_w += w
    if cur or not lines:
        flush()
    return lines


@dataclass
class Cell:
    text: str = ""
    align: str = "left"  # left / center / right
    size: float = 9.5
    font: str | None = None  # None: the body font set (with Latin routing)
    fill: Any = None
    span: int = 1
    colour: Any = None


TEXT_OPS_CACHE = 20_000
# (prelude, face, size, leading, subset in force, text, the face's name in the document) -> (PDF
# text operators, subset in force after). reportlab encodes each string character by character and
# switches subsets as it goes (a quarter of a letter's cost); in documents primed alike
# (`PdfFonts.prime`), text made only of primed characters always comes out the same.
_TEXT_OPS: dict[tuple[Any, ...], tuple[str, int]] = {}
_NONE: frozenset[str] = frozenset()


def _internal_name(font: str, doc: Any) -> str | None:
    from reportlab.pdfbase.pdfmetrics import getFont

    state = getattr(getFont(font), "state", {}).get(doc)
    return None if state is None else state.internalName


class Writer:
    """Draws blocks top-down on a canvas, starting a new page when a block does not fit."""

    draws = True  # False for `Measure`: callers may skip drawing that moves no cursor

    def __init__(self, canv: Any, fonts: PdfFonts, left: float, right: float, top: float, bottom: float,
                 ink: Any = colors.black, rule: Any = colors.grey):
        self.c = canv
        self.fonts = fonts
        self.left = left
        self.width = right - left
        self.top = top
        self.bottom = bottom
        self.y = top
        self.ink = ink
        self.rule = rule

    def metrics(self, font: str | None = None) -> Metrics:
        return metrics_for(self.fonts, font)

    # --- pages ----------------------------------------------------------------------------------
    def new_page(self) -> None:
        self.c.showPage()
        self.y = self.top

    def room(self) -> float:
        return self.y - self.bottom

    def ensure(self, height: float) -> None:
        """Start a new page unless `height` fits below the cursor (blocks taller than a page just start)."""
        if height > self.room() and self.y < self.top - 1:
            self.new_page()

    def space(self, h: float) -> None:
        self.y -= h

    # --- text -----------------------------------------------------------------------------------
    def draw_line(self, x: float, baseline: float, text: str, size: float, font: str | None = None,
                  char_space: float = 0.0, colour: Any = None) -> None:
        self.draw_lines([(x, baseline, text, size, font, char_space, colour)])

    def draw_lines(self, lines: Sequence[tuple[float, float, str, float, str | None, float, Any]]) -> None:
        """Several lines in one PDF text object (x, baseline, text, size, font, char space, colour).

        One text object per paragraph or table row instead of one per line: fewer operators, and
        font and colour are only switched when they change."""
        c = self.c
        t = c.beginText()
        # `_textOut` writes the text without measuring it (`textOut` also computes the width to move
        # its own cursor, which we never use: each line sets its origin); fall back if it is gone.
        out = getattr(type(t), "_textOut", type(t).textOut)
        prelude, primed = getattr(c, "_mujun_primed", (None, None))
        doc = c._doc
        cur_font: tuple[str, float] | None = None
        cur_col = c._fillColorObj
        cur_cs = 0.0
        for x, y, text, size, font, cs, colour in lines:
            t.setTextOrigin(x, y)
            if cs != cur_cs:
                t.setCharSpace(cs)  # Tc outlives the text object: reset below
                cur_cs = cs
            col = colour or self.ink
            if col is not cur_col:
                t.setFillColor(col)
                cur_col = col
            for f, part in ([(font, text)] if font else self.fonts.runs(text)):
                if cur_font != (f, size):
                    t.setFont(f, size)
                    cur_font = (f, size)
                if primed is None or not primed.get(f, _NONE).issuperset(part):
                    out(t, part)
                    continue
                key = (prelude, f, size, t._leading, t._curSubset, part, _internal_name(f, doc))
                hit = _TEXT_OPS.get(key)
                if hit is None:
                    out(t, part)
                    if key[-1] is not None:  # named before this call: the operators will not differ
                        if len(_TEXT_OPS) >= TEXT_OPS_CACHE:
                            _TEXT_OPS.clear()
                        _TEXT_OPS[key] = (t._code[-1], t._curSubset)
                else:
                    t._code.append(hit[0])
                    t._curSubset = hit[1]
        if cur_cs:
            t.setCharSpace(0)
        c.drawText(t)
        c._fillColorObj = cur_col  # the text object changed the graphics state's fill colour

    def baseline(self, line_top: float, leading: float, size: float, font: str | None = None) -> float:
        """Baseline that centres the glyph box in a line of height `leading`."""
        m = self.metrics(font)
        return line_top - leading / 2 - (m.ascent + m.descent) / 2 * size

    def lines_height(self, text: str, size: float, leading: float, width: float | None = None,
                     indent: float = 0.0, font: str | None = None) -> float:
        return len(wrap_text(text, self.metrics(font), size, width or self.width, indent)) * leading

    def paragraph(self, text: str, size: float = 11.5, leading: float = 19.0, indent: float = 0.0,
                  align: str = "justify", font: str | None = None, space_before: float = 0.0,
                  space_after: float = 0.0, colour: Any = None, keep_lines: int = 2, right_indent: float = 0.0) -> None:
        """A wrapped paragraph; lines split across pages but never leave a single orphan line."""
        width = self.width - right_indent
        m = self.metrics(font)
        lines = wrap_text(text, m, size, width, indent)
        self.y -= space_before
        self.ensure(min(len(lines), keep_lines) * leading)
        for run in self._page_runs(len(lines), leading):
            self._draw_paragraph_run(lines, run, m, size, leading, width, indent, align, font, colour)
        self.y -= space_after

    def _page_runs(self, n: int, leading: float) -> Iterator[list[tuple[int, float]]]:
        """Places `n` lines of height `leading` from the cursor on: yields each page's share as
        (line number, line top) pairs, before moving on to the next page."""
        run: list[tuple[int, float]] = []
        for i in range(n):
            if self.room() < leading:
                if run:
                    yield run
                    run = []
                self.new_page()
            run.append((i, self.y))
            self.y -= leading
        if run:
            yield run

    def _draw_paragraph_run(self, lines: Sequence[str], run: Sequence[tuple[int, float]], m: Metrics, size: float,
                            leading: float, width: float, indent: float, align: str, font: str | None,
                            colour: Any) -> None:
        batch: list[tuple[float, float, str, float, str | None, float, Any]] = []
        last = len(lines) - 1
        for i, top in run:
            line = lines[i]
            x = self.left + (indent if i == 0 else 0.0)
            avail = width - (indent if i == 0 else 0.0)
            cs = 0.0
            if align == "center":
                x += (avail - m.text(line) * size) / 2
            elif align == "right":
                x += avail - m.text(line) * size
            elif align == "justify" and i < last and len(line) > 1:
                slack = avail - m.text(line) * size
                if 0 < slack < size * 2:
                    cs = slack / (len(line) - 1)
            batch.append((x, self.baseline(top, leading, size, font), line, size, font, cs, colour))
        self.draw_lines(batch)

    # --- tables ---------------------------------------------------------------------------------
    def _cell_geometry(self, row: Sequence[Cell], widths: Sequence[float], pad_x: float,
                       leading_factor: float) -> tuple[list[tuple[Cell, float, float, list[str], float]], float]:
        out = []
        x = self.left
        col = 0
        height = 0.0
        for cell in row:
            w = sum(widths[col:col + cell.span])
            lead = cell.size * leading_factor
            lines = wrap_text(cell.text, self.metrics(cell.font), cell.size, w - 2 * pad_x) if cell.text else []
            height = max(height, len(lines) * lead)
            out.append((cell, x, w, lines, lead))
            x += w
            col += cell.span
        return out, height

    def table(self, rows: Sequence[Sequence[Cell]], widths: Sequence[float], header_rows: int = 0,
              pad_x: float = 4.0, pad_y: float = 3.2, leading_factor: float = 1.32, line_width: float = 0.5,
              keep_together: bool = False) -> None:
        """A ruled table; rows move to the next page whole, repeating the header rows there."""
        geo = [self._cell_geometry(r, widths, pad_x, leading_factor) for r in rows]
        heights = [h + 2 * pad_y for _g, h in geo]
        if keep_together:
            self.ensure(sum(heights))
        else:
            self.ensure(sum(heights[:header_rows + 1]))
        for i, ((cells, _h), rh) in enumerate(zip(geo, heights)):
            if rh > self.room() and i > header_rows:
                self.new_page()
                for j in range(header_rows):
                    self._draw_row(geo[j][0], heights[j], pad_x, line_width)
            self._draw_row(cells, rh, pad_x, line_width)

    def _draw_row(self, cells: list[tuple[Cell, float, float, list[str], float]], rh: float, pad_x: float,
                  line_width: float) -> None:
        c = self.c
        top = self.y
        c.setLineWidth(line_width)
        c.setStrokeColor(self.rule)
        for cell, x, w, _lines, _lead in cells:
            if cell.fill is not None:
                c.setFillColor(cell.fill)
                c.rect(x, top - rh, w, rh, stroke=0, fill=1)
        for cell, x, w, _lines, _lead in cells:
            c.rect(x, top - rh, w, rh, stroke=1, fill=0)
        batch: list[tuple[float, float, str, float, str | None, float, Any]] = []
        for cell, x, w, lines, lead in cells:
            block = len(lines) * lead
            line_top = top - (rh - block) / 2
            m = self.metrics(cell.font)
            for ln in lines:
                lx = x + pad_x
                if cell.align == "right":
                    lx = x + w - pad_x - m.text(ln) * cell.size
                elif cell.align == "center":
                    lx = x + (w - m.text(ln) * cell.size) / 2
                batch.append((lx, self.baseline(line_top, lead, cell.size, cell.font), ln, cell.size, cell.font, 0.0,
                              cell.colour))
                line_top -= lead
        if batch:
            self.draw_lines(batch)
        self.y = top - rh


class NullCanvas:
    """Accepts every drawing call and draws nothing: the canvas of a `Measure`."""

    def __getattr__(self, name: str) -> Any:
        return lambda *a, **k: None


class PageLimit(Exception):
    """A `Measure` reached its page limit: the rest of the block need not be placed."""


class Measure(Writer):
    """A Writer that only places blocks: it counts pages and moves the cursor exactly as `Writer`
    does (the same wrapping and page breaks), but works out no glyph positions and draws nothing."""

    draws = False
    pages = 1
    page_limit: int | None = None  # stop (raise `PageLimit`) on reaching this many pages

    def new_page(self) -> None:
        self.pages += 1
        if self.page_limit is not None and self.pages >= self.page_limit:
            raise PageLimit(self.pages)
        self.y = self.top

    def draw_lines(self, lines: Any) -> None:
        return None

    def _draw_paragraph_run(self, *args: Any) -> None:
        return None

    def _draw_row(self, cells: Any, rh: float, pad_x: float, line_width: float) -> None:
        self.y -= rh
