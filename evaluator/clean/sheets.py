"""From a raw grid to a table of canonical fields: find the header, the units and the data rows.

Departmental sheets are made for printing, not for machines: a title, a unit line, a two-row
header with merged cells, a unit row, serial numbers, subtotals and notes. The detector scores
rows by how many known field names they contain, takes the best as the header, then reads
upwards and downwards for the rest of the header block. Every row that is not data is skipped
with a notice, and every cell that needed help is reported with its Excel position.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from ..core import joined
from ..core.fields import (
    FIELD_BY_ID,
    IGNORE,
    LEASE_FIELD_IDS,
    LEASE_PARTIES,
    SYNONYMS,
    lookup_unit_any,
    match_field,
    normalise_header,
    split_header,
    to_halfwidth,
    unit_factor,
)
from ..core.issues import Issue
from ..core.numbers import format_quantity
from ..read.files import RawSheet, column_letter
from ..read.mapping import SheetMapping
from .cells import (
    Coercion,
    clean_bools,
    clean_numbers,
    clean_scale,
    clean_years,
    coercion_code,
    describe,
)
from .codes import INVISIBLE, normalise_codes, shown_invisible

HEADER_SCAN_ROWS = 40
MIN_HEADER_FIELDS = 2
FILL_BLOCK = 20_000  # rows copied into the cell grid per numpy call (see `_columns`)

_UNIT_LINE = re.compile(r"(金额|价值量|计量|面积|能耗|电量)?单位\s*[:：]\s*(.+)")
_TOTAL = re.compile(r"^\s*(合\s*计|总\s*计|小\s*计|共\s*计|累\s*计|全县合计|全县总计|汇\s*总)|(合计|总计|小计)\s*$")
_NOTE = re.compile(r"^\s*(注|说明|填表说明|备注|制表|填报|填表人|审核|负责人|单位负责人|统计负责人|数据来源|资料来源|联系电话|报出日期)\s*[:：\d.、]?")
_INDUSTRY = re.compile(r"[A-Z]?\d{2,4}")
_SERIAL_HEADERS = {"序号", "编号", "no", "no.", "序", "行次"}


@dataclass
class ColumnMap:
    """How one source column is read."""

    index: int
    label: str  # the header as displayed, group and leaf joined with `/`
    field: str | None
    unit: str = ""
    factor: float = 1.0
    unit_source: str = ""  # header / unit row / unit line / mapping / default

    @property
    def letter(self) -> str:
        return column_letter(self.index)


@dataclass
class SheetTable:
    """A sheet read as canonical fields; `data` has one row per data row and a `_row` column."""

    file: str
    sheet: str
    header_rows: list[int]
    data_start: int
    columns: list[ColumnMap]
    data: pd.DataFrame
    issues: list[Issue] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    # 0-based raw rows below the header whose lead cell is a key header (企业名称 …): a repeated
    # header, or the header of a second table stacked below (`layout` decides which)
    key_header_rows: list[int] = field(default_factory=list)

    @property
    def fields(self) -> list[str]:
        return [c.field for c in self.columns if c.field and c.field != IGNORE]

    def signature(self) -> str:
        """Header text fingerprint, so a corrected mapping can be remembered for the same layout."""
        return "|".join(normalise_header(c.label) for c in self.columns)


def _text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        if np.isnan(v):
            return ""
        return str(int(v)) if v.is_integer() else str(v)
    return str(v).strip()


def _row_texts(raw: RawSheet, r: int) -> list[str]:
    return [_text(v) for v in raw.rows[r]]


def _field_hits(texts: list[str]) -> set[str]:
    return {f for f in (match_field(t) for t in texts if t) if f}


def _looks_like_data(texts: list[str]) -> bool:
    codeish = sum(1 for t in texts if re.fullmatch(r"[0-9A-Za-z]{15,20}", t.replace(" ", "")))
    numeric = sum(1 for t in texts if re.fullmatch(r"-?[\d,]+(\.\d+)?", t))
    return codeish > 0 or numeric >= max(3, len([t for t in texts if t]) // 2 + 1)


def detect_header(raw: RawSheet, override: SheetMapping | None = None, from_row: int = 0) -> list[int] | None:
    """Rows (0-based) forming the header block, or None if no row names enough known fields.

    `from_row` starts the search lower down (the second of two stacked tables).
    """
    if override and override.header_row and not from_row:
        start = override.header_row - 1
        count = override.header_rows or 1
        if start >= raw.n_rows:
            return None
        return list(range(start, min(start + count, raw.n_rows)))
    scan = min(raw.n_rows, from_row + HEADER_SCAN_ROWS)
    texts: dict[int, list[str]] = {r: _row_texts(raw, r) for r in range(max(from_row - 1, 0), scan)}
    hits = {r: _field_hits(t) for r, t in texts.items()}
    best, best_n = -1, 0
    for r in range(from_row, scan):
        if len(hits[r]) > best_n:
            best, best_n = r, len(hits[r])
    if best < 0 or best_n < MIN_HEADER_FIELDS:
        return None
    block = [best]
    if override and override.header_rows:
        return list(range(best, min(best + override.header_rows, raw.n_rows)))
    # Upwards: a group row above the leaf row (rare: the best row is usually the top one).
    up = best - 1
    if up >= max(from_row - 1, 0) and hits[up] and len([t for t in texts[up] if t]) >= 2 and not _looks_like_data(texts[up]):
        block.insert(0, up)
    # Downwards: leaf rows under merged group cells.
    r = best + 1
    while r < scan and len(block) < 3:
        t = texts[r]
        if hits[r] and not _looks_like_data(t) and not _is_unit_row(t):
            block.append(r)
            r += 1
            continue
        if _fills_merged_gap(raw, block, r, t):
            block.append(r)
            r += 1
            continue
        break
    return block


def _fills_merged_gap(raw: RawSheet, block: list[int], r: int, texts: list[str]) -> bool:
    """A leaf row whose names are not known fields but which sits under a merged group cell."""
    if not raw.merged or _looks_like_data(texts) or _is_unit_row(texts):
        return False
    top = block[0]
    for (r0, c0), (r1, c1) in raw.merged:
        if r0 in block and r1 < r and c1 > c0 and any(texts[c] for c in range(c0, min(c1 + 1, len(texts)))):
            return r == r1 + 1 and r0 >= top
    return False


def _is_unit_row(texts: list[str]) -> bool:
    filled = [t for t in texts if t]
    if not filled:
        return False
    units = [t for t in filled if lookup_unit_any(t.strip("()（）")) is not None]
    others = [t for t in filled if t not in units and t not in ("—", "-", "/", "--")]
    return len(units) >= 1 and len(others) == 0


def _is_number_row(texts: list[str]) -> bool:
    """The `甲 乙 1 2 3 …` column-number row printed under some statistical headers."""
    filled = [t for t in texts if t]
    if len(filled) < 3:
        return False
    ok = all(t in "甲乙丙丁戊己庚辛" or re.fullmatch(r"\d{1,2}", t) for t in filled)
    digits = [int(t) for t in filled if t.isdigit()]
    return ok and digits == sorted(digits) and len(set(digits)) == len(digits)


def _header_labels(raw: RawSheet, block: list[int]) -> list[list[str]]:
    """Per column, the header texts of each header row, with merged cells filled in."""
    width = raw.n_cols
    grid = [[_text(raw.rows[r][c]) if c < len(raw.rows[r]) else "" for c in range(width)] for r in block]
    pos = {r: i for i, r in enumerate(block)}
    filled_by_merge = False
    for (r0, c0), (r1, c1) in raw.merged:
        if r0 not in pos:
            continue
        value = grid[pos[r0]][c0] if c0 < width else ""
        for r in range(r0, r1 + 1):
            if r in pos:
                for c in range(c0, min(c1 + 1, width)):
                    if not grid[pos[r]][c]:
                        grid[pos[r]][c] = value
                        filled_by_merge = True
    if not filled_by_merge and len(block) > 1:
        # No merge information (CSV, some .xls): a group label stands over the leaves to its right.
        for i in range(len(block) - 1):
            row, below = grid[i], grid[i + 1]
            last = ""
            last_is_group = False
            for c in range(width):
                if row[c]:
                    last, last_is_group = row[c], bool(below[c])
                elif below[c] and last and last_is_group:
                    row[c] = last
                else:
                    last_is_group = False if row[c] == "" and not below[c] else last_is_group
    return [[grid[i][c] for i in range(len(block))] for c in range(width)]


def _unit_line(raw: RawSheet, before: int) -> list[str]:
    """Units announced above the table (`金额单位：万元`), which apply to columns without their own."""
    units: list[str] = []
    for r in range(before - 1, -1, -1):  # the nearest line first: a lower table may announce its own unit
        for t in _row_texts(raw, r):
            for m in _UNIT_LINE.finditer(to_halfwidth(t)):
                for part in re.split(r"[、,，;；/\s]+", m.group(2)):
                    u = lookup_unit_any(part.strip("()（）。."))
                    if u:
                        units.append(part.strip("()（）。."))
    return units


# When two columns map to one field, the one matched with the higher priority is read and the
# other set aside (equal priorities: the first column stays).
PRIORITY_UPPER_LABEL = 1  # matched on a group header above the column's own label
PRIORITY_OWN_LABEL = 2  # matched on the column's own (lowest) label: beats a group header's sub-column
PRIORITY_GROUP_TOTAL = 3  # a group header over a 合计 column: the group's total beats its parts
PRIORITY_MAPPING = 9  # set in the user's mapping: beats every guess from the header
_TOTAL_LABELS = ("合计", "小计", "总计", "合计数")


def map_columns(
    raw: RawSheet, block: list[int], override: SheetMapping | None = None
) -> tuple[list[ColumnMap], int, list[Issue]]:
    """Column → field/unit for the sheet, the first data row, and notices about the choice."""
    issues: list[Issue] = []
    data_start, row_units = _data_start(raw, block[-1] + 1)
    line_units = _unit_line(raw, block[0])
    cols: list[ColumnMap] = []
    priority: dict[str, tuple[int, int]] = {}
    for c, parts in enumerate(_header_labels(raw, block)):
        uniq = _distinct_parts(parts)
        label = "/".join(uniq)
        fid, prio = _match_parts(uniq)
        unit_text, unit_src = _header_unit(uniq, row_units, c)
        ov = override.column_for(label, column_letter(c)) if override else None
        if ov:
            fid = None if ov.field == IGNORE else ov.field
            prio = PRIORITY_MAPPING
            if ov.unit:
                unit_text, unit_src = ov.unit, "映射"
        if fid in ("credit_code", "name"):  # under a merged 出租方 / 承租方 header: that party's code or name
            party = next((v for p in uniq[:-1] for k, v in LEASE_PARTIES.items() if k in p), None)
            fid = party[fid] if party else fid
        cm = ColumnMap(c, label, fid)
        if fid and normalise_header(uniq[-1] if uniq else "") in _SERIAL_HEADERS:
            cm.field = None
        if cm.field:
            if FIELD_BY_ID[cm.field].units:
                _set_unit(cm, unit_text, unit_src, line_units, override, raw, block, issues)
            _keep_best(cm, prio, cols, priority, raw, block, issues)
        cols.append(cm)
    return cols, data_start, issues


def _data_start(raw: RawSheet, data_start: int) -> tuple[int, list[str]]:
    """The first data row below the header, past a unit row and/or a column-number row, and the
    unit row's units (blank when there is none)."""
    row_units: list[str] = [""] * raw.n_cols
    for _ in range(3):
        if data_start >= raw.n_rows:
            break
        t = _row_texts(raw, data_start)
        if _is_unit_row(t):
            row_units = [x.strip("()（）") for x in t] + [""] * (raw.n_cols - len(t))
            data_start += 1
        elif _is_number_row(t):
            data_start += 1
        else:
            break
    return data_start, row_units


