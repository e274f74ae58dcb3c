"""Small platypus document builder shared by the review cycle's PDFs (数据确认单, 公示名单).

The same page set-up, fonts and table look as the summary report (`pdf_common`); every text is
escaped through the font set's markup, so names with `<`, `&` or formulas print literally.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

from ..core.issues import InputError
from .fonts import PdfFonts
from .pdf_common import (
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
        look = [("GRID", (0, 0), (-1, -1), 0.5, RULE), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TEXTCOLOR", (0, 0), (-1, -1), INK),
                ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3)]
        if header_rows:
            look.append(("BACKGROUND", (0, 0), (-1, header_rows - 1), HEADER_FILL))
        t.setStyle(TableStyle(look + list(extra)))
        return t


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
