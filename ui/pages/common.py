"""Pieces every page uses: the page frame, a table view tuned for big models, busy hints."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QModelIndex, QObject, QSize, Qt, QTimer
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QStyle,
    QStyleOptionHeader,
    QTableView,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from ..models import ColumnTableModel


class Deferred:
    """Call `fn` in its own turn of the event loop, once, however often it was asked for meanwhile.

    A new result updates six pages; run inside the signal that announces it, that is one long
    block of the GUI thread at 100k firms. Deferred calls wait in one queue and run one per turn
    of the event loop (`_DeferredQueue`): Qt fires every zero-interval timer that is due in the
    same pass, so six timers started together still made one long block; now input, painting and
    progress flow between any two of them.
    """

    def __init__(self, fn: Callable[[], None], parent: QObject) -> None:
        self._fn = fn
        self._alive = True
        parent.destroyed.connect(self._forget)

    def __call__(self, *args: object) -> None:
        if self._alive:
            _DeferredQueue.instance().add(self)

    def _forget(self, *args: object) -> None:
        self._alive = False
        _DeferredQueue.instance().remove(self)

    def run(self) -> None:
        if self._alive:
            self._fn()

    @property
    def pending(self) -> bool:
        return _DeferredQueue.instance().has(self)


class _DeferredQueue:
    """The queue behind `Deferred`: first asked, first run; one call per event-loop turn."""

    _instance: _DeferredQueue | None = None

    def __init__(self) -> None:
        self._items: list[Deferred] = []
        self._timer = QTimer()
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._run_one)

    @classmethod
    def instance(cls) -> _DeferredQueue:
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    def add(self, d: Deferred) -> None:
        if d not in self._items:
            self._items.append(d)
        if not self._timer.isActive():
            self._timer.start()

    def remove(self, d: Deferred) -> None:
        if d in self._items:
            self._items.remove(d)

    def has(self, d: Deferred) -> bool:
        return d in self._items

    def _run_one(self) -> None:
        if not self._items:
            return
        d = self._items.pop(0)
        if self._items:
            self._timer.start()  # started while timers fire: it fires on the next turn, not this one
        d.run()


class Page(QWidget):
    """A workflow step: a title, a one-line hint, then the page's own content in `body`."""

    title = ""
    hint = ""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(14, 10, 14, 10)
        self.title_label = QLabel(self.title)
        self.title_label.setObjectName("pageTitle")
        self.body.addWidget(self.title_label)
        if self.hint:
            h = QLabel(self.hint)
            h.setObjectName("hint")
            h.setWordWrap(True)
            self.body.addWidget(h)


class PaintHoldsLock:
    """Mixin for views over Python models: the whole paint of the widget in one hold of the
    interpreter lock.

    Painted from the event loop, the view calls into the model (an index and the roles of every
    visible cell, the header's sections) a few hundred times, and the event loop holds no lock:
    each call has to take it back from a worker thread that is writing an export or evaluating,
    which may be in the middle of a C call of a few milliseconds, so one repaint of the results
    table waited ~0.4 s. Entered through a Python `paintEvent`, the paint runs with the lock held
    and the calls into the model nest inside it; the worker waits the few milliseconds the paint
    takes, once.
    """

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)  # type: ignore[misc]


class RowNumberHeader(PaintHoldsLock, QHeaderView):
    """The row-number column, sized from the digits of the row count.

    QHeaderView's own size hint asks the model for ~7 roles of 200 sections after every reset
    (each sort, filter and new result): 1,400 calls into Python for a column of numbers. Over a
    `ColumnTableModel` (whose rows are numbered 1, 2, 3… with no colours) each section's style
    option is filled from its number alone: Qt's own asks the model for six header roles and the
    selection model about the neighbouring rows, about a dozen calls into Python per row number
    on every repaint (Qt's paintSection still asks for the font, once).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Vertical, parent)

    def initStyleOptionForIndex(self, option: QStyleOptionHeader, logical_index: int) -> None:  # noqa: N802 - Qt override
        if not isinstance(self.model(), ColumnTableModel) or self.sectionsClickable() or self.highlightSections():
            super().initStyleOptionForIndex(option, logical_index)  # other models may mark rows; clicks show state
            return
        if self.window().isActiveWindow():
            option.state |= QStyle.StateFlag.State_Active
        option.section = logical_index
        option.text = str(logical_index + 1)
        option.textAlignment = self.defaultAlignment()
        option.iconAlignment = Qt.AlignmentFlag.AlignVCenter
        option.orientation = Qt.Orientation.Vertical
        visual, last = self.visualIndex(logical_index), self.count() - 1
        P = QStyleOptionHeader.SectionPosition  # noqa: N806
        option.position = (P.OnlyOneSection if last == 0 else P.Beginning if visual == 0
                           else P.End if visual == last else P.Middle)
        option.selectedPosition = QStyleOptionHeader.SelectedPosition.NotAdjacent

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        model = self.model()
        digits = len(str(max(model.rowCount(), 1))) if model is not None else 1
        fm = self.fontMetrics()
        return QSize(fm.horizontalAdvance("9" * digits) + 12, self.defaultSectionSize())


class SortHeader(PaintHoldsLock, QHeaderView):
    """A column header whose sort arrow points the way WPS and Excel draw it: ▲ for ascending
    (smallest first), ▼ for descending. Qt's styles draw ascending as ▼ (Windows XP's convention),
    which officials read as "largest first"."""

    _FLIP = {QStyleOptionHeader.SortIndicator.SortDown: QStyleOptionHeader.SortIndicator.SortUp,
             QStyleOptionHeader.SortIndicator.SortUp: QStyleOptionHeader.SortIndicator.SortDown}

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setSectionsClickable(True)

    def initStyleOptionForIndex(self, option: QStyleOptionHeader, logical_index: int) -> None:  # noqa: N802 - Qt override
        super().initStyleOptionForIndex(option, logical_index)
        option.sortIndicator = self._FLIP.get(option.sortIndicator, option.sortIndicator)


class TableView(PaintHoldsLock, QTableView):
    """The app's table view (see `PaintHoldsLock`)."""


