"""Small counties for the output tests: hostile names, known tiers, fixed settings.

Built as a real workbook and run through the real pipeline, so the outputs see exactly what they
would see for a county's files.
"""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
from pypdf import PdfReader

from evaluator.method.scheme import load_scheme
from evaluator.outputs.settings import Settings
from evaluator.pipeline.run import RunResult, run

from .helpers import code

HEADER = ["统一社会信用代码", "企业名称", "所属乡镇", "行业代码", "是否规上", "用地面积", "实缴税金", "工业增加值",
          "营业收入", "用电量", "综合能耗", "年平均职工人数", "研发经费支出", "高新技术企业", "安全生产事故", "新升规"]

# Names a department's spreadsheet can really contain, and that must survive literally.
HOSTILE = {
    "markup": "A&B<b>x</b>有限公司",
    "formula": '=HYPERLINK("http://x","y")',
    "plus": "+1",
    "minus": "-1",
    "at": "@SUM(A1)",
    "dotdot": "../../x",
    "con": "CON",
    "slash": "A/B公司",
    "rich": "<r>宏达</r>",  # the form xlsxwriter takes for a rich string and writes unescaped
}


def settings(**kw: object) -> Settings:
    """Fixed date and wording so letters are reproducible."""
    base = dict(authority="示范县经济和信息化局", county="示范县", scope="全县", doc_prefix="示工信",
                issue_date="2026-03-01", appeal_days=15, appeal_office="县经信局企业服务科",
                appeal_address="人民路 1 号", appeal_phone="0577-12345678")
    base.update(kw)
    return Settings(**base)  # type: ignore[arg-type]


def hostile_rows() -> list[list[object]]:
    rows: list[list[object]] = []
    towns = ["A&B<i>镇</i>", "城关镇"]
    for i, (tag, name) in enumerate(HOSTILE.items()):
        rows.append([code(f"91330381MA2H{i:04d}X"), name, towns[i % 2], "3311", "是", 20 + i, 10 + 3 * i,
                     300 + 20 * i, 1200 + 50 * i, 40 + i, 50 + i, 30 + i, 10 + i, "是" if i == 0 else "否", "否", "否"])
    # an ordinary firm, and one that is out of scope (规下, 2 亩)
    rows.append([code("91330381MA2H0100X"), "示范县普通机械有限公司", "城关镇", "3411", "是", 30, 20, 500, 2000, 60,
                 70, 40, 30, "否", "否", "否"])
    rows.append([code("91330381MA2H0101X"), "示范县小作坊", "城关镇", "3411", "否", 2, 1, 10, 40, 3, 2, 5, 0,
                 "否", "否", "否"])
    return rows


def write_xlsx(path: Path, rows: list[list[object]], header: list[str] | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "企业"
    ws.append(header or HEADER)
    for r in rows:
        ws.append(r)
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # a name that looks like a formula is still a name
    wb.save(path)
    return path


def hostile_result(tmp_path: Path, year: int = 2025) -> RunResult:
    return run([write_xlsx(tmp_path / "hostile.xlsx", hostile_rows())], load_scheme("reference"), year)


def key_of(result: RunResult, name: str) -> str:
    t = result.table
    return str(t.index[t["name"] == name][0])


def pdf_text(path: Path) -> str:
    return "\n".join(p.extract_text() or "" for p in PdfReader(str(path)).pages)


def flat(text: str) -> str:
    """Extracted text without the spaces and line breaks layout inserts."""
    return re.sub(r"\s+", "", text)


def embedded_fonts(path: Path) -> list[tuple[str, bool]]:
    """(BaseFont, has FontFile2) for every font used on any page."""
    out = []
    seen = set()
    for page in PdfReader(str(path)).pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for ref in fonts.values():
            f = ref.get_object()
            base = str(f.get("/BaseFont"))
            if base in seen:
                continue
            seen.add(base)
            desc = f.get("/FontDescriptor")
            desc = desc.get_object() if desc is not None else {}
            out.append((base, "/FontFile2" in desc))
    return out