def _distinct_parts(parts: list[str]) -> list[str]:
    """A column's header levels top to bottom, blanks and a merged cell's repeats left out."""
    uniq: list[str] = []
    for p in parts:
        if p and (not uniq or uniq[-1] != p):
            uniq.append(p)
    return uniq


def _match_parts(uniq: list[str]) -> tuple[str | None, int]:
    """The field of the lowest header level that names one, with its priority (0: none)."""
    for depth, p in enumerate(reversed(uniq)):
        f = match_field(p)
        if f:
            if depth == 0:
                return f, PRIORITY_OWN_LABEL
            return f, PRIORITY_GROUP_TOTAL if normalise_header(uniq[-1]) in _TOTAL_LABELS else PRIORITY_UPPER_LABEL
    return None, 0


def _header_unit(uniq: list[str], row_units: list[str], c: int) -> tuple[str, str]:
    """The unit a column's header states (lowest level first), else its unit row's, with the source."""
    for p in reversed(uniq):
        _, u = split_header(p)
        if u:
            return u, "表头"
    if c < len(row_units) and row_units[c]:
        return row_units[c], "单位行"
    return "", ""


def _set_unit(cm: ColumnMap, unit_text: str, unit_src: str, line_units: list[str], override: SheetMapping | None,
              raw: RawSheet, block: list[int], issues: list[Issue]) -> None:
    """The column's unit and factor: the header's (if it fits the field), else the mapping's, else a
    unit line's above the table, else the field's own unit. An unfit header unit is said."""
    assert cm.field is not None
    spec = FIELD_BY_ID[cm.field]
    factor = unit_factor(cm.field, unit_text) if unit_text else None
    if unit_text and factor is None:
        issues.append(Issue("warning", f"列“{cm.label}”的单位“{unit_text}”不适用于{spec.label}，按{spec.unit}读取",
                            raw.file, raw.sheet, block[-1] + 1, cm.label, code="unit_not_applicable"))
    if factor is None and override and cm.field in override.units:
        unit_text, unit_src = override.units[cm.field], "映射"
        factor = unit_factor(cm.field, unit_text)
    if factor is None:
        for u in line_units:
            f = unit_factor(cm.field, u)
            if f is not None:
                unit_text, unit_src, factor = u, "单位说明行", f
                break
    if factor is None:
        unit_text, unit_src, factor = spec.unit, "默认", 1.0
    cm.unit, cm.factor, cm.unit_source = unit_text, factor, unit_src


