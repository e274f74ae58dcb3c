"""The table models: numpy sorting with missing values last, mask filters, display text, roles, speed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402

from evaluator.method.indicators import format_number  # noqa: E402
from evaluator.read.files import RawSheet  # noqa: E402
from ui.models import (  # noqa: E402
    KEY_ROLE,
    SORT_ROLE,
    Column,
    ColumnTable,
    ColumnTableModel,
    RawGridModel,
    build_enterprise_table,
    build_issue_table,
    enterprise_mask,
    format_numbers,
    issue_mask,
)

ROOT = Path(__file__).resolve().parent.parent


def small_table() -> ColumnTable:
    score = np.array([50.0, np.nan, 90.0, 70.0, 90.0])
    names = np.array(["乙", "甲", "丙", "丁", "戊"], dtype=object)
    return ColumnTable(
        [Column("name", "企业名称", names), Column("score", "总分", format_numbers(score, "分"), score, numeric=True)],
        np.array(["k0", "k1", "k2", "k3", "k4"], dtype=object),
    )


def keys(model: ColumnTableModel) -> list[str]:
    return [model.index(r, 0).data(KEY_ROLE) for r in range(model.rowCount())]


def test_format_numbers_matches_the_core_format() -> None:
    values = np.array([np.nan, 0.0, 0.005, -0.005, 2.675, 999.994, 999.995, 1234.5, -98765.4321, 1e9, np.inf])
    for unit in ("万元/亩", "人", "%", "分", ""):
        got = format_numbers(values, unit).tolist()
        want = [format_number(float(v), unit) for v in values]
        assert got == want


def test_sort_by_raw_numbers_missing_last_both_ways(qapp) -> None:
    m = ColumnTableModel(small_table())
    m.sort(1, Qt.SortOrder.AscendingOrder)
    assert keys(m) == ["k0", "k3", "k2", "k4", "k1"]  # ties keep their order (stable), NaN last
    m.sort(1, Qt.SortOrder.DescendingOrder)
    assert keys(m) == ["k2", "k4", "k3", "k0", "k1"]
    assert m.index(0, 1).data(SORT_ROLE) == 90.0
    assert m.index(4, 1).data() == "—"
    assert m.index(0, 1).data(Qt.ItemDataRole.TextAlignmentRole) & int(Qt.AlignmentFlag.AlignRight)


def test_text_sort_and_filter_keep_sorting(qapp) -> None:
    m = ColumnTableModel(small_table())
    m.sort(0, Qt.SortOrder.AscendingOrder)
    assert [m.index(r, 0).data() for r in range(5)] == sorted(["乙", "甲", "丙", "丁", "戊"])
    m.sort(1, Qt.SortOrder.DescendingOrder)
    m.set_mask(np.array([True, True, False, True, True]))
    assert keys(m) == ["k4", "k3", "k0", "k1"]
    assert m.view_row_of_key("k2") == -1 and m.view_row_of_key("k0") == 2
    assert m.has_key("k2")


def test_selection_follows_the_row_through_a_sort(qapp) -> None:
    from PySide6.QtWidgets import QTableView

    m = ColumnTableModel(small_table())
    v = QTableView()
    v.setModel(m)
    v.selectRow(3)  # k3
    m.sort(1, Qt.SortOrder.DescendingOrder)
    assert m.key_at(v.currentIndex().row()) == "k3"


def test_enterprise_table_from_the_sample_county(qapp, sample_result) -> None:
    t = build_enterprise_table(sample_result)
    assert t.n == len(sample_result.table) == 303
    ids = [c.id for c in t.columns]
    assert ids[:4] == ["name", "tier", "initial_tier", "total_score"]
    assert {"v_tax_per_mu", "s_tax_per_mu", "rank", "township_rank", "industry_rank", "land"} <= set(ids)
    m = ColumnTableModel(t)
    tier_col = t.column_index("tier")
    row_a = next(r for r in range(m.rowCount()) if m.index(r, tier_col).data() == "A")
    bg = m.index(row_a, tier_col).data(Qt.ItemDataRole.BackgroundRole)
    assert bg is not None and bg.green() > bg.red()  # A is green
    row_d = next(r for r in range(m.rowCount()) if m.index(r, tier_col).data() == "D")
    bg = m.index(row_d, tier_col).data(Qt.ItemDataRole.BackgroundRole)
    assert bg.red() > bg.green()  # D is red
    # filters: population, tier, township, search by name and by code
    above_a = enterprise_mask(t, population="above", tier="A")
    assert above_a.sum() == sample_result.evaluation.summary["above"]["tiers"]["A"]
    code = str(sample_result.table.index[0])
    assert enterprise_mask(t, text=code.lower()).sum() == 1
    name = str(sample_result.table["name"].iloc[5])
    assert enterprise_mask(t, text=name[-6:]).sum() >= 1
    town = str(sample_result.table["township"].dropna().iloc[0])
    assert enterprise_mask(t, township=town).sum() == int((sample_result.table["township"] == town).sum())
    assert enterprise_mask(t, population="none").sum() == int(sample_result.table["population"].isna().sum())


def test_issue_table_filters_by_level_file_and_text(qapp, sample_result) -> None:
    t = build_issue_table(sample_result.issues)
    levels = [i.level for i in sample_result.issues]
    assert issue_mask(t, "error").sum() == levels.count("error")
    assert issue_mask(t, "warning").sum() == levels.count("error") + levels.count("warning")
    assert issue_mask(t, "").sum() == len(levels)
    csv_name = "供电公司_用电量.csv"
    assert issue_mask(t, "", csv_name).sum() == sum(1 for i in sample_result.issues if i.file == csv_name)
    assert issue_mask(t, "", None, "校验位").sum() >= 1


def test_raw_grid_marks_header_and_first_data_row(qapp) -> None:
    raw = RawSheet("a.xlsx", "表", [["2025年报表", ""], ["金额单位：万元", ""], ["企业名称", "实缴税金"],
                                   ["甲公司", 1.5], ["乙公司", 2.0]])
    m = RawGridModel()
    m.set_sheet(raw, [2], 3, {1: "tax"})
    assert m.rowCount() == 5 and m.columnCount() == 2
    assert m.headerData(2, Qt.Orientation.Vertical) == "3 表头"
    assert m.headerData(3, Qt.Orientation.Vertical) == "4 数据起"
    assert m.headerData(1, Qt.Orientation.Horizontal) == "B\n实缴税金"
    assert m.index(2, 0).data(Qt.ItemDataRole.BackgroundRole) is not None
    assert m.index(0, 0).data(Qt.ItemDataRole.ForegroundRole) is not None  # title above the header: grey
    assert m.index(3, 1).data() == "1.5"


def test_text_sort_keys_codepoint_order_blanks_last(qapp) -> None:
    col = Column("t", "乡镇", np.array(["b", "—", "a", "", "c", None, "a"], dtype=object))
    k = col.sort_keys()
    assert k[2] == k[6] < k[0] < k[4]  # a, a < b < c
    assert np.isnan(k[[1, 3, 5]]).all()  # 无数据 (—), empty and missing sort last
    m = ColumnTableModel(ColumnTable([col], np.array([f"k{i}" for i in range(7)], dtype=object)))
    m.sort(0, Qt.SortOrder.DescendingOrder)
    assert keys(m) == ["k4", "k0", "k2", "k6", "k1", "k3", "k5"]  # c, b, a, a (stable), blanks last


def test_unhandled_roles_are_none_and_colours_follow_tiers(qapp, sample_result) -> None:
    t = build_enterprise_table(sample_result)
    m = ColumnTableModel(t)
    tier = t.column_index("tier")
    assert m.index(0, 0).data(Qt.ItemDataRole.DecorationRole) is None
    assert m.index(0, 0).data(Qt.ItemDataRole.CheckStateRole) is None
    rows = [r for r in range(m.rowCount()) if m.index(r, tier).data() == "A"]
    assert rows, "the sample county has A firms"
    bg = m.index(rows[0], tier).data(Qt.ItemDataRole.BackgroundRole)
    assert bg is not None and bg.isValid()
    assert m.index(rows[0], tier).data(Qt.ItemDataRole.FontRole).bold()
    assert m.index(rows[0], tier).data(Qt.ItemDataRole.TextAlignmentRole) == int(Qt.AlignmentFlag.AlignCenter)


@pytest.mark.parametrize("n", [100_000])
def test_100k_firms_sort_and_filter(qapp, n: int) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_gui_table import synthetic_result

    t = build_enterprise_table(synthetic_result(n))
    m = ColumnTableModel()
    t0 = time.perf_counter()
    m.set_table(t)
    t_open = time.perf_counter() - t0
    score = t.column_index("total_score")
    t0 = time.perf_counter()
    m.sort(score, Qt.SortOrder.DescendingOrder)
    t_sort = time.perf_counter() - t0
    t0 = time.perf_counter()
    m.sort(t.column_index("name"), Qt.SortOrder.AscendingOrder)
    t_text = time.perf_counter() - t0
    t0 = time.perf_counter()
    m.set_mask(enterprise_mask(t, tier="A", text="制造"))
    t_filter = time.perf_counter() - t0
    print(f"\n{n:,} firms: open {t_open * 1e3:.1f} ms, sort {t_sort * 1e3:.1f} ms, "
          f"text sort {t_text * 1e3:.1f} ms, filter {t_filter * 1e3:.1f} ms")
    assert m.rowCount() == int((t.extra["tier"] == "A").sum())
    scores = [m.index(r, score).data(SORT_ROLE) for r in range(0, m.rowCount(), 997)]
    assert all(isinstance(s, float) for s in scores)
    name = t.column_index("name")
    shown = [m.index(r, name).data() for r in range(0, m.rowCount(), 97)]
    assert shown == sorted(shown)  # still sorted by name after the filter
    assert all(m.index(r, t.column_index("tier")).data() == "A" for r in range(0, m.rowCount(), 97))
    # how fast is benchmarks/bench_gui_table.py's job (figures in the README), not a test's


def test_invalid_qvariants_cannot_exhaust_none(qapp) -> None:
    """PySide6 6.12 drops a reference to None for every invalid QVariant it returns to Python;
    on Python 3.11 that aborted the app after a few thousand calls (see ui/_qt_workarounds.py)."""
    from PySide6.QtWidgets import QComboBox

    import ui  # noqa: F401 - importing the package applies the guard

    combo = QComboBox()
    combo.addItem("全部文件", None)
    for _ in range(20_000):  # several times None's own reference count on a plain 3.11
        assert combo.currentData() is None
    assert sys.getrefcount(None) > 1_000_000 or sys.version_info >= (3, 12)


def test_the_none_guard_is_still_needed() -> None:
    """The workaround stays only while this PySide6 has the bug (checked in a fresh interpreter,
    where nothing has guarded None yet); the day it fails, delete ui/_qt_workarounds.py."""
    code = "from ui._qt_workarounds import leaks_none\nprint(leaks_none())"
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parent.parent,
                         capture_output=True, text=True, check=True).stdout.strip()
    if sys.version_info >= (3, 12):
        pytest.skip("None is immortal on Python 3.12+")
    import PySide6
    assert out == "True", f"PySide6 {PySide6.__version__} no longer loses references to None"


def test_row_number_header_is_sized_without_asking_the_model(qapp) -> None:
    """A reset (sort, filter, new result) must not make the row-number header query 200 sections."""
    from ui.pages.common import RowNumberHeader, table_view

    names = np.array([f"企业{i}" for i in range(20_000)], dtype=object)
    table = ColumnTable([Column("name", "企业名称", names)], np.array([f"k{i}" for i in range(20_000)], dtype=object))
    m = ColumnTableModel(table)
    v = table_view(m)
    v.resize(600, 400)
    v.show()
    qapp.processEvents()
    assert isinstance(v.verticalHeader(), RowNumberHeader)
    wide = v.verticalHeader().sizeHint().width()
    calls: list[int] = []
    real = m.headerData
    m.headerData = lambda *a: (calls.append(1), real(*a))[1]  # type: ignore[method-assign]
    m.set_mask(np.arange(20_000) < 7)
    qapp.processEvents()
    assert v.verticalHeader().sizeHint().width() < wide  # one digit now, not five
    assert len(calls) < 200  # only the visible sections are painted
    del m.headerData  # the lambda refers to the model: no cycle for a collection on another thread to free
    v.close()


def test_correction_values_show_the_units_decimals() -> None:
    from evaluator.merge.corrections import Correction
    from ui.models import correction_value_text

    assert correction_value_text(Correction("k", "land", 0.0, "r")) == "0 亩"
    assert correction_value_text(Correction("k", "tax", 12.3456, "r")) == "12.35 万元"
    assert correction_value_text(Correction("k", "employees", 120.0, "r")) == "120 人"


def test_the_delegate_takes_every_role_of_a_cell_from_one_call(qapp, sample_result) -> None:
    """multiData answers the delegate's roles with what data() answers one by one."""
    from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

    t = build_enterprise_table(sample_result)
    m = ColumnTableModel(t)
    tier, score = t.column_index("tier"), t.column_index("total_score")
    row = next(r for r in range(m.rowCount()) if m.index(r, tier).data() == "A")
    delegate = QStyledItemDelegate()
    for col in (0, tier, score):
        idx = m.index(row, col)
        opt = QStyleOptionViewItem()
        delegate.initStyleOption(opt, idx)
        assert opt.text == idx.data()
        assert opt.displayAlignment == Qt.AlignmentFlag(idx.data(Qt.ItemDataRole.TextAlignmentRole))
        bg = idx.data(Qt.ItemDataRole.BackgroundRole)
        if col == tier:
            assert opt.backgroundBrush.color() == bg and opt.font.bold()
        else:
            assert bg is None and opt.backgroundBrush.style() == Qt.BrushStyle.NoBrush and not opt.font.bold()


