"""No lost work (issue 13): the recovery copy follows every change, and survives a second crash.

Before: autosave ran every 3 minutes, so an override made seconds before a crash was gone; and
after 恢复 the autosave was deleted at once while the restored project lived only in memory, so a
second crash lost the recovered work too. A "crash" here is a window whose autosaver stops
without cleaning up (as a killed process would), with `os.getpid` patched so the next window
sees a copy left by another process.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

TIMEOUT = 120_000
REAL_PID = os.getpid()


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "config"
    monkeypatch.setenv("MUJUN_CONFIG_DIR", str(d))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return d


def new_window(qtbot):
    from ui.main_window import MainWindow

    w = MainWindow()
    w.ask_unsaved = lambda: "discard"
    qtbot.addWidget(w)
    return w


def settle(qtbot, window, changed=lambda: True) -> None:
    s = window.session
    qtbot.waitUntil(lambda: not s.busy and s.result is not None and changed() and not window.refresh_pending(),
                    timeout=TIMEOUT)


def crash(window) -> None:
    """The process dies: nothing more is written and nothing is cleaned up."""
    window.session.autosaver.close(discard=None)
    window.session.cancel()


def demo_with_override(qtbot, window, tier: str = "A") -> str:
    s = window.session
    s.open_demo()
    settle(qtbot, window)
    t = s.result.table
    target = str(t.index[(t["population"] == "above") & (t["tier"] == "C")][0])
    window.results_page.set_override(target, tier, "整改已验收")
    return target


def override_in(path: Path, key: str) -> str | None:
    from evaluator.project import file as projectfile

    p = projectfile.load_project(path)
    return next((o.tier for o in p.overrides if o.key == key), None)


def test_an_override_is_in_the_recovery_copy_within_seconds(qtbot, config, monkeypatch):
    from evaluator.project import file as projectfile

    w = new_window(qtbot)
    target = demo_with_override(qtbot, w)
    started = time.monotonic()
    own = projectfile.autosave_path(None)
    # No explicit autosave call: the change alone must bring the copy up to date.
    qtbot.waitUntil(lambda: own.exists() and not w.session.autosaver.busy, timeout=8000)
    assert time.monotonic() - started < 8
    assert override_in(own, target) == "A"
    assert w.autosave_label.text().startswith("已自动保存")


def test_recovered_work_survives_a_second_crash(qtbot, config, monkeypatch):
    from evaluator.project import file as projectfile

    # Session 1 (pid 1): an override, then a crash.
    monkeypatch.setattr(os, "getpid", lambda: 1)
    monkeypatch.setattr(projectfile, "_SESSION", "first")
    first = new_window(qtbot)
    target = demo_with_override(qtbot, first)
    copy1 = projectfile.autosave_path(None)
    qtbot.waitUntil(lambda: copy1.exists() and not first.session.autosaver.busy, timeout=8000)
    crash(first)

    # Session 2 (pid 2): restores it. The restored project is autosaved at once under this
    # session's own name, and the first copy is removed only then.
    monkeypatch.setattr(os, "getpid", lambda: 2)
    monkeypatch.setattr(projectfile, "_SESSION", "second")
    second = new_window(qtbot)
    assert second.offer_recovery(lambda items: items[0])
    copy2 = projectfile.autosave_path(None)
    assert copy2 != copy1
    qtbot.waitUntil(lambda: copy2.exists() and not second.session.autosaver.busy, timeout=8000)
    assert not copy1.exists()
    assert override_in(copy2, target) == "A"
    settle(qtbot, second)
    crash(second)  # within seconds of the recovery: before, the work was gone now

    # Session 3: the recovered work is offered again, override included.
    monkeypatch.setattr(os, "getpid", lambda: 3)
    monkeypatch.setattr(projectfile, "_SESSION", "third")
    third = new_window(qtbot)
    offered: list = []
    assert third.offer_recovery(lambda items: offered.extend(items) or items[0])
    assert [i.autosave for i in offered] == [copy2]
    settle(qtbot, third)
    assert third.session.result.table.at[target, "tier"] == "A"


def test_recovery_copy_kept_until_saved_then_gone(qtbot, config, tmp_path, monkeypatch):
    from evaluator.project import file as projectfile

    w = new_window(qtbot)
    s = w.session
    target = demo_with_override(qtbot, w)
    own = projectfile.autosave_path(None)
    qtbot.waitUntil(lambda: own.exists() and not s.autosaver.busy, timeout=8000)
    settle(qtbot, w)
    path = tmp_path / "评价.mujun"
    assert w.save_project_as(path, wait=True)
    qtbot.waitUntil(lambda: not s.autosaver.busy, timeout=8000)
    assert path.exists() and not s.dirty
    assert not own.exists() and not projectfile.autosave_path(path).exists()
    # A new edit of the saved project: the copy goes beside the project file.
    w.results_page.set_override(target, "B", "再次调整")
    qtbot.waitUntil(lambda: projectfile.autosave_path(path).exists() and not s.autosaver.busy, timeout=8000)
    assert override_in(projectfile.autosave_path(path), target) == "B"
    # A normal exit after 放弃修改 leaves nothing behind.
    w.close()
    assert not projectfile.autosave_path(path).exists()


def test_writes_are_debounced_and_off_the_gui_thread(qtbot, config, monkeypatch):
    from evaluator.project import file as projectfile

    w = new_window(qtbot)
    s = w.session
    demo_with_override(qtbot, w)
    qtbot.waitUntil(lambda: not s.autosaver.busy, timeout=8000)
    settle(qtbot, w)
    threads: list[str] = []
    real = projectfile.write_autosave

    def spy(project, path, result=None):
        threads.append(threading.current_thread().name)
        return real(project, path, result)

    monkeypatch.setattr(projectfile, "write_autosave", spy)
    t = s.result.table
    keys = [str(k) for k in t.index[t["population"] == "above"][:10]]
    for k in keys:  # ten overrides in a burst
        s.set_override(k, "B", "批量调整")
    qtbot.waitUntil(lambda: not s.autosaver.busy, timeout=8000)
    assert 1 <= len(threads) <= 2
    assert all(name != threading.main_thread().name for name in threads)
    assert all(override_in(projectfile.autosave_path(None), k) == "B" for k in keys)


def test_a_save_during_a_slow_autosave_leaves_no_stale_copy(qtbot, config, tmp_path, monkeypatch):
    from evaluator.project import file as projectfile

    w = new_window(qtbot)
    s = w.session
    demo_with_override(qtbot, w)
    qtbot.waitUntil(lambda: not s.autosaver.busy, timeout=8000)
    settle(qtbot, w)
    real = projectfile.write_autosave
    writing = threading.Event()

    def slow(project, path, result=None):
        writing.set()
        time.sleep(0.8)
        return real(project, path, result)

    monkeypatch.setattr(projectfile, "write_autosave", slow)
    s.set_override(str(s.result.table.index[0]), "B", "调整")
    qtbot.waitUntil(writing.is_set, timeout=8000)  # the copy is being written …
    path = tmp_path / "评价.mujun"
    assert w.save_project_as(path, wait=True)  # … and the project is saved meanwhile
    qtbot.waitUntil(lambda: not s.autosaver.busy and not s.file_runner.busy, timeout=8000)
    assert not s.dirty
    assert not projectfile.autosave_path(None).exists() and not projectfile.autosave_path(path).exists()
