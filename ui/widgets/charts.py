"""Charts drawn with QPainter: tier counts, tiers by township, one firm against the benchmarks.

PySide6-Essentials has no QtCharts, and the three pictures officials ask for are simple, so each
chart is a small widget that paints itself. Every chart paints through `paint(painter, rect)`,
so the same drawing goes to the screen, to a `QImage` (`to_image`) for reports and tests, or to
any other paint device. Inputs are plain Python (dicts and lists), never DataFrames, so callers
pass slices of `RunResult.evaluation.summary` or one row of `RunResult.table` directly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QGuiApplication,
    QImage,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from evaluator.core.values import finite_or_none

# Tier colours used throughout the UI (tables, charts, badges): green is good, red needs action.
TIER_COLOURS: dict[str, str] = {"A": "#2e7d32", "B": "#1565c0", "C": "#f9a825", "D": "#c62828"}
# Schemes may add tiers (A+, E, 不定级); they get these in order, never a tier colour twice.
_EXTRA_COLOURS = ("#6a1b9a", "#00838f", "#8d6e63", "#546e7a", "#ad1457", "#5d4037")
# Text drawn on a tier colour must stay readable: amber needs dark text, the others white.
_DARK_TEXT_ON = {"C"}

CJK_FAMILIES = ["Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", "Source Han Sans SC",
                "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "SimHei", "sans-serif"]
EMPTY_TEXT = "暂无数据"

_AXIS = QColor("#9e9e9e")
_GRID = QColor("#e0e0e0")
_TEXT = QColor("#212121")
_MUTED = QColor("#616161")


def cjk_font(point_size: float | None = None, bold: bool = False) -> QFont:
    """The application's font with Chinese-capable fallbacks (YaHei, Noto CJK, WenQuanYi …).

    `point_size` None keeps the application's size, so widgets follow `ui.style.apply_style`.
    """
    app_font = QGuiApplication.font()
    families = [fam for fam in app_font.families() if fam not in CJK_FAMILIES] + CJK_FAMILIES
    f = QFont(app_font)
    f.setFamilies(families)
    size = point_size if point_size is not None else app_font.pointSizeF()
    f.setPointSizeF(size if size and size > 0 else 9.0)
    f.setBold(bold)
    return f


def tier_colour(label: str, order: Sequence[str] = ()) -> QColor:
    """The colour of a tier label. Codes of a scheme whose tiers are not A–D (甲乙丙丁) take the
    colour of their place (top green … bottom red); other unknown labels a stable extra colour."""
    if label in TIER_COLOURS and all(x in TIER_COLOURS for x in order):
        return QColor(TIER_COLOURS[label])
    if label in order and not any(x in TIER_COLOURS for x in order):
        steps, last = ("A", "B", "C", "D"), max(len(order) - 1, 1)
        return QColor(TIER_COLOURS[steps[round(list(order).index(label) * 3 / last)]])
    if label in TIER_COLOURS:
        return QColor(TIER_COLOURS[label])
    extras = [x for x in order if x not in TIER_COLOURS]
    i = extras.index(label) if label in extras else abs(hash(label))
    return QColor(_EXTRA_COLOURS[i % len(_EXTRA_COLOURS)])


def text_colour_on(label: str) -> QColor:
    return QColor("#212121") if label in _DARK_TEXT_ON else QColor("#ffffff")


def _tier_order(groups: Iterable[Mapping[str, Any]], explicit: Sequence[str] | None) -> list[str]:
    if explicit:
        return list(explicit)
    seen: dict[str, None] = {}
    for g in groups:
        for k in g:
            seen.setdefault(str(k), None)
    known = [k for k in TIER_COLOURS if k in seen]
    return known + [k for k in seen if k not in TIER_COLOURS]


def _nice_max(value: float) -> float:
    """A round axis maximum ≥ value (1, 2, 2.5, 5, 10 × 10ⁿ) so gridlines land on round numbers."""
    if value <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    for m in (1, 2, 2.5, 5, 10):
        if value <= m * exp:
            return m * exp
    return 10 * exp


def _with_unit(v: float | None, unit: str) -> str:
    from evaluator.method.indicators import format_number

    return format_number(v, unit, with_unit=True)


def _fmt_count(v: float) -> str:
    return f"{int(round(v))}"


class _Chart(QWidget):
    """Common plumbing: font, white background, empty state, painting into images."""

    def __init__(self, parent: QWidget | None = None, title: str = ""):
        super().__init__(parent)
        self._title = title
        # No font set here: the widget inherits the application's font, so the 字号 setting
        # (ui.style.apply_font_size) reaches the charts; `paint` adds the CJK fallbacks.
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)

    def title(self) -> str:
        return self._title

    def set_title(self, title: str) -> None:
        self._title = title
        self.update()

    def is_empty(self) -> bool:  # pragma: no cover - overridden
        return True

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(320, 200)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(560, 320)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt API)
        p = QPainter(self)
        try:
            self.paint(p, QRectF(self.rect()))
        finally:
            p.end()

    def to_image(self, width: int | None = None, height: int | None = None, scale: float = 2.0) -> QImage:
        """The chart as an image (`scale` 2 for print/retina sharpness); size defaults to sizeHint."""
        w = width or max(self.width(), self.sizeHint().width())
        h = height or max(self.height(), self.sizeHint().height())
        img = QImage(int(w * scale), int(h * scale), QImage.Format.Format_ARGB32_Premultiplied)
        img.setDevicePixelRatio(scale)
        img.fill(QColor("white"))
        p = QPainter(img)
        try:
            self.paint(p, QRectF(0, 0, w, h))
        finally:
            p.end()
        return img

    def paint(self, p: QPainter, rect: QRectF) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        p.fillRect(rect, QColor("white"))
        base = cjk_font(self.font().pointSizeF())
        p.setFont(base)
        body = QRectF(rect)
        if self._title:
            tf = cjk_font(base.pointSizeF() + 1.5, bold=True)
            p.setFont(tf)
            th = QFontMetricsF(tf).height()
            p.setPen(_TEXT)
            p.drawText(QRectF(rect.left() + 8, rect.top() + 6, rect.width() - 16, th),
                       int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), self._title)
            p.setFont(base)
            body.setTop(rect.top() + 6 + th + 4)
        if self.is_empty():
            p.setPen(_MUTED)
            p.drawText(body, int(Qt.AlignmentFlag.AlignCenter), EMPTY_TEXT)
            return
        self._paint_body(p, body)

    def _paint_body(self, p: QPainter, rect: QRectF) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    # --- shared pieces ----------------------------------------------------------------------
    def _legend(self, p: QPainter, rect: QRectF, tiers: Sequence[str], names: Mapping[str, str]) -> float:
        """One row (wrapping if needed) of colour swatches with tier names; returns its height."""
        fm = QFontMetricsF(p.font())
        sw = fm.height() * 0.8
        x, y = rect.left(), rect.top()
        row_h = fm.height() + 4
        for t in tiers:
            text = f"{t}类 {names[t]}" if names.get(t) else f"{t}类"
            w = sw + 4 + fm.horizontalAdvance(text) + 14
            if x + w > rect.right() and x > rect.left():
                x, y = rect.left(), y + row_h
            p.fillRect(QRectF(x, y + (row_h - sw) / 2, sw, sw), tier_colour(t, tiers))
            p.setPen(_TEXT)
            p.drawText(QRectF(x + sw + 4, y, w, row_h), int(Qt.AlignmentFlag.AlignVCenter), text)
            x += w
        return y + row_h - rect.top()


class TierBarChart(_Chart):
    """Firms per tier, grouped by population (规上 / 规下), one coloured bar per tier.

    `set_data(counts, tier_names=None, tiers=None)`:
    - `counts`: `{population label: {tier label: count}}`, e.g.
      `{"规上企业": {"A": 67, "B": 166, "C": 83, "D": 16}, "规下企业": {...}}`
      (`summary[pid]["tiers"]` keyed by `summary[pid]["label"]`). Groups are drawn in dict order.
    - `tier_names`: `{"A": "优先发展类", ...}` for the legend (optional).
    - `tiers`: the tier order (defaults to A, B, C, D, then any others as they appear).
    A population with no firms still gets its group (all zeros); no populations → 暂无数据.
    """

    def __init__(self, parent: QWidget | None = None, title: str = "各类别企业数量"):
        super().__init__(parent, title)
        self._counts: dict[str, dict[str, int]] = {}
        self._names: dict[str, str] = {}
        self._tiers: list[str] = []

    def set_data(self, counts: Mapping[str, Mapping[str, int]], tier_names: Mapping[str, str] | None = None,
                 tiers: Sequence[str] | None = None) -> None:
        self._counts = {str(k): {str(t): int(n or 0) for t, n in v.items()} for k, v in counts.items()}
        self._names = dict(tier_names or {})
        self._tiers = _tier_order(self._counts.values(), tiers or (list(self._names) or None))
        self.updateGeometry()
        self.update()

    def is_empty(self) -> bool:
        return not self._counts or not self._tiers

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(max(320, 90 * max(1, len(self._counts)) + 80), 220)

    def _paint_body(self, p: QPainter, rect: QRectF) -> None:
        fm = QFontMetricsF(p.font())
        legend_h = self._legend(p, rect.adjusted(10, 0, -10, 0), self._tiers, self._names)
        vmax = max([n for g in self._counts.values() for n in g.values()] + [0])
        top = _nice_max(vmax * 1.12) if vmax > 0 else 1.0
        ticks = 5 if top >= 5 else int(top)
        y_label_w = fm.horizontalAdvance(_fmt_count(top)) + 10
        plot = QRectF(rect.left() + 10 + y_label_w, rect.top() + legend_h + fm.height() + 6,
                      rect.width() - 20 - y_label_w, 0)
        plot.setBottom(rect.bottom() - fm.height() * 1.6 - 6)
        if plot.height() < 20 or plot.width() < 20:
            return
        # Grid and y labels.
        for i in range(ticks + 1):
            v = top * i / ticks
            y = plot.bottom() - plot.height() * i / ticks
            p.setPen(QPen(_GRID if i else _AXIS, 1))
            p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            p.setPen(_MUTED)
            p.drawText(QRectF(rect.left() + 4, y - fm.height() / 2, y_label_w, fm.height()),
                       int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), _fmt_count(v))
        groups = list(self._counts.items())
        gw = plot.width() / len(groups)
        nb = len(self._tiers)
        bar_w = min(48.0, gw * 0.8 / nb)
        for gi, (gname, row) in enumerate(groups):
            gx = plot.left() + gi * gw
            start = gx + (gw - bar_w * nb) / 2
            for ti, t in enumerate(self._tiers):
                n = row.get(t, 0)
                h = plot.height() * n / top
                bar = QRectF(start + ti * bar_w + 1, plot.bottom() - h, bar_w - 2, h)
                p.fillRect(bar, tier_colour(t, self._tiers))
                p.setPen(_TEXT)
                label_rect = QRectF(bar.left() - 8, bar.top() - fm.height() - 1, bar.width() + 16, fm.height())
                p.drawText(label_rect, int(Qt.AlignmentFlag.AlignCenter), _fmt_count(n))
            total = sum(row.get(t, 0) for t in self._tiers)
            p.setPen(_TEXT)
            p.drawText(QRectF(gx, plot.bottom() + 4, gw, fm.height() * 1.5),
                       int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop),
                       fm.elidedText(f"{gname}（共 {total} 家）", Qt.TextElideMode.ElideRight, gw - 4))


class TownshipTierChart(_Chart):
    """Tiers per township as stacked horizontal bars, so a township head sees their mix at a glance.

    `set_data(rows, tier_names=None, tiers=None, sort_by_total=True)`:
    - `rows`: `{township: {tier label: count}}`, e.g. `{"城关镇": {"A": 5, "B": 12, "C": 6, "D": 1}}`
      (`{k: v["tiers"] for k, v in summary[pid]["by_township"].items()}`).
    - `tier_names`, `tiers`: as for `TierBarChart`.
    - `sort_by_total`: largest township first (otherwise dict order).
    Each bar ends with the township's total; segments wide enough show their count.
    The preferred height grows with the number of townships (about 26 px a row).
    """

    ROW_HEIGHT = 26

    def __init__(self, parent: QWidget | None = None, title: str = "各乡镇（街道）企业分类"):
        super().__init__(parent, title)
        self._rows: list[tuple[str, dict[str, int]]] = []
        self._names: dict[str, str] = {}
        self._tiers: list[str] = []
        self._notes: dict[str, str] = {}

    def row_height(self) -> float:
        """26 px, or more when a larger font (字号 setting) needs it."""
        return max(float(self.ROW_HEIGHT), QFontMetricsF(cjk_font(self.font().pointSizeF())).height() + 8)

    def set_data(self, rows: Mapping[str, Mapping[str, int]], tier_names: Mapping[str, str] | None = None,
                 tiers: Sequence[str] | None = None, sort_by_total: bool = True,
                 notes: Mapping[str, str] | None = None) -> None:
        """`notes`: a short text per row printed after its total (e.g. the row's 亩均税收)."""
        items = [(str(k), {str(t): int(n or 0) for t, n in v.items()}) for k, v in rows.items()]
        if sort_by_total:
            items.sort(key=lambda kv: -sum(kv[1].values()))
        self._rows = items
        self._notes = {str(k): str(v) for k, v in (notes or {}).items() if v}
        self._names = dict(tier_names or {})
        self._tiers = _tier_order([r for _, r in items], tiers or (list(self._names) or None))
        self.updateGeometry()
        self.update()

    def is_empty(self) -> bool:
        return not self._rows or not self._tiers

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(600, int(max(240, 90 + self.row_height() * len(self._rows))))

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(360, max(200, 80 + 18 * len(self._rows)))

    def _paint_body(self, p: QPainter, rect: QRectF) -> None:
        fm = QFontMetricsF(p.font())
        legend_h = self._legend(p, rect.adjusted(10, 0, -10, 0), self._tiers, self._names)
        label_w = min(max((fm.horizontalAdvance(name) for name, _ in self._rows), default=40) + 12,
                      rect.width() * 0.35)
        total_w = fm.horizontalAdvance("0000 家") + 8
        if self._notes:
            total_w += max(fm.horizontalAdvance(n) for n in self._notes.values()) + fm.horizontalAdvance("　")
        plot = QRectF(rect.left() + 10 + label_w, rect.top() + legend_h + 8,
                      rect.width() - 20 - label_w - total_w, rect.height() - legend_h - 14)
        if plot.width() < 20 or plot.height() < 10:
            return
        vmax = max((sum(r.values()) for _, r in self._rows), default=0) or 1
        row_h = min(self.row_height(), plot.height() / len(self._rows))
        bar_h = max(4.0, row_h * 0.66)
        small = QFont(p.font())
        small.setPointSizeF(max(6.5, min(p.font().pointSizeF(), bar_h * 0.55)))
        sfm = QFontMetricsF(small)
        p.setPen(QPen(_AXIS, 1))
        p.drawLine(QPointF(plot.left(), plot.top()), QPointF(plot.left(), plot.top() + row_h * len(self._rows)))
        for i, (name, row) in enumerate(self._rows):
            y = plot.top() + i * row_h
            cy = y + row_h / 2
            p.setPen(_TEXT)
            p.drawText(QRectF(rect.left() + 6, y, label_w - 10, row_h),
                       int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                       fm.elidedText(name, Qt.TextElideMode.ElideMiddle, label_w - 10))
            x = plot.left()
            for t in self._tiers:
                n = row.get(t, 0)
                if n <= 0:
                    continue
                w = plot.width() * n / vmax
                seg = QRectF(x, cy - bar_h / 2, w, bar_h)
                p.fillRect(seg, tier_colour(t, self._tiers))
                if sfm.horizontalAdvance(str(n)) + 4 <= w and sfm.height() <= bar_h + 2:
                    p.save()
                    p.setFont(small)
                    p.setPen(text_colour_on(t))
                    p.drawText(seg, int(Qt.AlignmentFlag.AlignCenter), str(n))
                    p.restore()
                x += w
            p.setPen(_MUTED)
            note = self._notes.get(name)
            p.drawText(QRectF(x + 4, y, total_w + 40, row_h), int(Qt.AlignmentFlag.AlignVCenter),
                       f"{sum(row.values())} 家" + (f"　{note}" if note else ""))


class IndicatorBenchmarkChart(_Chart):
    """One firm's indicators against their benchmarks: a bar of value ÷ benchmark per indicator.

    The vertical line at 1.0 is the benchmark, so "left of the line" reads as "below the county".
    `set_data(items, max_ratio=3.0)`:
    - `items`: a list of dicts, one per scored indicator, in display order:
      `{"label": "亩均税收", "value": 3.1, "benchmark": 2.9, "unit": "万元/亩",
        "direction": "benefit"}` — `value`/`benchmark` may be None or NaN (drawn as 无法计算 /
      无基准值); `unit` and `direction` are optional ("cost" indicators are better below 1.0, and
      are coloured accordingly).
      `IndicatorBenchmarkChart.items_from_row(row, scheme_population)` builds this list from a
      row of `RunResult.table` (columns `v_<id>`, `b_<id>`).
    - `max_ratio`: bars longer than this are clipped and marked with a ▸.
    """

    GOOD = QColor("#2e7d32")
    WEAK = QColor("#ef6c00")
    ROW_HEIGHT = 40

    def __init__(self, parent: QWidget | None = None, title: str = "各项指标与基准值对比"):
        super().__init__(parent, title)
        self._items: list[dict[str, Any]] = []
        self._max_ratio = 3.0

    @staticmethod
    def items_from_row(row: Mapping[str, Any], rules: Iterable[Any]) -> list[dict[str, Any]]:
        """Items for the scored indicators of a population (`Population.indicators`) from one table row."""
        from evaluator.method.indicators import INDICATOR_BY_ID

        out = []
        for r in rules:
            ind = INDICATOR_BY_ID[r.id]
            out.append({"label": ind.label, "unit": ind.unit, "value": row.get(f"v_{r.id}"),
                        "benchmark": row.get(f"b_{r.id}"), "direction": getattr(r, "direction", "benefit")})
        return out

    def set_data(self, items: Sequence[Mapping[str, Any]], max_ratio: float = 3.0) -> None:
        self._items = [dict(i) for i in items]
        self._max_ratio = max(1.5, float(max_ratio))
        self.updateGeometry()
        self.update()

    def is_empty(self) -> bool:
        return not self._items

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(620, max(220, 80 + self.ROW_HEIGHT * len(self._items)))

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        # Rows shrink to fit (see _paint_body): on a 768-pixel screen the chart must leave the
        # detail pane above it room for the score table.
        return QSize(420, max(150, 60 + 16 * len(self._items)))

    def _paint_body(self, p: QPainter, rect: QRectF) -> None:
        fm = QFontMetricsF(p.font())
        small = cjk_font(max(7.0, self.font().pointSizeF() - 1))
        sfm = QFontMetricsF(small)
        label_w = min(max(fm.horizontalAdvance(str(i.get("label", ""))) for i in self._items) + 14,
                      rect.width() * 0.3)
        ratios = []
        for it in self._items:
            v, b = finite_or_none(it.get("value")), finite_or_none(it.get("benchmark"))
            ratios.append(v / b if v is not None and b not in (None, 0.0) else None)
        finite = [r for r in ratios if r is not None]
        axis_max = min(self._max_ratio, max([2.0] + [math.ceil(max(finite) * 2) / 2 if finite else 2.0]))
        axis_h = fm.height() * 2 + 8
        plot = QRectF(rect.left() + 10 + label_w, rect.top() + 4, rect.width() - 30 - label_w,
                      rect.height() - axis_h - 10)
        if plot.width() < 40 or plot.height() < 10:
            return
        row_h = min(float(self.ROW_HEIGHT), plot.height() / len(self._items))
        # Squeezed (a 768-pixel screen): one line per indicator, bar and texts centred in it, and
        # the "本企业 … 基准值 …" line left out (the score table above lists both figures).
        compact = row_h < fm.height() + sfm.height() + 6
        bar_h = max(6.0, min(16.0, row_h * 0.42)) if not compact else max(6.0, min(14.0, row_h - 6))
        plot.setHeight(row_h * len(self._items))

        def xpos(r: float) -> float:
            return plot.left() + plot.width() * max(0.0, min(r, axis_max)) / axis_max

        # Gridlines every 0.5, labelled; the benchmark line is drawn last so it stays on top.
        step = 0.5 if axis_max <= 3 else 1.0
        k = 0.0
        while k <= axis_max + 1e-9:
            x = xpos(k)
            p.setPen(QPen(_GRID if k else _AXIS, 1))
            p.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
            p.setPen(_MUTED)
            p.drawText(QRectF(x - 30, plot.bottom() + 3, 60, fm.height()), int(Qt.AlignmentFlag.AlignHCenter),
                       f"{k:g}")
            k += step
        details: list[tuple[QRectF, str]] = []
        ratio_labels: list[tuple[QRectF, str]] = []
        for i, (it, ratio) in enumerate(zip(self._items, ratios, strict=True)):
            y = plot.top() + i * row_h
            bar_top = y + (row_h - bar_h) / 2 if compact else y + 3
            text_top = bar_top + bar_h / 2 - fm.height() / 2  # texts centred on the bar, never clipped
            unit = str(it.get("unit") or "")
            p.setPen(_TEXT)
            p.drawText(QRectF(rect.left() + 6, text_top, label_w - 12, fm.height()),
                       int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                       fm.elidedText(str(it.get("label", "")), Qt.TextElideMode.ElideRight, label_w - 12))
            v, b = finite_or_none(it.get("value")), finite_or_none(it.get("benchmark"))
            detail_rect = QRectF(plot.left() + 2, bar_top + bar_h + 1, plot.width() - 2, sfm.height())
            if ratio is None:
                p.setPen(_MUTED)
                why = "无法计算（数据缺失）" if v is None else "无基准值"
                p.drawText(QRectF(plot.left() + 4, text_top, plot.width(), fm.height()),
                           int(Qt.AlignmentFlag.AlignVCenter), why)
                if b is not None and not compact:
                    details.append((detail_rect, f"基准值 {_with_unit(b, unit)}"))
                continue
            good = ratio <= 1.0 if it.get("direction") == "cost" else ratio >= 1.0
            colour = self.GOOD if good else self.WEAK
            bar = QRectF(plot.left(), bar_top, xpos(ratio) - plot.left(), bar_h)
            p.fillRect(bar, colour)
            clipped = ratio > axis_max
            ratio_text = f"{ratio:.2f} 倍" + (" ▸" if clipped else "")
            tw = fm.horizontalAdvance(ratio_text) + 8
            if bar.right() + tw <= plot.right() + 20:
                ratio_labels.append((QRectF(bar.right() + 4, text_top, tw, fm.height()), ratio_text))
            else:  # no room to the right: write it inside the bar
                p.setPen(QColor("white"))
                p.drawText(QRectF(bar.right() - tw, text_top, tw - 4, fm.height()),
                           int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight), ratio_text)
            if not compact:
                details.append((detail_rect, f"本企业 {_with_unit(v, unit)}，基准值 {_with_unit(b, unit)}"))
        # Benchmark line at 1.0, over the bars but under the value texts (which get a white backing).
        x1 = xpos(1.0)
        pen = QPen(QColor("#37474f"), 1.6, Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.drawLine(QPointF(x1, plot.top() - 2), QPointF(x1, plot.bottom()))
        for r, text in ratio_labels:
            p.fillRect(fm.boundingRect(r, int(Qt.AlignmentFlag.AlignVCenter), text).adjusted(-2, 0, 2, 0),
                       QColor(255, 255, 255, 230))
            p.setPen(_TEXT)
            p.drawText(r, int(Qt.AlignmentFlag.AlignVCenter), text)
        p.save()
        p.setFont(small)
        for r, text in details:
            br = sfm.boundingRect(r, int(Qt.AlignmentFlag.AlignLeft), text)
            p.fillRect(br.adjusted(-2, 0, 2, 0), QColor(255, 255, 255, 230))
            p.setPen(_MUTED)
            p.drawText(r, int(Qt.AlignmentFlag.AlignLeft), text)
        p.restore()
        p.setPen(QColor("#37474f"))
        p.drawText(QRectF(x1 - 60, plot.bottom() + 3 + fm.height(), 120, fm.height()),
                   int(Qt.AlignmentFlag.AlignHCenter), "基准值 = 1")


class ScoreHistogram(_Chart):
    """How total scores spread: firms per score band, each band's bar stacked by final tier, with
    the tiers' cut lines when the scheme has them.

    `set_data(edges, counts, tier_names=None, tiers=None, cuts=(), note="")`:
    - `edges`: band edges in 分, ascending (n + 1 numbers for n bands), e.g. `[40, 45, …, 100]`;
    - `counts`: `{tier label: [firms per band]}` (stacked in `tiers` order);
    - `cuts`: `[(score, text)]` vertical dashed lines, e.g. `(85.0, "A类 ≥ 85 分")`;
    - `note`: one line under the axis (why no cut lines are drawn, what the bars count).
    """

    def __init__(self, parent: QWidget | None = None, title: str = "总分分布"):
        super().__init__(parent, title)
        self._edges: list[float] = []
        self._counts: dict[str, list[int]] = {}
        self._names: dict[str, str] = {}
        self._tiers: list[str] = []
        self._cuts: list[tuple[float, str]] = []
        self._note = ""

    def set_data(self, edges: Sequence[float], counts: Mapping[str, Sequence[int]],
                 tier_names: Mapping[str, str] | None = None, tiers: Sequence[str] | None = None,
                 cuts: Sequence[tuple[float, str]] = (), note: str = "") -> None:
        self._edges = [float(e) for e in edges]
        nb = max(len(self._edges) - 1, 0)
        self._counts = {str(t): [int(x) for x in v][:nb] for t, v in counts.items()}
        self._names = dict(tier_names or {})
        self._tiers = [t for t in _tier_order([self._counts], tiers) if t in self._counts]
        self._cuts = [(float(x), str(t)) for x, t in cuts]
        self._note = note
        self.update()

    def band_totals(self) -> list[int]:
        nb = max(len(self._edges) - 1, 0)
        return [sum(self._counts[t][i] for t in self._tiers if i < len(self._counts[t])) for i in range(nb)]

    def is_empty(self) -> bool:
        return len(self._edges) < 2 or not any(self.band_totals())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(360, 240)

    def _paint_body(self, p: QPainter, rect: QRectF) -> None:
        fm = QFontMetricsF(p.font())
        legend_h = self._legend(p, rect.adjusted(10, 0, -10, 0), self._tiers, self._names)
        totals = self.band_totals()
        top = _nice_max(max(totals) * 1.1)
        ticks = 5 if top >= 5 else int(top)
        y_label_w = fm.horizontalAdvance(_fmt_count(top)) + 10
        note_h = fm.height() + 4 if self._note else 0.0
        plot = QRectF(rect.left() + 10 + y_label_w, rect.top() + legend_h + fm.height() * 1.4 + 6,
                      rect.width() - 24 - y_label_w, 0)
        plot.setBottom(rect.bottom() - fm.height() * 2.4 - note_h - 6)
        if plot.height() < 20 or plot.width() < 40:
            return
        for i in range(ticks + 1):
            y = plot.bottom() - plot.height() * i / ticks
            p.setPen(QPen(_GRID if i else _AXIS, 1))
            p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            p.setPen(_MUTED)
            p.drawText(QRectF(rect.left() + 4, y - fm.height() / 2, y_label_w, fm.height()),
                       int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), _fmt_count(top * i / ticks))
        lo, hi = self._edges[0], self._edges[-1]

        def xpos(v: float) -> float:
            return plot.left() + plot.width() * (min(max(v, lo), hi) - lo) / (hi - lo)

        for i in range(len(totals)):
            x0, x1 = xpos(self._edges[i]) + 1, xpos(self._edges[i + 1]) - 1
            y = plot.bottom()
            for t in self._tiers:
                n = self._counts[t][i] if i < len(self._counts[t]) else 0
                if n <= 0:
                    continue
                h = plot.height() * n / top
                p.fillRect(QRectF(x0, y - h, x1 - x0, h), tier_colour(t, self._tiers))
                y -= h
            if totals[i] and fm.horizontalAdvance(str(totals[i])) <= x1 - x0 + 10:
                p.setPen(_TEXT)
                p.drawText(QRectF(x0 - 10, y - fm.height() - 1, x1 - x0 + 20, fm.height()),
                           int(Qt.AlignmentFlag.AlignCenter), str(totals[i]))
        # Score labels under the axis, thinned so they never overlap.
        p.setPen(_MUTED)
        last_right = -1e9
        for e in self._edges:
            text = f"{e:g}"
            w = fm.horizontalAdvance(text)
            x = xpos(e)
            if x - w / 2 > last_right + 6:
                p.drawText(QRectF(x - w / 2 - 2, plot.bottom() + 3, w + 4, fm.height()),
                           int(Qt.AlignmentFlag.AlignCenter), text)
                last_right = x + w / 2
        p.drawText(QRectF(plot.left(), plot.bottom() + 3 + fm.height(), plot.width(), fm.height()),
                   int(Qt.AlignmentFlag.AlignHCenter), "总分（分）")
        # Cut lines, their labels staggered over the plot so neighbouring ones stay readable.
        pen = QPen(QColor("#37474f"), 1.4, Qt.PenStyle.DashLine)
        for k, (v, text) in enumerate(sorted(self._cuts, key=lambda c: -c[0])):
            if not lo <= v <= hi:
                continue
            x = xpos(v)
            p.setPen(pen)
            p.drawLine(QPointF(x, plot.top() - fm.height() * 1.3), QPointF(x, plot.bottom()))
            w = fm.horizontalAdvance(text) + 6
            ly = plot.top() - fm.height() * 1.3 + (k % 2) * fm.height()
            lx = min(max(x + 3, plot.left()), rect.right() - w)
            p.fillRect(QRectF(lx, ly, w, fm.height()), QColor(255, 255, 255, 220))
            p.setPen(QColor("#37474f"))
            p.drawText(QRectF(lx, ly, w, fm.height()), int(Qt.AlignmentFlag.AlignVCenter), text)
        if self._note:
            p.setPen(_MUTED)
            p.drawText(QRectF(rect.left() + 8, rect.bottom() - note_h - 2, rect.width() - 16, note_h),
                       int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                       fm.elidedText(self._note, Qt.TextElideMode.ElideRight, rect.width() - 16))


