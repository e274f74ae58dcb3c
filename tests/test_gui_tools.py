"""Desktop tools around the pages: project files, recent list, audit export, output settings,
table copying and export, the user manual, indicator tooltips, undo/redo of audited edits."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


from .gui_fixtures import TIMEOUT, config, settle, window  # noqa: F401 (fixtures)


# --- project file and settings straight from evaluator (no "not installed" fallbacks) -------------
def test_saved_and_opened_projects_are_in_the_recent_menu(window, qtbot, tmp_path) -> None:
    s = window.session
    target = tmp_path / "示范.mujun"
    s.save(target)
    qtbot.waitUntil(lambda: not s.busy and s.path == target, timeout=TIMEOUT)
    window._fill_recent()
    assert [a.text() for a in window.recent_menu.actions()] == [str(target)]
    assert window.save_action.isEnabled() and window.open_action.isEnabled()


def test_audit_export_writes_the_workbook(window, tmp_path) -> None:
    from openpyxl import load_workbook

    out = window.audit_page.export(tmp_path / "审计记录.xlsx")
    assert out == tmp_path / "审计记录.xlsx"
    assert load_workbook(out).active.max_row >= 1


def test_unreadable_settings_file_is_shown_and_stops_what_prints_the_authority(window, config) -> None:
    from evaluator.outputs.settings import user_settings_path

    p = user_settings_path()
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("authority = [未闭合", encoding="utf-8")
    exp = window.export_page
    exp.refresh()
    assert not exp.settings_banner.isHidden() and str(p) in exp.settings_banner.text()
    assert "不能生成" in exp.settings_banner.text() and "尚未安装" not in exp.settings_label.text()


# --- the shipped Chinese font ----------------------------------------------------------------------
def test_app_font_draws_chinese_with_the_shipped_fonts(qapp) -> None:
    from PySide6.QtGui import QFontDatabase, QFontMetrics

    from ui.style import apply_style

    apply_style(qapp)
    families = qapp.font().families()
    assert {"WenQuanYi Micro Hei", "AR PL SungtiL GB"} <= set(QFontDatabase.families())
    assert families.index("WenQuanYi Micro Hei") < families.index("AR PL SungtiL GB")  # Hei leads, Song falls back
    assert all(QFontMetrics(qapp.font()).inFontUcs4(ord(c)) for c in "亩均效益综合评价")


# --- copying and exporting the lists ---------------------------------------------------------------
def test_ctrl_c_copies_the_selected_rows_with_headings(window, qtbot) -> None:
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QGuiApplication, QKeyEvent

    s = window.session
    s.open_demo()
    settle(qtbot, window)
    res = window.results_page
    res.view.sortByColumn(res.model.table.column_index("total_score"), Qt.SortOrder.DescendingOrder)
    res.view.selectRow(1)
    res.view.selectionModel().select(res.model.index(0, 0), res.view.selectionModel().SelectionFlag.Select
                                     | res.view.selectionModel().SelectionFlag.Rows)
    QGuiApplication.clipboard().clear()
    # Ctrl+C as the view's event filter receives it (handed to the filter directly: a key event
    # sent through the application left Ctrl "held" for the next test's row selections).
    ctrl_c = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert res.table_tools.eventFilter(res.view, ctrl_c)
    lines = QGuiApplication.clipboard().text().split("\n")
    head = lines[0].split("\t")
    assert head[:6] == ["企业名称", "最终等级", "初评等级", "总分", "参评群体", "群体内全县排名"]
    assert "亩均税收（万元/亩）" in head and "亩均税收得分" in head
    t = s.result.table
    best = t.sort_values("total_score", ascending=False, kind="stable")
    rows = [line.split("\t") for line in lines[1:3]]
    # the two highest scores, in the order the list shows them, whatever order they were selected in
    assert [r[0] for r in rows] == best["name"].iloc[:2].tolist()
    assert rows[0][head.index("统一社会信用代码")] == best["credit_code"].iloc[0]
    assert lines[3:] == [""]


def test_export_current_list_is_the_filtered_sorted_view_with_text_as_text(window, qtbot, tmp_path) -> None:
    from openpyxl import load_workbook
    from PySide6.QtCore import Qt

    s = window.session
    s.open_demo()
    settle(qtbot, window)
    res = window.results_page
    res.population.setCurrentIndex(res.population.findData("above"))
    res.tier.setCurrentIndex(res.tier.findData("A"))
    res.apply_filter()
    res.view.sortByColumn(res.model.table.column_index("total_score"), Qt.SortOrder.AscendingOrder)
    done: list[Path] = []
    assert res.table_tools.export(tmp_path / "A类", on_done=done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=TIMEOUT)
    assert done == [tmp_path / "A类.xlsx"]
    ws = load_workbook(done[0]).active
    head = [c.value for c in ws[1]]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 28  # the demo's 28 A-tier firms above scale, nothing else
    t = s.result.table
    a = t[(t["population"] == "above") & (t["tier"] == "A")].sort_values("total_score", kind="stable")
    i_name, i_score, i_code = head.index("企业名称"), head.index("总分"), head.index("统一社会信用代码")
    assert [r[i_name] for r in rows] == a["name"].tolist()
    assert [r[i_score] for r in rows] == [round(v, 2) for v in a["total_score"].tolist()]  # as displayed
    assert all(isinstance(r[i_code], str) for r in rows)
    assert ws.cell(2, i_code + 1).data_type == "s"


def test_data_check_list_copies_its_rows_too(window, qtbot) -> None:
    from PySide6.QtGui import QGuiApplication

    window.session.open_demo()
    settle(qtbot, window)
    chk = window.check_page
    assert chk.model.rowCount() > 0
    chk.view.selectRow(0)
    text = chk.table_tools.copy_rows()
    assert QGuiApplication.clipboard().text() == text
    head, first = text.split("\n")[:2]
    titles = [c.title.replace("\n", "") for c in chk.model.table.columns]
    assert head.split("\t") == titles
    assert first.split("\t") == [str(chk.model.index(0, c).data()) for c in range(len(titles))]


# --- help -----------------------------------------------------------------------------------------
def test_f1_opens_the_user_manual_rendered_from_markdown(window, qtbot) -> None:
    assert window.manual_action.shortcut().toString() == "F1"
    window.manual_action.trigger()
    dlg = window._manual
    assert dlg is not None and dlg.isVisible()
    text = dlg.browser.toPlainText()
    assert text.startswith("用户手册") or "用户手册" in text.splitlines()[0]
    assert "# " not in text  # rendered, not the Markdown source
    dlg.close()


def test_spec_ships_the_manual() -> None:
    spec = (Path(__file__).resolve().parent.parent / "build_app.spec").read_text(encoding="utf-8")
    assert '"用户手册.md"), "docs")' in spec
    assert '"docs/screenshots/1600")' in spec  # the pictures the manual shows


def test_manual_walks_the_yearly_workflow_with_pictures_that_exist() -> None:
    import re

    from ui.widgets.manual_dialog import manual_path

    text = manual_path().read_text(encoding="utf-8")
    heads = [h for h in re.findall(r"^## (.+)$", text, flags=re.M)]
    for step in ("① 导入数据", "② 数据核查", "③ 评价方案", "④ 评价结果", "⑤ 复核与公示", "⑥ 输出", "审计记录"):
        assert step in heads
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(pictures) >= 7
    for rel in pictures:
        assert (manual_path().parent / rel).is_file(), rel
        assert rel.startswith("screenshots/1600/")  # the folder the bundle ships


def test_manual_pictures_fit_the_dialog_width(qtbot) -> None:
    from ui.widgets.manual_dialog import ManualDialog

    dlg = ManualDialog()
    qtbot.addWidget(dlg)
    dlg.resize(820, 680)
    dlg.show()
    qtbot.waitExposed(dlg)
    qtbot.wait(20)
    doc = dlg.browser.document()
    widths = []
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fmt = it.fragment().charFormat()
            if fmt.isImageFormat():
                widths.append(fmt.toImageFormat().width())
            it += 1
        block = block.next()
    view = dlg.browser.viewport().width()
    assert widths and all(0 < w <= view for w in widths)
    assert min(widths) >= 0.8 * view  # 1600 px shots fill the text width, not a stale narrower one


def test_indicator_headers_explain_formula_and_unit(window, qtbot) -> None:
    from PySide6.QtCore import Qt

    window.session.open_demo()
    settle(qtbot, window)
    m = window.results_page.model
    tip = m.headerData(m.table.column_index("v_tax_per_mu"), Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert tip == "亩均税收 = 实缴税金（万元） ÷ 用地面积（亩）\n单位：万元/亩"
    tip = m.headerData(m.table.column_index("v_rd_intensity"), Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert tip == "研发经费投入强度 = 研发经费支出（万元） ÷ 营业收入（万元） × 100\n单位：%"
    tip = m.headerData(m.table.column_index("s_tax_per_mu"), Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("亩均税收的得分") and "实缴税金（万元）" in tip


# --- undo / redo of audited edits ---------------------------------------------------------------
def _last_audit(s):
    a = s.project.audit[-1]
    return a.action, a.target, a.reason


def test_undo_and_redo_a_correction_are_audited_edits(window, qtbot) -> None:
    s = window.session
    s.open_demo()
    settle(qtbot, window)
    key = str(s.result.table.index[0])
    land = s.result.table.at[key, "land"]
    assert window.undo_action.shortcut().toString() == "Ctrl+Z"
    assert window.redo_action.shortcut().toString() == "Ctrl+Y"
    assert not window.undo_action.isEnabled()
    s.add_correction(key, "land", 100.0, "经核实用地为 100 亩")
    settle(qtbot, window, lambda: s.result.table.at[key, "land"] == 100.0)
    assert window.undo_action.text() == f"撤销 更正{s.result.table.at[key, 'name']}的用地面积"
    n = len(s.project.audit)

    window.undo_action.trigger()
    settle(qtbot, window, lambda: s.result.table.at[key, "land"] == land)
    assert s.project.corrections == []
    assert len(s.project.audit) == n + 1 and _last_audit(s) == ("remove_correction", key, "撤销")
    assert s.dirty

    window.redo_action.trigger()
    settle(qtbot, window, lambda: s.result.table.at[key, "land"] == 100.0)
    assert [(c.key, c.field, c.value, c.reason) for c in s.project.corrections] == [(key, "land", 100.0, "经核实用地为 100 亩")]
    assert _last_audit(s) == ("correction", key, "经核实用地为 100 亩")


def test_undo_restores_the_replaced_override_with_its_own_reason(window, qtbot) -> None:
    s = window.session
    s.open_demo()
    settle(qtbot, window)
    t = s.result.table
    key = str(t.index[(t["population"] == "above") & (t["tier"] == "B")][0])
    s.set_override(key, "A", "获评省级专精特新企业")
    s.set_override(key, "C", "存在安全生产事故")
    settle(qtbot, window, lambda: s.result.table.at[key, "tier"] == "C")

    s.undo_stack.undo()
    settle(qtbot, window, lambda: s.result.table.at[key, "tier"] == "A")
    assert [(o.tier, o.reason) for o in s.project.overrides] == [("A", "获评省级专精特新企业")]  # as the letter prints it
    s.undo_stack.undo()
    settle(qtbot, window, lambda: s.result.table.at[key, "tier"] == "B")
    assert s.project.overrides == [] and _last_audit(s) == ("clear_override", key, "撤销")
    assert not s.undo_stack.canUndo()
    s.undo_stack.redo()
    s.undo_stack.redo()
    settle(qtbot, window, lambda: s.result.table.at[key, "tier"] == "C")
    assert [(o.tier, o.reason) for o in s.project.overrides] == [("C", "存在安全生产事故")]


def test_undo_of_a_cleared_override_and_of_a_resolution(window, qtbot) -> None:
    s = window.session
    s.open_demo()
    settle(qtbot, window)
    t = s.result.table
    key = str(t.index[(t["population"] == "above") & (t["tier"] == "B")][0])
    s.set_override(key, "A", "获评省级专精特新企业")
    s.clear_override(key, "经复核不予调档")
    assert s.project.overrides == []
    s.undo_stack.undo()
    assert [(o.tier, o.reason) for o in s.project.overrides] == [("A", "获评省级专精特新企业")]

    other = str(t.index[1])
    window.review_page.resolve("not_enterprise", other, "村股份经济合作社，非工业企业")
    assert [(r.kind, r.key) for r in s.project.resolutions] == [("not_enterprise", other)]
    s.undo_stack.undo()
    assert s.project.resolutions == [] and _last_audit(s) == ("remove_resolution", other, "撤销")
    s.undo_stack.redo()
    assert [(r.kind, r.key, r.reason) for r in s.project.resolutions] == [
        ("not_enterprise", other, "村股份经济合作社，非工业企业")]
    s.open_demo()  # a new project: a new history
    assert not s.undo_stack.canUndo()