def _keep_best(cm: ColumnMap, prio: int, cols: list[ColumnMap], priority: dict[str, tuple[int, int]],
               raw: RawSheet, block: list[int], issues: list[Issue]) -> None:
    """One column per field: of two, the higher priority is read (ties: the first), with a notice."""
    assert cm.field is not None
    spec = FIELD_BY_ID[cm.field]
    prev = priority.get(cm.field)
    if prev is None:
        priority[cm.field] = (prio, cm.index)
    elif prio > prev[0]:
        old = cols[prev[1]]
        issues.append(Issue("info", f"列“{old.label}”与列“{cm.label}”都对应{spec.label}，采用后者",
                            raw.file, raw.sheet, block[-1] + 1, old.label, code="column_duplicate_field"))
        old.field = None
        priority[cm.field] = (prio, cm.index)
    else:
        issues.append(Issue("info", f"列“{cm.label}”与列“{cols[prev[1]].label}”都对应{spec.label}，采用后者以外的第一列",
                            raw.file, raw.sheet, block[-1] + 1, cm.label, code="column_duplicate_field"))
        cm.field = None


def parse_sheet(raw: RawSheet, override: SheetMapping | None = None, from_row: int = 0
                ) -> tuple[SheetTable | None, list[Issue]]:
    """Read one raw sheet. Returns None (with a notice) when the sheet holds no recognisable table.

    One table per sheet: `layout.parse_sheet_tables` first splits sheets holding several.
    """
    if override and override.skip:
        return None, [Issue("info", "按映射设置跳过该工作表", raw.file, raw.sheet, code="sheet_skipped_by_mapping")]
    if raw.n_rows == 0:
        return None, [Issue("info", "工作表为空，已跳过", raw.file, raw.sheet, code="sheet_empty")]
    block = detect_header(raw, override, from_row)
    if block is None:
        return None, [Issue("warning", "未识别到表头（需要至少两个可识别的列名，如“企业名称”“统一社会信用代码”），已跳过该工作表；"
                                       "可在“导入数据”中手工指定表头与列对应关系", raw.file, raw.sheet,
                              code="header_not_found")]
    cols, data_start, issues = map_columns(raw, block, override)
    mapped = [c for c in cols if c.field]
    if not any(c.field in ("credit_code", "name", *LEASE_FIELD_IDS) for c in mapped):
        issues.append(Issue("warning", "表中既无“统一社会信用代码”列也无“企业名称”列，无法对应企业，已跳过该工作表",
                            raw.file, raw.sheet, block[-1] + 1, code="no_key_column"))
        return None, issues
    table, row_issues, skipped, key_rows = _read_rows(raw, cols, block, data_start)
    issues.extend(row_issues)
    units = "；".join(f"{c.label}→{FIELD_BY_ID[c.field].label}" + (f"（{c.unit}，{c.unit_source}）" if c.unit else "")
                     for c in mapped)
    issues.insert(0, Issue("info", f"表头位于第 {block[0] + 1}–{block[-1] + 1} 行，数据自第 {data_start + 1} 行起；列对应：{units}",
                           raw.file, raw.sheet, block[0] + 1, code="header_found"))
    return SheetTable(raw.file, raw.sheet, [r for r in block], data_start, cols, table, issues, skipped,
                      key_rows), issues


