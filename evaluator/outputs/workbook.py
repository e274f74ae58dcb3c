"""The graded list (分类名单) workbook that officials print, circulate and publish.

Sheets: 全部企业 (every firm with the columns an official reads: A4 landscape at a readable size),
全部数据 (every input, indicator, score, rank and issue: for the screen and for checking, printed
across as many pages as it needs, never shrunk to one page width), one sheet per population and
tier (规上A类…, ranked within the population), 按乡镇汇总 and 按行业汇总 (合计 rows that add up to the
rows above them, below the filter range), 数据核查 (every issue) and 说明 (scheme, verification
code, input files). Every printed page is headed with the county, the year and the stage.

Every text cell is a string cell (a shared string, or `write_string`), so a firm called
`=HYPERLINK(...)` or `+1` stays text and never becomes a formula in Excel or WPS; numbers are
number cells; missing values blank cells that keep the column's format.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter

from ..core.divisions import division_label, industry_label
from ..core.fields import FIELD_BY_ID, FLAG_FIELDS
from ..core.issues import ISSUE_CODES, LEVEL_LABELS, InputError
from ..core.progress import CancelFn, ProgressFn, Steps
from ..core.values import finite_or_none
from ..merge.tables import NAME_KEY_PREFIX
from ..method.evaluate import rounding_note, status_label
from ..method.indicators import INDICATOR_BY_ID, INDICATORS, decimals_for, excel_format
from ..method.scheme import TierRules
from ..pipeline.fingerprint import data_fingerprint, verification_code
from ..pipeline.run import RunResult
from .letter_data import (
    SENTENCE_FIELDS,
    letter_order,
    move_fields,
    moves_text,
    status_sentence,
    tier_moves,
)
from .method_text import method_sentences
from .settings import Settings, load_settings
from .xlsx_fast import RowWriter, Workbook

INPUT_FIELDS = ("land", "tax", "value_added", "revenue", "electricity", "energy", "employees", "rd_expense", "emissions")
TIER_FILLS = ("#DDEFD9", "#DCE8F6", "#FFF1CC", "#F9DCDA")
MAX_CELL = 32000  # Excel's limit is 32,767 characters
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_text(v: Any) -> str:
    """Cell text: control characters (other than tab and newline) become spaces; capped in length."""
    if type(v) is str and len(v) <= MAX_CELL and v.isprintable():  # most cells: nothing to change
        return v
    t = _CONTROL.sub(" ", str(v))
    return t if len(t) <= MAX_CELL else t[:MAX_CELL - 1] + "…"


@dataclass(frozen=True)
class Column:
    header: str
    values: Callable[[Any], Sequence[Any]]  # a block of the sheet's rows -> this column's values for them
    kind: str = "text"  # text / number / int / year / tier / wrap
    unit: str = ""
    width: float = 10.0


def _each(get: Callable[[Any], Any]) -> Callable[[Sequence[Any]], list[Any]]:
    """The values of a column of a small sheet whose rows are records: `get` of each row."""
    return lambda rows: [get(r) for r in rows]


class Formats:
    """xlsxwriter formats created once per workbook."""

    def __init__(self, wb: xlsxwriter.Workbook):
        self.wb = wb
        base = {"font_name": "宋体", "font_size": 10, "border": 1, "border_color": "#A6A6A6", "valign": "vcenter"}
        self.base = base
        self.title = wb.add_format({"font_name": "黑体", "font_size": 15, "bold": True, "align": "center",
                                    "valign": "vcenter"})
        self.subtitle = wb.add_format({"font_name": "宋体", "font_size": 9, "font_color": "#595959", "align": "left",
                                       "valign": "vcenter"})
        self.header = wb.add_format({**base, "bold": True, "bg_color": "#EDEFF2", "align": "center", "text_wrap": True})
        self.text = wb.add_format(base)
        self.wrap = wb.add_format({**base, "text_wrap": True})  # centred like its neighbours in a tall row
        self.center = wb.add_format({**base, "align": "center"})
        self.total_text = wb.add_format({**base, "bold": True, "bg_color": "#F2F2F2"})
        self.year = wb.add_format({**base, "num_format": "0", "align": "center"})  # 2019, not 2,019
        self._num: dict[tuple[str, bool], Any] = {}
        self._tier: dict[int, Any] = {}

    def number(self, unit: str, total: bool = False) -> Any:
        key = (unit, total)
        if key not in self._num:
            extra = {"bold": True, "bg_color": "#F2F2F2"} if total else {}
            self._num[key] = self.wb.add_format({**self.base, "num_format": excel_format(unit), **extra})
        return self._num[key]

    def tier(self, index: int) -> Any:
        i = min(max(index, 0), len(TIER_FILLS) - 1)
        if i not in self._tier:
            self._tier[i] = self.wb.add_format({**self.base, "align": "center", "bg_color": TIER_FILLS[i], "bold": True})
        return self._tier[i]


def _tier_index(rules: TierRules | None, label: Any) -> int:
    if rules is None or not label or label not in rules.labels:
        return -1
    return rules.labels.index(label)


BLOCK = 2000  # rows whose cells are made at once, column by column


class _Sheet:
    """One printable list: title, subtitle, header row, typed cells, print set-up."""

    def __init__(self, wb: xlsxwriter.Workbook, fmt: Formats, name: str, title: str, subtitle: str,
                 columns: Sequence[Column], freeze_cols: int = 0, page_head: str = "", fit_width: bool = True):
        self.ws = wb.add_worksheet(name)
        self.fmt = fmt
        self.columns = list(columns)
        n = len(self.columns)
        ws = self.ws
        if n > 1:
            ws.merge_range(0, 0, 0, n - 1, "", fmt.title)
        ws.write_string(0, 0, clean_text(title), fmt.title)
        ws.set_row(0, 26)
        if n > 1:
            ws.merge_range(1, 0, 1, n - 1, "", fmt.subtitle)
        ws.write_string(1, 0, clean_text(subtitle), fmt.subtitle)
        for j, c in enumerate(self.columns):
            ws.write_string(2, j, c.header, fmt.header)
            ws.set_column(j, j, c.width)
        ws.set_row(2, 32)
        self.row = 3
        self.rows = RowWriter(ws, self.row, n)
        self._is_text = [c.kind not in ("number", "int", "year") for c in self.columns]
        # per column: its cells' format and its format on a 合计 row, as cell attributes
        self._attrs = [tuple(self.rows.attr(f) for f in self._column_styles(c)) for c in self.columns]
        ws.freeze_panes(3, freeze_cols)
        ws.repeat_rows(2)
        ws.set_landscape()
        ws.set_paper(9)
        if fit_width:
            ws.fit_to_pages(1, 0)
        else:  # the full data: as many pages across as needed, the firm's name repeated on each
            ws.repeat_columns(0, max(freeze_cols - 1, 0))
        ws.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.6)
        if page_head:
            ws.set_header(f"&L&9{_header_text(page_head)}&R&9{_header_text(name)}")
        ws.set_footer("&C第 &P 页，共 &N 页")
        ws.hide_gridlines(0)
        self.data_end = 2  # last row inside the autofilter

    def _column_styles(self, c: Column) -> tuple[Any, Any]:
        fmt = self.fmt
        if c.kind == "year":
            return fmt.year, fmt.year
        if c.kind in ("number", "int"):
            unit = c.unit if c.kind == "number" else "人"
            return fmt.number(unit), fmt.number(unit, True)
        if c.kind == "wrap":
            return fmt.wrap, fmt.wrap
        return fmt.text, fmt.total_text

    def write(self, rows: Any, total: bool = False) -> None:
        """Rows (records, or `_Firms`) below those written; `total`: 合计 rows, in bold, outside the filter."""
        _write_side_by_side([self], rows, total)

    def cells(self, rows: Any, total: bool = False) -> _Cells:
        """A block of rows as typed columns with their cells' formats and the rows' heights."""
        cells = _Cells([], self._is_text, [], None, [])
        lines: list[int] | None = None
        for c, text, (plain, total_style) in zip(self.columns, self._is_text, self._attrs):
            values = c.values(rows)
            otherwise = total_style if total else plain
            if not text:
                cells.columns.append(_numbers(values))
                cells.attrs.append(otherwise)
                continue
            texts = _texts(values)
            cells.columns.append(texts)
            if c.kind == "tier":  # each cell's fill is made an attribute in `add`, after `_number_fills`
                cells.fills.append((len(cells.attrs), rows.tier_fills(texts), otherwise))
            cells.attrs.append(otherwise)
            if c.kind == "wrap":
                counts = _wrapped_lines_each(texts, c.width)
                lines = counts if lines is None else list(map(max, lines, counts))
        cells.heights = None if lines is None else [min(409.0, 13.5 * n) if n > 1 else None for n in lines]
        return cells

    def _fill(self, index: int) -> str:
        return self.rows.attr(self.fmt.tier(index))

    def add(self, cells: _Cells, total: bool = False) -> None:
        """A block made by `cells`, its texts already shared (`_write_side_by_side`)."""
        for j, fills, otherwise in cells.fills:
            attr = {i: self._fill(i) for i in set(fills) if i is not None}
            attr[None] = otherwise
            cells.attrs[j] = [attr[i] for i in fills]
        self.rows.add_columns(cells.columns, cells.is_text, cells.attrs, cells.heights, shared=True)
        self.row = self.rows.row
        if not total and cells.columns and cells.columns[0]:
            self.data_end = self.row - 1

    def finish(self) -> None:
        """The autofilter covers the header and the data rows only: sorting never moves a 合计 row."""
        self.rows.close()
        if self.data_end > 2:
            self.ws.autofilter(2, 0, self.data_end, len(self.columns) - 1)


@dataclass
class _Cells:
    """A block of a sheet's rows as `RowWriter.add_columns` takes them."""
    columns: list[list[Any]]
    is_text: list[bool]
    attrs: list[str | list[str]]
    heights: list[float | None] | None
    # per tier column: its place, each cell's fill (`Formats.tier`; None: blank) and a blank's format
    fills: list[tuple[int, list[int | None], str]]

    def texts(self) -> list[list[str]]:
        return [c for c, t in zip(self.columns, self.is_text) if t]


