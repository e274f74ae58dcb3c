"""A scheme whose tiers are 甲乙丙丁, through the pipeline, a letter and the app's table: nothing
may assume the letters A–D (veto defaults, sorting, colours, the tier printed on the letter)."""

from __future__ import annotations

import os
import re

import pytest

from evaluator.core.paths import templates_dir
from evaluator.method.scheme import parse_scheme
from evaluator.outputs.letters import write_letters
from evaluator.pipeline.run import run

from .outputs_fixtures import flat, hostile_rows, pdf_text, settings, write_xlsx

CN_LABELS = {"A": "甲", "B": "乙", "C": "丙", "D": "丁"}


def chinese_reference():
    """The reference scheme with tiers 甲乙丙丁 and veto/protection left to their default tier."""
    text = (templates_dir() / "schemes" / "reference.toml").read_text(encoding="utf-8")
    text = text.replace(', max_tier = "C"', "").replace(', min_tier = "C"', "")
    text = re.sub(r"^([ABCD]) = ", lambda m: f'"{CN_LABELS[m.group(1)]}" = ', text, flags=re.MULTILINE)
    return parse_scheme(text, "cn.toml")


@pytest.fixture(scope="module")
def cn_result(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cn")
    return run([write_xlsx(tmp / "h.xlsx", hostile_rows())], chinese_reference(), 2025)


def test_chinese_tier_codes_grade_and_veto(cn_result):
    s = cn_result.scheme.populations["above"].tiers
    assert s.labels == ("甲", "乙", "丙", "丁") and s.veto_max == "丙" and s.protect_min == "丙"
    tiers = set(cn_result.table["tier"].dropna())
    assert tiers and tiers <= set(s.labels)
    assert cn_result.evaluation.summary["above"]["tiers"].keys() == {"甲", "乙", "丙", "丁"}


def test_letter_prints_the_chinese_tier(cn_result, tmp_path):
    t = cn_result.table
    key = t.index[t["tier"] == "甲"][0]
    path = write_letters(cn_result, tmp_path / "out", settings(), keys=[key], workers=1)[0]
    text = flat(pdf_text(path))
    assert "评价等级为甲类（优先发展类）" in text and "A类" not in text


def test_app_table_sorts_and_colours_by_position(cn_result):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    pytest.importorskip("PySide6")
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from ui import style
    from ui.models import ColumnTableModel, build_enterprise_table

    _app = QApplication.instance() or QApplication([])
    table = build_enterprise_table(cn_result)
    model = ColumnTableModel(table)
    col = table.column_index("tier")
    model.sort(col, Qt.SortOrder.AscendingOrder)
    shown = [model.index(r, col).data() for r in range(model.rowCount())]
    graded = [x for x in shown if x]
    order = {"甲": 0, "乙": 1, "丙": 2, "丁": 3}
    assert graded == sorted(graded, key=order.__getitem__) and len(set(graded)) >= 3
    top = shown.index("甲")
    bg = model.index(top, col).data(Qt.ItemDataRole.BackgroundRole)
    assert bg.name() == style.TIER_COLOURS["A"][0]
    assert style.tier_palette([("甲", "乙", "丙", "丁")]) == {"甲": "A", "乙": "B", "丙": "C", "丁": "D"}
    assert style.tier_palette([("A+", "A", "B", "C", "D")])["A+"] == "A+"


def test_summary_chips_and_detail_badge_colour_by_position():
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    pytest.importorskip("PySide6")
    from ui import style
    from ui.pages.detail import tier_badge
    from ui.pages.summary import tier_chips

    html = tier_chips({"甲": 1, "乙": 2, "丙": 3, "丁": 4}, {}, {})
    assert style.TIER_COLOURS["A"][0] in html and style.TIER_COLOURS["D"][0] in html
    assert style.TIER_COLOURS["D"][0] in tier_badge("丁", "丁类", ("甲", "乙", "丙", "丁"))