def _columns(raw: RawSheet, start: int) -> tuple[list[np.ndarray], np.ndarray | None]:
    """Every column below `start` as an object array (one 2-D copy, column by column in memory,
    so each column is one contiguous array for the per-column work that follows).

    Blank CSV lines (the reader's shared empty row) are left out of the copy, so a file of ten
    million blank lines costs a list of pointers, not a grid; the second value then gives each
    kept row's position below `start` (None when every row is kept).
    """
    body = raw.rows[start:]
    width = raw.n_cols
    positions = None
    if raw.is_csv and any(len(r) == 0 for r in body):
        positions = np.flatnonzero(np.fromiter((len(r) > 0 for r in body), dtype=bool, count=len(body)))
        body = [body[i] for i in positions.tolist()]
    if not body:
        return [np.empty(0, dtype=object) for _ in range(width)], positions
    if any(len(r) != width for r in body):
        body = [(*r, *("",) * (width - len(r))) for r in body]
    grid = np.empty((width, len(body)), dtype=object)
    rows = grid.T
    for i in range(0, len(body), FILL_BLOCK):  # in blocks, so no single assignment holds the interpreter lock long
        rows[i:i + FILL_BLOCK] = body[i:i + FILL_BLOCK]
    return list(grid), positions


# Fields an official reads down a merged cell: the firm's identity and attributes. Additive figures
# (land, tax …) in a merged cell belong to the block once, so they stay on its first row.
_FILL_KINDS = ("code", "text", "bool", "scale", "year")


def _fill_merged(raw: RawSheet, columns: list[np.ndarray], start: int, cols: list[ColumnMap],
                 issues: list[Issue]) -> list[tuple[int, int, ColumnMap]]:
    """Fill merged data cells down the way an official reads the sheet; returns the additive ranges.

    A credit code merged over three parcel rows names the firm of all three: left empty, two
    parcels would have no firm and the land would halve. Returns (first row, last row, column)
    of merged additive figures (0-based positions below `start`), checked once rows have keys.
    """
    by_index = {c.index: c for c in cols if c.field}
    filled: list[str] = []
    additive: list[tuple[int, int, ColumnMap]] = []
    n = len(columns[0]) if columns else 0
    for (r0, c0), (r1, c1) in sorted(raw.merged):  # listed in sheet order in the notice
        if r0 < start or r1 <= r0 or c0 not in by_index or r0 - start >= n:
            continue
        c = by_index[c0]
        a, b = r0 - start, min(r1 - start, n - 1)
        if FIELD_BY_ID[c.field].kind in _FILL_KINDS:
            columns[c0][a + 1:b + 1] = [columns[c0][a]] * (b - a)
            filled.append(f"{column_letter(c0)}{r0 + 1}:{column_letter(c1)}{r1 + 1}")
        else:
            additive.append((a, b, c))
    if filled:
        shown = "、".join(filled[:20]) + (f" 等 {len(filled)} 处" if len(filled) > 20 else "")
        issues.append(Issue("info", f"数据区有合并单元格 {shown}，已按首行内容向下填充到合并区域的每一行（信用代码、名称、乡镇等）",
                            raw.file, raw.sheet, code="merged_cells_filled"))
    return additive


def _texts(arr: np.ndarray) -> list[str]:
    """Cells as stripped text; integral floats lose their `.0` (industry codes, years)."""
    return [v.strip() if type(v) is str else _text(v) for v in arr]