def _write_side_by_side(sheets: Sequence[_Sheet], rows: Any, total: bool = False,
                        progress: Callable[[float], None] | None = None) -> None:
    """The same rows on one or more sheets, a block at a time, in the file as if written a row of
    each sheet in turn, every cell left to right: shared strings are numbered and tier fills
    get their style numbers in that order (the first sheet's row, then the next sheet's).
    `progress` is told the share of the rows done before each block."""
    for start in range(0, len(rows), BLOCK):
        if progress:
            progress(start / len(rows))
        block = rows[start:start + BLOCK]
        cells = [sh.cells(block, total) for sh in sheets]
        _number_fills(sheets[0], [f for c in cells for _, f, _ in c.fills])
        sheets[0].rows.share([t for c in cells for t in c.texts()])
        for sh, c in zip(sheets, cells):
            sh.add(c, total)


def _number_fills(sheet: _Sheet, fills: Sequence[Sequence[int | None]]) -> None:
    """Give the tier fills their style numbers (xlsxwriter numbers a format when first used) in row order."""
    for i in dict.fromkeys(chain.from_iterable(zip(*fills))):
        if i is not None:
            sheet._fill(i)


def _texts(values: Sequence[Any]) -> list[str]:
    """Cell texts: missing as "", anything else as its text, cleaned (`clean_text`) where it needs it."""
    out = [v if type(v) is str else _s(v) for v in values]
    if "".join(out).isprintable() and max(map(len, out), default=0) <= MAX_CELL:  # most columns: nothing to clean
        return out
    return [clean_text(v) for v in out]


