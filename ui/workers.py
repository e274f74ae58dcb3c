"""Long work off the GUI thread: one small worker class and a runner that keeps only the latest job.

Pattern from superqt/napari's workers: a `QRunnable` whose signals (started / progress / finished
/ errored / cancelled) are delivered to the GUI thread by queued connections. The job is a plain
function `job(progress, cancel)` taking the same two callables as the core (`evaluator.core.progress`),
so cancellation is cooperative: the core raises `Cancelled` at its next check. Progress is
throttled (at most one signal per `PROGRESS_INTERVAL`) so a chatty loop cannot flood the event
queue. A `TaskRunner` runs one kind of job at a time: starting a new one cancels the previous, and
a result that arrives after it was superseded or cancelled is dropped, never shown.

Nothing here touches a widget; the slots that do run on the GUI thread.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from evaluator.core.issues import Cancelled, InputError
from evaluator.core.progress import CancelFn, ProgressFn

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.05  # seconds between progress signals
Job = Callable[[ProgressFn, CancelFn], Any]
_ids = itertools.count(1)


class WorkerSignals(QObject):
    """Signals carry the worker id so a receiver can tell a stale worker from the current one."""

    started = Signal(int)
    progress = Signal(int, float, str)
    finished = Signal(int, object)
    errored = Signal(int, str, str)  # id, message for the user, traceback (empty for InputError)
    cancelled = Signal(int)


class Worker(QRunnable):
    """Runs `job(progress, cancel)` on a pool thread and reports through `signals`."""

    def __init__(self, job: Job, name: str = "") -> None:
        super().__init__()
        self.setAutoDelete(False)  # the runner owns it; Qt must not delete the Python object under us
        self.id = next(_ids)
        self.name = name
        self.job = job
        self.signals = WorkerSignals()
        self._cancel = threading.Event()
        self._last_emit = 0.0
        self._lock = threading.Lock()

    def cancel(self) -> None:
        self._cancel.set()

    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def _progress(self, fraction: float, message: str) -> None:
        now = time.monotonic()
        with self._lock:
            if fraction < 1.0 and now - self._last_emit < PROGRESS_INTERVAL:
                return
            self._last_emit = now
        self.signals.progress.emit(self.id, float(fraction), str(message))

    def run(self) -> None:  # noqa: D102 - QRunnable entry point, pool thread
        self.signals.started.emit(self.id)
        try:
            result = self.job(self._progress, self.is_cancelled)
        except Cancelled:
            self.signals.cancelled.emit(self.id)
            return
        except InputError as exc:
            self.signals.errored.emit(self.id, str(exc), "")
            return
        except Exception as exc:  # shown in the UI, never a crash of the app
            tb = traceback.format_exc()
            log.error("worker %s failed:\n%s", self.name, tb)
            self.signals.errored.emit(self.id, f"内部错误：{type(exc).__name__}: {exc}", tb)
            return
        if self.is_cancelled():
            self.signals.cancelled.emit(self.id)  # finished after cancel: the late result is dropped
        else:
            self.signals.finished.emit(self.id, result)


class TaskRunner(QObject):
    """One job of a kind at a time; the newest wins and stale results are dropped.

    `start(job, on_done, on_error, on_cancel)` returns the worker. Callbacks run on the GUI
    thread. `busy_changed(bool)` and `progress(fraction, message)` drive a status bar.

    `detach=True` is for jobs without side effects (reading files, evaluating): `cancel()` then
    ends the job for the GUI at once (on_cancel runs, busy clears) while the thread finishes its
    current step in the background and its result is dropped. A native read of a 100k-row
    workbook never looks at the cancel flag, so without this 取消 would wait for it. Jobs that
    write files keep the default: they stop at their own checks, and "已取消" means stopped.
    """

    busy_changed = Signal(bool)
    progress = Signal(float, str)

    def __init__(self, name: str = "", parent: QObject | None = None, pool: QThreadPool | None = None,
                 detach: bool = False) -> None:
        super().__init__(parent)
        self.name = name
        self.detach = detach
        self._pool = pool or QThreadPool.globalInstance()
        self._current: Worker | None = None
        self._callbacks: dict[int, tuple[Callable[[Any], None], Callable[[str, str], None] | None,
                                         Callable[[], None] | None]] = {}
        self._alive: dict[int, Worker] = {}  # every started worker until its last signal: Qt runs it

    @property
    def busy(self) -> bool:
        return self._current is not None

    @property
    def current(self) -> Worker | None:
        return self._current

    @property
    def cancelling(self) -> bool:
        """取消 was asked and the current job has not stopped yet."""
        return self._current is not None and self._current.is_cancelled()

    def start(self, job: Job, on_done: Callable[[Any], None], on_error: Callable[[str, str], None] | None = None,
              on_cancel: Callable[[], None] | None = None) -> Worker:
        if self._current is not None:
            self._current.cancel()
        w = Worker(job, self.name)
        self._callbacks[w.id] = (on_done, on_error, on_cancel)
        self._alive[w.id] = w
        w.signals.progress.connect(self._on_progress)
        w.signals.finished.connect(self._on_finished)
        w.signals.errored.connect(self._on_errored)
        w.signals.cancelled.connect(self._on_cancelled)
        was_busy = self._current is not None
        self._current = w
        if not was_busy:
            self.busy_changed.emit(True)
        self._pool.start(w)
        return w

    def cancel(self) -> None:
        """Ask the current job to stop; its result, if it still arrives, is dropped."""
        if self._current is not None:
            self._current.cancel()
            if self.detach:  # for the GUI it ends now (see the class doc)
                cbs = self._retire(self._current.id)
                if cbs and cbs[2]:
                    cbs[2]()

    def _is_current(self, wid: int) -> bool:
        return self._current is not None and self._current.id == wid

    def _retire(self, wid: int) -> tuple[Callable[[Any], None], Callable[[str, str], None] | None, Callable[[], None] | None] | None:
        """The job is over for the GUI: its callbacks are taken out and, if current, busy clears.
        (The worker object stays in `_alive` until its thread's last signal.)"""
        cbs = self._callbacks.pop(wid, None)
        if self._is_current(wid):
            self._current = None
            self.busy_changed.emit(False)
        return cbs

    @Slot(int, float, str)
    def _on_progress(self, wid: int, fraction: float, message: str) -> None:
        if self._is_current(wid):
            self.progress.emit(fraction, message)

    @Slot(int, object)
    def _on_finished(self, wid: int, result: object) -> None:
        self._alive.pop(wid, None)
        current = self._is_current(wid)
        cbs = self._retire(wid)
        if current and cbs:
            cbs[0](result)

    @Slot(int, str, str)
    def _on_errored(self, wid: int, message: str, tb: str) -> None:
        self._alive.pop(wid, None)
        current = self._is_current(wid)
        cbs = self._retire(wid)
        if current and cbs and cbs[1]:
            cbs[1](message, tb)

    @Slot(int)
    def _on_cancelled(self, wid: int) -> None:
        self._alive.pop(wid, None)
        current = self._is_current(wid)
        cbs = self._retire(wid)
        if current and cbs and cbs[2]:
            cbs[2]()