_NUMERIC = "\x00"  # stands for a non-empty non-text cell in the lead columns (it cannot be 合计 or 注)


def _lead_texts(arr: np.ndarray) -> list[str]:
    return [v.strip() if type(v) is str else ("" if v is None or v == "" else _NUMERIC) for v in arr]


def _is_empty(arr: np.ndarray) -> np.ndarray:
    """None, NaN or "" (a column of only texts or only numbers is told so in one pass first)."""
    kind = infer_dtype(arr, skipna=False)
    if kind == "string":
        return arr == ""
    if kind == "floating":
        return np.isnan(arr.astype(float))
    if kind == "integer":
        return np.zeros(len(arr), dtype=bool)
    return np.asarray(pd.isna(arr) | (arr == ""), dtype=bool)


_NOTE_START = frozenset("注说填备制审负单统数资联报")
_KEY_HEADER_TEXTS = frozenset(t for t, f in SYNONYMS.items() if f in ("credit_code", "name"))
_KEY_HEADER_FIRST = frozenset(t[0] for t in _KEY_HEADER_TEXTS if t)
_CONTINUATION = re.compile(r"^\s*[（(]?\s*续\s*(上表|前表|表|页)?\s*[一二三四五六七八九十\d]*\s*[)）]?\s*[:：]?\s*$|^\s*[（(]?\s*续表")
_TITLE = re.compile(r"^\s*([一二三四五六七八九十]+\s*[、.．]|[（(][一二三四五六七八九十]+[)）]|附?表\s*[一二三四五六七八九十\d]+|第[一二三四五六七八九十\d]+部分)"
                    r"|(名单|清单|明细表|汇总表|情况表|统计表|基础数据表|一览表)\s*[（(]?[^）)]*[)）]?\s*$")
_NUMBERED = re.compile(r"^\s*(\d+|[一二三四五六七八九十]+)\s*[.、．)）]")


def _read_rows(
    raw: RawSheet, cols: list[ColumnMap], block: list[int], start: int
) -> tuple[pd.DataFrame, list[Issue], dict[str, int], list[int]]:
    """The data rows below the header: rows that are not firms (totals, notes, repeated headers,
    titles, blank or stray lines) are set aside with a notice each; the rest are read per field."""
    issues: list[Issue] = []
    mapped = [c for c in cols if c.field]
    columns, positions = _columns(raw, start)
    n = len(columns[0]) if columns else 0
    blank_lines = 0
    if positions is None:
        rows_excel = np.arange(start + 1, start + 1 + n)
    else:
        rows_excel = positions + start + 1
        blank_lines = max(raw.n_rows - start, 0) - n
    merged_additive = _fill_merged(raw, columns, start, cols, issues) if raw.merged and positions is None else []
    values = {c.field: columns[c.index] for c in mapped}
    by_field = {c.field: c for c in mapped}
    texts: dict[str, list[str]] = {fid: _texts(values[fid]) for fid in ("credit_code", "name", "township", "industry",
                                                                        "lessor_name", "lessee_name") if fid in values}
    k = _classify_rows(raw, columns, mapped, by_field, values, texts, n)
    skipped = {"空行": int(k.skip_blank.sum()) + blank_lines, "合计/小计行": int(k.is_total.sum()),
               "注释行": int(k.is_note.sum()), "重复表头": int(k.header_again.sum()), "无数据行": int(k.stray.sum()),
               "续表/表题行": int((k.is_cont | k.is_title).sum())}
    _skip_notices(raw, k, rows_excel, lambda r: k.shown(columns, r), issues)

    idx = np.flatnonzero(k.keep)
    all_kept = len(idx) == n
    out = pd.DataFrame({"_row": rows_excel[idx]})
    out_rows = out["_row"].to_numpy()
    formula = {(r, c) for r, c in raw.formula_cells}
    for c in mapped:
        arr = values[c.field] if all_kept else values[c.field][idx]
        kept = None
        if FIELD_BY_ID[c.field].kind == "text":
            t = texts[c.field]
            kept = t if all_kept else [t[i] for i in idx]
        out[c.field] = _read_column(c, arr, kept, raw, out_rows, issues)
        if formula:
            for r in np.flatnonzero([(int(x) - 1, c.index) in formula for x in out_rows]):
                issues.append(Issue("warning", "公式单元格没有缓存的计算结果，读取为空；请在 Excel/WPS 中打开该文件、保存后重新导入",
                                    raw.file, raw.sheet, int(out_rows[r]), c.label, code="formula_without_value"))
    if merged_additive:
        _check_merged_figures(out, merged_additive, start, raw, issues)
    _row_checks(out, raw, by_field, issues)
    return out, issues, skipped, (rows_excel[np.flatnonzero(k.key_header & ~k.has_code)] - 1).tolist()


