"""Small platypus document builder shared by the review cycle's PDFs (数据确认单, 公示名单).

The same page set-up, fonts and table look as the summary report (`pdf_common`); every text is
escaped through the font set's markup, so names with `<`, `&` or formulas print literally.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from .fonts import PdfFonts
from .pdf_common import (
    GRID_LOOK,
    HEADER_FILL,
    styles,
)


class DocBuilder:
    """Paragraphs and grid tables in one font set."""

    def __init__(self, fonts: PdfFonts):
        self.f = fonts
        self.st = dict(styles(fonts))
        self.st["cell_head"] = ParagraphStyle("rv_head", parent=self.st["cell"], alignment=TA_CENTER)
        self.st["cell_r"] = ParagraphStyle("rv_right", parent=self.st["cell"], alignment=TA_RIGHT)
        # a heading before a long table: keepWithNext would push the whole table to the next page
        self.st["section"] = ParagraphStyle("rv_section", parent=self.st["heading"], keepWithNext=0)
        self.st["doc_title"] = ParagraphStyle("rv_title", parent=self.st["title"], fontSize=17, leading=26)

    def p(self, text: str, style: str = "body") -> Paragraph:
        return Paragraph("<br/>".join(self.f.markup(t) for t in text.split("\n")), self.st[style])

    def table(self, rows: Sequence[Sequence[Any]], widths: Sequence[float], header_rows: int = 1,
              right_cols: Sequence[int] = (), extra: Sequence[tuple[Any, ...]] = ()) -> Table:
        """Cells are text (wrapped) or flowables; the header rows repeat on every page."""
        right = set(right_cols)
        data = []
        for i, row in enumerate(rows):
            style = "cell_head" if i < header_rows else None
            data.append([v if isinstance(v, Flowable) else
                         self.p("" if v is None else str(v), style or ("cell_r" if j in right else "cell"))
                         for j, v in enumerate(row)])
        t = Table(data, colWidths=list(widths), repeatRows=header_rows)
        look = list(GRID_LOOK)
        if header_rows:
            look.append(("BACKGROUND", (0, 0), (-1, header_rows - 1), HEADER_FILL))
        t.setStyle(TableStyle(look + list(extra)))
        return t

