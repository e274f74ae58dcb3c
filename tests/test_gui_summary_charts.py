"""汇总与图表 (issue 13): score distribution with cut lines, tiers by industry, change from last
year, the summary following the results page's filter, and the 字号 setting."""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PySide6.QtGui import QColor, QImage  # noqa: E402

from .gui_fixtures import config, settle, window  # noqa: E402,F401

NAMES = {"A": "优先发展类", "B": "鼓励提升类", "C": "帮扶转型类", "D": "倒逼整治类"}


def render(chart, width: int = 640, height: int = 360) -> QImage:
    img = QImage(width, height, QImage.Format.Format_ARGB32)
    img.fill(QColor("black"))
    chart.resize(width, height)
    chart.render(img)
    return img


def colours(img: QImage) -> set[str]:
    return {img.pixelColor(x, y).name() for x in range(0, img.width(), 2) for y in range(0, img.height(), 2)}


@pytest.fixture
def standard_font(qapp):
    """The 字号 is app-wide: start from 标准 and leave the application's font and stylesheet as found."""
    from ui import style

    font, sheet, key = qapp.font(), qapp.styleSheet(), qapp.property(style.FONT_SIZE_PROPERTY)
    style.apply_style(qapp)
    yield
    style.apply_font_size(qapp, "standard")
    qapp.setFont(font)
    qapp.setStyleSheet(sheet)
    qapp.setProperty(style.FONT_SIZE_PROPERTY, key)


# --- the charts on their own ---------------------------------------------------------------------

def test_score_histogram_stacks_tiers_and_draws_cut_lines(qtbot) -> None:
    from ui.widgets.charts import TIER_COLOURS, ScoreHistogram

    c = ScoreHistogram()
    qtbot.addWidget(c)
    c.set_data([50, 60, 70, 80], {"A": [0, 0, 4], "C": [3, 1, 0]}, NAMES, ["A", "B", "C", "D"],
               cuts=[(70.0, "A类 ≥ 70 分")])
    assert c.band_totals() == [3, 1, 4] and not c.is_empty()
    seen = colours(render(c))
    assert {TIER_COLOURS["A"], TIER_COLOURS["C"], "#37474f"} <= seen  # bars and the dashed cut line
    c.set_data([50, 60], {"A": [0]})
    assert c.is_empty()


def test_transition_matrix_tints_up_and_down(qtbot) -> None:
    from ui.widgets.charts import NEW_ENTRANT, TransitionMatrix

    m = TransitionMatrix()
    qtbot.addWidget(m)
    m.set_data({("B", "A"): 3, ("B", "B"): 5, ("A", "C"): 1, (NEW_ENTRANT, "B"): 2}, ["A", "B", "C", "D"], NAMES)
    assert m.rows() == ["A", "B", "C", "D", NEW_ENTRANT]
    seen = colours(render(m, 640, 300))
    assert {TransitionMatrix.UP.name(), TransitionMatrix.DOWN.name(), TransitionMatrix.SAME.name()} <= seen


def test_industry_rows_carry_names_and_tax_per_mu() -> None:
    from ui.pages.summary import industry_rows

    rows, notes = industry_rows({"by_industry": {"33": {"tiers": {"A": 2}, "aggregates": {"tax_per_mu": 3.126}},
                                                 "（未填）": {"tiers": {"D": 1}, "aggregates": {"tax_per_mu": None}}}})
    assert rows == {"33 金属制品业": {"A": 2}, "（未填行业）": {"D": 1}}
    assert notes == {"33 金属制品业": "亩均税收 3.13 万元/亩", "（未填行业）": ""}


# --- on the demo county --------------------------------------------------------------------------

def _summary(window, qtbot):
    s = window.session
    s.open_demo()
    settle(qtbot, window)
    page = window.results_page
    page.tabs.setCurrentIndex(1)
    return s, page, page.summary


