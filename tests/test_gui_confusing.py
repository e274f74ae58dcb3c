"""The "wrong or confusing" items of issue 13, one test each."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


from .gui_fixtures import TIMEOUT, config, settle, window  # noqa: F401 (fixtures)


def test_the_demo_opens_unchanged(window, qtbot):
    from evaluator.project import file as projectfile

    s = window.session
    s.open_demo()
    settle(qtbot, window)
    assert len(s.project.files) == 5
    assert not s.dirty and " *" not in window.windowTitle()
    qtbot.wait(1500)  # longer than the autosave delay: nothing to recover, so nothing written
    assert not s.autosaver.busy and not projectfile.autosave_path(None).exists()
    # The first real edit marks it changed.
    t = s.result.table
    s.set_override(str(t.index[0]), "B", "测试")
    assert s.dirty and " *" in window.windowTitle()


def test_open_project_never_starts_in_the_program_folder(window, qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from ui.user_config import documents_dir

    program = tmp_path / "程序"
    program.mkdir()
    monkeypatch.chdir(program)  # a double-clicked app runs in its own folder
    seen: list[str] = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (seen.append(a[2]), ("", ""))[1]))
    window.open_project()
    assert seen[-1] == str(documents_dir()) and Path(seen[-1]) != program
    # After a project was chosen once, the next dialog opens in that folder.
    projects = tmp_path / "项目"
    projects.mkdir()
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (seen.append(a[2]), (str(projects / "甲.mujun"), ""))[1]))
    monkeypatch.setattr(window.session, "open", lambda path, on_done=None: None)
    window.open_project()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (seen.append(a[2]), ("", ""))[1]))
    window.open_project()
    assert seen[-1] == str(projects)


def test_switching_templates_asks_first(window, qtbot):
    s = window.session
    page = window.scheme_page
    before = s.project.scheme_text
    asked: list[str] = []
    page.confirm = lambda title, text: asked.append(text) or False
    page.templates.setCurrentIndex(page.templates.findData("huangyan-2022"))
    page.use_template()
    assert asked and "替换" in asked[0] and "重新评价" in asked[0]
    assert s.project.scheme_text == before
    assert page.templates.currentData() == "reference"  # the combo shows the scheme in use again
    page.confirm = lambda title, text: True
    page.templates.setCurrentIndex(page.templates.findData("huangyan-2022"))
    page.use_template()
    assert s.project.scheme_text != before and s.project.scheme.id == "huangyan-2022"


def test_no_developer_words_on_the_scheme_page(window):
    page = window.scheme_page
    shown = page.info.text() + " ".join(page.templates.itemText(i) for i in range(page.templates.count()))
    for word in ("reference", "huangyan", "指纹", "sha256"):
        assert word not in shown, (word, shown)
    assert "软件自带模板" in page.info.text()
    assert "校验码" in page.info.toolTip()  # still there for whoever checks a letter


def test_settings_say_standard_template_not_default(qtbot, config):
    from PySide6.QtWidgets import QLabel

    from evaluator.outputs.settings import default_settings
    from ui.widgets.settings_dialog import SettingsDialog

    d = SettingsDialog(settings=default_settings())
    qtbot.addWidget(d)
    items = [d.letter_template.itemText(i) for i in range(d.letter_template.count())]
    assert "default" not in items and d.letter_template.currentText() == "标准模板（软件自带）"
    assert d.settings().letter_template == "default"  # the settings file keeps its own word
    labels = " ".join(lbl.text() for lbl in d.findChildren(QLabel))
    assert "字体集序号" not in labels and "第几种字体" in labels


def shown_on_results(qtbot, window, width=1480, height=920):
    from ui.main_window import RESULTS

    window.resize(width, height)
    window.go(RESULTS)
    window.show()
    qtbot.waitExposed(window)
    window.session.open_demo()
    settle(qtbot, window)
    qtbot.wait(50)


def test_sort_arrow_points_up_for_smallest_first(window, qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QStyleOptionHeader

    window.session.open_demo()
    settle(qtbot, window)
    view = window.results_page.view
    col = window.results_page.model.table.column_index("total_score")
    header = view.horizontalHeader()
    opt = QStyleOptionHeader()
    view.sortByColumn(col, Qt.SortOrder.AscendingOrder)
    header.initStyleOptionForIndex(opt, col)
    assert opt.sortIndicator == QStyleOptionHeader.SortIndicator.SortUp  # ▲: smallest first, as in WPS
    view.sortByColumn(col, Qt.SortOrder.DescendingOrder)
    header.initStyleOptionForIndex(opt, col)
    assert opt.sortIndicator == QStyleOptionHeader.SortIndicator.SortDown


def test_detail_follows_the_filter_and_search(window, qtbot):
    page = window.results_page
    shown_on_results(qtbot, window)
    t = window.session.result.table
    a_firm = str(t.index[t["tier"] == "A"][0])
    assert page.show_enterprise(a_firm)
    name_a = str(t.at[a_firm, "name"])
    assert name_a in page.detail.toPlainText()
    page.tier.setCurrentIndex(page.tier.findData("D"))  # the A firm is no longer listed
    shown = page.model.key_at(page.view.currentIndex().row())
    assert t.at[shown, "tier"] == "D" and str(t.at[shown, "name"]) in page.detail.toPlainText()
    assert name_a not in page.detail.toPlainText()
    page.search.setText("不存在的企业名称")
    page.apply_filter()
    assert page.model.rowCount() == 0 and "没有企业" in page.detail.toPlainText()
    assert not page.override_button.isEnabled()
    page.reset_filters()  # widening again brings the firm shown before the empty list back
    assert page.model.rowCount() == len(t) and str(t.at[shown, "name"]) in page.detail.toPlainText()


def test_filter_combos_fit_their_texts_after_a_project_opens(window, qtbot):
    page = window.results_page
    shown_on_results(qtbot, window)  # the combos were first shown empty
    from PySide6.QtWidgets import QComboBox

    for combo in (page.tier, page.population, page.status):
        fresh = QComboBox()  # sized from these very items
        fresh.addItems([combo.itemText(i) for i in range(combo.count())])
        assert combo.count() > 1 and combo.width() >= fresh.sizeHint().width(), (
            combo.currentText(), combo.width(), fresh.sizeHint().width())


def test_data_check_lists_errors_first(window, qtbot):
    s = window.session
    s.open_demo()
    settle(qtbot, window)
    page = window.check_page
    page.level.setCurrentIndex(0)  # all levels
    col = page.model.table.column_index("level")
    levels = [page.model.index(r, col).data() for r in range(page.model.rowCount())]
    order = {"错误": 0, "警告": 1, "提示": 2}
    assert levels and [order[x] for x in levels] == sorted(order[x] for x in levels)
    assert levels[0] == "错误"


def test_score_table_visible_at_1366x768(window, qtbot):
    """A 1366×768 laptop (taskbar: about 728 pixels for the window): the detail pane shows the
    score table's first rows, not just its header."""
    from PySide6.QtGui import QTextTable

    page = window.results_page
    shown_on_results(qtbot, window, 1366, 728)
    t = window.session.result.table
    assert page.show_enterprise(str(t.index[t["population"] == "above"][0]))
    qtbot.wait(50)
    doc = page.detail.document()
    layout = doc.documentLayout()
    tables = [f for f in doc.rootFrame().childFrames() if isinstance(f, QTextTable)]
    score = next(tb for tb in tables if "权重" in tb.cellAt(0, 0).firstCursorPosition().block().text()
                 or any("权重" in tb.cellAt(0, c).firstCursorPosition().block().text() for c in range(tb.columns())))
    top = layout.frameBoundingRect(score).top()
    row_h = page.detail.fontMetrics().height() * 1.4
    assert top + 3 * row_h <= page.detail.viewport().height(), (top, page.detail.viewport().height())