def _numbers(values: Any) -> list[float | None]:
    """Cell numbers: floats (NaN and infinities are written blank) or None."""
    if isinstance(values, np.ndarray) and values.dtype == np.float64:
        return values.tolist()
    return [v if type(v) is float else finite_or_none(v) for v in values]


def _header_text(t: str) -> str:
    return clean_text(t).replace("&", "&&")


def wrapped_lines(text: str, width: float) -> int:
    """Lines a wrapped cell needs at column width `width` (in characters; CJK count double)."""
    if not text:
        return 1
    per_line = max(width * 0.92, 1.0)
    total = 0
    for part in text.split("\n"):
        w = len(part) + len(_WIDE_CHARS.findall(part))
        total += max(1, math.ceil(w / per_line))
    return total


_COUNTED_TOGETHER = 256  # longer texts are counted alone: the array of a block is as wide as its longest text


def _wrapped_lines_each(texts: Sequence[str], width: float) -> list[int]:
    """`wrapped_lines` of each text. Texts of one line up to `_COUNTED_TOGETHER` characters are
    counted together by numpy, as arrays of code points (wide: U+2E80 and above, as `_WIDE_CHARS`);
    the others one by one."""
    if not texts:
        return []
    alone = [len(t) > _COUNTED_TOGETHER or "\n" in t or "\x00" in t for t in texts]
    together = np.array(["" if a else t for t, a in zip(texts, alone)], dtype=str)
    points = together.view(np.uint32).reshape(len(texts), -1)
    widths = np.char.str_len(together) + (points >= 0x2E80).sum(axis=1)
    lines = np.maximum(1, np.ceil(widths / max(width * 0.92, 1.0))).astype(np.int64).tolist()
    return [wrapped_lines(t, width) if a else n for t, a, n in zip(texts, alone, lines)]


_WIDE_CHARS = re.compile("[\u2e80-\U0010ffff]")  # CJK and beyond: two columns each


def _s(v: Any) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v)


class _Context:
    def __init__(self, result: RunResult, settings: Settings, stage: str = ""):
        self.result = result
        self.settings = settings
        self.page_head = f"{settings.county}{result.year}年度亩均效益综合评价" + (f"（{stage}）" if stage else "")
        self.overrides = {o.key: o for o in result.overrides}
        t = result.table
        self.table = t
        self.keys = np.array([str(k) for k in t.index], dtype=object)
        # key → row of the table; a comprehension, not one dict() call that holds the interpreter lock throughout
        self.position = {k: i for i, k in enumerate(self.keys.tolist())}
        self.order = letter_order(t, list(result.scheme.populations))
        self.order_rows = np.array([self.position[k] for k in self.order], dtype=np.intp)
        self.serial = np.empty(len(t))  # 序号 by row of the table: the place in the list
        self.serial[self.order_rows] = np.arange(1, len(t) + 1)
        self.issues = {k: "\n".join(i.line() for i in v) for k, v in result.issues_by_key().items()}
        self.has_prior = "prior_tier" in t.columns
        pops = result.scheme.populations
        self.first_rules = next(iter(pops.values())).tiers
        self.bottom = self.first_rules.labels[-1]
        self.scored = result.scheme.scored_indicators
        self._raw: dict[str, np.ndarray] = {}
        self._numbers: dict[str, np.ndarray] = {}
        self.moves = self._tier_moves()
        self.sentences = self._status_sentences()

    def raw(self, name: str) -> np.ndarray | None:
        """A table column's values as a firm's record holds them (ints, floats, str, None), or None
        when the table has no such column."""
        if name not in self._raw:
            if name not in self.table.columns:
                return None
            a = self._raw[name] = np.empty(len(self.table), dtype=object)
            a[:] = self.table[name].tolist()
        return self._raw[name]

    def numbers(self, name: str) -> np.ndarray:
        """A table column as floats, NaN where missing (also when the table has no such column)."""
        if name not in self._numbers:
            col = self.table.get(name)
            if col is None:
                a = np.full(len(self.table), np.nan)
            elif pd.api.types.is_numeric_dtype(col):
                a = col.to_numpy(dtype=float, na_value=np.nan)
            else:
                a = np.array([np.nan if (f := finite_or_none(v)) is None else f for v in col.tolist()])
            self._numbers[name] = a
        return self._numbers[name]

    def _tier_moves(self) -> dict[str, str]:
        """Each evaluated firm's tier moves in words (none: absent), worked out once for all sheets."""
        out: dict[str, str] = {}
        population = self.raw("population")
        for pid, pop in self.result.scheme.populations.items():
            rows = np.flatnonzero(population == pid)
            for k, rec in zip(self.keys[rows].tolist(), self._records(rows, move_fields(pop))):
                text = moves_text(tier_moves(rec, pop, self.overrides.get(k)))
                if text:
                    out[k] = text
        return out

    def _status_sentences(self) -> dict[str, str]:
        """Why each firm outside every population was not evaluated (only those firms)."""
        rows = np.flatnonzero([p is None for p in self.raw("population").tolist()])
        scheme, year = self.result.scheme, self.result.year
        return {k: status_sentence(rec, scheme, year)
                for k, rec in zip(self.keys[rows].tolist(), self._records(rows, SENTENCE_FIELDS))}

    def _records(self, rows: np.ndarray, fields: Sequence[str]) -> list[dict[str, Any]]:
        """These rows as records of these fields (those the table has), made by a comprehension:
        the interpreter lock is let go between records, not held through one pandas call."""
        names = [f for f in dict.fromkeys(fields) if f in self.table.columns]
        columns = [self.raw(f)[rows].tolist() for f in names]  # type: ignore[index]
        return [dict(zip(names, values)) for values in zip(*columns)] if names else [{} for _ in rows]

    def name_of(self, key: str | None) -> str:
        """The firm's name as listed, "" for a key that is no firm."""
        row = self.position.get(key or "")
        return "" if row is None else _firm_name(key or "", self.raw("name")[row])