@dataclass
class _RowKinds:
    """What each data row is, as boolean masks over the rows below the header."""

    lead_idx: list[int]  # the lead columns: code and name columns and the first three
    first_at: np.ndarray  # position in `lead_idx` of a row's first non-empty lead cell (-1: none)
    first_text: list[str]
    has_code: np.ndarray
    key_header: np.ndarray  # a lead cell says 企业名称 / 统一社会信用代码: a header, never a firm
    is_total: np.ndarray
    is_note: np.ndarray
    header_again: np.ndarray
    is_cont: np.ndarray
    is_title: np.ndarray
    unit_lines: list[int]  # title rows that are a unit line (`单位：万元`)
    stray: np.ndarray  # text only in unmapped columns: not data, but never dropped without a word
    skip_blank: np.ndarray
    keep: np.ndarray

    def shown(self, columns: list[np.ndarray], r: int) -> str:
        """The row's first lead text, as a notice quotes it."""
        t = self.first_text[r]
        return _short(_text(columns[self.lead_idx[self.first_at[r]]][r]) if t == _NUMERIC else t)


def _classify_rows(raw: RawSheet, columns: list[np.ndarray], mapped: list[ColumnMap], by_field: dict[str, ColumnMap],
                   values: dict[str, np.ndarray], texts: dict[str, list[str]], n: int) -> _RowKinds:
    """Firms, and rows that are not: totals, notes, repeated headers, titles, blank and stray lines."""
    empty_all = np.ones(n, dtype=bool)
    filled_count = np.zeros(n, dtype=np.int64)
    for arr in values.values():
        e = _is_empty(arr)
        empty_all &= e
        filled_count += ~e
    lead_idx = sorted({c.index for c in mapped if c.field in ("credit_code", "name")} | set(range(min(3, raw.n_cols))))
    by_index = {by_field[f].index: t for f, t in texts.items()}
    lead_cols = [by_index.get(i) or _lead_texts(columns[i]) for i in lead_idx]
    first_at, is_total, is_note, has_code, key_header = _scan_lead(lead_cols, texts.get("credit_code"), n)
    first_text = [lead_cols[j][i] if j >= 0 else "" for i, j in enumerate(first_at.tolist())]
    # A title (`二、规下企业`, `表2 …`) or a `续表` line between stacked tables: one cell, no code, no figures.
    lone = ~has_code & (filled_count <= 1) & (first_at >= 0)
    is_cont, is_title, unit_lines = _lone_lines(lone, first_text, n)
    header_again = _repeated_header(texts, by_field, n) | (key_header & ~has_code)
    is_total &= ~header_again
    if is_note.any():  # numbered continuation lines (`2. …`) under a `注：` line are notes too
        first_note = int(np.flatnonzero(is_note)[0])
        for i in range(first_note + 1, n):
            if not has_code[i] and _NUMBERED.match(first_text[i]):
                is_note[i] = True
    is_note &= ~is_total & ~header_again
    is_cont &= ~is_total & ~is_note & ~header_again
    is_title &= ~is_total & ~is_note & ~header_again
    other = is_total | is_note | header_again | is_cont | is_title
    stray = empty_all & (first_at >= 0) & ~other
    skip_blank = empty_all & ~other & ~stray
    keep = ~(skip_blank | other | stray)
    return _RowKinds(lead_idx, first_at, first_text, has_code, key_header, is_total, is_note, header_again, is_cont,
                     is_title, unit_lines, stray, skip_blank, keep)


