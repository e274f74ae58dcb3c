"""The scheme page's 方案模拟测算: after an edit, the panel compares the edited scheme with the one
the project was opened with, on the project's data, off the GUI thread."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from evaluator.method.compare import with_weights  # noqa: E402

TIMEOUT = 60_000


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("MUJUN_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    from ui.main_window import MainWindow

    w = MainWindow()
    w.ask_unsaved = lambda: "discard"
    qtbot.addWidget(w)
    yield w
    w.session.cancel()
    w.scheme_page.compare.runner.cancel()


def test_edited_weights_are_compared_with_the_opened_scheme(window, qtbot, tmp_path):
    s = window.session
    s.open_demo()
    qtbot.waitUntil(lambda: not s.busy and s.result is not None and not window.refresh_pending(), timeout=TIMEOUT)
    panel = window.scheme_page.compare
    panel.live.setChecked(True)
    opened = s.project.scheme
    edited = with_weights(opened, {"above.tax_per_mu": 60})
    s.set_scheme(edited.text, "edited.toml")
    qtbot.waitUntil(lambda: panel.comparison is not None and not panel.runner.busy, timeout=TIMEOUT)
    c = panel.comparison
    assert c.scheme_a.fingerprint == opened.fingerprint
    above = next(p for p in c.populations if p.id == "above")
    assert above.moved > 0 and int(above.matrix.to_numpy().sum()) == 153
    below = next(p for p in c.populations if p.id == "below")
    assert below.moved == 0  # only a 规上 weight changed
    assert panel.movers.rowCount() == len(c.movers) and "亩均税收得分" in panel.movers.item(0, 5).text()
    assert "权重 30 → 60" in " ".join(c.movers["reason"])
    out = tmp_path / "cmp.xlsx"
    panel.export(str(out))
    assert out.exists()
