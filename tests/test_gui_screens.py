"""What the issue 13 screenshots showed, checked on the pages themselves at the two screen sizes."""

from __future__ import annotations

import os
import re

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import openpyxl  # noqa: E402
import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPlainTextEdit  # noqa: E402

from .gui_fixtures import TIMEOUT, config, settle, window  # noqa: F401 (fixtures)

SIZES = [(1366, 768), (1600, 1000)]


def _show(window, qtbot, size, page) -> None:
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    window.nav.setCurrentRow(window.stack.indexOf(page))
    qtbot.wait(50)


@pytest.mark.parametrize("size", SIZES)
def test_data_check_list_fits_and_shows_each_finding_in_full(window, qtbot, size) -> None:
    from ui.pages.common import cell_tooltip

    window.session.open_demo()
    settle(qtbot, window)
    page = window.check_page
    _show(window, qtbot, size, page)
    view, model = page.view, page.model
    font = view.font()
    font.setPixelSize(14)  # the shipped Chinese fonts on a real screen are wider than the offscreen default
    view.setFont(font)
    page._fit_columns()
    qtbot.wait(50)
    page._roomy = None
    view.resize(view.width() - 1, view.height())  # a resize refits when the list crosses compact/roomy
    qtbot.wait(50)
    assert page._roomy is (size[0] >= 1600)
    assert view.horizontalScrollBar().maximum() == 0  # every column on screen, 说明 takes the rest
    if size[0] >= 1600:  # room to spare: file names are not cut
        fm = view.fontMetrics()
        files = {str(model.index(r, model.table.column_index("file")).data()) for r in range(model.rowCount())}
        assert view.columnWidth(model.table.column_index("file")) >= max(fm.horizontalAdvance(f) for f in files) + 6
    msg_col = model.table.column_index("message")
    longest = max(range(model.rowCount()), key=lambda r: len(str(model.index(r, msg_col).data())))
    idx = model.index(longest, msg_col)
    text = str(idx.data())
    view.setCurrentIndex(idx)
    if view.fontMetrics().horizontalAdvance(text) > view.columnWidth(msg_col):
        assert cell_tooltip(view, idx) == text  # cut in the list: the tooltip has it all
    assert text in page.detail.text()  # and so has the line under the list
    first = model.index(0, model.table.column_index("level"))
    assert cell_tooltip(view, first) is None  # a cell that fits has no tooltip of its own


def test_merge_findings_name_their_place_in_the_columns(window, qtbot) -> None:
    window.session.open_demo()
    settle(qtbot, window)
    t = window.check_page.model.table
    cols = {c.id: c for c in t.columns}
    seen = set()
    for i in range(t.n):
        msg = cols["message"].display[i]
        kind = "conflict" if "在不同文件中不一致" in msg else "link" if "疑属于本企业" in msg else ""
        if kind:
            seen.add(kind)
            assert cols["file"].display[i] and cols["sheet"].display[i] and cols["row"].display[i] != "—", msg
            assert cols["file"].display[i] not in msg  # the place is in its columns, not repeated
    assert seen == {"conflict", "link"}  # the demo has both kinds: the test checked something


@pytest.mark.parametrize("size", SIZES)
def test_scheme_page_gives_the_editor_room_until_a_comparison_is_run(window, qtbot, size) -> None:
    window.session.open_demo()
    settle(qtbot, window)
    page = window.scheme_page
    _show(window, qtbot, size, page)
    panel = page.compare
    assert not panel.expanded and panel.area.isHidden()
    assert panel.height() < 60 and page.editor.height() > size[1] * 0.45  # the form, not an empty result area
    panel.run()
    qtbot.waitUntil(lambda: panel.comparison is not None, timeout=TIMEOUT)
    qtbot.wait(50)
    assert panel.expanded and panel.height() > 200
    panel.toggle.click()  # folded away again on request
    qtbot.wait(50)
    assert not panel.expanded and page.editor.height() > size[1] * 0.45


def test_no_scheme_ids_or_spec_file_names_on_the_scheme_page(window, qtbot) -> None:
    window.session.open_demo()
    settle(qtbot, window)
    page = window.scheme_page
    _show(window, qtbot, (1600, 1000), page)
    shown: list[str] = []
    for w in page.findChildren(QLabel) + page.findChildren(QLineEdit):
        if w.isVisibleTo(page):
            shown += [w.text(), w.toolTip()]
    for w in page.findChildren(QPlainTextEdit):
        if w.isVisibleTo(page):
            shown.append(w.toPlainText())
    for box in page.findChildren(QComboBox):
        shown += [box.itemText(i) for i in range(box.count())]
    text = "\n".join(shown)
    assert "亩均效益综合评价参考方案" in text
    for bad in ("reference", "METHOD", "PRACTICE", ".md", "§"):
        assert bad not in text, bad


def test_shipped_schemes_name_no_spec_files() -> None:
    from evaluator.method.scheme import list_schemes, load_scheme

    for info in list_schemes():
        s = load_scheme(info.id)
        for text in (s.name, s.source, s.description, s.authority):
            assert not re.search(r"METHOD|PRACTICE|\.md|§", text), (info.id, text)