def test_window_fits_a_small_screen(qtbot, config, monkeypatch):
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QScreen

    from ui.main_window import MainWindow

    monkeypatch.setattr(QScreen, "availableGeometry", lambda self: QRect(0, 0, 1366, 728))
    w = MainWindow()
    w.ask_unsaved = lambda: "discard"
    qtbot.addWidget(w)
    assert w.width() <= 1366 and w.height() <= 728 - 30


def test_correction_dialog_buttons_never_cover_the_reason_box(qtbot):
    from ui.widgets.correction_dialog import CorrectionDialog

    d = CorrectionDialog("示范县甲机械有限公司", {"tax": 12.5}, "tax", credit_code="913303814016062145")
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    d.resize(d.width(), 120)  # as small as the official (or a window manager) may make it
    d.text.setText("十二点五")  # not a number: the inline problem line appears
    qtbot.wait(50)
    assert d.problem.isVisible()
    reason_bottom = d.reason.mapTo(d, d.reason.rect().bottomLeft()).y()
    buttons_top = d.buttons.mapTo(d, d.buttons.rect().topLeft()).y()
    problem_bottom = d.problem.mapTo(d, d.problem.rect().bottomLeft()).y()
    assert problem_bottom < d.reason.mapTo(d, d.reason.rect().topLeft()).y()
    assert reason_bottom < buttons_top <= d.height() - d.buttons.height()


