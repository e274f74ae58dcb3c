"""Sheets that hold more than one table: side by side, or stacked one under the other.

Statistical returns put 规上 and 规下 tables on one sheet, either next to each other with a blank
column between them or one below the other with a title (`二、规下企业`) and a header of its own.
Read as one table, the right-hand table was dropped and the lower table's header, title or
`续表` line became a firm, its figures read under the upper table's columns. Each table is cut
out here and read with its own header; Excel row and column positions are kept, so every message
still names the cell the official sees.
"""

from __future__ import annotations

from dataclasses import replace

from ..core.fields import normalise_header, to_halfwidth
from ..core.issues import Issue
from ..read.files import CSV_BLANK, RawSheet, column_letter
from ..read.mapping import SheetMapping
from .sheets import (
    _UNIT_LINE,
    MIN_HEADER_FIELDS,
    SheetTable,
    _field_hits,
    _row_texts,
    detect_header,
    parse_sheet,
)

MAX_TABLES_PER_SHEET = 20  # a sheet cut into more pieces than this is not a layout we understand
def parse_sheet_tables(raw: RawSheet, override: SheetMapping | None = None) -> tuple[list[SheetTable], list[Issue]]:
    """Every table of one raw sheet, each read with its own header."""
    tables: list[SheetTable] = []
    issues: list[Issue] = []
    _parse_part(raw, override, 0, tables, issues, depth=0)
    return tables, issues


def _parse_part(raw: RawSheet, override: SheetMapping | None, from_row: int, tables: list[SheetTable],
                issues: list[Issue], depth: int) -> None:
    block = None if (override and override.skip) else detect_header(raw, override, from_row)
    if block is not None and depth < MAX_TABLES_PER_SHEET:
        found = _side_by_side_gap(raw, block)
        if found is not None and not found[1]:
            gap = found[0]
            left, right = _split_columns(raw, gap)
            issues.append(Issue("error", f"该工作表自 {column_letter(gap + 1)} 列起的表格（{_extent(right, block[0])}）没有信用代码或企业名称列，"
                                         "其数据无法对应到企业，未读取；请补上企业名称或信用代码列，或移到单独的工作表后重新导入",
                                raw.file, raw.sheet, block[0] + 1, column_letter(gap + 1), code="table_unreadable"))
            _parse_part(left, override, from_row, tables, issues, depth + 1)
            return
        if found is not None:
            gap = found[0]
            left, right = _split_columns(raw, gap)
            issues.append(Issue("info", f"该工作表自 {column_letter(gap + 1)} 列起有并排的另一张表，已按其自身表头单独读取"
                                        f"（数据核查中记为工作表“{right.sheet}”）", raw.file, raw.sheet,
                                code="second_table"))
            _parse_part(left, override, from_row, tables, issues, depth + 1)
            _parse_part(right, override, from_row, tables, issues, depth + 1)
            return
    table, found = parse_sheet(raw, override, from_row)
    if table is not None and table.key_header_rows and depth < MAX_TABLES_PER_SHEET:
        lower = _stacked_header(raw, table.header_rows, table.key_header_rows)
        if lower is not None:  # read again as two tables: the rows below `lower` had the wrong columns
            cut = _gap_start(raw, table.header_rows, lower)
            upper, below = _split_rows(raw, table.header_rows[0], cut)
            issues.append(Issue("info", f"第 {lower + 1} 行起是另一张表（表头与上方的表不同），已按其自身表头单独读取",
                                raw.file, raw.sheet, lower + 1, code="second_table"))
            _parse_part(upper, override, from_row, tables, issues, depth + 1)
            _parse_part(below, override, cut, tables, issues, depth + 1)
            return
    issues.extend(found)
    if table is not None:
        tables.append(table)
    elif depth > 0 and _has_content(raw, from_row):
        issues.append(Issue("error", f"工作表中 {_extent(raw, from_row)} 区域的表格无法读取（{_reason(found)}），其中的数据未计入；"
                                     "请把该表移到单独的工作表并保留完整表头后重新导入", raw.file, raw.sheet,
                            from_row + 1, code="table_unreadable"))


def _reason(found: list[Issue]) -> str:
    return next((i.message.split("；")[0].split("，")[0] for i in found if i.level != "info"), "未识别到表头")


def _header_cells(raw: RawSheet, block: list[int]) -> list[str]:
    """Per column, the first non-empty header text of the block."""
    out = [""] * raw.n_cols
    for r in block:
        for c, t in enumerate(_row_texts(raw, r)):
            if t and not out[c]:
                out[c] = t
    return out


