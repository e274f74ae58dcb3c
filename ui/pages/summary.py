"""The summary panel: per population, counts by status and tier, benchmarks, county averages, charts.

These are the figures an official quotes in the report to the county government ("全县规上企业亩均
税收 3.13 万元/亩"), so for all firms they come straight from `RunResult.evaluation.summary` and are
printed with the same number formats as the workbook. When the results page's filter lists only
some firms, the panel summarises those (the core's own `summarise` over the listed rows) and says so
in its first line; benchmarks stay the county's, because every firm was scored against them.

Charts (QPainter widgets in `ui.widgets.charts`): tiers per population, total-score distribution
with the tiers' cut lines, tiers per township and per industry, and last year's tier against this
year's when a prior result is attached. Each is fed by one numpy pass over the table.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
import pandas as pd
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from evaluator.core.divisions import division_label
from evaluator.method.evaluate import STATUS_LABELS, summarise
from evaluator.method.indicators import INDICATOR_BY_ID, INDICATORS, format_number
from evaluator.method.scheme import TierRules
from evaluator.pipeline.run import RunResult

from .. import style
from .detail import summary_numbers

log = logging.getLogger(__name__)


def charts_module() -> Any | None:
    try:
        from ui.widgets import charts  # type: ignore[import-not-found]
    except Exception as exc:  # not installed yet: placeholders
        log.info("charts unavailable: %s", exc)
        return None
    return charts


# --- figures behind the charts (plain data, one pass each; testable without widgets) ---------------

NO_PRIOR_TEXT = ("未载入上年评价结果，因此不显示与上年相比的等级变化。如需比较，请在“文件 → 载入上年评价结果…”中"
                 "选择上年用本软件导出的评价结果（.json）或分类名单（.xlsx）。")
CHANGE_LABELS = ("升档", "持平", "降档", "新参评")  # the values of `tier_change`, in the order printed


def scope_text(shown: int, total: int) -> str:
    if shown >= total:
        return f"统计范围：全部 {total} 家企业。"
    return (f"当前筛选：{shown} 家（共 {total} 家）。以下数字和图表只统计筛选出的企业；基准值仍为全县基准值。"
            "在“企业名单”中清除筛选即可查看全部企业。")


def filtered_summary(result: RunResult, rows: np.ndarray | None) -> tuple[dict[str, Any], pd.DataFrame]:
    """The summary of the firms at table positions `rows` (None: all) and those firms' rows.

    All firms: the evaluation's own summary. A subset: the same `summarise` the evaluation runs,
    over those rows, with the county's benchmarks (the figures the firms were scored against)."""
    t = result.table
    if rows is None or len(rows) >= len(t):
        return result.evaluation.summary, t
    sub = t.iloc[np.sort(np.asarray(rows, dtype=np.int64))]
    return summarise(sub, result.scheme, result.evaluation.benchmarks), sub


