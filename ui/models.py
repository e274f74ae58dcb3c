"""Table models that stay fast at 100,000 rows: column arrays, numpy sorting, boolean-mask filters.

Pattern from Orange3's `AbstractSortTableModel` (read, not copied): one `QAbstractTableModel` over
column arrays. Display strings are formatted once per column (with `evaluator.method.indicators.
format_number`, the same formatting as the workbook and the letters) when the table is built, off
the GUI thread; `data()` is then an array lookup. Sorting argsorts the column's raw numbers (the
sort role) with numpy and maps view rows to source rows; filtering is a boolean mask over source
rows. A `QSortFilterProxyModel` would call Python `data()` for every comparison (seconds at 100k).

The `build_*` functions are plain Python over the core's results (no widgets), so a worker can
run them; the models only wrap what they produce.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from evaluator.core.divisions import division_label as core_division_label
from evaluator.core.divisions import industry_display_code
from evaluator.core.fields import FIELD_BY_ID, FLAG_FIELDS
from evaluator.core.issues import CORRECTED_BY, LEVEL_LABELS, Issue
from evaluator.core.keys import factorize_objects
from evaluator.core.numbers import field_value_text
from evaluator.merge.corrections import Correction
from evaluator.merge.tables import NAME_KEY_PREFIX
from evaluator.method.evaluate import STATUS_LABELS
from evaluator.method.indicators import (
    INDICATORS,
    Indicator,
    decimals_for,
)
from evaluator.pipeline.run import RunResult
from evaluator.project.audit import action_label, field_label
from evaluator.read.files import RawSheet, column_letter

from . import style
from .retire import retire

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
KEY_ROLE = Qt.ItemDataRole.UserRole + 2
_R = Qt.ItemDataRole
_DISPLAY, _ALIGN, _BACKGROUND, _FOREGROUND, _FONT, _TOOLTIP = (
    int(_R.DisplayRole), int(_R.TextAlignmentRole), int(_R.BackgroundRole), int(_R.ForegroundRole), int(_R.FontRole),
    int(_R.ToolTipRole))
_MODEL_ROLES = frozenset({_DISPLAY, _ALIGN, _BACKGROUND, _FOREGROUND, _FONT, _TOOLTIP, int(SORT_ROLE), int(KEY_ROLE)})
_A = Qt.AlignmentFlag
_RIGHT, _CENTRE, _LEFT = int(_A.AlignRight | _A.AlignVCenter), int(_A.AlignCenter), int(_A.AlignLeft | _A.AlignVCenter)
MISSING = "—"
CHUNK = 16_384  # rows formatted per GIL hold in the worker (about 10 ms)

def division_label(div: str | None) -> str:
    """`33 金属制品业` (the core's label), `（未填）` when the firm has no industry code."""
    return core_division_label(div) or "（未填）"


# --- formatting (vectorised wrappers around the core's one number format) -------------------------

def format_numbers(values: np.ndarray, unit: str = "", decimals: int | None = None) -> np.ndarray:
    """`format_number` over an array: the same text (`1,234.50`, `—`), at C-formatting speed.

    `%` formatting is about twice as fast as `format()` with a thousands separator, so every
    value goes through `%.Nf` and only the ones of four digits or more get the separator.
    """
    v = np.asarray(values, dtype=float)
    d = decimals_for(unit) if decimals is None else decimals
    out = np.empty(len(v), dtype=object)
    ok = np.isfinite(v)
    fin = v[ok]
    fmt_plain = ("%%.%df" % d).__mod__
    values = fin.tolist()
    text: list[str] = []
    for i in range(0, len(values), CHUNK):  # list(map(C function)) holds the GIL: give the GUI a turn
        text.extend(map(fmt_plain, values[i:i + CHUNK]))
    big = np.flatnonzero(np.abs(fin) >= 999.5)  # may round up to 1,000
    if len(big):
        fmt = ("{:,.%df}" % d).format
        for i, x in zip(big.tolist(), fin[big].tolist()):
            text[i] = fmt(x)
    out[ok] = text
    out[~ok] = MISSING
    return out


def format_ints(values: np.ndarray) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    out = np.full(len(v), MISSING, dtype=object)
    ok = np.isfinite(v)
    out[ok] = v[ok].astype(np.int64).astype(np.str_).astype(object)
    return out


def _per_unique(values: np.ndarray, fn: Callable[[str], str]) -> np.ndarray:
    """`fn` applied once per distinct value (a county has a few hundred codes, not 100k)."""
    idx, uniques = factorize_objects(values)
    lookup = np.empty(len(uniques) + 1, dtype=object)
    lookup[:-1] = [fn(str(v)) for v in uniques]
    lookup[-1] = ""
    return lookup[idx]


def text_array(values: pd.Series | np.ndarray | Sequence[Any], missing: str = "") -> np.ndarray:
    """Text cells as an object array of str; missing values (None, NaN, NA) become `missing`."""
    s = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    return s.astype("string").fillna(missing).to_numpy(dtype=object)


def cell_text(v: object) -> str:
    """A raw cell as the user saw it in Excel, for the preview grid."""
    if v is None:
        return ""
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return f"{v:.10g}"
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d") if (v.hour, v.minute, v.second) == (0, 0, 0) else v.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, date):
        return v.strftime("%Y-%m-%d")
    return str(v)


# --- plain column data ------------------------------------------------------------------------------

@dataclass
class Column:
    """One column: display strings, optional raw sort keys, and how to paint it."""

    id: str
    title: str
    display: np.ndarray  # object array of str
    sort: np.ndarray | None = None  # float64; None → sort by the display text
    numeric: bool = False
    palette: str = ""  # "tier" | "level": colour the cell by the value in `colour_keys`
    colour_keys: np.ndarray | None = None
    tooltip: str = ""
    width: int = 0  # preferred width in characters (0: from title and contents)
    _text_codes: np.ndarray | None = field(default=None, repr=False)

    def sort_keys(self) -> np.ndarray:
        if self.sort is not None:
            return self.sort
        if self._text_codes is None:
            # Distinct texts by dict (interruptible), ordered by numpy's string sort, which runs
            # without the interpreter lock: sorting 100k names as Python objects held it ~50 ms.
            codes, uniques = factorize_objects(self.display)
            rank = np.empty(len(uniques) + 1, dtype=float)
            rank[np.argsort(np.array(uniques, dtype=str), kind="stable")] = np.arange(len(uniques), dtype=float)
            rank[-1] = np.nan  # code −1: None
            keys = rank[codes]
            keys[(self.display == "") | (self.display == MISSING)] = np.nan
            self._text_codes = keys
        return self._text_codes


@dataclass
class ColumnTable:
    """What a `ColumnTableModel` shows: columns of equal length, row keys, raw arrays for filters."""

    columns: list[Column]
    keys: np.ndarray
    extra: dict[str, Any] = field(default_factory=dict)
    _positions: dict[str, int] | None = field(default=None, repr=False)

    @property
    def n(self) -> int:
        return len(self.keys)

    def position(self, key: str) -> int:
        """Source row of a key (-1 if absent); the map is built once, by the worker when it can."""
        if self._positions is None:
            self._positions = {str(k): i for i, k in enumerate(self.keys.tolist())}
        return self._positions.get(key, -1)

    def column_index(self, cid: str) -> int:
        for i, c in enumerate(self.columns):
            if c.id == cid:
                return i
        return -1

    @staticmethod
    def empty() -> ColumnTable:
        return ColumnTable([], np.empty(0, dtype=object))


# --- the model -----------------------------------------------------------------------------------

class ColumnTableModel(QAbstractTableModel):
    """A read-only table over a `ColumnTable`, sorted by numpy argsort, filtered by a mask."""

    def __init__(self, table: ColumnTable | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self._t = table or ColumnTable.empty()
        self._mask = np.ones(self._t.n, dtype=bool)
        self._order = np.arange(self._t.n)
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._perm_cache: dict[tuple[int, bool], np.ndarray] = {}
        self._bold = QFont()
        self._bold.setBold(True)
        self._colours: dict[tuple[str, str, str], QColor | None] = {}

    # table and filter
    @property
    def table(self) -> ColumnTable:
        return self._t

    def set_table(self, table: ColumnTable, mask: np.ndarray | None = None) -> None:
        """Swap in new data, keeping the sort column (by id) and order."""
        old_id = self._t.columns[self._sort_column].id if 0 <= self._sort_column < len(self._t.columns) else None
        self.beginResetModel()
        retire(self._t)  # a 100k-firm table is millions of strings: freed off the GUI thread
        self._t = table
        self._mask = mask if mask is not None and len(mask) == table.n else np.ones(table.n, dtype=bool)
        self._perm_cache = {}
        self._sort_column = table.column_index(old_id) if old_id else -1
        self._order = self._compute_order()
        self.endResetModel()

    def set_mask(self, mask: np.ndarray) -> None:
        self.beginResetModel()
        self._mask = np.asarray(mask, dtype=bool)
        self._order = self._compute_order()
        self.endResetModel()

    @property
    def mask(self) -> np.ndarray:
        return self._mask

    def source_row(self, view_row: int) -> int:
        return int(self._order[view_row])

    def key_at(self, view_row: int) -> str:
        return str(self._t.keys[self._order[view_row]])

    def source_rows(self) -> np.ndarray:
        """Source rows in view order (what an export of 'the rows shown' would take)."""
        return self._order

    def source_row_of_key(self, key: str) -> int:
        return self._t.position(key)

    def view_row_of_key(self, key: str) -> int:
        src = self.source_row_of_key(key)
        if src < 0:
            return -1
        hit = np.flatnonzero(self._order == src)
        return int(hit[0]) if len(hit) else -1

    def has_key(self, key: str) -> bool:
        return self.source_row_of_key(key) >= 0

    # sorting
    def _permutation(self, column: int, descending: bool) -> np.ndarray:
        """Full-length stable order for a column; missing values last in both directions."""
        cached = self._perm_cache.get((column, descending))
        if cached is None:
            keys = self._t.columns[column].sort_keys()
            cached = np.argsort(-keys if descending else keys, kind="stable")
            self._perm_cache[(column, descending)] = cached
        return cached

    def _compute_order(self) -> np.ndarray:
        if self._sort_column < 0 or self._sort_column >= len(self._t.columns):
            return np.flatnonzero(self._mask)
        perm = self._permutation(self._sort_column, self._sort_order == Qt.SortOrder.DescendingOrder)
        return perm[self._mask[perm]]

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:  # noqa: D102
        self.layoutAboutToBeChanged.emit()
        old = self._order
        self._sort_column, self._sort_order = column, order
        new = self._compute_order()
        self._order = new
        persistent = self.persistentIndexList()
        if persistent:
            inverse = np.full(self._t.n, -1, dtype=np.int64)
            inverse[new] = np.arange(len(new))
            after = []
            for idx in persistent:
                r = int(inverse[old[idx.row()]]) if idx.row() < len(old) else -1
                after.append(self.index(r, idx.column()) if r >= 0 else QModelIndex())
            self.changePersistentIndexList(persistent, after)
        self.layoutChanged.emit()

    @property
    def sort_column(self) -> int:
        return self._sort_column

    @property
    def sort_order(self) -> Qt.SortOrder:
        return self._sort_order

    # Qt model API
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._order)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._t.columns)

    def _colour(self, palette: str, key: str, part: str) -> QColor | None:
        ck = (palette, key, part)
        if ck not in self._colours:
            table = style.TIER_COLOURS if palette == "tier" else style.LEVEL_COLOURS
            pair = table.get(key)
            text = (pair[0] if part == "bg" else pair[1]) if pair else ""
            self._colours[ck] = QColor(text) if text else None
        return self._colours[ck]

    def index(self, row: int, column: int, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        # The view asks for every cell's index when it paints; the inherited index() checks the
        # bounds by calling rowCount() and columnCount(), two more calls into Python per cell.
        if 0 <= row < len(self._order) and 0 <= column < len(self._t.columns) and not parent.isValid():
            return self.createIndex(row, column)
        return QModelIndex()

    def _value(self, col: Column, src: int, role: int) -> Any:
        if role == _DISPLAY:
            return col.display[src]
        if role == _ALIGN:
            return _RIGHT if col.numeric else (_CENTRE if col.palette == "tier" else _LEFT)
        if role == _BACKGROUND or role == _FOREGROUND:
            if not col.palette or col.colour_keys is None:
                return None
            key = col.colour_keys[src]
            return self._colour(col.palette, str(key), "bg" if role == _BACKGROUND else "fg") if key else None
        if role == _FONT:
            return self._bold if col.palette == "tier" and col.colour_keys is not None and col.colour_keys[src] else None
        if role == SORT_ROLE:
            v = col.sort_keys()[src]
            return None if not np.isfinite(v) else float(v)
        if role == KEY_ROLE:
            return str(self._t.keys[src])
        if role == _TOOLTIP:
            text = col.display[src]
            return text if len(text) > 24 else None
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in _MODEL_ROLES or not index.isValid():
            return None
        return self._value(self._t.columns[index.column()], self._order[index.row()], role)

    def multiData(self, index: QModelIndex | QPersistentModelIndex, roleDataSpan: Any) -> None:  # noqa: N802, N803
        # The view's delegate asks for all the roles of a cell (display, alignment, font, colours,
        # check state, icon) in one call. Every call into Python from the paint has to take the
        # interpreter lock, from a worker thread if one is running: one call per cell instead of
        # one per role keeps a repaint of the table from waiting on an export or evaluation.
        if not index.isValid():
            return
        col = self._t.columns[index.column()]
        src = self._order[index.row()]
        for item in roleDataSpan:  # the delegate reuses its span from cell to cell: every role is set
            role = item.role()
            value = self._value(col, src, role) if role in _MODEL_ROLES else None
            if value is None:
                item.clearData()
            else:
                item.setData(value)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal:
            if section >= len(self._t.columns):
                return None
            col = self._t.columns[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return col.title
            if role == Qt.ItemDataRole.ToolTipRole:
                return col.tooltip or col.title.replace("\n", " ")
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        return None


# --- enterprise table -------------------------------------------------------------------------------

INPUT_COLUMNS: tuple[str, ...] = ("land", "tax", "value_added", "revenue", "electricity", "energy", "employees",
                                  "rd_expense", "emissions")


def indicator_tooltip(ind: Indicator) -> str:
    """What a header tooltip says of an indicator: its formula with the inputs' units, then its unit."""
    def part(fid: str) -> str:
        spec = FIELD_BY_ID[fid]
        return f"{spec.label}（{spec.unit}）" if spec.unit else spec.label

    times = f" × {ind.multiplier:g}" if ind.multiplier != 1 else ""
    return f"{ind.label} = {part(ind.numerator)} ÷ {part(ind.denominator)}{times}\n单位：{ind.unit}"


def _float(t: pd.DataFrame, col: str) -> np.ndarray:
    if col not in t:
        return np.full(len(t), np.nan)
    return pd.to_numeric(t[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def prior_tiers(table: pd.DataFrame) -> np.ndarray | None:
    """Prior-year tier per firm: the `prior_tier` column `evaluator.pipeline.prior.attach_prior` adds (the
    session's evaluation job attaches the project's prior, as `mujun report` does)."""
    return text_array(table["prior_tier"]) if "prior_tier" in table else None


def build_enterprise_table(result: RunResult, issues_by_key: dict[str, list[Issue]] | None = None) -> ColumnTable:
    """The enterprise list as columns: identity, status, score, tiers, ranks, indicators, inputs."""
    t = result.table
    n = len(t)
    keys = t.index.to_numpy(dtype=object).astype(str).astype(object)
    cols: list[Column] = []
    name = text_array(t["name"])
    code_raw = text_array(t["credit_code"])
    is_name_key = np.array([k.startswith(NAME_KEY_PREFIX) for k in keys.tolist()], dtype=bool)
    code = code_raw.copy()
    code[is_name_key & (code == "")] = "（无代码）"
    township = text_array(t["township"])
    industry = _per_unique(text_array(t["industry"]), industry_display_code)  # C3670, whatever the file wrote
    division = text_array(t["division"]) if "division" in t else np.full(n, "", dtype=object)
    above = _float(t, "above_scale")
    scale = np.where(above == 1, "规上", np.where(above == 0, "规下", MISSING)).astype(object)
    status_raw = text_array(t["status"])
    status = np.array([STATUS_LABELS.get(s, s) for s in status_raw.tolist()], dtype=object)
    population = text_array(t["population"])
    initial = text_array(t["initial_tier"])
    tier = text_array(t["tier"])
    overridden = {o.key for o in result.overrides}
    tier_display = tier.copy()
    if overridden:
        for i, k in enumerate(keys.tolist()):
            if k in overridden and tier[i]:
                tier_display[i] = f"{tier[i]} ✎"
    # Tiers sort and colour by their place in the scheme (甲乙丙丁 as A–D), not by letter.
    pop_labels = [p.tiers.labels for p in result.scheme.populations.values()]
    tier_rank: dict[str, int] = {}
    for labels in pop_labels:
        for i, lab in enumerate(labels):
            tier_rank.setdefault(lab, i)
    palette = style.tier_palette(pop_labels)

    def tier_sort(arr: np.ndarray) -> np.ndarray:
        out = np.full(len(arr), np.nan)
        for lab, rank in tier_rank.items():
            out[arr == lab] = rank
        return out

    def tier_keys(arr: np.ndarray) -> np.ndarray:
        return np.array([palette.get(x, x) if x else x for x in arr.tolist()], dtype=object)

    score = _float(t, "total_score")
    by_key = issues_by_key if issues_by_key is not None else result.issues_by_key()
    n_err = np.zeros(n)
    n_warn = np.zeros(n)
    for i, k in enumerate(keys.tolist()):
        its = by_key.get(k)
        if its:
            n_err[i] = sum(1 for x in its if x.level == "error")
            n_warn[i] = sum(1 for x in its if x.level == "warning")
    problems = n_err * 1000 + n_warn
    problem_text = np.empty(n, dtype=object)
    problem_text[:] = [("" if e == 0 and w == 0 else (f"错{int(e)}" if e else "") + (" " if e and w else "") +
                        (f"警{int(w)}" if w else "")) for e, w in zip(n_err.tolist(), n_warn.tolist())]

    cols.append(Column("name", "企业名称", name, width=18))
    cols.append(Column("tier", "最终\n等级", tier_display, tier_sort(tier), palette="tier", colour_keys=tier_keys(tier), width=3,
                       tooltip="一票否决、保护规则和手动调档（✎）之后的最终等级"))
    cols.append(Column("initial_tier", "初评\n等级", initial, tier_sort(initial), palette="tier", colour_keys=tier_keys(initial),
                       width=3, tooltip="按得分排名比例（或分数线）确定的初评等级"))
    pt = prior_tiers(t)
    if pt is not None:
        cols.append(Column("prior_tier", "上年\n等级", pt, tier_sort(pt), palette="tier", colour_keys=tier_keys(pt), width=3))
    cols.append(Column("total_score", "总分", format_numbers(score, "分"), score, numeric=True, width=5))
    # Ranks are within the firm's population (规上、规下 ranked separately, as in the graded-list
    # workbook): the population stands next to them and the headers say so; the ranks stay numbers.
    pops = result.scheme.populations
    pop_label = np.array([pops[p].label if p in pops else "" for p in population.tolist()], dtype=object)
    cols.append(Column("population", "参评\n群体", pop_label, width=5,
                       tooltip="企业所在的评价群体（名单）；排名在本群体内进行"))
    for cid, title, where in (("rank", "群体内\n全县排名", "全县"), ("township_rank", "群体内\n乡镇排名", "本乡镇（街道）"),
                              ("industry_rank", "群体内\n行业排名", "本行业大类")):
        v = _float(t, cid)
        cols.append(Column(cid, title, format_ints(v), v, numeric=True, width=3,
                           tooltip=f"在{where}同一评价群体（规上、规下等分别排名）企业中的名次；得分相同名次相同"))
    cols.append(Column("scale", "规模", scale, width=3))
    cols.append(Column("status", "状态", status, width=5))
    cols.append(Column("township", "所属乡镇", township, width=6))
    cols.append(Column("industry", "行业代码", industry, width=4))
    cols.append(Column("credit_code", "统一社会信用代码", code, width=12))
    cols.append(Column("problems", "数据\n问题", problem_text, np.where(problems > 0, problems, np.nan), width=5,
                       tooltip="该企业的错误（错）与警告（警）条数，详见数据核查"))
    for ind in INDICATORS:
        v = _float(t, f"v_{ind.id}")
        cols.append(Column(f"v_{ind.id}", f"{ind.label}\n{ind.unit}", format_numbers(v, ind.unit), v, numeric=True,
                           width=8, tooltip=indicator_tooltip(ind)))
    for iid in result.scheme.scored_indicators:
        v = _float(t, f"s_{iid}")
        ind = next(i for i in INDICATORS if i.id == iid)
        cols.append(Column(f"s_{iid}", f"得分\n{ind.label}", format_numbers(v, "分"), v, numeric=True, width=8,
                           tooltip=f"{ind.label}的得分：按评价方案的基准值和权重折算\n{indicator_tooltip(ind)}"))
    for cid, title in (("bonus", "加分"), ("penalty", "减分")):
        v = _float(t, cid)
        if cid == "penalty" and not np.nansum(np.abs(v)):
            continue
        cols.append(Column(cid, title, format_numbers(v, "分"), v, numeric=True, width=4))
    for fid in INPUT_COLUMNS:
        spec = FIELD_BY_ID[fid]
        v = _float(t, fid)
        if fid == "emissions" and not np.isfinite(v).any():
            continue
        cols.append(Column(fid, f"{spec.label}\n{spec.unit}", format_numbers(v, spec.unit), v, numeric=True, width=8))
    flags = np.full(n, "", dtype=object)
    for fid, label in FLAG_FIELDS.items():
        if fid in t:
            hit = _float(t, fid) == 1
            flags[hit] = [f"{x}、{label}" if x else label for x in flags[hit].tolist()]
    cols.append(Column("flags", "认定与标志", flags, width=10))
    cols.append(Column("status_reason", "状态说明", text_array(t["status_reason"]), width=14))
    cols.append(Column("tier_reason", "调档说明", text_array(t["tier_reason"]), width=18))
    cols.append(Column("sources", "数据来源", text_array(t.get("sources", pd.Series([""] * n))), width=18))

    for c in cols:  # text sort keys now, in the worker, so the first click on 企业名称 is instant
        c.sort_keys()
    # A comprehension, not pandas string ops: those held the interpreter lock ~40 ms each at 100k
    search = pd.Series([f"{a or ''}\x1f{b or ''}".lower() for a, b in zip(name.tolist(), code_raw.tolist())],
                       dtype="string")
    extra = {
        "population": population, "tier": tier, "initial_tier": initial, "township": township,
        "division": division, "status": status_raw, "search": search, "name": name,
        "townships": sorted(set(township.tolist())), "divisions": sorted(set(division.tolist())),
    }
    table = ColumnTable(cols, keys, extra)
    table.position("")  # build the key → row map here (in the worker), not on the first click
    return table


def enterprise_mask(table: ColumnTable, population: str = "", tier: str = "", township: str | None = None,
                    division: str | None = None, status: str = "", text: str = "") -> np.ndarray:
    """Boolean filter over the enterprise table; empty criteria match everything.

    `township`/`division` None means any; "" means the blank (未填) group.
    """
    x = table.extra
    m = np.ones(table.n, dtype=bool)
    if population == "none":
        m &= x["population"] == ""
    elif population:
        m &= x["population"] == population
    if tier:
        m &= x["tier"] == tier
    if township is not None:
        m &= x["township"] == township
    if division is not None:
        m &= x["division"] == division
    if status:
        m &= x["status"] == status
    text = text.strip().lower()
    if text:
        m &= x["search"].str.contains(text, regex=False).fillna(False).to_numpy(dtype=bool)
    return m


# --- data-check list ------------------------------------------------------------------------------

# A finding a human correction has settled (`CORRECTED_BY`): listed, but not among the open ones.
CORRECTED = "corrected"
ISSUE_LEVEL_LABELS = {**LEVEL_LABELS, CORRECTED: "已更正"}


def issue_levels(issues: Sequence[Issue], corrections: Sequence[Correction] = ()) -> list[str]:
    """Each finding's level as the data-check list shows it: `CORRECTED` once its field is corrected."""
    fixed = {(c.key, c.field) for c in corrections}
    return [CORRECTED if i.key and (i.key, CORRECTED_BY.get(i.code, "")) in fixed else i.level for i in issues]


def build_issue_table(issues: Sequence[Issue], names: dict[str, str] | None = None,
                      corrections: Sequence[Correction] = ()) -> ColumnTable:
    """The data-check list; errors first by default sort (the level column's sort keys), settled
    findings after the warnings."""
    names = names or {}
    n = len(issues)
    level = np.array(issue_levels(issues, corrections), dtype=object)
    lvl_order = {"error": 0.0, "warning": 1.0, CORRECTED: 1.5, "info": 2.0}
    rows = np.array([np.nan if i.row is None else float(i.row) for i in issues], dtype=float)
    keys = np.array([i.key for i in issues], dtype=object)
    ent = np.empty(n, dtype=object)
    ent[:] = [(names.get(i.key) or i.key.removeprefix(NAME_KEY_PREFIX)) if i.key else "" for i in issues]
    files = np.array([i.file for i in issues], dtype=object)
    cols = [
        Column("level", "级别", np.array([ISSUE_LEVEL_LABELS[x] for x in level.tolist()], dtype=object),
               np.array([lvl_order[x] for x in level.tolist()]), palette="level", colour_keys=level, width=4),
        # Widths leave 说明 (stretched, elided; full text in the tooltip and the page's detail line)
        # some 30 characters at 1366 px; the place columns are cut before the message is.
        Column("enterprise", "企业", ent, width=13),
        Column("file", "文件", files, width=11),
        Column("sheet", "工作表", np.array([i.sheet for i in issues], dtype=object), width=6),
        Column("row", "行", format_ints(rows), rows, numeric=True, width=3),
        Column("column", "列", np.array([i.column for i in issues], dtype=object), width=8),
        Column("message", "说明", np.array([i.message for i in issues], dtype=object), width=30),
    ]
    search = pd.Series([f"{i.message}\x1f{e or ''}\x1f{f or ''}\x1f{k or ''}".lower()
                        for i, e, f, k in zip(issues, ent.tolist(), files.tolist(), keys.tolist())], dtype="string")
    return ColumnTable(cols, keys, {"level": level, "file": files, "search": search})


def issue_mask(table: ColumnTable, level: str = "", file: str | None = None, text: str = "") -> np.ndarray:
    """`level` is the minimum shown: "error" shows errors, "warning" errors and warnings, "" all."""
    x = table.extra
    m = np.ones(table.n, dtype=bool)
    if level == "error":
        m &= x["level"] == "error"
    elif level == "warning":
        m &= (x["level"] == "error") | (x["level"] == "warning")
    elif level == CORRECTED:
        m &= x["level"] == CORRECTED
    elif level == "info_only":
        m &= x["level"] == "info"
    if file is not None:
        m &= x["file"] == file
    text = text.strip().lower()
    if text and table.n:
        m &= x["search"].str.contains(text, regex=False).fillna(False).to_numpy(dtype=bool)
    return m


def correction_value_text(c: Correction) -> str:
    spec = FIELD_BY_ID.get(c.field)
    return field_value_text(spec, c.value) if spec is not None else str(c.value)


def build_corrections_table(corrections: Sequence[Correction], names: dict[str, str] | None = None) -> ColumnTable:
    names = names or {}
    keys = np.array([f"{c.key}\x1f{c.field}" for c in corrections], dtype=object)
    cols = [
        Column("enterprise", "企业", np.array([names.get(c.key, c.key) for c in corrections], dtype=object), width=16),
        Column("field", "字段", np.array([FIELD_BY_ID[c.field].label if c.field in FIELD_BY_ID else c.field
                                        for c in corrections], dtype=object), width=8),
        Column("value", "更正为", np.array([correction_value_text(c) for c in corrections], dtype=object), width=10),
        Column("reason", "理由", np.array([c.reason for c in corrections], dtype=object), width=24),
        Column("user", "操作人", np.array([c.user for c in corrections], dtype=object), width=6),
        Column("time", "时间", np.array([c.time for c in corrections], dtype=object), width=12),
    ]
    return ColumnTable(cols, keys)


_HASH = re.compile(r"sha256:([0-9a-f]{6,})")


def _scheme_names() -> dict[str, str]:
    try:
        from evaluator.method.scheme import list_schemes

        return {s.id: s.name for s in list_schemes()}
    except Exception:  # a label, never a reason to fail
        return {}


def _mapping_text(v: object) -> str:
    """A stored sheet mapping (`SheetMapping.to_dict()`, kept as its repr) in words: 表头第 3 行，5 列."""
    if isinstance(v, str) and v.startswith("{"):
        try:
            v = ast.literal_eval(v)  # literals only: never runs code
        except (ValueError, SyntaxError):
            return v
    if not isinstance(v, dict):
        return str(v) if v not in (None, "") else ""
    parts = []
    if v.get("skip"):
        parts.append("不读取该表")
    if v.get("header_row") is not None:
        rows = v.get("header_rows")
        parts.append(f"表头第 {v['header_row']} 行" + (f"（共 {rows} 行）" if rows and rows != 1 else ""))
    cols = v.get("columns")
    if isinstance(cols, dict) and cols:
        shown = []
        for src, spec in list(cols.items())[:4]:
            fid = spec.get("field") if isinstance(spec, dict) else spec
            shown.append(f"{src}→{field_label(str(fid)) if fid else '不用'}")
        parts.append("列：" + "，".join(shown) + ("……" if len(cols) > 4 else "") + f"（共 {len(cols)} 列）")
    if v.get("encoding"):
        parts.append(f"编码 {v['encoding']}")
    return "；".join(parts) or "自动识别"


def audit_value_text(action: str, value: object, schemes: dict[str, str] | None = None) -> str:
    """An audit entry's before/after value as the audit page shows it: file checksums, scheme
    codes and stored mappings in words (the exported audit workbook keeps the raw values)."""
    if action == "mapping":
        return _mapping_text(value)
    text = "" if value is None else str(value)
    if action == "import":
        m = _HASH.search(text)
        if m:
            rest = (text[:m.start()] + text[m.end():]).strip("，, ")
            return f"{rest}（文件校验码 {m.group(1)}）" if rest else f"文件校验码 {m.group(1)}"
    if action == "scheme" and text:
        bits = text.split()
        if len(bits) == 3 and schemes is not None:  # "<id> <version> <fingerprint>"
            return f"{schemes.get(bits[0], bits[0])}（{bits[1]} 版，校验码 {bits[2]}）"
        return schemes.get(text, text) if schemes is not None else text
    if action == "reorder" and text.isdigit():
        return f"移到第 {int(text) + 1} 位"
    return text


def build_audit_table(audit: Sequence[Any], names: dict[str, str] | None = None) -> ColumnTable:
    names = names or {}
    n = len(audit)
    keys = np.array([str(i) for i in range(n)], dtype=object)
    schemes = _scheme_names() if any(a.action == "scheme" for a in audit) else {}

    def col(attr: str) -> np.ndarray:
        if attr in ("before", "after"):
            return np.array([audit_value_text(a.action, getattr(a, attr, ""), schemes) for a in audit], dtype=object)
        return np.array([str(getattr(a, attr, "")) for a in audit], dtype=object)

    target = np.array([(schemes.get(a.target, a.target) if a.action == "scheme" else names.get(a.target, a.target))
                       if a.target else "" for a in audit], dtype=object)
    fields = np.array([field_label(a.field) if a.field else "" for a in audit], dtype=object)
    cols = [
        Column("time", "时间", col("time"), width=12),
        Column("user", "操作人", col("user"), width=6),
        Column("action", "操作", np.array([action_label(a.action) for a in audit], dtype=object), width=7),
        Column("target", "对象", target, width=18),
        Column("field", "字段", fields, width=6),
        Column("before", "原值", col("before"), width=12),
        Column("after", "新值", col("after"), width=26),
        Column("reason", "理由", col("reason"), width=22),
    ]
    return ColumnTable(cols, keys)


def enterprise_names(result: RunResult | None) -> dict[str, str]:
    if result is None:
        return {}
    t = result.table
    return {str(k): (str(v) if isinstance(v, str) else str(k).removeprefix(NAME_KEY_PREFIX))
            for k, v in zip(t.index.tolist(), t["name"].astype(object).tolist())}


# --- raw grid preview ---------------------------------------------------------------------------

class RawGridModel(QAbstractTableModel):
    """A raw sheet exactly as read, with the detected header block and first data row highlighted.

    Cell text is produced on demand: the view asks only for visible cells, so a 100k-row sheet
    opens at once.
    """

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._raw: RawSheet | None = None
        self._block: list[int] = []
        self._data_start = -1
        self._fields: dict[int, str] = {}
        self._n_cols = 0
        self._bg = {"header": QColor(style.HEADER_ROW_BG), "unit": QColor(style.UNIT_ROW_BG),
                    "data": QColor(style.DATA_START_BG)}
        self._grey = QColor(style.BEFORE_HEADER_FG)
        self._bold = QFont()
        self._bold.setBold(True)

    def set_sheet(self, raw: RawSheet | None, block: list[int] | None = None, data_start: int = -1,
                  fields: dict[int, str] | None = None) -> None:
        self.beginResetModel()
        self._raw = raw
        self._block = list(block or [])
        self._data_start = data_start
        self._fields = dict(fields or {})
        self._n_cols = raw.n_cols if raw else 0
        self.endResetModel()

    def set_marks(self, block: list[int], data_start: int, fields: dict[int, str]) -> None:
        self._block, self._data_start, self._fields = list(block), data_start, dict(fields)
        if self.rowCount() and self.columnCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1))
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, max(self.columnCount() - 1, 0))
        self.headerDataChanged.emit(Qt.Orientation.Vertical, 0, max(self.rowCount() - 1, 0))

    @property
    def raw(self) -> RawSheet | None:
        return self._raw

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() or self._raw is None else self._raw.n_rows

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else self._n_cols

    def _row_kind(self, r: int) -> str:
        if r in self._block:
            return "header"
        if self._block and self._block[-1] < r < self._data_start:
            return "unit"
        if r == self._data_start:
            return "data"
        if self._block and r < self._block[0]:
            return "before"
        return ""

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self._raw is None:
            return None
        r, c = index.row(), index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            row = self._raw.rows[r]
            text = cell_text(row[c]) if c < len(row) else ""
            return text if role == Qt.ItemDataRole.DisplayRole or len(text) > 12 else None
        kind = self._row_kind(r)
        if role == Qt.ItemDataRole.BackgroundRole and kind in self._bg:
            return self._bg[kind]
        if role == Qt.ItemDataRole.ForegroundRole and kind == "before":
            return self._grey
        if role == Qt.ItemDataRole.FontRole and kind == "header":
            return self._bold
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole:
            if orientation == Qt.Orientation.Horizontal:
                fid = self._fields.get(section)
                label = FIELD_BY_ID[fid].label if fid in FIELD_BY_ID else ""
                return f"{column_letter(section)}\n{label}" if label else column_letter(section)
            kind = self._row_kind(section)
            mark = {"header": " 表头", "unit": " 单位", "data": " 数据起"}.get(kind, "")
            return f"{section + 1}{mark}"
        if role == Qt.ItemDataRole.BackgroundRole and orientation == Qt.Orientation.Vertical:
            return self._bg.get(self._row_kind(section))
        return None
