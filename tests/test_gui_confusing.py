"""The "wrong or confusing" items of issue 13, one test each."""

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


def test_the_demo_opens_unchanged(window, qtbot):
    from evaluator import projectfile

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