class _Firms:
    """Firms on a sheet in its order (rows of the table): every column is taken for all of them at
    once, never a record per firm."""

    def __init__(self, ctx: _Context, rows: np.ndarray, first: int = 0):
        self.ctx = ctx
        self.rows = rows
        self.first = first  # the place of the first of these firms on its sheet, from 0

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, part: slice) -> _Firms:
        return _Firms(self.ctx, self.rows[part], self.first + (part.start or 0))

    def keys(self) -> list[str]:
        return self.ctx.keys[self.rows].tolist()

    def raw(self, name: str) -> list[Any]:
        a = self.ctx.raw(name)
        return [None] * len(self.rows) if a is None else a[self.rows].tolist()

    def number(self, name: str) -> np.ndarray:
        return self.ctx.numbers(name)[self.rows]

    def one_or_other(self, name: str, one: str, other: str) -> list[str]:
        """`one` where the column is 1, `other` where it is another number, "" where it is missing
        (a flag's 是/否, the size's 规上/规下)."""
        v = self.number(name)
        return np.where(np.isfinite(v), np.where(v == 1, one, other), "").tolist()

    def mapped(self, name: str, get: Callable[[Any], Any]) -> list[Any]:
        return _map_distinct(self.raw(name), get)

    def pairs(self, a: str, b: str, get: Callable[[Any, Any], Any]) -> list[Any]:
        return _map_distinct(list(zip(self.raw(a), self.raw(b))), lambda ab: get(*ab))

    def serials(self) -> np.ndarray:
        """序号: the place in the whole list."""
        return self.ctx.serial[self.rows]

    def numbering(self) -> np.ndarray:
        """序号 on a sheet of some of the firms: 1, 2, … down the sheet."""
        return np.arange(self.first + 1, self.first + len(self.rows) + 1, dtype=float)

    def names(self) -> list[str]:
        return [_firm_name(k, v) for k, v in zip(self.keys(), self.raw("name"))]

    def codes(self) -> list[Any]:
        return ["" if k.startswith(NAME_KEY_PREFIX) else c for k, c in zip(self.keys(), self.raw("credit_code"))]

    def by_key(self, texts: dict[str, str]) -> list[str]:
        return [texts.get(k, "") for k in self.keys()]

    def tier_fills(self, tiers: list[str]) -> list[int | None]:
        """Each firm's tier fill (`Formats.tier`) by its population's labels; None for a blank."""
        pops = self.ctx.result.scheme.populations

        def fill(pop: Any, label: str) -> int | None:
            return _tier_index(pops[pop].tiers if pop in pops else None, label) if label else None
        return _map_distinct(list(zip(self.raw("population"), tiers)), lambda pt: fill(*pt))

    def notes(self) -> list[str]:
        """说明 on the printed list: the tier moves, or why the firm was not evaluated."""
        moves, sentences = self.ctx.moves, self.ctx.sentences
        return [moves.get(k) or (sentences[k] + "。" if k in sentences else "") for k in self.keys()]


_NA_TYPE = type(pd.NA)


def _map_distinct(values: list[Any], get: Callable[[Any], Any]) -> list[Any]:
    """`get` of each value, called once per distinct value (a column has a few: towns, industries)."""
    numeric = {type(v) for v in values} - {str, type(None), _NA_TYPE, tuple}
    if len(numeric) > 1:  # 1 and 1.0 would share a key and get one text
        return [get(v) for v in values]
    known = dict.fromkeys(values)
    for v in known:
        known[v] = get(v)
    return [known[v] for v in values]


def _firm_name(key: str, name: Any) -> str:
    return _s(name) or (key[len(NAME_KEY_PREFIX):] if key.startswith(NAME_KEY_PREFIX) else "")


def _industry(v: Any) -> str:
    return industry_label(_s(v))