NEW_ENTRANT = "上年未参评"


class TransitionMatrix(_Chart):
    """Last year's tier (rows) against this year's (columns): firms per pair, with row totals.

    Cells below the diagonal (a better tier this year) are tinted green, above it red, the
    diagonal grey, so 上升 / 持平 / 下降 read at a glance.
    `set_data(counts, tiers, tier_names=None)`:
    - `counts`: `{(prior label, tier label): firms}`; prior `NEW_ENTRANT` for firms not graded last year;
    - `tiers`: this scheme's tier order, best first.
    """

    UP = QColor("#e3f4e1")
    DOWN = QColor("#fde3e3")
    SAME = QColor("#eef0f3")

    def __init__(self, parent: QWidget | None = None, title: str = "与上年相比（上年等级 → 本年等级）"):
        super().__init__(parent, title)
        self._counts: dict[tuple[str, str], int] = {}
        self._tiers: list[str] = []
        self._names: dict[str, str] = {}

    def set_data(self, counts: Mapping[tuple[str, str], int], tiers: Sequence[str],
                 tier_names: Mapping[str, str] | None = None) -> None:
        self._counts = {(str(a), str(b)): int(n) for (a, b), n in counts.items() if n}
        self._tiers = list(tiers)
        self._names = dict(tier_names or {})
        self.updateGeometry()
        self.update()

    def rows(self) -> list[str]:
        return self._tiers + ([NEW_ENTRANT] if any(a == NEW_ENTRANT for a, _ in self._counts) else [])

    def is_empty(self) -> bool:
        return not self._counts or not self._tiers

    def _cell_h(self) -> float:
        return QFontMetricsF(cjk_font(self.font().pointSizeF())).height() + 12

    def _pad(self) -> float:
        """Room above the grid: the title's line when there is one."""
        return 12 + (QFontMetricsF(cjk_font(self.font().pointSizeF() + 1.5)).height() + 10 if self._title else 0)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(560, int(self._pad() + self._cell_h() * (len(self.rows()) + 2)))

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(380, int(self._pad() + self._cell_h() * (len(self.rows()) + 2)))

    def _paint_body(self, p: QPainter, rect: QRectF) -> None:
        fm = QFontMetricsF(p.font())
        rows = self.rows()
        heads = [f"上年 {r}类" if r != NEW_ENTRANT else r for r in rows]
        label_w = max(fm.horizontalAdvance(h) for h in heads + ["上年＼本年"]) + 16
        n_cols = len(self._tiers) + 1
        cell_w = min(96.0, (rect.width() - 20 - label_w) / n_cols)
        cell_h = min(self._cell_h(), (rect.height() - 6) / (len(rows) + 2))
        if cell_w < 24 or cell_h < fm.height():
            return
        x0, y0 = rect.left() + 10, rect.top() + 2
        centre = int(Qt.AlignmentFlag.AlignCenter)
        p.setPen(_MUTED)
        p.drawText(QRectF(x0, y0, label_w - 8, cell_h), int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                   "上年＼本年")
        for j, t in enumerate(self._tiers + ["合计"]):
            r = QRectF(x0 + label_w + j * cell_w, y0, cell_w, cell_h)
            p.setPen(_TEXT)
            p.drawText(r, centre, f"本年 {t}类" if t != "合计" else t)
        pos = {t: i for i, t in enumerate(self._tiers)}
        col_totals = [0] * len(self._tiers)
        for i, a in enumerate(rows + ["合计"]):
            y = y0 + (i + 1) * cell_h
            p.setPen(_TEXT)
            p.drawText(QRectF(x0, y, label_w - 8, cell_h), int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                       heads[i] if i < len(rows) else "合计")
            total = 0
            for j, t in enumerate(self._tiers):
                r = QRectF(x0 + label_w + j * cell_w + 1, y + 1, cell_w - 2, cell_h - 2)
                if a == "合计":
                    n = col_totals[j]
                else:
                    n = self._counts.get((a, t), 0)
                    col_totals[j] += n
                    if a in pos:
                        p.fillRect(r, self.SAME if pos[a] == j else (self.UP if j < pos[a] else self.DOWN))
                    else:
                        p.fillRect(r, QColor("#f5f6f8"))
                total += n
                p.setPen(_TEXT if n else _MUTED)
                p.drawText(r, centre, str(n) if n else "—")
            p.setPen(_TEXT)
            f = QFont(p.font())
            f.setBold(True)
            p.save()
            p.setFont(f)
            p.drawText(QRectF(x0 + label_w + len(self._tiers) * cell_w, y, cell_w, cell_h), centre, str(total))
            p.restore()
        p.setPen(QPen(_AXIS, 1))
        top_y, bottom_y = y0 + cell_h, y0 + (len(rows) + 2) * cell_h
        p.drawLine(QPointF(x0, top_y), QPointF(x0 + label_w + n_cols * cell_w, top_y))
        p.drawLine(QPointF(x0 + label_w, y0), QPointF(x0 + label_w, bottom_y))
        p.drawLine(QPointF(x0, bottom_y - cell_h), QPointF(x0 + label_w + n_cols * cell_w, bottom_y - cell_h))


__all__ = ["CJK_FAMILIES", "EMPTY_TEXT", "NEW_ENTRANT", "IndicatorBenchmarkChart", "ScoreHistogram", "TIER_COLOURS",
           "TierBarChart", "TownshipTierChart", "TransitionMatrix", "cjk_font", "text_colour_on", "tier_colour"]