def cell_tooltip(view: QTableView, index: QModelIndex) -> str | None:
    """The tooltip a cell shows: the model's own, else its full text when its column cuts it."""
    if not index.isValid():
        return None
    own = index.data(Qt.ItemDataRole.ToolTipRole)
    if own:
        return str(own)
    text = index.data(Qt.ItemDataRole.DisplayRole)
    if not text:
        return None
    text = str(text)
    margin = 2 * (view.style().pixelMetric(view.style().PixelMetric.PM_FocusFrameHMargin) + 1)
    fits = view.fontMetrics().horizontalAdvance(text) + margin <= view.visualRect(index).width()
    return None if fits else text


class _ElidedTips(QObject):
    """Shows a cut-off cell's full text as its tooltip: fixed-height rows elide long text."""

    def __init__(self, view: QTableView) -> None:
        super().__init__(view)
        self._view = view
        view.viewport().installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() != QEvent.Type.ToolTip:
            return False
        pos = event.pos()  # type: ignore[attr-defined]
        index = self._view.indexAt(pos)
        tip = cell_tooltip(self._view, index)
        if tip is None:
            return False
        QToolTip.showText(event.globalPos(), tip, self._view.viewport(), self._view.visualRect(index))  # type: ignore[attr-defined]
        return True


def table_view(model: ColumnTableModel | None = None, sortable: bool = True, parent: QWidget | None = None) -> QTableView:
    """A QTableView for models of 100k rows: fixed row height, no per-row sizing, row selection."""
    v = TableView(parent)
    v.setVerticalHeader(RowNumberHeader(v))
    if sortable:
        v.setHorizontalHeader(SortHeader(v))
    if model is not None:
        v.setModel(model)
    v.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    v.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    v.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    v.setAlternatingRowColors(True)
    v.setWordWrap(False)
    v.setTextElideMode(Qt.TextElideMode.ElideRight)
    vh = v.verticalHeader()
    vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    vh.setDefaultSectionSize(max(24, v.fontMetrics().height() + 8))
    vh.setDefaultAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    hh = v.horizontalHeader()
    hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    hh.setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)
    hh.setHighlightSections(False)
    hh.setStretchLastSection(False)
    if sortable:
        v.setSortingEnabled(True)
        hh.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
    install_elided_tips(v)
    return v


def install_elided_tips(view: QTableView) -> None:
    """Let `view` show a cut-off cell's full text as its tooltip."""
    _ElidedTips(view)


def fit_columns(view: QTableView, model: ColumnTableModel, stretch_last: bool = False) -> None:
    """Column widths from each column's preferred character width and its (multi-line) title.

    Measuring contents over 100k rows would stall; the widths are known from the data kinds.
    """
    fm = view.fontMetrics()
    char = fm.horizontalAdvance("国")
    hh = view.horizontalHeader()
    for i, col in enumerate(model.table.columns):
        title_w = max((fm.horizontalAdvance(part) for part in col.title.split("\n")), default=0) + 22
        want = col.width * char if col.width else 8 * char
        hh.resizeSection(i, max(title_w, min(want, 40 * char)))
    lines = max((c.title.count("\n") + 1 for c in model.table.columns), default=1)
    hh.setMinimumHeight(fm.height() * lines + 12)
    hh.setStretchLastSection(stretch_last)


def selected_source_keys(view: QTableView, model: ColumnTableModel) -> list[str]:
    rows = sorted({i.row() for i in view.selectionModel().selectedRows()}) if view.selectionModel() else []
    return [model.key_at(r) for r in rows]


def current_key(view: QTableView, model: ColumnTableModel) -> str | None:
    idx = view.currentIndex()
    if not idx.isValid() or idx.row() >= model.rowCount():
        sel = view.selectionModel().selectedRows() if view.selectionModel() else []
        if not sel:
            return None
        idx = sel[0]
    return model.key_at(idx.row())


def select_key(view: QTableView, model: ColumnTableModel, key: str) -> bool:
    """Select and scroll to the row of `key`; False if it is filtered out or unknown."""
    r = model.view_row_of_key(key)
    if r < 0:
        return False
    idx = model.index(r, 0)
    view.setCurrentIndex(idx)
    view.selectRow(r)
    view.scrollTo(idx, QAbstractItemView.ScrollHint.PositionAtCenter)
    return True