def _print_columns(ctx: _Context) -> list[Column]:
    """The printed list: what an official reads, on A4 landscape at a readable size."""
    scheme = ctx.result.scheme
    cols = [
        Column("序号", lambda f: f.serials(), "int", width=5),
        Column("企业名称", lambda f: f.names(), "wrap", width=24),
        Column("统一社会信用代码", lambda f: f.codes(), width=19.5),
        Column("所属乡镇", lambda f: f.raw("township"), width=9),
        Column("所属行业", lambda f: f.mapped("industry", _industry), "wrap", width=16),
        Column("参评情况", lambda f: f.pairs("population", "status", lambda p, st: _standing(scheme, p, st)), width=9),
        Column("用地面积（亩）", lambda f: f.number("land"), "number", "亩", 8.5),
        Column("实缴税金（万元）", lambda f: f.number("tax"), "number", "万元", 9),
        Column("亩均税收（万元/亩）", lambda f: f.number("v_tax_per_mu"), "number", "万元/亩", 9),
        Column("综合得分", lambda f: f.number("total_score"), "number", "分", 7.5),
        Column("全县排名", lambda f: f.number("rank"), "int", width=6),
        Column("最终等级", lambda f: f.raw("tier"), "tier", width=6),
    ]
    if ctx.has_prior:
        cols += [Column("上年等级", lambda f: f.raw("prior_tier"), "tier", width=6),
                 Column("等级变化", lambda f: f.raw("tier_change"), width=7),
                 Column(f"连续{ctx.bottom}类年数", lambda f: f.number("d_years"), "int", width=6)]
    cols.append(Column("说明", lambda f: f.notes(), "wrap", width=22))
    return cols


def _standing(scheme: Any, population: Any, status: Any) -> str:
    """`规上企业` / `规下企业` for an evaluated firm, else why it was not evaluated."""
    pops = scheme.populations
    if population in pops:
        return pops[population].label
    return status_label(_s(status), scheme)


def _all_columns(ctx: _Context) -> list[Column]:
    scheme = ctx.result.scheme
    pops = scheme.populations
    cols = [
        Column("序号", lambda f: f.serials(), "int", width=6),
        Column("统一社会信用代码", lambda f: f.codes(), width=21),
        Column("企业名称", lambda f: f.names(), width=30),
        Column("所属乡镇", lambda f: f.raw("township"), width=11),
        Column("所属行业", lambda f: f.mapped("industry", _industry), width=20),
        Column("行业大类", lambda f: f.mapped("division", lambda v: division_label(_s(v))), width=16),
        Column("企业规模", lambda f: f.one_or_other("above_scale", "规上", "规下"), width=6),
        Column("评价状态", lambda f: f.mapped("status", lambda v: status_label(_s(v), scheme)), width=8),
        Column("状态说明", lambda f: f.by_key(ctx.sentences), "wrap", width=30),
        Column("参评群体", lambda f: f.mapped("population", lambda p: pops[p].label if p in pops else ""), width=9),
    ]
    for name in INPUT_FIELDS:
        spec = FIELD_BY_ID[name]
        cols.append(Column(f"{spec.label}（{spec.unit}）", lambda f, name=name: f.number(name),
                           "int" if decimals_for(spec.unit) == 0 else "number", spec.unit, 11))
    cols.append(Column("投产时间（年）", lambda f: f.number("commissioned"), "year", width=8))
    cols += _scheme_columns(ctx)
    for name, label in FLAG_FIELDS.items():
        cols.append(Column(label, lambda f, name=name: f.one_or_other(name, "是", "否"), width=7))
    for ind in INDICATORS:
        cols.append(Column(f"{ind.label}（{ind.unit}）", lambda f, i=ind.id: f.number(f"v_{i}"), "number", ind.unit, 12))
    for iid in ctx.scored:
        cols.append(Column(f"{INDICATOR_BY_ID[iid].label}得分", lambda f, i=iid: f.number(f"s_{i}"), "number", "分", 9))
    cols += [
        Column("加分", lambda f: f.number("bonus"), "number", "分", 7),
        Column("减分", lambda f: f.number("penalty"), "number", "分", 7),
        Column("综合得分", lambda f: f.number("total_score"), "number", "分", 9),
        Column("初评等级", lambda f: f.raw("initial_tier"), "tier", width=7),
        Column("最终等级", lambda f: f.raw("tier"), "tier", width=7),
        Column("等级名称", lambda f: f.pairs("population", "tier", lambda p, lab: _full_name(scheme, p, lab)), width=17),
        Column("等级调整说明", lambda f: f.by_key(ctx.moves), "wrap", width=30),
        Column("全县排名", lambda f: f.number("rank"), "int", width=7),
        Column("乡镇排名", lambda f: f.number("township_rank"), "int", width=7),
        Column("行业排名", lambda f: f.number("industry_rank"), "int", width=7),
    ]
    if ctx.has_prior:
        cols += [Column("上年等级", lambda f: f.raw("prior_tier"), "tier", width=7),
                 Column("等级变化", lambda f: f.raw("tier_change"), width=8),
                 Column(f"连续{ctx.bottom}类年数", lambda f: f.number("d_years"), "int", width=8)]
    cols += [Column("数据来源", lambda f: f.raw("sources"), width=24),
             Column("数据问题", lambda f: f.by_key(ctx.issues), "wrap", width=50)]
    return cols


def _full_name(scheme: Any, population: Any, label: Any) -> str:
    """`A类（优先发展类）` under the firm's population's names."""
    pops = scheme.populations
    return pops[population].tiers.full_name(label) if population in pops and label else _s(label)


