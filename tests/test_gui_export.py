"""The export page's folder, audit entries, settings banner, operator name and letter preview (issue 13)."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from tests.gui_fixtures import TIMEOUT, config, settle, window  # noqa: E402,F401

BROKEN = "authority = [未闭合"


@pytest.fixture
def demo(window, qtbot):
    window.session.open_demo()
    settle(qtbot, window)
    return window


def _wait(qtbot, page) -> None:
    qtbot.waitUntil(lambda: not page.runner.busy, timeout=TIMEOUT)


def _break_settings() -> Path:
    from evaluator.outputs.settings import user_settings_path

    p = user_settings_path()
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(BROKEN, encoding="utf-8")
    return p


# --- 1 the output folder, per project -------------------------------------------------------------
def test_default_folder_is_named_after_county_year_and_stage(demo) -> None:
    exp = demo.export_page
    assert exp.out_dir().name == "示范县_2025年度_初评稿"
    assert exp.folder.text() == str(exp.out_dir()) and exp.folder.isReadOnly()
    assert exp.browse_button.text() == "更改…"


def test_chosen_folder_is_kept_in_the_project_file_and_audited(demo, qtbot, tmp_path) -> None:
    from evaluator.project.file import load_project, save_project

    exp, s = demo.export_page, demo.session
    exp.set_out_dir(tmp_path / "甲县公示")
    assert exp.folder.text() == str(tmp_path / "甲县公示") and s.dirty
    entry = s.project.audit[-1]
    assert entry.action == "output_dir" and entry.after == str(tmp_path / "甲县公示")
    save_project(s.project, tmp_path / "p.mujun")
    assert load_project(tmp_path / "p.mujun").output_dir == str(tmp_path / "甲县公示")
    s.open(tmp_path / "p.mujun")
    settle(qtbot, demo)
    assert exp.out_dir() == tmp_path / "甲县公示" and exp.folder.text() == str(tmp_path / "甲县公示")


# --- 2 exports in the audit log -------------------------------------------------------------------
def test_each_export_adds_an_audit_entry_with_count_folder_stage_and_code(demo, qtbot, tmp_path) -> None:
    from evaluator.pipeline.fingerprint import verification_code
    from evaluator.project.audit import audit_rows

    exp, s = demo.export_page, demo.session
    exp.set_out_dir(tmp_path / "out")
    code = verification_code(s.project.fingerprint())
    assert exp.export_json()
    _wait(qtbot, exp)
    assert exp.export_workbook()
    _wait(qtbot, exp)
    key = str(s.result.table.index[s.result.table["tier"] == "A"][0])
    assert exp.export_letters(keys=[key], scope_name="选中企业", combined=False)
    _wait(qtbot, exp)
    exports = [a for a in s.project.audit if a.action == "export"]
    assert [a.target for a in exports] == ["结果数据文件", "分类名单", "告知书"]
    n = len(s.result.table)
    assert exports[0].after == f"{n} 家企业；阶段 初评；核验码 {code}；保存到 {tmp_path / 'out'}"
    assert exports[2].after == f"1 份（范围：选中企业）；阶段 初评；核验码 {code}；保存到 {tmp_path / 'out' / '告知书'}"
    rows = [r for r in audit_rows(s.project) if r[2] == "导出"]  # the audit workbook's rows
    assert len(rows) == 3 and code in rows[2][6]
    demo.audit_page.refresh()
    assert demo.audit_page.model.rowCount() == len(s.project.audit)


@pytest.mark.parametrize("width", [1600, 1366])
def test_audit_reason_column_is_on_screen(demo, qtbot, width) -> None:
    demo.session.set_override(str(demo.session.result.table.index[0]), "A", "列入县重点培育企业（县政府常务会议纪要）" * 3)
    settle(qtbot, demo)
    demo.resize(width, 768 if width == 1366 else 1000)
    demo.show()
    demo.go(demo.stack.indexOf(demo.audit_page)) if hasattr(demo, "go") else None
    page = demo.audit_page
    page.refresh()
    qtbot.waitUntil(lambda: page.view.viewport().width() > 300, timeout=TIMEOUT)
    col = page.model.table.column_index("reason")
    hh = page.view.horizontalHeader()
    right = hh.sectionViewportPosition(col) + hh.sectionSize(col)
    assert hh.sectionViewportPosition(col) >= 0 and right <= page.view.viewport().width() + 1
    assert hh.sectionSize(col) >= 12 * page.view.fontMetrics().horizontalAdvance("国")
    for wide in ("target", "after"):  # the long columns share the width, none squeezed to a few characters
        assert hh.sectionSize(page.model.table.column_index(wide)) >= 0.15 * page.view.viewport().width()
    row = next(i for i in range(page.model.rowCount()) if "重点培育" in str(page.model.index(i, col).data()))
    from PySide6.QtCore import Qt

    assert "重点培育" in page.model.index(row, col).data(Qt.ItemDataRole.ToolTipRole)


# --- 3 an unreadable settings file ----------------------------------------------------------------
def test_unreadable_settings_refuse_letters_and_lists_but_not_the_json(demo, qtbot, tmp_path) -> None:
    p = _break_settings()
    exp = demo.export_page
    exp.set_out_dir(tmp_path / "out")
    exp.refresh()
    assert not exp.settings_banner.isHidden()
    assert str(p) in exp.settings_banner.text() and "TOML" in exp.settings_banner.text()
    assert not exp.letters_button.isEnabled() and not exp.workbook_button.isEnabled()
    assert not exp.preview_button.isEnabled() and exp.json_button.isEnabled()
    assert not exp.letters_clicked() and not exp.export_letters(keys=None, scope_name="全部")
    assert not exp.export_workbook() and not exp.export_summary() and exp.preview_letter() is None
    assert "设置文件无法使用" in exp.last_error and not (tmp_path / "out" / "告知书").exists()
    assert exp.export_json()
    _wait(qtbot, exp)
    assert exp.last_error == "" and list((tmp_path / "out").glob("*.json"))
    # its name never borrows the shipped defaults' county: it would look like another county's file
    from evaluator.outputs.settings import default_settings
    from ui.pages.export_page import UNKNOWN_COUNTY, default_output_dir

    names = [f.name for f in (tmp_path / "out").glob("*.json")]
    assert all(default_settings().county not in n and UNKNOWN_COUNTY in n for n in names), names
    assert UNKNOWN_COUNTY in default_output_dir(demo.session).name
    p.unlink()  # fixed: the banner goes and the letters are back
    exp.refresh()
    assert exp.settings_banner.isHidden() and exp.letters_button.isEnabled()


def test_cli_says_the_same_about_an_unreadable_settings_file(tmp_path, monkeypatch, capsys) -> None:
    from evaluator.app.cli import main

    monkeypatch.setenv("MUJUN_CONFIG_DIR", str(tmp_path / "config"))
    p = _break_settings()
    demo_dir = Path(__file__).resolve().parent.parent / "sample_data"
    files = sorted(str(f) for f in demo_dir.glob("*") if f.suffix in (".xlsx", ".xls", ".csv"))
    code = main(["evaluate", *files, "--year", "2025", "--letters", str(tmp_path / "letters"),
                 "--json", str(tmp_path / "r.json")])
    err = capsys.readouterr().err
    assert code != 0 and str(p) in err and "不能生成" in err
    assert not (tmp_path / "letters").exists() and (tmp_path / "r.json").exists()


# --- 4 the operator's name --------------------------------------------------------------------------
def test_operator_name_replaces_the_login_name(demo, monkeypatch) -> None:
    from evaluator.project import model
    from ui.user_config import load_operator, save_operator

    monkeypatch.setattr(model, "_operator", "")
    assert model.current_user().endswith(model.LOGIN_MARK)  # no name yet: the login name, marked
    save_operator("张三")
    assert load_operator() == "张三" and model.current_user() == "张三"
    s = demo.session
    demo.set_operator("张三")
    assert s.project.user == "张三"  # the open project records the new name from now on
    s.set_override(str(s.result.table.index[0]), "A", "理由")
    assert s.project.audit[-1].user == "张三"


def test_settings_dialog_edits_the_operator(qtbot, config) -> None:
    from ui.user_config import load_operator
    from ui.widgets.settings_dialog import SettingsDialog

    dlg = SettingsDialog()
    qtbot.addWidget(dlg)
    assert dlg.operator.text() == ""
    dlg.operator.setText("李四")
    dlg.save()
    assert load_operator() == "李四"


def test_missing_operator_is_asked_once(window, monkeypatch) -> None:
    from ui.user_config import load_operator

    asked: list[int] = []
    assert window.ask_operator(lambda: asked.append(1) or "王五")
    assert load_operator() == "王五"
    assert not window.ask_operator(lambda: asked.append(1) or "x") and asked == [1]


# --- 5 the letter preview ---------------------------------------------------------------------------
def test_preview_shows_the_letter_the_export_writes(demo, qtbot, tmp_path) -> None:
    from ui.widgets.letter_preview import SCREEN_DPI, render_pages

    exp, s = demo.export_page, demo.session
    t = s.result.table
    key = str(t.index[t["tier"] == "B"][0])
    dlg = exp.preview_letter(key)
    qtbot.addWidget(dlg)
    qtbot.waitUntil(lambda: dlg.preview is not None or bool(dlg.error), timeout=TIMEOUT)
    assert dlg.error == "" and dlg.firm.currentData() == key and dlg.images
    assert "尚未登记文号" in dlg.note.text()
    exp.set_out_dir(tmp_path / "out")
    assert exp.export_letters(keys=[key], scope_name="选中企业", combined=False)
    _wait(qtbot, exp)
    written = exp.last_outputs[0]
    assert written.name == dlg.preview.filename
    scale = SCREEN_DPI / 72.0 * dlg.devicePixelRatioF()
    assert render_pages(written.read_bytes(), scale) == dlg.images  # pixel for pixel the exported letter
    saved = dlg.save_pdf(tmp_path / "另存.pdf")
    assert saved is not None and saved.read_bytes()[:5] == b"%PDF-"
    dlg.load(key)  # registered now: the preview says it keeps the 文号
    qtbot.waitUntil(lambda: dlg.preview is not None, timeout=TIMEOUT)
    assert "已登记" in dlg.note.text()


def test_a_letter_saved_from_the_preview_keeps_its_number_in_the_register(demo, qtbot, tmp_path) -> None:
    from evaluator.outputs.letters import issued_keys

    exp, s = demo.export_page, demo.session
    issued = issued_keys(s.result, None, False)
    key = issued[-1]  # alone it takes the first free 文号, which a batch would give the first firm
    dlg = exp.preview_letter(key)
    qtbot.addWidget(dlg)
    qtbot.waitUntil(lambda: dlg.preview is not None or bool(dlg.error), timeout=TIMEOUT)
    serial = dlg.preview.serial
    assert serial is not None and "尚未登记文号" in dlg.note.text()
    assert dlg.save_pdf(tmp_path / "单份.pdf") is not None
    assert [(r.key, r.serial) for r in s.project.doc_numbers] == [(key, serial)]
    assert s.project.audit[-1].action == "export" and s.dirty
    exp.set_out_dir(tmp_path / "out")
    assert exp.export_letters(keys=None, scope_name="全部", combined=False)
    _wait(qtbot, exp)
    numbers = [(r.key, r.serial) for r in s.project.doc_numbers if not r.replaced_by]
    assert (key, serial) in numbers and [n for _k, n in numbers].count(serial) == 1


def test_preview_refuses_a_number_given_meanwhile_to_another_firm(demo, qtbot, tmp_path) -> None:
    from evaluator.outputs.letters import issued_keys

    exp, s = demo.export_page, demo.session
    first, key = issued_keys(s.result, None, False)[:2]
    dlg = exp.preview_letter(key)
    qtbot.addWidget(dlg)
    qtbot.waitUntil(lambda: dlg.preview is not None or bool(dlg.error), timeout=TIMEOUT)
    serial = dlg.preview.serial
    exp.set_out_dir(tmp_path / "out")
    assert exp.export_letters(keys=[first], scope_name="选中企业", combined=False)  # takes that very number
    _wait(qtbot, exp)
    assert [(r.key, r.serial) for r in s.project.doc_numbers] == [(first, serial)]
    assert dlg.save_pdf(tmp_path / "单份.pdf") is None and not (tmp_path / "单份.pdf").exists()
    assert "重新生成预览" in dlg.note.text()
    qtbot.waitUntil(lambda: dlg.preview is not None and dlg.preview.serial != serial, timeout=TIMEOUT)
    assert dlg.save_pdf(tmp_path / "单份.pdf") is not None
    assert [r.key for r in s.project.doc_numbers] == [first, key]


def test_preview_zoom_and_print_to_a_pdf_printer(demo, qtbot, tmp_path) -> None:
    import pypdfium2 as pdfium
    from PySide6.QtPrintSupport import QPrinter

    selected = demo.results_page.selected_keys()
    dlg = demo.export_page.preview_letter()  # the firm selected on the results page, else the first letter issued
    qtbot.addWidget(dlg)
    qtbot.waitUntil(lambda: dlg.preview is not None or bool(dlg.error), timeout=TIMEOUT)
    assert dlg.error == ""
    assert dlg.firm.currentData() == selected[0] if selected else dlg.firm.currentIndex() == 0
    assert demo.export_page.preview_letter() is dlg  # the open preview is reused
    qtbot.waitUntil(lambda: bool(dlg.images), timeout=TIMEOUT)
    width = dlg.images[0].width()
    dlg.zoom_in.click()
    qtbot.waitUntil(lambda: dlg.images and dlg.images[0].width() > width * 1.2, timeout=TIMEOUT)
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    assert dlg.print_letter(printer)
    qtbot.waitUntil(lambda: dlg.printed > 0, timeout=TIMEOUT)
    n = dlg.printed
    assert len(pdfium.PdfDocument(str(tmp_path / "printed.pdf"))) == n == len(dlg.images)
    w, h = pdfium.PdfDocument(str(tmp_path / "printed.pdf"))[0].get_size()
    assert abs(w - 595.3) < 3 and abs(h - 841.9) < 3  # A4, as the letter


def test_preview_of_a_held_firm_says_why(demo, qtbot) -> None:
    from evaluator.outputs.gate import release_gate

    held = sorted(release_gate(demo.session.result).held)
    assert held
    dlg = demo.export_page.preview_letter(held[0])
    qtbot.addWidget(dlg)
    assert "所选企业不生成告知书" in dlg.note.text()
    assert dlg.firm.findData(held[0]) < 0


# --- 6 the JSON button ------------------------------------------------------------------------------
def test_json_button_says_what_it_is_for(window) -> None:
    assert window.export_page.json_button.text() == "导出结果数据文件（供省市系统导入）"


def test_settings_dialog_opens_over_an_unreadable_file_and_says_so(qtbot, config) -> None:
    from ui.widgets.settings_dialog import SettingsDialog

    p = _break_settings()
    dlg = SettingsDialog()  # used to raise: the official could not reach the fix
    qtbot.addWidget(dlg)
    assert not dlg.problem.isHidden() and str(p) in dlg.problem.text()
    dlg.authority.setText("某某县经济和信息化局")
    dlg.save()
    from evaluator.outputs.settings import read_settings_state

    state = read_settings_state()
    assert state.usable and state.settings.authority == "某某县经济和信息化局"


def test_audit_columns_with_no_text_give_their_room_to_those_with_text(demo, qtbot, tmp_path) -> None:
    """After the demo's imports and an export, 字段/原值/理由 are empty in every row: they shrink to
    their titles and 新值 (what was exported, where, the 核验码) gets the room."""
    demo.resize(1366, 728)
    demo.show()
    qtbot.waitExposed(demo)
    s, page = demo.session, demo.audit_page
    s.record_export("分类名单", "303 家企业", str(tmp_path / "甲县_2025年度_初评稿"), s.project.fingerprint())
    demo.go(demo.stack.indexOf(page))
    page.refresh()
    qtbot.wait(20)
    cols = [c.id for c in page.model.table.columns]
    width = {c: page.view.columnWidth(i) for i, c in enumerate(cols)}
    assert width["after"] > 2 * width["before"]
    char = page.view.fontMetrics().horizontalAdvance("国")
    assert width["before"] < 6 * char
    assert sum(width.values()) <= page.view.viewport().width() + 2  # 理由 still on screen


def test_recording_an_export_refreshes_only_the_audit_log(demo, qtbot, tmp_path) -> None:
    """An export entry is saved with the project (dirty, autosaved) and shown on the audit page, but
    the other pages are not refreshed for it: the review page's refresh runs the release gate over
    every firm, a pause of the window at 100k firms for nothing on it that changed."""
    s = demo.session
    changed: list[int] = []
    s.project_changed.connect(lambda: changed.append(1))
    n = demo.audit_page.model.rowCount()
    s.record_export("分类名单", "303 家企业", str(tmp_path), s.project.fingerprint())
    qtbot.waitUntil(lambda: demo.audit_page.model.rowCount() == n + 1, timeout=TIMEOUT)
    assert changed == [] and s.dirty and " * — " in demo.windowTitle()

