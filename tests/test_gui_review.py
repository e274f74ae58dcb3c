"""The 复核与公示 page on the demo county, driven through the slots its dialogs feed."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from evaluator.outputs.gate import release_gate  # noqa: E402

from .outputs_fixtures import flat, pdf_text  # noqa: E402
from .test_gui_workflow import config, settle, window  # noqa: E402, F401 (fixtures)
from .test_review import COOP, LISHENG, TYPO  # noqa: E402


def _settle(qtbot, window, changed=lambda: True) -> None:  # noqa: F811
    settle(qtbot, window, lambda: changed() and not window.review_page.refresh_later.pending)


def test_review_page_walks_the_cycle(window, qtbot, tmp_path) -> None:  # noqa: F811
    s = window.session
    s.open_demo()
    _settle(qtbot, window)
    page = window.review_page
    window.go(window.stack.indexOf(page))
    assert window.stack.currentWidget() is page
    assert page.tabs.tabText(0) == "暂缓发放（5 家）" and page.suggestion_table.rowCount() == 1
    assert page.suggestion_table.item(0, 0).text() == TYPO

    assert page.accept_suggestions([0]) == 1
    _settle(qtbot, window, lambda: TYPO not in s.result.table.index)
    assert s.result.table.at[LISHENG, "tier"] == "C"
    page.resolve("not_enterprise", COOP, "村股份经济合作社，非工业企业")
    _settle(qtbot, window, lambda: COOP not in s.result.table.index)
    assert page.tabs.tabText(0) == "暂缓发放（2 家）"
    assert page.held_table.rowCount() == len(release_gate(s.result).held)
    window.grab().save(str(tmp_path / "review_page.png"))

    page.freeze("initial", "初评")
    number = page.add_objection(LISHENG, "2026-03-04", "宗地测绘面积有误", ["land"])
    page.decide(number, "accepted", "按不动产权证书面积更正", {"land": 53.72})
    _settle(qtbot, window, lambda: s.result.table.at[LISHENG, "tier"] == "B")
    d = page.diff("initial")
    assert [f.key for f in d.direct] == [LISHENG]
    assert page.objection_table.rowCount() == 1 and page.objection_table.item(0, 6).text() == "采纳"

    lst = page.export_publicity(tmp_path / "公示名单.pdf")
    text = flat(pdf_text(tmp_path / "公示名单.pdf"))
    assert "排名不分先后" in text and "综合得分" not in text and lst.held == []
    page.set_confirmation(LISHENG, "disputed", ["land"], "宗地面积与证书不符")
    _settle(qtbot, window)
    assert page.confirm_table.item(0, 2).text() == "有异议" and page.confirm_table.item(0, 3).text() == "用地面积"
    page.answer(number, "2026-03-12")
    _settle(qtbot, window)
    assert page.objection_table.item(0, 8).text() == "2026-03-12"
    page.export_register(tmp_path / "异议登记表.xlsx")
    assert (tmp_path / "异议登记表.xlsx").stat().st_size > 0
    # the review cycle's outputs are in the audit record, like the export page's
    exports = [a for a in s.project.audit if a.action == "export"]
    assert [a.target for a in exports] == ["公示名单（PDF）", "异议登记表"]
    assert "1 件" in exports[1].after and str(tmp_path) in exports[1].after


def test_held_findings_are_readable_at_1366_without_hovering(window, qtbot) -> None:  # noqa: F811
    """The 说明 of a held firm (often two lines of Chinese) wraps inside its cell: no column is so
    wide that it pushes 说明 off the page, and the row grows to show the whole text."""
    from ui.pages.review_page import COLUMN_MAX

    window.resize(1366, 728)
    s = window.session
    s.open_demo()
    _settle(qtbot, window)
    page = window.review_page
    window.go(window.stack.indexOf(page))
    qtbot.wait(50)
    t = page.held_table
    assert t.rowCount() == 5
    assert all(t.columnWidth(j) <= COLUMN_MAX for j in range(t.columnCount() - 1))
    last = t.columnCount() - 1
    fm = t.fontMetrics()
    for i in range(t.rowCount()):
        lines_needed = fm.horizontalAdvance(t.item(i, last).text()) // max(1, t.columnWidth(last) - 8) + 1
        assert t.rowHeight(i) >= lines_needed * fm.height(), t.item(i, last).text()


def test_review_decisions_are_autosaved_like_every_edit(window, qtbot, monkeypatch) -> None:  # noqa: F811
    s = window.session
    s.open_demo()
    _settle(qtbot, window)
    scheduled: list[int] = []
    monkeypatch.setattr(s.autosaver, "schedule", lambda: scheduled.append(1))
    window.review_page.set_confirmation(LISHENG, "confirmed")
    assert s.dirty and len(scheduled) == 1
    window.review_page.resolve("not_enterprise", COOP, "村股份经济合作社，非工业企业")
    assert len(scheduled) == 2
    _settle(qtbot, window, lambda: COOP not in s.result.table.index)
