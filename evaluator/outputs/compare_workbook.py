"""方案模拟测算 workbook: what changes if the county grades under scheme B instead of scheme A.

Sheets: 说明 (the two schemes, counts), 等级变化矩阵 (per population: tier under A by row, under B
by column), 等级变化企业 (each firm whose tier or list changes, with the reason), 基准值变化.
Text cells are written as strings (a name such as `=1+1` stays a name); numbers carry the unit
formats the graded list uses.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from xlsxwriter.exceptions import FileCreateError

from ..core.issues import InputError
from ..merge.tables import NAME_KEY_PREFIX
from ..method.compare import Comparison
from ..method.indicators import excel_format
from .xlsx_fast import Workbook

MOVER_COLUMNS = (  # header, record key, kind, width
    ("序号", None, "int", 6), ("统一社会信用代码", "credit_code", "text", 21), ("企业名称", "name", "text", 28),
    ("所属乡镇", "township", "text", 10), ("名单（方案一）", "population_a", "text", 14),
    ("名单（方案二）", "population_b", "text", 14), ("等级（方案一）", "tier_a", "text", 8),
    ("等级（方案二）", "tier_b", "text", 8), ("变化", "change", "text", 7), ("总分（方案一）", "score_a", "score", 10),
    ("总分（方案二）", "score_b", "score", 10), ("名次（方案一）", "rank_a", "int", 8),
    ("名次（方案二）", "rank_b", "int", 8), ("原因", "reason", "wrap", 70),
)


def _scheme_text(s: Any) -> str:
    return f"{s.name}（{s.version} 版）"


def _text(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v)


def write_compare_workbook(c: Comparison, path: str | Path) -> None:
    """Write the comparison; an unwritable path is an `InputError` naming it."""
    wb = Workbook(str(path))
    base = {"font_name": "宋体", "font_size": 10, "border": 1, "valign": "vcenter"}
    f = {
        "title": wb.add_format({"bold": True, "font_size": 14, "font_name": "宋体"}),
        "head": wb.add_format({**base, "bold": True, "bg_color": "#D9E2F3", "text_wrap": True, "align": "center"}),
        "text": wb.add_format(base),
        "wrap": wb.add_format({**base, "text_wrap": True}),
        "int": wb.add_format({**base, "num_format": "0"}),
        "score": wb.add_format({**base, "num_format": excel_format("分")}),
        "diag": wb.add_format({**base, "num_format": "0", "bg_color": "#EEEEEE"}),
        "off": wb.add_format({**base, "num_format": "0", "bold": True, "bg_color": "#FFF1CC"}),
    }

    def put(ws: Any, r: int, col: int, v: Any, kind: str = "text") -> None:
        if kind in ("int", "score", "diag", "off") and isinstance(v, (int, float)) and math.isfinite(v):
            ws.write_number(r, col, float(v), f[kind])
        elif kind in ("int", "score"):
            ws.write_blank(r, col, None, f["text"])
        else:
            ws.write_string(r, col, _text(v), f[kind])

    ws = wb.add_worksheet("说明")
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 70)
    ws.write_string(0, 0, f"{c.year}年度亩均效益评价方案模拟测算", f["title"])
    rows = [("评价年度", str(c.year)), ("方案一", _scheme_text(c.scheme_a)), ("方案二", _scheme_text(c.scheme_b)),
            ("等级变化企业", f"{len(c.movers)} 家")]
    rows += [(p.label, f"{int(p.matrix.to_numpy().sum())} 家中等级或名单变化 {p.moved} 家") for p in c.populations]
    rows.append(("说明", "本表为模拟测算，不是评价结果；企业名单、得分和等级以正式评价为准。"))
    for i, (k, v) in enumerate(rows, 2):
        put(ws, i, 0, k, "head")
        put(ws, i, 1, v, "wrap")

    ws = wb.add_worksheet("等级变化矩阵")
    ws.set_column(0, 0, 20)
    ws.set_column(1, 12, 11)
    r = 0
    for p in c.populations:
        m = p.matrix
        ws.write_string(r, 0, f"{p.label}：行为方案一的等级，列为方案二的等级（家数）", f["title"])
        r += 1
        put(ws, r, 0, "方案一 \\ 方案二", "head")
        for j, lab in enumerate(m.columns):
            put(ws, r, j + 1, str(lab), "head")
        put(ws, r, len(m.columns) + 1, "合计", "head")
        for i, lab in enumerate(m.index):
            r += 1
            put(ws, r, 0, str(lab), "head")
            for j, col in enumerate(m.columns):
                v = int(m.iat[i, j])
                put(ws, r, j + 1, v, "diag" if str(lab) == str(col) else ("off" if v else "int"))
            put(ws, r, len(m.columns) + 1, int(m.iloc[i].sum()), "int")
        r += 1
        put(ws, r, 0, "合计", "head")
        for j in range(len(m.columns)):
            put(ws, r, j + 1, int(m.iloc[:, j].sum()), "int")
        put(ws, r, len(m.columns) + 1, int(m.to_numpy().sum()), "int")
        r += 3

    ws = wb.add_worksheet("等级变化企业")
    for j, (head, _, _, width) in enumerate(MOVER_COLUMNS):
        ws.set_column(j, j, width)
        put(ws, 0, j, head, "head")
    for i, rec in enumerate(c.movers.to_dict("records"), 1):
        for j, (_, key, kind, _) in enumerate(MOVER_COLUMNS):
            if key is None:
                put(ws, i, j, i, "int")
            elif key == "credit_code" and str(rec["key"]).startswith(NAME_KEY_PREFIX):
                put(ws, i, j, "")
            else:
                put(ws, i, j, rec[key], kind)
    ws.freeze_panes(1, 3)
    ws.autofilter(0, 0, max(len(c.movers), 1), len(MOVER_COLUMNS) - 1)
    ws.repeat_rows(0)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)

    ws = wb.add_worksheet("基准值变化")
    heads = ("参评群体", "指标", "单位", "方案一基准值", "方案二基准值", "变化")
    for j, (h, w) in enumerate(zip(heads, (16, 18, 14, 14, 14, 12))):
        ws.set_column(j, j, w)
        put(ws, 0, j, h, "head")
    r = 1
    nums: dict[str, Any] = {}
    for p in c.populations:
        for rec in p.benchmarks.to_dict("records"):
            if rec["unit"] not in nums:
                nums[rec["unit"]] = wb.add_format({**base, "num_format": excel_format(rec["unit"])})
            num = nums[rec["unit"]]
            for j, v in enumerate((p.label, rec["label"], rec["unit"])):
                put(ws, r, j, v)
            for j, key in enumerate(("a", "b", "change"), 3):
                v = rec[key]
                if isinstance(v, (int, float)) and math.isfinite(v):
                    ws.write_number(r, j, float(v), num)
                else:
                    ws.write_string(r, j, "不计分" if key != "change" else "", f["text"])
            r += 1
    try:
        wb.close()
    except (FileCreateError, OSError) as exc:
        raise InputError(f"无法写出 {path}（{exc}）") from exc
