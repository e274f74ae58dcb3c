"""Qt's own texts are Chinese (issue 13): message-box buttons, text-box menus, the file dialog."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QApplication,
    QFileDialog,
    QLineEdit,
    QMessageBox,
    QPushButton,
)

from ui.translations import remove_qt_translations  # noqa: E402


@pytest.fixture
def chinese(qapp):
    from ui.app import create_app

    app = create_app([])
    assert app is QApplication.instance()
    yield app
    remove_qt_translations(app)


def test_qt_catalogue_is_loaded(chinese):
    assert any(t.filePath().endswith("qtbase_zh_CN.qm") for t in chinese._mujun_translators)


def test_message_box_buttons_are_chinese(chinese, qtbot):
    box = QMessageBox(QMessageBox.Icon.Question, "标题", "是否继续？",
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    qtbot.addWidget(box)
    assert "是" in box.button(QMessageBox.StandardButton.Yes).text()
    assert "否" in box.button(QMessageBox.StandardButton.No).text()
    box = QMessageBox(QMessageBox.Icon.Question, "标题", "保存？", QMessageBox.StandardButton.Save
                      | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel
                      | QMessageBox.StandardButton.Ok)
    qtbot.addWidget(box)
    texts = [box.button(b).text() for b in (QMessageBox.StandardButton.Save, QMessageBox.StandardButton.Discard,
                                            QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Ok)]
    assert "保存" in texts[0] and "取消" in texts[2] and "确定" in texts[3], texts
    assert not any(t.strip("&").isascii() for t in texts), texts


def test_text_box_menu_is_chinese(chinese, qtbot):
    edit = QLineEdit("示范")
    qtbot.addWidget(edit)
    menu = edit.createStandardContextMenu()
    texts = " ".join(a.text() for a in menu.actions() if not a.isSeparator())
    assert "撤消" in texts or "撤销" in texts, texts
    for word in ("重做", "剪切", "复制", "粘贴", "全选"):
        assert word in texts, texts
    assert "Undo" not in texts and "Paste" not in texts


def test_file_dialog_is_qt_own_and_chinese(chinese, qtbot):
    import sys

    if sys.platform.startswith("linux"):
        assert QApplication.testAttribute(__import__("PySide6.QtCore", fromlist=["Qt"]).Qt.ApplicationAttribute
                                          .AA_DontUseNativeDialogs)
    dlg = QFileDialog(None, "打开项目")
    dlg.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    qtbot.addWidget(dlg)
    texts = [b.text() for b in dlg.findChildren(QPushButton)] + [dlg.labelText(QFileDialog.DialogLabel.FileType),
                                                                  dlg.labelText(QFileDialog.DialogLabel.LookIn)]
    joined = " ".join(texts)
    assert "打开" in joined or "取消" in joined, texts
    assert "Cancel" not in joined and "Look in" not in joined, texts