def _scheme_columns(ctx: _Context) -> list[Column]:
    """Columns only some schemes produce: the land ledger of a lease file, the group a firm was
    tiered in, the landlord penalty (so every figure on a letter can be found in the list)."""
    t = ctx.result.table
    cols: list[Column] = []
    if "own_land" in t:
        cols += [Column("自有用地（亩）", lambda f: f.number("own_land"), "number", "亩", 10),
                 Column("租入用地（亩）", lambda f: f.number("land_rented_in"), "number", "亩", 10),
                 Column("租出用地（亩）", lambda f: f.number("land_rented_out"), "number", "亩", 10),
                 Column("租入厂房（平方米）", lambda f: f.number("floor_rented_in"), "number", "平方米", 11),
                 Column("租出厂房（平方米）", lambda f: f.number("floor_rented_out"), "number", "平方米", 11),
                 Column("承租企业数", lambda f: f.number("tenant_count"), "int", width=8)]
    if "tier_group" in t:
        cols.append(Column("分档分组", lambda f: f.raw("tier_group"), width=12))
    if "tenant_penalty" in t:
        cols.append(Column("出租厂房扣分", lambda f: f.number("tenant_penalty"), "number", "分", 9))
    return cols


def _tier_columns(ctx: _Context, pid: str) -> list[Column]:
    cols = [
        Column("序号", lambda f: f.numbering(), "int", width=5),
        Column("统一社会信用代码", lambda f: f.codes(), width=19.5),
        Column("企业名称", lambda f: f.names(), "wrap", width=24),
        Column("所属乡镇", lambda f: f.raw("township"), width=9),
        Column("所属行业", lambda f: f.mapped("industry", _industry), "wrap", width=16),
        Column("综合得分", lambda f: f.number("total_score"), "number", "分", 7.5),
        Column("全县排名", lambda f: f.number("rank"), "int", width=6),
        Column("初评等级", lambda f: f.raw("initial_tier"), "tier", width=6),
        Column("最终等级", lambda f: f.raw("tier"), "tier", width=6),
        Column("等级调整说明", lambda f: f.by_key(ctx.moves), "wrap", width=24),
    ]
    if ctx.has_prior:
        cols += [Column("上年等级", lambda f: f.raw("prior_tier"), "tier", width=7),
                 Column("等级变化", lambda f: f.raw("tier_change"), width=8),
                 Column(f"连续{ctx.bottom}类年数", lambda f: f.number("d_years"), "int", width=8)]
    for rule in ctx.result.scheme.populations[pid].indicators:
        ind = INDICATOR_BY_ID[rule.id]
        cols.append(Column(f"{ind.label}（{ind.unit}）", lambda f, i=rule.id: f.number(f"v_{i}"), "number", ind.unit, 10))
    return cols


def _group_columns(group_label: str, labels: Sequence[str]) -> list[Column]:
    cols = [Column("参评群体", _each(lambda r: r["pop_label"]), width=9),
            Column(group_label, _each(lambda r: r["group"]), width=16),
            Column("企业数", _each(lambda r: r["firms"]), "int", width=7),
            Column("参评企业数", _each(lambda r: r["evaluated"]), "int", width=8)]
    for lab in labels:
        cols.append(Column(f"{lab}类", _each(lambda r, lab=lab: r["tiers"].get(lab, 0)), "int", width=6))
    cols.append(Column("平均得分", _each(lambda r: r["mean_score"]), "number", "分", 9))
    for ind in INDICATORS:
        cols.append(Column(f"{ind.label}（{ind.unit}）", _each(lambda r, i=ind.id: (r["aggregates"] or {}).get(i)),
                           "number", ind.unit, 12))
    return cols


def _safe_sheet_name(name: str, used: set[str]) -> str:
    n = re.sub(r"[\[\]:*?/\\]", "_", name).strip("'")[:31] or "Sheet"
    base, i = n, 2
    while n.lower() in used:
        n = f"{base[:28]}_{i}"
        i += 1
    used.add(n.lower())
    return n


def write_workbook(result: RunResult, path: str | Path, settings: Settings | None = None,
                   progress: ProgressFn | None = None, cancel: CancelFn | None = None, stage: str = "") -> Path:
    """Write the graded-list workbook to `path` (.xlsx); returns the path. `stage` (e.g. "初评结果")
    goes into every page header.

    Raises `InputError` when the file cannot be written (e.g. it is open in Excel) and
    `Cancelled` when `cancel()` turns true (nothing is left behind)."""
    settings = settings or load_settings()
    steps = Steps(progress, cancel)
    out = Path(path)
    tmp = out.with_name(out.name + ".part.xlsx")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"无法创建文件夹 {out.parent}（{exc.strerror or exc}）") from exc
    ctx = _Context(result, settings, stage)
    s = result.scheme
    fp = data_fingerprint(result)
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    subtitle = (f"评价方案：{s.name}（{s.version} 版）　核验码：{verification_code(fp)}　"
                f"评价机关：{settings.authority}　生成时间：{stamp}")
    head = f"{settings.county}{result.year}年度工业企业亩均效益综合评价"
    # constant_memory: each row goes to a temporary file as soon as the next one starts. Kept in
    # memory, a county's workbook is millions of cell tuples that every cycle collection walks
    # holding the interpreter lock, which freezes the window and slows the export.
    # Every sheet here is written top to bottom, which is all this mode asks. The row files live
    # in a folder of our own, removed whatever happens (a cancelled export leaves nothing).
    scratch = tempfile.TemporaryDirectory(prefix="mujun-xlsx-", ignore_cleanup_errors=True)
    wb = Workbook(str(tmp), {"constant_memory": True, "tmpdir": scratch.name, "strings_to_formulas": False,
                                        "strings_to_numbers": False, "strings_to_urls": False,
                                        "nan_inf_to_errors": False})
    wb.set_properties({"title": head + "分类名单", "author": settings.authority, "comments": subtitle})
    used: set[str] = set()
    try:
        fmt = Formats(wb)
        steps.report(0.05, "写出全部企业")
        printed = _Sheet(wb, fmt, _safe_sheet_name("全部企业", used), head + "分类名单（全部企业）", subtitle,
                         _print_columns(ctx), 3, ctx.page_head)
        full = _Sheet(wb, fmt, _safe_sheet_name("全部数据", used), head + "全部数据（含基础数据、指标、得分与数据问题）",
                      subtitle, _all_columns(ctx), 3, ctx.page_head, fit_width=False)
        _write_side_by_side([printed, full], _Firms(ctx, ctx.order_rows),
                            progress=lambda done: steps.report(0.05 + 0.45 * done, "写出全部企业"))
        printed.finish()
        full.finish()
        _tier_sheets(wb, fmt, ctx, head, subtitle, used, steps)
        steps.report(0.75, "写出汇总表")
        _group_sheet(wb, fmt, ctx, "按乡镇汇总", "乡镇（街道）", "by_township", "township", head, subtitle, used)
        _group_sheet(wb, fmt, ctx, "按行业汇总", "行业大类", "by_industry", "division", head, subtitle, used)
        steps.report(0.85, "写出数据核查")
        _issues_sheet(wb, fmt, ctx, head, subtitle, used)
        _about_sheet(wb, fmt, ctx, head, fp, stamp, used)
        steps.check()
        wb.close()
        tmp.replace(out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"无法写出 {out}（{exc.strerror or exc}；文件可能正在 Excel/WPS 中打开，请关闭后重试）") from exc
    except BaseException:
        try:
            wb.close()
        except Exception:
            pass
        tmp.unlink(missing_ok=True)
        raise
    finally:
        scratch.cleanup()
    steps.done("分类名单已写出")
    return out