def test_audit_page_in_words_not_checksums_and_dicts(window, qtbot):
    from evaluator.read.mapping import SheetMapping

    s = window.session
    s.open_demo()
    settle(qtbot, window)
    f = s.project.files[0]
    s.set_sheet_mapping(SheetMapping(file=f.name, sheet=f.sheets[0].sheet, header_row=3, header_rows=2))
    window.scheme_page.confirm = lambda title, text: True
    window.scheme_page.templates.setCurrentIndex(window.scheme_page.templates.findData("huangyan-2022"))
    window.scheme_page.use_template()
    settle(qtbot, window, lambda: s.result.scheme.id == "huangyan-2022")
    page = window.audit_page
    page.refresh()
    m = page.model
    text = " ".join(str(m.index(r, c).data() or "") for r in range(m.rowCount()) for c in range(m.columnCount()))
    for word in ("sha256:", "{'file'", "huangyan-2022 "):
        assert word not in text, word
    assert "文件校验码" in text and "表头第 3 行" in text and "黄岩" in text


def test_a_corrected_finding_is_listed_as_settled_and_leaves_the_open_counts(window, qtbot):
    """Correcting the field a warning is about settles it: it stays listed (the source file did say
    so) as 已更正, the 警告 count drops by one, and 错误和警告 no longer shows it."""
    s = window.session
    s.open_demo()
    settle(qtbot, window)
    page = window.check_page
    warned = next(i for i in s.result.issues if i.code == "tax_negative")
    before = page.counts.text()
    assert "警告 17 条" in before and "已更正" not in before
    s.add_correction(warned.key, "tax", 3.5, "经向企业财务核实，实缴税金为 3.5 万元")
    settle(qtbot, window, lambda: "已更正 1 条" in page.counts.text())
    assert "警告 16 条" in page.counts.text()
    t = page.model.table
    levels = t.columns[t.column_index("level")].display
    rows = [r for r in range(t.n) if t.keys[r] == warned.key and "实缴税金为负数" in t.columns[t.column_index("message")].display[r]]
    assert len(rows) == 1 and levels[rows[0]] == "已更正"
    shown = {page.model.index(r, t.column_index("message")).data() for r in range(page.model.rowCount())}
    assert not any("实缴税金为负数" in str(m) for m in shown)  # 错误和警告 shows only open findings


def test_search_box_stays_usable_at_the_largest_font_on_a_small_screen(window, qtbot, qapp):
    from ui import style

    # the 字号 is app-wide: leave the application's font, stylesheet and setting as found
    font, sheet, key = qapp.font(), qapp.styleSheet(), qapp.property(style.FONT_SIZE_PROPERTY)
    style.apply_font_size(qapp, "xlarge")
    try:
        window.resize(1366, 728)
        window.show()
        qtbot.waitExposed(window)
        window.go(window.stack.indexOf(window.results_page))
        qtbot.wait(50)
        search = window.results_page.search
        assert search.isVisible()
        assert search.width() >= 10 * search.fontMetrics().horizontalAdvance("国")
        assert search.width() >= 0.5 * window.results_page.width()  # a row of its own, not squeezed by the combos
    finally:
        style.apply_font_size(qapp, "standard")
        qapp.setFont(font)
        qapp.setStyleSheet(sheet)
        qapp.setProperty(style.FONT_SIZE_PROPERTY, key)