def test_distribution_industry_and_no_prior_sentence(window, qtbot) -> None:
    from ui.pages.summary import NO_PRIOR_TEXT, cut_lines, score_bands

    s, _, panel = _summary(window, qtbot)
    t = s.result.table
    assert set(panel.score_charts) == {"above", "below"}
    for pid, chart in panel.score_charts.items():
        graded = t[(t["population"] == pid) & t["total_score"].notna()]
        assert sum(chart.band_totals()) == len(graded)  # every graded firm in one band
    # By share: each line is the total of the last firm of its tier in the cut (no moves in the demo
    # move a firm across a cut between A and B).
    rules = s.result.scheme.populations["above"].tiers
    cuts, note = cut_lines(t, "above", rules)
    graded = t[t["population"] == "above"]
    assert cuts[0][0] == graded.loc[graded["initial_tier"] == rules.labels[0], "total_score"].min()
    assert "末位" in cuts[0][1] and "按比例" in note
    edges, _ = score_bands(t, "above", list(rules.labels))
    assert edges[0] <= graded["total_score"].min() and edges[-1] >= graded["total_score"].max()
    # Industries named from the division list, as many firms as graded.
    ind = panel.industry_charts["above"]
    assert any(name.startswith("36 汽车制造业") for name, _ in ind._rows)
    assert sum(sum(r.values()) for _, r in ind._rows) == len(graded)
    assert panel.no_prior_label is not None and panel.no_prior_label.text() == NO_PRIOR_TEXT
    assert "载入上年评价结果" in NO_PRIOR_TEXT and not panel.transition_charts


def test_score_scheme_cut_lines_are_its_thresholds(window, qtbot) -> None:
    from dataclasses import replace

    from ui.pages.summary import cut_lines

    s, _, _ = _summary(window, qtbot)
    rules = replace(s.result.scheme.populations["above"].tiers, method="score", thresholds=(85.0, 70.0, 60.0))
    cuts, note = cut_lines(s.result.table, "above", rules)
    assert cuts == [(85.0, "A类 ≥ 85 分"), (70.0, "B类 ≥ 70 分"), (60.0, "C类 ≥ 60 分")] and "分数线" in note