def _tier_sheets(wb: xlsxwriter.Workbook, fmt: Formats, ctx: _Context, head: str, subtitle: str,
                 used: set[str], steps: Steps) -> None:
    """One sheet per population and final tier (规上A类, …, 规下D类), ranked within the population."""
    pops = ctx.result.scheme.populations
    jobs = [(pid, lab) for pid, p in pops.items() for lab in p.tiers.labels]
    members: dict[tuple[Any, Any], list[int]] = {}  # (population, tier) → rows of the table, in list order
    for row, pid, lab in zip(ctx.order_rows.tolist(), ctx.raw("population")[ctx.order_rows].tolist(),
                             ctx.raw("tier")[ctx.order_rows].tolist()):
        members.setdefault((pid, lab), []).append(row)
    for n_job, (pid, lab) in enumerate(jobs):
        pop = pops[pid]
        steps.report(0.5 + 0.25 * n_job / max(len(jobs), 1), f"写出{pop.label}{lab}类名单")
        rows = np.array(members.get((pid, lab), []), dtype=np.intp)
        short = pop.label.removesuffix("企业")
        sh = _Sheet(wb, fmt, _safe_sheet_name(f"{short}{lab}类", used),
                    f"{head}{pop.label}{pop.tiers.full_name(lab)}名单（共 {len(rows)} 家）", subtitle,
                    _tier_columns(ctx, pid), 3, ctx.page_head)
        sh.write(_Firms(ctx, rows))
        sh.finish()


def _member(t: pd.DataFrame, pops: Sequence[str]) -> pd.Series:
    """The population a firm is counted in: its evaluated population, else its size (规上/规下),
    else "" (size unknown: listed in a block of its own, never dropped)."""
    scale = t["above_scale"].to_numpy(dtype=float, na_value=float("nan"))
    by_scale = pd.Series(["above" if x == 1 else "below" if x == 0 else "" for x in scale], index=t.index)
    by_scale = by_scale.where(by_scale.isin(list(pops)), "")
    return t["population"].where(t["population"].notna(), by_scale).astype(str)


def _group_sheet(wb: xlsxwriter.Workbook, fmt: Formats, ctx: _Context, sheet: str, group_label: str,
                 summary_key: str, column: str, head: str, subtitle: str, used: set[str]) -> None:
    """Counts per township or industry for each population, built from the firm list itself so
    every 合计 is the sum of the rows above it; the 合计 rows follow all data rows, outside the
    filter, so sorting the list never moves them."""
    summary = ctx.result.evaluation.summary
    t = ctx.result.table
    pops = ctx.result.scheme.populations
    labels: list[str] = []
    for p in pops.values():
        labels += [lab for lab in p.tiers.labels if lab not in labels]
    sh = _Sheet(wb, fmt, _safe_sheet_name(sheet, used), f"{head}{sheet}",
                subtitle + "　（指标为各企业合计数之比，如亩均税收 = 实缴税金合计 ÷ 用地面积合计）",
                _group_columns(group_label, labels), 2, ctx.page_head)
    member = _member(t, list(pops))
    group = t[column].astype(object).where(t[column].notna(), "（未填）").astype(str)
    if column == "township":  # townships in the order of the input, not alphabetically
        order = list(dict.fromkeys(group.tolist()))
    else:
        order = sorted(set(group.tolist()))
    place = {g: i for i, g in enumerate(order)}
    in_group = np.array([place[g] for g in group.tolist()])  # each firm's group, as its place in `order`
    counted = t[["population", "tier", "total_score"]]  # what the counts read: subsets copy nothing else
    evaluated = t["population"].notna().to_numpy()
    totals = []
    for pid in [*pops, ""]:
        in_pop = (member == pid).to_numpy()
        if not in_pop.any():
            continue
        label = pops[pid].label if pid else "规模不明"
        entry = summary.get(pid, {}) if pid else {}
        groups = entry.get(summary_key, {})
        sums = {"firms": 0, "evaluated": 0, "tiers": dict.fromkeys(labels, 0)}
        records = []
        for i, g in enumerate(order):
            rows = counted[in_pop & (in_group == i)]
            if rows.empty:
                continue
            ev = rows[rows["population"].notna()]
            tiers = {lab: int((ev["tier"] == lab).sum()) for lab in labels}
            shown = division_label(g) if column == "division" and g != "（未填）" else g
            records.append({"pop_label": label, "group": shown, "firms": len(rows), "evaluated": len(ev), "tiers": tiers,
                            "mean_score": ev["total_score"].mean() if len(ev) else None,
                            "aggregates": (groups.get(g) or {}).get("aggregates")})
            sums["firms"] += len(rows)
            sums["evaluated"] += len(ev)
            for lab in labels:
                sums["tiers"][lab] += tiers[lab]
        sh.write(records)
        ev_all = counted[in_pop & evaluated]
        totals.append({"pop_label": label, "group": "合计", **sums,
                       "mean_score": ev_all["total_score"].mean() if len(ev_all) else None,
                       "aggregates": entry.get("aggregates")})
    sh.write(totals, total=True)
    sh.finish()


