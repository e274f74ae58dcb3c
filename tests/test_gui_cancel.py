"""取消 is honoured within a second, and the status says so (issue 13).

Before: for 98,935 firms the letters job ran ~40 s after 取消 (preparing 100k letters looked at
the flag only once it was done, then the process pool was started and waited for), the status
still said "生成告知书…" and other exports were refused. Letters for all firms started without
saying how many. Here a 12,000-firm county (the demo county forty times over) stands in for the
big one: big enough that the old code took seconds to notice.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from types import SimpleNamespace

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

TIMEOUT = 120_000


def needs_font() -> None:
    from evaluator.core.issues import InputError
    from evaluator.outputs.fonts import find_cjk_font

    try:
        find_cjk_font()
    except InputError:
        pytest.skip("no Chinese font for the letters on this machine")


def scaled(result, times: int):
    """The same firms `times` over under new keys: a big county without a big workbook."""
    t = result.table
    parts = []
    for i in range(times):
        part = t.copy()
        part.index = pd.Index([f"{k}-{i}" for k in t.index], name=t.index.name)
        parts.append(part)
    return dataclasses.replace(result, evaluation=dataclasses.replace(result.evaluation, table=pd.concat(parts)))


@pytest.fixture
def page(qtbot, tmp_path):
    from ui.pages.export_page import ExportPage
    from ui.session import Session

    session = Session()
    page = ExportPage(session)  # not qtbot.addWidget: pytest-qt deletes those before this teardown runs
    page.set_out_dir(tmp_path / "输出")
    messages: list[str] = []
    session.message.connect(messages.append)
    page.messages = messages  # type: ignore[attr-defined]
    progress: list[str] = []
    page.runner.progress.connect(lambda f, m: progress.append(m))
    page.progress_seen = progress  # type: ignore[attr-defined]
    yield page
    page.runner.cancel()
    qtbot.waitUntil(lambda: not page.runner.busy, timeout=TIMEOUT)
    page.deleteLater()
    session.deleteLater()


def show(page, result) -> None:
    page.session.outcome = SimpleNamespace(result=result, enterprises=SimpleNamespace(extra={"townships": []}))
    page.refresh()


def cancel_and_wait(qtbot, page) -> None:
    """取消, then the job ends (how fast is `benchmarks/bench_gui_table.py`'s to measure, not a test's)."""
    page.cancel("生成告知书")
    assert page.status.text() == "正在取消生成告知书…"
    assert page.messages[-1] == "正在取消生成告知书…"
    qtbot.waitUntil(lambda: not page.runner.busy, timeout=TIMEOUT)


def test_cancel_while_letters_are_prepared_stops_within_a_second(qtbot, page, sample_result):
    needs_font()
    show(page, scaled(sample_result, 40))
    assert page.export_letters(keys=None, scope_name="全部", combined=True)
    qtbot.wait(300)  # well inside the preparation of 11,000 letters
    assert page.runner.busy
    cancel_and_wait(qtbot, page)
    assert not list((Path(page.folder.text()) / "告知书").glob("*.pdf"))  # stopped before any letter was drawn
    assert page.status.text().startswith("已取消生成告知书")
    assert page.messages[-1].startswith("已取消生成告知书")
    # Another export is accepted at once.
    assert page.export_json(Path(page.folder.text()) / "结果.json")
    qtbot.waitUntil(lambda: not page.runner.busy, timeout=TIMEOUT)
    assert page.last_error == ""


def test_cancel_while_letters_render_stops_within_a_second_and_leaves_no_half_file(qtbot, page, sample_result,
                                                                                    tmp_path, monkeypatch):
    needs_font()
    scheduled: list[int] = []
    monkeypatch.setattr(page.session.autosaver, "schedule", lambda: scheduled.append(1))
    show(page, scaled(sample_result, 40))
    assert page.export_letters(keys=None, scope_name="全部", combined=True)
    qtbot.waitUntil(lambda: any(m.startswith("已生成告知书") for m in page.progress_seen), timeout=TIMEOUT)
    cancel_and_wait(qtbot, page)
    assert page.status.text().startswith("已取消生成告知书")
    out = Path(page.folder.text())
    assert not list(out.rglob("*.part"))
    letters = list((out / "告知书").glob("*.pdf"))
    assert letters and len(letters) < 11_000
    assert all(p.read_bytes().rstrip().endswith(b"%%EOF") for p in letters)
    assert not [p for p in out.glob("*.pdf") if "合订本" in p.name]
    # The letters written before the cancel carry 文号: the register keeps the batch's numbers, so
    # the next batch can give none of them to another firm.
    register = page.session.project.doc_numbers
    assert len(register) >= len(letters)
    assert len({(d.series, d.serial) for d in register}) == len(register)
    assert page.session.project.audit[-1].action == "doc_numbers"
    assert page.session.dirty and scheduled  # unsaved work like any edit: a recovery copy is on its way


def test_letters_for_all_firms_ask_first_with_the_count(qtbot, page, sample_result):
    from evaluator.outputs.gate import release_gate

    show(page, sample_result)
    held = release_gate(sample_result).held
    t = sample_result.table
    evaluated = t["population"].notna() & ~t.index.isin(list(held))
    n = int(evaluated.sum())  # the demo county holds back 力盛 (evaluated) and four others
    n_held = len(held)
    asked: list[str] = []
    page.confirm = lambda title, text: asked.append(text) or False
    page.scope_all.setChecked(True)
    assert not page.letters_clicked()
    assert not page.runner.busy and page.status.text() == "未生成告知书。"
    assert f"告知书 {n:,} 份" in asked[0] and "全部参评企业" in asked[0]
    assert f"{n_held:,} 家企业的数据问题尚未处理，暂缓发放" in asked[0]
    assert f"{len(t) - n - n_held:,} 家未参评企业" in asked[0]
    # A small scope (one tier, fewer than 1,000 letters) starts without asking.
    asked.clear()
    page.scope_tier.setChecked(True)
    page.tier.setCurrentIndex(page.tier.findData("D"))
    page.confirm = lambda title, text: asked.append(text) or True
    started = page.letters_clicked()
    assert asked == [] and started == page.runner.busy


def test_status_bar_cancel_says_cancelling_then_cancelled(qtbot, tmp_path, monkeypatch):
    from ui.main_window import MainWindow

    monkeypatch.setenv("MUJUN_CONFIG_DIR", str(tmp_path / "config"))
    w = MainWindow()
    w.ask_unsaved = lambda: "discard"
    qtbot.addWidget(w)
    w.session.open_demo()  # reading five files: a job the status bar can cancel
    qtbot.waitUntil(lambda: w.session.busy, timeout=TIMEOUT)
    shown: list[str] = []
    w.statusBar().messageChanged.connect(shown.append)
    w.cancel_work()
    qtbot.waitUntil(lambda: not w.session.busy, timeout=TIMEOUT)
    assert w.session.result is None  # the read was abandoned, not finished
    assert "正在取消…" in shown and w.statusBar().currentMessage() == "已取消"