def _side_by_side_gap(raw: RawSheet, block: list[int]) -> tuple[int, bool] | None:
    """A column empty from the header down with known fields on both sides: (gap, right side readable).

    The right side is a table of its own when its header names a firm key. Without one it is read
    with the left table only when its rows line up with the left table's (a spacer column inside one
    table); otherwise its figures cannot be given to any firm (returned as not readable).
    """
    heads = _header_cells(raw, block)
    filled = [c for c, t in enumerate(heads) if t]
    if len(filled) < 2 * MIN_HEADER_FIELDS - 1:
        return None
    for g in range(filled[0] + 1, filled[-1]):
        if heads[g]:
            continue
        left = _field_hits(heads[:g])
        right = _field_hits(heads[g + 1:])
        if len(left) < MIN_HEADER_FIELDS or not right:
            continue
        body = raw.rows[block[0]:]
        if not all(g >= len(r) or r[g] is None or r[g] == "" for r in body):
            continue
        if len(right) >= MIN_HEADER_FIELDS and right & {"credit_code", "name"}:
            return g, True
        if _filled_rows(body, 0, g) != _filled_rows(body, g + 1, raw.n_cols):
            return g, False
    return None


def _filled_rows(rows: list[tuple[object, ...]], c0: int, c1: int) -> list[int]:
    return [i for i, r in enumerate(rows) if any(v not in (None, "") for v in r[c0:c1])]


def _split_columns(raw: RawSheet, gap: int) -> tuple[RawSheet, RawSheet]:
    """The sheet left of `gap`, and the part right of it with the columns before blanked (letters kept)."""
    lead = ("",) * (gap + 1)
    left_rows = [r[:gap] if r else r for r in raw.rows]
    right_rows = [(*lead, *r[gap + 1:]) if len(r) > gap + 1 else CSV_BLANK for r in raw.rows]
    merged_l = [m for m in raw.merged if m[1][1] < gap]
    merged_r = [m for m in raw.merged if m[0][1] > gap]
    name = f"{raw.sheet}（{column_letter(gap + 1)}列起）"
    left = replace(raw, rows=left_rows, merged=merged_l, formula_cells=[p for p in raw.formula_cells if p[1] < gap],
                   _width=None)
    right = replace(raw, sheet=name, rows=right_rows, merged=merged_r,
                    formula_cells=[p for p in raw.formula_cells if p[1] > gap], _width=None)
    return left, right


def _stacked_header(raw: RawSheet, block: list[int], candidates: list[int]) -> int | None:
    """The first candidate row that starts another table: a header naming other columns or units
    than the table's own, or the same header under a unit line of its own (`单位：元`).

    The candidates are the rows whose lead cell names a key field, found while the rows were read;
    the same header with no unit line above it is a repeated (page) header and stays skipped.
    """
    own = _trimmed([normalise_header(t) for t in _header_cells(raw, block)])
    for r in candidates:
        texts = _row_texts(raw, r)
        if len(_field_hits(texts)) < MIN_HEADER_FIELDS:
            continue
        if _trimmed([normalise_header(t) for t in texts]) != own:
            return r
        if any(_UNIT_LINE.search(to_halfwidth(t)) for g in range(_gap_start(raw, block, r), r)
               for t in _row_texts(raw, g) if t):
            return r
    return None


def _trimmed(texts: list[str]) -> list[str]:
    while texts and not texts[-1]:
        texts.pop()
    return texts


def _gap_start(raw: RawSheet, block: list[int], lower: int) -> int:
    """First row of what sits between two stacked tables: blank lines, a title, a unit line, a group header."""
    r = lower
    while r - 1 > block[-1]:
        texts = [t for t in _row_texts(raw, r - 1) if t]
        if len(texts) > 1 and len(_field_hits(texts)) < MIN_HEADER_FIELDS:
            break
        r -= 1
    return r


def _split_rows(raw: RawSheet, top: int, cut: int) -> tuple[RawSheet, RawSheet]:
    """Rows above `cut`, and the rows from `cut` with the upper table blanked (rows above it kept for the unit line)."""
    upper = replace(raw, rows=raw.rows[:cut], merged=[m for m in raw.merged if m[1][0] < cut],
                    formula_cells=[p for p in raw.formula_cells if p[0] < cut], _width=None)
    rows = [*raw.rows[:top], *([CSV_BLANK] * (cut - top)), *raw.rows[cut:]]
    lower = replace(raw, rows=rows, merged=[m for m in raw.merged if m[0][0] >= cut],
                    formula_cells=[p for p in raw.formula_cells if p[0] >= cut], _width=None)
    return upper, lower


def _has_content(raw: RawSheet, from_row: int) -> bool:
    return any(any(v not in (None, "") for v in r) for r in raw.rows[from_row:])


def _extent(raw: RawSheet, from_row: int) -> str:
    """`H1:M30`: the cells holding content from `from_row` down."""
    rows = [i for i in range(from_row, raw.n_rows) if any(v not in (None, "") for v in raw.rows[i])]
    cols = [c for i in rows for c, v in enumerate(raw.rows[i]) if v not in (None, "")]
    if not rows:
        return f"第 {from_row + 1} 行以下"
    return f"{column_letter(min(cols))}{rows[0] + 1}:{column_letter(max(cols))}{rows[-1] + 1}"