def _issues_sheet(wb: xlsxwriter.Workbook, fmt: Formats, ctx: _Context, head: str, subtitle: str, used: set[str]) -> None:
    cols = [Column("序号", _each(lambda r: r["n"]), "int", width=6),
            Column("级别", _each(lambda r: LEVEL_LABELS[r["it"].level]), width=6),
            # the stable kind of finding, so officials can sort and filter the list by it
            Column("类别", _each(lambda r: ISSUE_CODES.get(r["it"].code, "其他")), width=16),
            Column("文件", _each(lambda r: r["it"].file), width=26),
            Column("工作表", _each(lambda r: r["it"].sheet), width=12),
            Column("行", _each(lambda r: r["it"].row), "int", width=6),
            Column("列", _each(lambda r: r["it"].column), width=14),
            Column("问题说明", _each(lambda r: r["it"].message), "wrap", width=60),
            Column("统一社会信用代码", _each(lambda r: "" if (r["it"].key or "").startswith(NAME_KEY_PREFIX) else r["it"].key),
                   width=21),
            Column("企业名称", _each(lambda r: ctx.name_of(r["it"].key)), "wrap", width=26)]
    order = {"error": 0, "warning": 1, "info": 2}
    issues = sorted(ctx.result.issues, key=lambda i: order.get(i.level, 3))
    counts = "，".join(f"{LEVEL_LABELS[lv]} {sum(1 for i in issues if i.level == lv)} 条" for lv in order)
    sh = _Sheet(wb, fmt, _safe_sheet_name("数据核查", used), f"{head}数据核查清单（{counts}）", subtitle, cols, 2,
                ctx.page_head)
    sh.write([{"n": n, "it": it} for n, it in enumerate(issues, 1)])
    sh.finish()


def _about_sheet(wb: xlsxwriter.Workbook, fmt: Formats, ctx: _Context, head: str, fp: str, stamp: str,
                 used: set[str]) -> None:
    s = ctx.result.scheme
    ws = wb.add_worksheet(_safe_sheet_name("说明", used))
    ws.set_column(0, 0, 18)
    ws.set_column(1, 1, 90)
    ws.merge_range(0, 0, 0, 1, "", fmt.title)
    ws.write_string(0, 0, clean_text(head + "分类名单说明"), fmt.title)
    ws.set_row(0, 26)
    rows: list[tuple[str, str]] = [
        ("评价年度", f"{ctx.result.year}年度"), ("评价机关", ctx.settings.authority),
        ("评价方案", f"{s.name}（{s.version} 版）"), ("方案校验值", s.fingerprint),
        ("核验码", f"{verification_code(fp)}（与告知书、汇总报告上的核验码一致，即由同一批数据得出）"), ("数据校验值", fp),
        ("生成时间", stamp),
    ]
    for f in ctx.result.imported.files:
        rows.append(("输入文件", f"{f.name}（SHA-256 {f.sha256}）"))
    for pid, p in s.populations.items():
        for lab in p.tiers.labels:
            policy = p.tiers.policies.get(lab, "")
            rows.append((f"{p.label}{lab}类", p.tiers.full_name(lab) + (f"：{policy}" if policy else "")))
        rows.append((f"{p.label}计分办法", "".join(f"{i}.{t}" for i, t in enumerate(method_sentences(p), 1))))
    rows.append(("说明", "指标值为标准单位下的计算值；" + rounding_note(s) + "得分相同的企业名次相同，其后的名次顺延"
                        "（如两家并列第 2 名，下一家为第 4 名）。分档、等级调整规则以评价方案为准。"
                        "“全部企业”为打印用名单，“全部数据”列出每家企业的全部基础数据、指标、得分和数据问题。"))
    for i, (a, b) in enumerate(rows, 2):
        lines = wrapped_lines(clean_text(b), 90)
        if lines > 1:
            ws.set_row(i, 13.5 * lines)
        ws.write_string(i, 0, clean_text(a), fmt.header)
        ws.write_string(i, 1, clean_text(b), fmt.wrap)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.set_header(f"&L&9{_header_text(ctx.page_head)}&R&9说明")
