"""Charts paint with data and when empty, into images of any size."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import math  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtGui import QColor, QImage  # noqa: E402

from ui.widgets.charts import (  # noqa: E402
    TIER_COLOURS,
    IndicatorBenchmarkChart,
    TierBarChart,
    TownshipTierChart,
    tier_colour,
)

NAMES = {"A": "优先发展类", "B": "鼓励提升类", "C": "帮扶转型类", "D": "倒逼整治类"}


def render(chart, width: int = 600, height: int = 360) -> QImage:
    img = QImage(width, height, QImage.Format.Format_ARGB32)
    img.fill(QColor("black"))
    chart.resize(width, height)
    chart.render(img)  # goes through paintEvent, as on screen
    return img


def colours(img: QImage) -> set[str]:
    return {img.pixelColor(x, y).name() for x in range(0, img.width(), 3) for y in range(0, img.height(), 3)}


def populated(kind: str):
    if kind == "tier":
        c = TierBarChart()
        c.set_data({"规上企业": {"A": 67, "B": 166, "C": 83, "D": 16}, "规下企业": {"A": 5, "B": 9, "C": 3, "D": 0}},
                   NAMES)
    elif kind == "township":
        c = TownshipTierChart()
        c.set_data({"城关镇": {"A": 5, "B": 12, "C": 6, "D": 1}, "高新技术产业开发区管委会": {"A": 9, "C": 2},
                    "西湖乡": {"D": 3}}, NAMES)
    else:
        c = IndicatorBenchmarkChart()
        c.set_data([{"label": "亩均税收", "value": 3.1, "benchmark": 2.9, "unit": "万元/亩"},
                    {"label": "单位能耗增加值", "value": None, "benchmark": 1.2, "unit": "万元/吨标准煤"},
                    {"label": "单位电耗税收", "value": 9.0, "benchmark": 0.24, "unit": "万元/万千瓦时"},
                    {"label": "研发经费投入强度", "value": math.nan, "benchmark": None, "unit": "%"},
                    {"label": "单位能耗（成本型）", "value": 1.5, "benchmark": 1.0, "direction": "cost"}])
    return c


KINDS = ["tier", "township", "benchmark"]
EMPTY = {"tier": TierBarChart, "township": TownshipTierChart, "benchmark": IndicatorBenchmarkChart}


def test_tier_colours_are_exported():
    assert TIER_COLOURS == {"A": "#2e7d32", "B": "#1565c0", "C": "#f9a825", "D": "#c62828"}
    assert tier_colour("A").name() == "#2e7d32"
    extra = tier_colour("E", ["A", "B", "C", "D", "E"])
    assert extra.name() not in TIER_COLOURS.values()


@pytest.mark.parametrize("kind", KINDS)
def test_charts_paint_with_data(qtbot, kind):
    chart = populated(kind)
    qtbot.addWidget(chart)
    assert not chart.is_empty()
    img = render(chart)
    seen = colours(img)
    assert "#ffffff" in seen  # background painted over the black canvas
    if kind != "benchmark":
        assert {TIER_COLOURS["A"], TIER_COLOURS["D"]} <= seen
    else:
        assert IndicatorBenchmarkChart.GOOD.name() in seen and IndicatorBenchmarkChart.WEAK.name() in seen


@pytest.mark.parametrize("kind", KINDS)
def test_charts_paint_empty(qtbot, kind):
    chart = EMPTY[kind]()
    qtbot.addWidget(chart)
    assert chart.is_empty()
    seen = colours(render(chart, 400, 240))
    assert not seen & set(TIER_COLOURS.values())


@pytest.mark.parametrize("kind", KINDS)
def test_charts_survive_tiny_sizes_and_export_images(qtbot, kind):
    chart = populated(kind)
    qtbot.addWidget(chart)
    render(chart, 40, 30)  # must not raise on a squeezed layout
    img = chart.to_image(500, 300, scale=2)
    assert (img.width(), img.height()) == (1000, 600)
    assert chart.minimumSizeHint().width() >= 300


def test_empty_data_shapes_count_as_empty(qtbot):
    c = TierBarChart()
    qtbot.addWidget(c)
    c.set_data({})
    assert c.is_empty()
    t = TownshipTierChart()
    qtbot.addWidget(t)
    t.set_data({})
    assert t.is_empty()
    b = IndicatorBenchmarkChart()
    qtbot.addWidget(b)
    b.set_data([])
    assert b.is_empty()


def test_township_chart_grows_with_townships(qtbot):
    t = TownshipTierChart()
    qtbot.addWidget(t)
    t.set_data({f"乡镇{i}": {"A": i} for i in range(30)})
    assert t.sizeHint().height() >= 30 * 20


def test_benchmark_items_from_a_table_row():
    from evaluator.method.scheme import load_scheme

    rules = load_scheme("reference").populations["below"].indicators
    row = {"v_tax_per_mu": 1.0, "b_tax_per_mu": 0.5, "v_tax_per_kwh": None, "b_tax_per_kwh": 0.24}
    items = IndicatorBenchmarkChart.items_from_row(row, rules)
    assert [(i["label"], i["value"], i["benchmark"], i["unit"]) for i in items] == [
        ("亩均税收", 1.0, 0.5, "万元/亩"), ("单位电耗税收", None, 0.24, "万元/万千瓦时")]