def _scan_lead(lead_cols: list[list[str]], code_texts: list[str] | None, n: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """First lead cell, total, note, code and key-header marks.

    Lengths give the first lead cell and the codes; the few cells that could be a total (holding
    计 or 汇), a note or a key header (by their first character) are found by one search over each
    joined column and only those are tested one by one."""
    has_code = joined.lengths(code_texts) >= 15 if code_texts is not None else np.zeros(n, dtype=bool)
    first_at = np.full(n, -1, dtype=np.int64)
    if lead_cols:
        filled = np.stack([joined.lengths(c) > 0 for c in lead_cols])
        first_at[filled.any(axis=0)] = filled.argmax(axis=0)[filled.any(axis=0)]
    is_total = np.zeros(n, dtype=bool)
    is_note = np.zeros(n, dtype=bool)
    key_header = np.zeros(n, dtype=bool)
    for j, ts in enumerate(lead_cols):
        whole = joined.Joined(ts)
        for i in whole.matching(_TOTAL_MARK):
            t = ts[i]
            if ("计" in t or "汇" in t) and _TOTAL.search(t):
                is_total[i] = True
        for i in whole.starting(_KEY_HEADER_CHARS):
            t = ts[i]
            if t and t[0] in _KEY_HEADER_FIRST and len(t) <= 16 and normalise_header(t) in _KEY_HEADER_TEXTS:
                key_header[i] = True
        for i in whole.starting(_NOTE_CHARS):
            t = ts[i]
            if first_at[i] == j and not has_code[i] and t and t[0] in _NOTE_START and _NOTE.match(t):
                is_note[i] = True
    return first_at, is_total, is_note, has_code, key_header


_TOTAL_MARK = re.compile("[计汇]")
_KEY_HEADER_CHARS = "".join(sorted(_KEY_HEADER_FIRST))
_NOTE_CHARS = "".join(sorted(_NOTE_START))


def _lone_lines(lone: np.ndarray, first_text: list[str], n: int) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Of the one-cell rows: `续表` marks, titles, and unit lines (counted as titles)."""
    is_title = np.zeros(n, dtype=bool)
    is_cont = np.zeros(n, dtype=bool)
    unit_lines: list[int] = []
    for i in np.flatnonzero(lone).tolist():
        t = first_text[i]
        if _CONTINUATION.match(t):
            is_cont[i] = True
        elif _TITLE.match(t):
            is_title[i] = True
        elif _UNIT_LINE.match(to_halfwidth(t)):
            is_title[i] = True
            unit_lines.append(i)
    return is_cont, is_title, unit_lines


def _repeated_header(texts: dict[str, list[str]], by_field: dict[str, ColumnMap], n: int) -> np.ndarray:
    """Rows whose name cell repeats the name column's header text."""
    if "name" not in texts:
        return np.zeros(n, dtype=bool)
    hdr = normalise_header(split_header(by_field["name"].label.split("/")[-1])[0])
    first_char = hdr[:1]
    return np.fromiter((bool(t) and t[0] == first_char and normalise_header(t) == hdr
                        for t in texts["name"]), dtype=bool, count=n)


# Rows set aside, in the order their notices are listed: mask name, code, message (`{}`: the row's text).
_SKIP_NOTICES = (("is_total", "total_row", "合计/小计行（“{}”），不计为企业，已跳过"),
                 ("is_note", "note_row", "表注或说明行（“{}”），已跳过"),
                 ("header_again", "header_repeated", "重复的表头行，已跳过"),
                 ("stray", "row_without_data", "该行在已识别的列中没有数据（仅有“{}”），不计为企业，已跳过"),
                 ("is_cont", "continuation_row", "续表标记行（“{}”），不计为企业，已跳过"))


def _skip_notices(raw: RawSheet, k: _RowKinds, rows_excel: np.ndarray, shown: Callable[[int], str],
                  issues: list[Issue]) -> None:
    """One notice per row set aside; a unit line inside the data is a warning (its units are not applied)."""
    for mask, code, text in _SKIP_NOTICES:
        for r in np.flatnonzero(getattr(k, mask)):
            msg = text.format(shown(r)) if "{}" in text else text
            issues.append(Issue("info", msg, raw.file, raw.sheet, int(rows_excel[r]), code=code))
    for r in np.flatnonzero(k.is_title):
        if r in k.unit_lines:  # a unit line with no header under it: the rows below keep the header's units
            issues.append(Issue("warning", f"表中间出现单位说明“{shown(r)}”，其下方各行仍按表头所示单位读取；"
                                           "如单位不同，请在其下方补上表头（或拆分为两张表）后重新导入",
                                raw.file, raw.sheet, int(rows_excel[r]), code="unit_line_in_data"))
            continue
        issues.append(Issue("info", f"表题行（“{shown(r)}”），不计为企业，已跳过",
                            raw.file, raw.sheet, int(rows_excel[r]), code="continuation_row"))


def _read_column(c: ColumnMap, arr: np.ndarray, kept_texts: list[str] | None, raw: RawSheet, out_rows: np.ndarray,
                 issues: list[Issue]) -> pd.Series:
    """One mapped column's kept cells as its field's values; a cell that cannot be read is said on its row."""
    assert c.field is not None
    spec = FIELD_BY_ID[c.field]

    def report(mask: np.ndarray, level: str, msg_for: Callable[[int], str], code_for: Callable[[int], str]) -> None:
        for r in np.flatnonzero(mask):
            issues.append(Issue(level, msg_for(r), raw.file, raw.sheet, int(out_rows[r]), c.label,
                                code=code_for(r)))

    if spec.kind == "code":
        return _codes_as_text(arr, c, raw, out_rows, issues)
    if spec.kind == "text":
        assert kept_texts is not None
        return pd.Series([x or None for x in kept_texts], dtype=object)
    if spec.kind == "number":
        nums, why = clean_numbers(pd.Series(arr, dtype=object), text_is_native=raw.is_csv)
        # An infinite or absurd value is an error on its row: the firm is held back until it is corrected.
        report(why >= Coercion.NOT_FINITE, "error", lambda r: describe(int(why[r]), arr[r]),
               lambda r: coercion_code(int(why[r])))
        report((why >= 4) & (why < Coercion.NOT_FINITE), "warning", lambda r: describe(int(why[r]), arr[r]),
               lambda r: coercion_code(int(why[r])))
        report((why > 0) & (why < 4), "info", lambda r: describe(int(why[r]), arr[r]),
               lambda r: coercion_code(int(why[r])))
        return nums * c.factor if c.factor != 1.0 else nums
    if spec.kind == "bool":
        vals, bad = clean_bools(pd.Series(arr, dtype=object))
        report(bad & ~_is_empty(arr), "warning", lambda r: f"无法识别的是/否取值“{_short(str(arr[r]))}”，视为空",
               lambda r: "bool_unparseable")
        return vals
    if spec.kind == "scale":
        vals, bad = clean_scale(pd.Series(arr, dtype=object))
        report(bad, "warning", lambda r: f"无法识别的企业规模“{_short(str(arr[r]))}”（应为 规上/规下 或 是/否），视为空",
               lambda r: "scale_unparseable")
        return vals
    vals, bad = clean_years(pd.Series(arr, dtype=object))  # the remaining kind: year
    report(bad, "warning", lambda r: f"无法识别的投产时间“{_short(str(arr[r]))}”，视为空", lambda r: "year_unparseable")
    return vals


def _check_merged_figures(out: pd.DataFrame, ranges: list[tuple[int, int, ColumnMap]], start: int, raw: RawSheet,
                          issues: list[Issue]) -> None:
    """A figure merged over rows of one firm counts once (rows are summed); over several firms it cannot be split."""
    ident = out["credit_code"] if "credit_code" in out else pd.Series(None, index=out.index, dtype=object)
    if "name" in out:
        ident = ident.where(ident.notna(), out["name"])
    rows = out["_row"].to_numpy()
    for a, b, c in ranges:
        inside = np.flatnonzero((rows >= a + start + 1) & (rows <= b + start + 1))
        firms = {x for x in ident.iloc[inside].tolist() if x is not None and x == x}
        if len(firms) <= 1:
            continue
        where = f"{c.letter}{a + start + 1}:{c.letter}{b + start + 1}"
        for r in inside.tolist():
            issues.append(Issue("error", f"合并单元格 {where} 中的{FIELD_BY_ID[c.field].label}跨越 {len(firms)} 家企业，无法分到各企业"
                                         f"（只读到第 {a + start + 1} 行）；请在原表中拆分为每家企业各自的数值后重新导入，"
                                         "更正前这些企业暂不出具告知书", raw.file, raw.sheet, int(rows[r]), c.label,
                                code="merged_cells_filled"))


def _codes_as_text(arr: np.ndarray, c: ColumnMap, raw: RawSheet, rows: np.ndarray, issues: list[Issue]) -> pd.Series:
    """Codes must be text; a code stored as a number has lost digits beyond 15 and is flagged."""
    values = arr.tolist()
    if joined.all_text(values):  # the usual column: no number to flag, the texts as they are
        texts = values
    else:
        for i in np.flatnonzero([isinstance(v, (int, float)) and not isinstance(v, bool) and v == v for v in values]):
            issues.append(Issue("error", f"信用代码以数字格式存储（{arr[i]!r}），可能已丢失精度；请将该列设为文本格式后重新导出",
                                raw.file, raw.sheet, int(rows[i]), c.label, code="code_stored_as_number"))
        texts = [v if type(v) is str else _text(v) for v in values]
    for i in joined.Joined(texts).matching(INVISIBLE):  # a cell made from a number holds no invisible character
        if type(arr[i]) is str and INVISIBLE.search(arr[i]) is not None:
            issues.append(Issue("info", f"信用代码“{shown_invisible(arr[i])}”中含有不可见字符（{_invisible_names(arr[i])}），"
                                        "已去除后使用", raw.file, raw.sheet, int(rows[i]), c.label, code="invisible_char"))
    return normalise_codes(pd.Series(texts, dtype=object))


def _invisible_names(text: str) -> str:
    return "、".join(dict.fromkeys(f"\\u{ord(ch):04x}" for ch in INVISIBLE.findall(text)))


def _row_checks(out: pd.DataFrame, raw: RawSheet, by_field: dict[str, ColumnMap], issues: list[Issue]) -> None:
    """Plausibility of values a formula will divide by or sum."""
    rows = out["_row"].to_numpy()

    def flag(fid: str, mask: np.ndarray, level: str, code: str, msg: str) -> None:
        """`{v}` in `msg` is the raw value, `{q}` the figure with its unit as people read it."""
        col = by_field[fid].label
        unit = FIELD_BY_ID[fid].unit
        for r in np.flatnonzero(mask):
            v = out[fid].iat[r]
            q = format_quantity(v, unit) if FIELD_BY_ID[fid].kind == "number" else str(v)
            issues.append(Issue(level, msg.format(v=v, q=q), raw.file, raw.sheet, int(rows[r]), col, code=code))

    if "land" in out:
        flag("land", (out["land"] <= 0).to_numpy(), "error", "land_not_positive", "用地面积为 {q}（不大于 0），该企业将列为数据不全")
    if "tax" in out:
        flag("tax", (out["tax"] < 0).to_numpy(), "warning", "tax_negative", "实缴税金为负数（{q}，可能为退税），按原值计算")
    if "employees" in out:
        flag("employees", (out["employees"] <= 0).to_numpy(), "warning", "employees_not_positive", "年平均职工人数为 {q}，全员劳动生产率无法计算")
        emp = out["employees"].to_numpy()
        frac = np.isfinite(emp) & (np.abs(emp - np.round(emp)) > 1e-9)
        flag("employees", frac, "info", "employees_fraction", "年平均职工人数 {v:g} 不是整数")
    for fid in ("value_added", "revenue", "electricity", "energy", "rd_expense", "emissions"):
        if fid in out:
            flag(fid, (out[fid] < 0).to_numpy(), "warning", "value_negative", FIELD_BY_ID[fid].label + "为负数（{q}），按原值计算")
    if "industry" in out:
        codes, uniques = pd.factorize(out["industry"])
        bad_u = np.array([_INDUSTRY.fullmatch("".join(str(u).upper().split())) is None for u in uniques], dtype=bool)
        bad = (codes >= 0) & bad_u[codes] if len(uniques) else np.zeros(len(out), dtype=bool)
        flag("industry", bad, "warning", "industry_code_invalid", "行业代码“{v}”不是 GB/T 4754 代码（如 3311 或 C3311）")


def _short(text: object, n: int = 30) -> str:
    t = str(text)
    return t if len(t) <= n else t[:n] + "…"