def _prior(result, path: Path) -> Path:
    from evaluator.outputs.json_result import write_json

    write_json(result, path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["year"] = result.evaluation.year - 1
    graded = [e for e in doc["enterprises"] if e["tier"]]
    for i, e in enumerate(graded):
        e["tier"] = "B" if i % 3 else "D"
    graded[0]["tier"] = None  # not graded last year: 新参评
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def test_change_from_last_year_counts_match_the_table(window, qtbot, tmp_path) -> None:
    s, _, panel = _summary(window, qtbot)
    assert window.load_prior(_prior(s.result, tmp_path / "prior.json"), ask=lambda *a: True)
    settle(qtbot, window, lambda: "prior_tier" in s.result.table)
    assert panel.no_prior_label is None and set(panel.transition_charts) == {"above", "below"}
    t = s.result.table
    for pid in ("above", "below"):
        ev = t[(t["population"] == pid) & t["tier"].notna()]
        m = panel.transition_charts[pid]
        assert sum(m._counts.values()) == len(ev)
        assert m._counts.get(("D", "A"), 0) == int(((ev["prior_tier"] == "D") & (ev["tier"] == "A")).sum())
        ch = ev["tier_change"].value_counts()
        text = panel.change_labels[pid].text()
        assert f"上升 {ch.get('升档', 0)} 家" in text and f"下降 {ch.get('降档', 0)} 家" in text
        assert f"新参评 {ch.get('新参评', 0)} 家" in text and ch.get("新参评", 0) + ch.get("持平", 0) > 0


def test_summary_follows_the_filter_and_says_so(window, qtbot) -> None:
    s, page, panel = _summary(window, qtbot)
    n = len(s.result.table)
    assert panel.scope_label.text().startswith(f"统计范围：全部 {n} 家企业")
    all_above = panel.tier_chart._counts["规上企业"]
    page.population.setCurrentIndex(page.population.findData("above"))
    t = s.result.table
    town = t.loc[t["population"] == "above", "township"].value_counts().index[0]
    page.township.setCurrentIndex(page.township.findData(town))
    shown = page.model.rowCount()
    assert 0 < shown < n
    assert panel.scope_label.text().startswith(f"当前筛选：{shown} 家（共 {n} 家）")
    sel = t[(t["population"] == "above") & (t["township"] == town)]
    assert panel.tier_chart._counts == {"规上企业": sel["tier"].value_counts().reindex(list(all_above), fill_value=0)
                                        .astype(int).to_dict()}  # 规下 (no firms listed) left out
    assert sum(panel.score_charts["above"].band_totals()) == len(sel)
    assert [name for name, _ in panel.township_charts["above"]._rows] == [town]
    # Cut lines stay those of the whole population, not of the few firms listed.
    from ui.pages.summary import cut_lines

    full, _ = cut_lines(t, "above", s.result.scheme.populations["above"].tiers)
    assert panel.score_charts["above"]._cuts == full
    page.search.setText("不存在的企业名称")
    page.apply_filter()
    assert panel.scope_label.text().startswith(f"当前筛选：0 家（共 {n} 家）")
    page.reset_filters()
    assert panel.scope_label.text().startswith(f"统计范围：全部 {n} 家企业")
    assert panel.tier_chart._counts["规上企业"] == all_above


def test_filter_behind_the_list_tab_rebuilds_the_summary_when_opened(window, qtbot) -> None:
    _, page, panel = _summary(window, qtbot)
    page.tabs.setCurrentIndex(0)
    page.population.setCurrentIndex(page.population.findData("below"))
    assert panel.scope_label.text().startswith("统计范围：全部")  # hidden: not rebuilt yet
    page.tabs.setCurrentIndex(1)
    assert panel.scope_label.text().startswith(f"当前筛选：{page.model.rowCount()} 家")


# --- 字号 --------------------------------------------------------------------------------------

def test_font_size_applies_at_once_and_persists(window, qtbot, qapp, standard_font) -> None:
    from ui import style
    from ui.app import create_app
    from ui.user_config import load_state, saved_font_size

    _, page, panel = _summary(window, qtbot)
    base = style.base_point_size()
    assert saved_font_size() is None and qapp.font().pointSizeF() == base
    row_h = page.view.verticalHeader().defaultSectionSize()
    nav_w = window.nav.width()
    assert set(window.font_size_actions) == {"standard", "large", "xlarge"}
    assert [a.text() for a in window.font_size_actions.values()] == ["标准", "较大", "特大"]
    window.font_size_actions["xlarge"].trigger()
    assert qapp.font().pointSizeF() == base + 4
    assert page.view.font().pointSizeF() == base + 4 and window.check_page.font().pointSizeF() == base + 4
    from PySide6.QtWidgets import QDialog

    dialog = QDialog(window)  # dialogs opened afterwards too
    assert dialog.font().pointSizeF() == base + 4
    dialog.deleteLater()
    assert page.view.verticalHeader().defaultSectionSize() > row_h  # rows follow the text
    assert window.nav.width() > nav_w and window.font_size_actions["xlarge"].isChecked()
    assert "font-size: 21px" in qapp.styleSheet()  # navigation 15 px × 1.4
    assert load_state()["font_size"] == "xlarge" and saved_font_size() == "xlarge"
    qtbot.waitUntil(lambda: panel.tier_chart is not None and panel.tier_chart.font().pointSizeF() == base + 4)
    # The next start applies the remembered size before any window is made.
    style.apply_font_size(qapp, "standard")
    assert qapp.font().pointSizeF() == base
    assert create_app() is qapp and qapp.font().pointSizeF() == base + 4
    window.set_font_size("standard")
    assert qapp.font().pointSizeF() == base and page.view.verticalHeader().defaultSectionSize() == row_h
    assert saved_font_size() == "standard"


def test_unknown_font_size_means_standard(qapp, standard_font) -> None:
    from ui import style

    style.apply_font_size(qapp, "huge")
    assert style.font_size_key(qapp) == "standard" and qapp.font().pointSizeF() == style.base_point_size()
    assert np.isclose(style.font_scale(qapp), 1.0)


def test_a_font_change_just_before_the_panel_goes_rebuilds_nothing_dead(window, qtbot, qapp) -> None:
    from PySide6.QtCore import QEvent
    from shiboken6 import delete

    _, page, panel = _summary(window, qtbot)
    assert panel._shown[0] is not None
    qapp.sendEvent(panel, QEvent(QEvent.Type.ApplicationFontChange))  # queues the rebuild
    delete(panel)  # the page rebuilt or the window closed before the next turn of the event loop
    qtbot.wait(50)  # a rebuild of the deleted panel raised here ("already deleted")


def test_summary_never_takes_the_list_rows_of_the_previous_result(window, qtbot) -> None:
    s, page, panel = _summary(window, qtbot)
    page.tabs.setCurrentIndex(0)
    page.population.setCurrentIndex(page.population.findData("below"))  # the summary is stale behind the list
    calls: list[bool] = []
    real = panel.set_result

    def spy(result, rows=None):  # noqa: ANN001, ANN202
        calls.append(result is None or page.model.table is s.outcome.enterprises)
        real(result, rows)

    panel.set_result = spy
    # The summary tab opened in the turn between a new result and the list's refresh.
    s.result_changed.connect(lambda: page.tabs.setCurrentIndex(1))
    s.remove_file(s.project.files[-1].name)  # other firms: old row positions mean other firms or none
    settle(qtbot, window)
    assert calls and all(calls)
    assert panel.scope_label.text().startswith(f"当前筛选：{page.model.rowCount()} 家")
