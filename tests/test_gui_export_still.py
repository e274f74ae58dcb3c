"""While an export runs behind its modal progress dialog, the window's pages are not repainted.

A repaint of the 100k-firm table behind the dialog makes thousands of calls into Python, each
waiting for the interpreter lock the export's thread holds: the window stalled for a tenth of a
second (benchmarks/bench_gui_table.py --heartbeat). The pages show nothing new until the job
ends, so they are held still and repainted once it has.
"""

from __future__ import annotations

import os
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from .gui_fixtures import TIMEOUT, config, settle, window  # noqa: E402,F401 (fixtures)


def test_pages_held_still_while_an_export_runs_and_repainted_after(qtbot, window, tmp_path):  # noqa: F811
    exp = window.export_page
    window.session.open_demo()
    settle(qtbot, window)
    exp.refresh()
    pages = window.centralWidget()
    assert pages.updatesEnabled()
    assert exp.export_json(tmp_path / "结果.json")
    assert not pages.updatesEnabled() and not window.results_page.updatesEnabled()
    assert exp.progress_dialog.updatesEnabled()  # the dialog is a window of its own: it keeps repainting
    qtbot.waitUntil(lambda: not exp.runner.busy, timeout=TIMEOUT)
    assert exp.last_error == ""
    assert pages.updatesEnabled() and window.results_page.updatesEnabled()


def test_pages_repainted_after_a_failed_export(qtbot, window, tmp_path):  # noqa: F811
    exp = window.export_page
    window.session.open_demo()
    settle(qtbot, window)
    exp.refresh()
    blocked = tmp_path / "不是文件夹"
    blocked.write_text("x")
    assert exp.export_json(blocked / "结果.json")  # the folder is a file: the job fails
    qtbot.waitUntil(lambda: not exp.runner.busy, timeout=TIMEOUT)
    assert exp.last_error
    assert window.centralWidget().updatesEnabled()
