"""Deferred page refreshes run one per event-loop turn, so other events get in between them."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer

from ui.pages.common import Deferred


def test_two_refreshes_asked_together_let_other_events_in_between(qtbot) -> None:
    seen: list[str] = []
    owner = QObject()
    first = Deferred(lambda: seen.append("page 1"), owner)
    second = Deferred(lambda: seen.append("page 2"), owner)
    first()
    second()
    first()  # asked again while waiting: still runs once
    other = QTimer()  # a timer due as soon as the refreshes (QTimer.singleShot(0) would post an event instead)
    other.setSingleShot(True)
    other.setInterval(0)
    other.timeout.connect(lambda: seen.append("other event"))
    other.start()
    assert first.pending and second.pending
    qtbot.waitUntil(lambda: len(seen) == 3, timeout=2000)
    qtbot.wait(20)
    assert seen == ["page 1", "other event", "page 2"]
    assert not first.pending and not second.pending


def test_a_refresh_of_a_destroyed_page_never_runs(qtbot) -> None:
    seen: list[str] = []
    owner = QObject()
    d = Deferred(lambda: seen.append("ran"), owner)
    d()
    owner.deleteLater()
    qtbot.waitUntil(lambda: not d.pending, timeout=2000)
    qtbot.wait(20)
    assert seen == []