def score_bands(t: pd.DataFrame, pid: str, labels: list[str]) -> tuple[list[float], dict[str, list[int]]]:
    """Band edges (5 分 wide, 10 when scores spread over more than 150) and firms per band per final
    tier, for the graded firms of population `pid`; ([], {}) when none."""
    m = (t["population"].to_numpy(dtype=object) == pid)
    score = t["total_score"].to_numpy(dtype=float, na_value=np.nan)[m]
    tier = t["tier"].to_numpy(dtype=object)[m]
    ok = np.isfinite(score)
    score, tier = score[ok], tier[ok]
    if not len(score):
        return [], {}
    width = 10.0 if score.max() - score.min() > 150 else 5.0
    lo = math.floor(score.min() / width) * width
    hi = max(math.ceil(score.max() / width) * width, lo + width)
    nb = int(round((hi - lo) / width))
    band = np.minimum(((score - lo) // width).astype(np.int64), nb - 1)
    code = pd.Categorical(tier, categories=labels).codes
    counts = {lab: np.bincount(band[code == k], minlength=nb).tolist() for k, lab in enumerate(labels)}
    if (code < 0).any():
        counts["未定级"] = np.bincount(band[code < 0], minlength=nb).tolist()
    return [lo + i * width for i in range(nb + 1)], counts


def cut_lines(t: pd.DataFrame, pid: str, rules: TierRules) -> tuple[list[tuple[float, str]], str]:
    """The tiers' dividing scores to draw over the distribution, and a note saying what they are.

    By score: the scheme's thresholds. By share without groups: the total of the last firm each
    share reached (from all graded firms of the population, whatever the filter shows). Grouped
    cuts differ per group, so none are drawn."""
    labels = list(rules.labels)
    if rules.method == "score":
        return ([(float(x), f"{labels[k]}类 ≥ {x:g} 分") for k, x in enumerate(rules.thresholds) if k < len(labels)],
                "虚线：方案规定的各类分数线。")
    if rules.grouping is not None:
        return [], "本方案按行业或乡镇分组分档，各组分界不同，图中不画分界线。"
    m = t["population"].to_numpy(dtype=object) == pid
    score = t["total_score"].to_numpy(dtype=float, na_value=np.nan)[m]
    score = -np.sort(-score[np.isfinite(score)])
    n = len(score)
    out = []
    for k, share in enumerate(rules.shares):
        bound = math.ceil(round(share * n, 9))
        if 1 <= bound < n and k < len(labels):
            out.append((float(score[bound - 1]), f"{labels[k]}类末位 {format_number(score[bound - 1], '分')} 分"))
    return out, "虚线：按比例分档时各类末位企业的总分（全部参评企业）；柱按最终等级着色。"


def transitions(t: pd.DataFrame, pid: str, labels: list[str]) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
    """Last year's tier → this year's for the graded firms of `pid`: counts per pair (prior
    `charts.NEW_ENTRANT` when not graded last year) and the `tier_change` totals (升档 …)."""
    from ui.widgets.charts import NEW_ENTRANT

    m = (t["population"].to_numpy(dtype=object) == pid) & t["tier"].notna().to_numpy()
    now = pd.Categorical(t["tier"].to_numpy(dtype=object)[m], categories=labels).codes
    prior_raw = t["prior_tier"].to_numpy(dtype=object)[m]
    prior = pd.Categorical(prior_raw, categories=labels).codes
    missing = pd.isna(prior_raw)
    prior = np.where(missing, len(labels), prior)  # not graded last year
    keep = (now >= 0) & (prior >= 0)  # a prior label this scheme does not have is left out (no change computed)
    k = len(labels) + 1
    joint = np.bincount(prior[keep] * len(labels) + now[keep], minlength=k * len(labels)).reshape(k, len(labels))
    rows = labels + [NEW_ENTRANT]
    counts = {(rows[i], labels[j]): int(joint[i, j]) for i in range(k) for j in range(len(labels)) if joint[i, j]}
    change = pd.Series(t["tier_change"].to_numpy(dtype=object)[m]).value_counts()
    return counts, {c: int(change.get(c, 0)) for c in CHANGE_LABELS}


def industry_rows(entry: dict[str, Any]) -> tuple[dict[str, dict[str, int]], dict[str, str]]:
    """Tiers per industry division (named) and each division's 亩均税收 (Σ税收 / Σ用地)."""
    ind = INDICATOR_BY_ID["tax_per_mu"]
    rows: dict[str, dict[str, int]] = {}
    notes: dict[str, str] = {}
    for code, v in entry.get("by_industry", {}).items():
        name = division_label(code) if code and code != "（未填）" else "（未填行业）"
        rows[name] = v.get("tiers", {})
        value = v.get("aggregates", {}).get(ind.id)
        notes[name] = f"{ind.label} {format_number(value, ind.unit, with_unit=True)}" if value is not None else ""
    return rows, notes


def placeholder(text: str) -> QLabel:
    lab = QLabel(text)
    lab.setAlignment(Qt.AlignmentFlag.AlignCenter)
    lab.setObjectName("hint")
    lab.setMinimumHeight(120)
    lab.setFrameShape(QFrame.Shape.StyledPanel)
    return lab


def tier_chips(counts: dict[str, int], initial: dict[str, int], names: dict[str, str]) -> str:
    """Tier counts as a one-row HTML table of coloured cells (names under the label, 初评 if different)."""
    cells = []
    palette = style.tier_palette([list(counts)])  # by place in the scheme: 甲乙丙丁 as A–D
    for lab, n in counts.items():
        bg, fg = style.TIER_COLOURS.get(palette.get(lab, lab), ("#eeeeee", "#333333"))
        init = initial.get(lab)
        diff = f"<br><span style='font-size:small'>初评 {init} 家</span>" if init is not None and init != n else ""
        name = names.get(lab, "")
        cells.append(f"<td align=center style='background:{bg};color:{fg};padding:4px 10px'>"
                     f"<b>{lab}类</b> <span style='font-size:small'>{name}</span><br>"
                     f"<span style='font-size:x-large;font-weight:bold'>{n}</span> 家{diff}</td>")
    return "<table cellspacing=4><tr>" + "".join(cells) + "</tr></table>"


class SummaryPanel(QScrollArea):
    """Summary figures and charts for the result (or the firms the filter lists); rebuilt on every
    new result or filter while shown."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self._inner = QWidget()
        self._layout = QVBoxLayout(self._inner)
        self._layout.setContentsMargins(4, 4, 4, 4)
        self.setWidget(self._inner)
        self.charts = charts_module()
        self.scope_label = QLabel()
        self.tier_chart: QWidget | None = None
        self.township_charts: dict[str, QWidget] = {}
        self.industry_charts: dict[str, QWidget] = {}
        self.score_charts: dict[str, QWidget] = {}
        self.transition_charts: dict[str, QWidget] = {}
        self.change_labels: dict[str, QLabel] = {}
        self.no_prior_label: QLabel | None = None
        self._shown: tuple[RunResult | None, np.ndarray | None] = (None, None)
        # A timer of the panel's own (not a free single shot holding `self`): it dies with the panel,
        # and several font changes in one turn rebuild once.
        self._rebuild = QTimer(self)
        self._rebuild.setSingleShot(True)
        self._rebuild.setInterval(0)
        self._rebuild.timeout.connect(lambda: self.set_result(*self._shown))
        self.set_result(None)

    def event(self, e: QEvent) -> bool:
        # The 字号 setting changed: rebuild, so tables and charts are sized for the new font.
        if e.type() == QEvent.Type.ApplicationFontChange and self._shown[0] is not None:
            self._rebuild.start()
        return super().event(e)

    def _clear(self) -> None:
        while self._layout.count():
            item = self._layout.takeAt(0)
            w = item.widget()
            if w is not None:
                # Hidden and deleted by Qt on this thread, still owned by the panel meanwhile: unparented,
                # the widget would belong to its Python wrapper, and a wrapper caught in a reference
                # cycle is freed by whichever thread runs the garbage collector (a worker's, often).
                w.hide()
                w.deleteLater()
        self.township_charts = {}
        self.industry_charts = {}
        self.score_charts = {}
        self.transition_charts = {}
        self.change_labels = {}
        self.no_prior_label = None
        self.tier_chart = None

    def set_result(self, result: RunResult | None, rows: np.ndarray | None = None) -> None:
        """Show `result`, summarising only the firms at table positions `rows` when given (the
        results page's filter); None: all firms."""
        self._clear()
        self._shown = (result, rows)
        if result is None:
            self._layout.addWidget(placeholder("尚无评价结果"))
            self._layout.addStretch(1)
            return
        summary, sub = filtered_summary(result, rows)
        filtered = len(sub) < len(result.table)
        self.scope_label = QLabel(scope_text(len(sub), len(result.table)))
        self.scope_label.setObjectName("scope")
        self.scope_label.setWordWrap(True)
        if filtered:
            self.scope_label.setStyleSheet("QLabel { background: #fff6dd; border: 1px solid #ecd9a0; padding: 4px 8px; }")
        self._layout.addWidget(self.scope_label)
        data = [d for d in summary_numbers(result, summary) if d["total"] or not filtered]
        top = QHBoxLayout()
        ch = self.charts
        if ch is not None:
            self.tier_chart = ch.TierBarChart()
            names: dict[str, str] = {}
            labels: list[str] = []
            for d in data:
                names.update(d["tier_names"])
                labels += [x for x in d["labels"] if x not in labels]
            self.tier_chart.set_data({d["label"]: d["tiers"] for d in data if d["labels"]}, names, labels or None)
            self.tier_chart.setMinimumHeight(240)
            top.addWidget(self.tier_chart, 1)
        else:
            top.addWidget(placeholder("分类统计图（图表组件尚未安装）"), 1)
        cards = QVBoxLayout()
        for d in data:
            cards.addWidget(self._card(d))
        cards.addStretch(1)
        top.addLayout(cards, 1)
        holder = QWidget()
        holder.setLayout(top)
        self._layout.addWidget(holder)
        graded = [d for d in data if d["labels"]]
        if ch is not None and graded:
            self._layout.addWidget(self._scores_box(result, sub, graded))
            self._layout.addWidget(self._change_box(sub, graded))
        for d in graded:
            self._layout.addWidget(self._population_box(d, summary.get(d["id"], {}), filtered))
        self._layout.addStretch(1)

    def _scores_box(self, result: RunResult, sub: pd.DataFrame, data: list[dict[str, Any]]) -> QGroupBox:
        box = QGroupBox("总分分布")
        lay = QHBoxLayout(box)
        for d in data:
            pop = result.scheme.populations.get(d["id"])
            edges, counts = score_bands(sub, d["id"], d["labels"])
            cuts, note = cut_lines(result.table, d["id"], pop.tiers) if pop else ([], "")
            chart = self.charts.ScoreHistogram(title=f"{d['label']}：总分分布（每 {edges[1] - edges[0]:g} 分一档）"
                                               if len(edges) > 1 else f"{d['label']}：总分分布")
            chart.set_data(edges, counts, d["tier_names"], d["labels"] + ["未定级"], cuts, note)
            chart.setMinimumHeight(max(260, chart.fontMetrics().height() * 16))
            self.score_charts[d["id"]] = chart
            lay.addWidget(chart, 1)
        return box

    def _change_box(self, sub: pd.DataFrame, data: list[dict[str, Any]]) -> QGroupBox:
        box = QGroupBox("与上年相比")
        lay = QVBoxLayout(box)
        if "prior_tier" not in sub:
            self.no_prior_label = QLabel(NO_PRIOR_TEXT)
            self.no_prior_label.setWordWrap(True)
            self.no_prior_label.setObjectName("hint")
            lay.addWidget(self.no_prior_label)
            return box
        row = QHBoxLayout()
        for d in data:
            counts, change = transitions(sub, d["id"], d["labels"])
            col = QVBoxLayout()
            text = "，".join(f"{'上升' if c == '升档' else '下降' if c == '降档' else c} {change[c]} 家"
                            for c in CHANGE_LABELS)
            lab = QLabel(f"<b>{d['label']}</b>：{text}")
            lab.setWordWrap(True)
            self.change_labels[d["id"]] = lab
            col.addWidget(lab)
            chart = self.charts.TransitionMatrix(title="")
            chart.set_data(counts, d["labels"], d["tier_names"])
            chart.setMinimumHeight(chart.minimumSizeHint().height())
            chart.setMaximumHeight(chart.sizeHint().height())
            self.transition_charts[d["id"]] = chart
            col.addWidget(chart)
            row.addLayout(col, 1)
        lay.addLayout(row)
        return box

    def _card(self, d: dict[str, Any]) -> QWidget:
        f = QFrame()
        f.setObjectName("card")
        lay = QVBoxLayout(f)
        st = d["status"]
        title = QLabel(f"<span style='font-size:large;font-weight:bold'>{d['label']}</span>　共 {d['total']} 家："
                       + "，".join(f"{STATUS_LABELS[k]} {st[k]}" for k in STATUS_LABELS if st.get(k) or k == "evaluated"))
        title.setWordWrap(True)
        lay.addWidget(title)
        if d["labels"]:
            chips = QLabel(tier_chips(d["tiers"], d["initial_tiers"], d["tier_names"]))
            chips.setWordWrap(True)
            lay.addWidget(chips)
        else:
            lay.addWidget(QLabel("本方案不评价该群体"))
        return f

    def _population_box(self, d: dict[str, Any], entry: dict[str, Any], filtered: bool) -> QGroupBox:
        average = "筛选企业平均（Σ/Σ）" if filtered else "全县平均（Σ/Σ）"
        box = QGroupBox(f"{d['label']}：基准值与{'筛选企业' if filtered else '全县'}平均")
        grid = QGridLayout(box)
        table = QTableWidget(0, 5)
        table.setHorizontalHeaderLabels(["指标", "是否计分", "基准值（全县）", average, "单位"])
        table.verticalHeader().hide()
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        for ind in INDICATORS:
            r = table.rowCount()
            table.insertRow(r)
            scored = ind.id in d["scored"]
            cells = [ind.label, "计分" if scored else "—", format_number(d["benchmarks"].get(ind.id), ind.unit) if scored else "—",
                     format_number(d["aggregates"].get(ind.id), ind.unit), ind.unit]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c in (2, 3):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if scored and c == 0:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                table.setItem(r, c, item)
        table.setMinimumHeight(table.verticalHeader().length() + table.horizontalHeader().height() + 6)
        table.setMaximumHeight(table.minimumHeight())
        # As wide as its columns (no scroll bar): the header texts grow with the 字号 setting.
        table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        table.setMinimumWidth(max(460, table.horizontalHeader().length() + 2 * table.frameWidth() + 2))
        grid.addWidget(table, 0, 0)
        ch = self.charts
        if ch is not None:
            chart = ch.TownshipTierChart()
            chart.set_data(d["by_township"], d["tier_names"], d["labels"])
            chart.setMinimumHeight(int(max(200, chart.row_height() * len(d["by_township"]) + 80)))
            self.township_charts[d["id"]] = chart
            grid.addWidget(chart, 0, 1)
            rows, notes = industry_rows(entry)
            ind = ch.TownshipTierChart(title="各行业企业分类（右侧为行业亩均税收）")
            ind.set_data(rows, d["tier_names"], d["labels"], notes=notes)
            ind.setMinimumHeight(int(max(200, ind.row_height() * len(rows) + 80)))
            self.industry_charts[d["id"]] = ind
            grid.addWidget(ind, 1, 0, 1, 2)
        else:
            grid.addWidget(placeholder("各乡镇分类图（图表组件尚未安装）"), 0, 1)
        grid.setColumnStretch(1, 1)
        return box


__all__ = ["SummaryPanel", "tier_chips"]
