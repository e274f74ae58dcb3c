"""A main window on a private config folder, shared by the GUI workflow tests."""

from __future__ import annotations

from pathlib import Path

import pytest

TIMEOUT = 120_000


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private config folder, so the tests never read or write the real user profile."""
    d = tmp_path / "config"
    monkeypatch.setenv("MUJUN_CONFIG_DIR", str(d))  # settings.toml goes there too
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return d


@pytest.fixture
def window(qtbot, config):
    from ui.main_window import MainWindow

    w = MainWindow()
    w.ask_unsaved = lambda: "discard"  # closing at teardown must not open a modal dialog
    qtbot.addWidget(w)
    yield w
    w.session.cancel()
    w.export_page.runner.cancel()


def settle(qtbot, window, changed=lambda: True) -> None:
    """Wait until no worker runs, the latest result satisfies `changed` and the pages show it."""
    s = window.session
    qtbot.waitUntil(lambda: not s.busy and s.result is not None and changed() and not window.refresh_pending(),
                    timeout=TIMEOUT)