def test_a_repaint_asks_the_model_once_per_cell(qapp) -> None:
    """The view paints each cell from one multiData call; index() answers bounds without rowCount()."""
    from ui.pages.common import table_view

    m = ColumnTableModel(small_table())
    v = table_view(m)
    v.resize(400, 300)
    v.show()
    qapp.processEvents()
    calls: dict[str, int] = {"data": 0, "multiData": 0, "rowCount": 0}
    for name in calls:
        real = getattr(m, name)

        def counted(*a, _real=real, _name=name):  # type: ignore[no-untyped-def]
            calls[_name] += 1
            return _real(*a)
        setattr(m, name, counted)
    v.viewport().repaint()
    assert calls["multiData"] >= 5 * 2 and calls["data"] == 0 and calls["rowCount"] <= 2  # not one per cell
    assert m.index(4, 1).isValid() and m.index(4, 1).data() == "90.00"
    assert not m.index(5, 0).isValid() and not m.index(0, 2).isValid() and not m.index(-1, 0).isValid()
    for name in calls:  # the wrappers refer to the model: a cycle a collection on another thread would free
        delattr(m, name)
    v.close()


def test_row_numbers_are_drawn_from_the_section_number(qapp) -> None:
    """Over a ColumnTableModel the row header asks the model only for a font; over other models it shows theirs."""
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QStyleOptionHeader

    from ui.pages.common import table_view

    m = ColumnTableModel(small_table())
    v = table_view(m)
    v.resize(400, 300)
    v.show()
    qapp.processEvents()
    calls: list[int] = []
    real = m.headerData
    m.headerData = lambda *a: (calls.append(a[2]), real(*a))[1] if a[1] == Qt.Orientation.Vertical else real(*a)  # type: ignore[method-assign]
    v.verticalHeader().viewport().repaint()
    del m.headerData  # no cycle through the model left behind (see above)
    assert set(calls) == {Qt.ItemDataRole.FontRole}  # asked by Qt's paintSection itself, once per row
    opt = QStyleOptionHeader()
    v.verticalHeader().initStyleOptionForIndex(opt, 3)
    assert opt.text == "4" and opt.position == QStyleOptionHeader.SectionPosition.Middle
    v.verticalHeader().initStyleOptionForIndex(opt, 4)
    assert opt.position == QStyleOptionHeader.SectionPosition.End
    other = QStandardItemModel(3, 1)
    other.setVerticalHeaderItem(1, QStandardItem("2 表头"))
    v.setModel(other)
    opt = QStyleOptionHeader()
    v.verticalHeader().initStyleOptionForIndex(opt, 1)
    assert opt.text == "2 表头"
    v.close()
