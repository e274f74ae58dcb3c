"""Real keyboard focus in the scheme editor's tables (issue 13: clicking a 权重 box killed the app).

The other GUI tests never give a window real focus (a hidden or inactive window receives no
FocusIn), so they could not see the loop: FocusIn on a cell widget → the table selected the row
→ the view focused column 0's widget → Qt moved the current cell back → FocusIn … until the
stack overflowed (segfault). Here the window is shown, activated, and the widgets are clicked
with the mouse, so the focus events are the real ones.

An application-wide filter counts FocusIn events and swallows them beyond `LOOP`, which breaks
such a loop: the test then fails with a count instead of killing the test run.

Runs offscreen where the platform can activate a window (Qt 6's offscreen plugin does), and
under a real X server the way .ci/run does it:

    QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1600x1000x24" python -m pytest tests/test_gui_focus.py -q
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QEvent, QObject, QPoint, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QCheckBox, QWidget  # noqa: E402

from evaluator.core.paths import templates_dir  # noqa: E402
from ui.widgets.scheme_editor import SchemeEditor  # noqa: E402

LOOP = 50  # FocusIn events for one click; a handful is normal, a loop makes thousands


class FocusCounter(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if event.type() == QEvent.Type.FocusIn:
            self.count += 1
            if self.count > LOOP:
                return True  # break the loop so the test can fail instead of crashing
        return False


@pytest.fixture
def counter():
    c = FocusCounter()
    app = QApplication.instance()
    app.installEventFilter(c)
    yield c
    app.removeEventFilter(c)


def active_editor(qtbot, template: str) -> SchemeEditor:
    editor = SchemeEditor(debounce_ms=50)
    qtbot.addWidget(editor)
    editor.set_scheme_text((templates_dir() / "schemes" / template).read_text(encoding="utf-8"), template)
    editor.resize(1500, 950)
    editor.show()
    editor.raise_()
    editor.activateWindow()
    if not QTest.qWaitForWindowActive(editor, 3000):
        pytest.skip("this Qt platform cannot activate a window; run under xvfb (see the module docstring)")
    return editor


def click(qtbot, scroll_owner: SchemeEditor, widget: QWidget) -> None:
    """Scroll the widget into view and click it as a user would."""
    from PySide6.QtWidgets import QScrollArea

    area = scroll_owner.findChild(QScrollArea)
    if area is not None:
        area.ensureWidgetVisible(widget, 50, 50)
    qtbot.wait(20)
    target = widget
    if isinstance(widget, (QCheckBox,)):
        QTest.mouseClick(target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         QPoint(widget.width() // 2, widget.height() // 2))
    else:
        QTest.mouseClick(target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         QPoint(max(2, widget.width() - 8), widget.height() // 2))
    qtbot.wait(20)


@pytest.mark.parametrize("template", ["reference.toml", "huangyan-2022.toml"])
def test_clicking_a_weight_box_gives_it_focus_once(qtbot, counter, template):
    editor = active_editor(qtbot, template)
    table = editor.panel("above").indicators
    row = table.rows[1]
    counter.count = 0
    click(qtbot, editor, row.weight)
    assert counter.count < LOOP, f"{counter.count} FocusIn events for one click: the focus loop is back"
    assert row.weight.hasFocus()
    assert table.selected_row() == 1
    # Typing goes into the focused box and reaches the scheme.
    row.weight.selectAll()
    QTest.keyClicks(row.weight, "33")
    qtbot.waitUntil(lambda: editor.scheme().populations["above"].indicators[1].weight == 33.0, timeout=3000)


@pytest.mark.parametrize("template", ["reference.toml", "huangyan-2022.toml"])
def test_every_cell_widget_of_every_table_takes_focus_without_a_loop(qtbot, counter, template):
    editor = active_editor(qtbot, template)
    for pid in ("above", "below"):
        panel = editor.panel(pid)
        if not panel.isVisible():
            editor.tabs.setCurrentWidget(panel)
            qtbot.wait(20)
        tables = [panel.indicators, panel.rules.bonus.table, panel.rules.penalty.table, panel.rules.tiers]
        for table in tables:
            for widget, r in list(table._widget_rows.items()):
                if not widget.isVisible() or not widget.isEnabled():
                    continue
                counter.count = 0
                click(qtbot, editor, widget)
                assert counter.count < LOOP, (f"{pid} {type(table).__name__} row {r} {type(widget).__name__}: "
                                              f"{counter.count} FocusIn events")
                assert table.selected_row() == r