def test_ranks_stand_beside_their_population_and_sort_as_numbers(window, qtbot) -> None:
    window.session.open_demo()
    settle(qtbot, window)
    model = window.results_page.model
    t = model.table
    ids = [c.id for c in t.columns]
    pos = ids.index("population")
    assert ids[pos + 1:pos + 4] == ["rank", "township_rank", "industry_rank"]
    assert t.columns[pos].title == "参评\n群体" and "群体内" in t.columns[pos + 1].title
    pops = set(t.columns[pos].display.tolist())
    assert {"规上企业", "规下企业"} <= pops
    rank = t.columns[pos + 1]
    assert rank.numeric and rank.sort is not None
    view = window.results_page.view
    view.sortByColumn(pos + 1, Qt.SortOrder.AscendingOrder)
    vals = [model.index(r, pos + 1).data(Qt.ItemDataRole.UserRole + 1) for r in range(model.rowCount())]
    nums = [float(model.index(r, pos + 1).data()) for r in range(20)]
    assert nums == sorted(nums) and vals  # numeric order (1, 1, 2, 2, …), not text order (1, 10, 100, …)


def test_industry_codes_read_the_same_everywhere_on_screen(window, qtbot) -> None:
    from ui.pages.detail import enterprise_html

    window.session.open_demo()
    settle(qtbot, window)
    t = window.results_page.model.table
    col = next(c for c in t.columns if c.id == "industry")
    codes = [x for x in col.display.tolist() if x]
    assert codes and all(re.fullmatch(r"[BCD]\d{4}", x) for x in codes), sorted(set(codes))[:10]
    r = window.session.result
    raw = r.table["industry"].dropna().astype(str)
    bare = raw[raw.str.fullmatch(r"\d{4}")].index[0]  # a firm whose file wrote 3670, not C3670
    html = enterprise_html(r, str(bare))
    assert re.search(r"行业：C\d{4} ", html) and f"行业：{raw[bare]}" not in html


def _odd_book(path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "杂表"
    for row in (["2025 年某表"], ["单位：万元"], ["甲", "乙", "丙"], ["示范县某某特别长名称的机械制造有限责任公司", "东山镇", 12.5],
                ["某公司", "西河镇", 13]):
        ws.append(row)
    ws2 = wb.create_sheet("税金")
    for row in (["统一社会信用代码", "纳税人名称", "缴纳合计（元）"], ["91330381MA2B3C4D5B", "示范县某某特别长名称的机械制造有限责任公司", 120000]):
        ws2.append(row)
    wb.save(path)


def test_import_preview_sizes_columns_and_marks_only_what_it_found(window, qtbot, tmp_path) -> None:
    path = tmp_path / "杂表.xlsx"
    _odd_book(path)
    s = window.session
    s.add_files([str(path)])
    settle(qtbot, window)
    page = window.import_page
    _show(window, qtbot, (1366, 768), page)
    page.select("杂表.xlsx", "杂表")
    m = page.grid_model
    labels = [m.headerData(i, Qt.Orientation.Vertical) for i in range(m.rowCount())]
    assert labels[0] == "1 表头" and not any("单位" in x for x in labels)  # nothing guessed under a tentative header
    hh = page.grid.horizontalHeader()
    name_w = hh.sectionSize(0)
    assert 130 < name_w <= 320  # sized to the long name (was a fixed 130), within the limit
    assert hh.sectionSize(1) < 130  # a short column is narrow


def test_a_hand_mapped_column_shows_its_unit_and_is_marked_until_applied(window, qtbot, tmp_path) -> None:
    path = tmp_path / "杂表.xlsx"
    _odd_book(path)
    s = window.session
    s.add_files([str(path)])
    settle(qtbot, window)
    page = window.import_page
    page.select("杂表.xlsx", "税金")
    assert not page.has_pending_changes() and page.pending.isHidden()
    page.set_column_choice("C", "tax")
    row = next(r for r, c in enumerate(page._shown[2]) if c.letter == "C")
    units = page.columns.cellWidget(row, 3)
    assert units.itemText(0) == "自动：元"  # the header's unit, as 应用 will read it (not the field's 万元)
    assert page.has_pending_changes() and not page.pending.isHidden()
    before = s.result
    page.apply_mapping()
    settle(qtbot, window, lambda: s.result is not before)
    page.select("杂表.xlsx", "税金")
    assert not page.has_pending_changes() and page.pending.isHidden()
    t = s.result.table
    assert t.loc[t["name"] == "示范县某某特别长名称的机械制造有限责任公司", "tax"].iloc[0] == pytest.approx(12.0)


def test_correction_and_issue_messages_on_screen_use_unit_decimals(window, qtbot) -> None:
    window.session.open_demo()
    settle(qtbot, window)
    msgs = window.check_page.model.table.columns[-1].display.tolist()
    assert not [m for m in msgs if re.search(r"\d\.\d{3,} ?(亩|万元)", m)]


def test_a_title_above_the_table_does_not_widen_the_first_preview_column(window, qtbot) -> None:
    window.session.open_demo()
    settle(qtbot, window)
    page = window.import_page
    _show(window, qtbot, (1366, 768), page)
    page.select("统计局_工业企业主要指标.xlsx", "规上企业")
    hh = page.grid.horizontalHeader()
    assert hh.sectionSize(0) < 100  # 序号, under a long title in row 1
    assert hh.sectionSize(1) > 130  # 企业名称, as wide as the names (was a fixed 130 px)
