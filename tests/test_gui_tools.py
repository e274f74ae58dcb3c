"""Desktop tools around the pages: project files, recent list, audit export, output settings,
table copying and export, the user manual, indicator tooltips, undo/redo of audited edits."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

TIMEOUT = 120_000


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "config"
    monkeypatch.setenv("MUJUN_CONFIG_DIR", str(d))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return d


@pytest.fixture
def window(qtbot, config):
    from ui.main_window import MainWindow

    w = MainWindow()
    w.ask_unsaved = lambda: "discard"
    qtbot.addWidget(w)
    yield w
    w.session.cancel()
    w.export_page.runner.cancel()


def settle(qtbot, window, changed=lambda: True) -> None:
    s = window.session
    qtbot.waitUntil(lambda: not s.busy and s.result is not None and changed() and not window.refresh_pending(),
                    timeout=TIMEOUT)


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


def test_unreadable_settings_file_falls_back_to_the_shipped_defaults(window, config) -> None:
    from evaluator.outputs.settings import user_settings_path

    p = user_settings_path()
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("authority = [未闭合", encoding="utf-8")
    window.export_page.refresh()
    assert "发文机关：" in window.export_page.settings_label.text()
    assert "尚未安装" not in window.export_page.settings_label.text()


# --- the shipped Chinese font ----------------------------------------------------------------------
def test_app_font_draws_chinese_with_the_shipped_fonts(qapp) -> None:
    from PySide6.QtGui import QFontDatabase, QFontMetrics

    from ui.style import apply_style

    apply_style(qapp)
    families = qapp.font().families()
    assert {"WenQuanYi Micro Hei", "AR PL SungtiL GB"} <= set(QFontDatabase.families())
    assert families.index("WenQuanYi Micro Hei") < families.index("AR PL SungtiL GB")  # Hei leads, Song falls back
    assert all(QFontMetrics(qapp.font()).inFontUcs4(ord(c)) for c in "亩均效益综合评价")
