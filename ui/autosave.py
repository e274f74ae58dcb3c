"""The recovery copy, written after every change: debounced, off the GUI thread, one write at a time.

Issue 13: with a 3-minute timer an override made two seconds before a crash was lost, and after
恢复 the autosave was deleted while the restored project lived only in memory. Now every change
schedules a write `DELAY_MS` later (a burst of edits is one write), so at most about a second of
work is at risk. Writes, discards and the recovery hand-over run in FIFO order on one thread of
their own, so a discard never overtakes a write queued before it.

Versions: the session numbers its states (every change and every replacement of the project
bumps the number). A state already covered by an explicit save, or given up by the official
(项目被替换、放弃修改), is never written afterwards: `_floor` is the highest such version, read
and raised only under `_lock`, which the writer holds for the whole write. A save running in its
own worker calls `saved(version, paths)` from there, so "saved, then an older autosave lands
beside the saved file" cannot happen.

Nothing here touches a widget; `written`/`failed` are delivered to the GUI thread by Qt.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from evaluator.project import file as projectfile

log = logging.getLogger(__name__)

NEVER = 1 << 62  # a version no state reaches: after close nothing is written
DELAY_MS = 1000  # after the first change of a burst; the write then takes everything up to then
Snapshot = Callable[[], "tuple[Any, Path | None, int] | None"]  # (project copy, path, version) or None


class Autosaver(QObject):
    """Keeps the recovery copy of the session's project up to date.

    `snapshot()` is called on the GUI thread when a write is due and returns (a copy of the
    project, its path or None, its version) or None when there is nothing worth writing.
    """

    written = Signal(str)  # where the copy went
    failed = Signal(str)  # a one-line reason (logged; the status bar may show it)
    _relay = Signal(object)  # (future, done callback) from the writer thread to the GUI thread

    def __init__(self, snapshot: Snapshot, delay_ms: int = DELAY_MS,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._snapshot = snapshot
        self._executor: ThreadPoolExecutor | None = ThreadPoolExecutor(1, thread_name_prefix="mujun-autosave")
        self._lock = threading.Lock()
        self._floor = -1  # versions <= this are covered by a save or given up: never written
        self._queued = 0  # jobs submitted and not finished (GUI thread only)
        self._writing = False  # a write job is queued or running (GUI thread only)
        self._again = False  # a change arrived while writing: write once more afterwards
        self._remove_after: Path | None = None  # the recovered-from autosave, removed once replaced
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self.write_now)
        self._relay.connect(self._on_relay)
        self.last_written: Path | None = None

    # --- state -------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """A write is due, queued or running (tests wait for this to clear)."""
        return self._timer.isActive() or self._queued > 0 or self._again

    @property
    def closed(self) -> bool:
        return self._executor is None

    # --- GUI thread ----------------------------------------------------------------------------
    def schedule(self) -> None:
        """A change: write within `delay_ms` (the first change of a burst starts the clock)."""
        if self._executor is not None and not self._timer.isActive():
            self._timer.start()

    def write_now(self, remove_after: Path | None = None) -> bool:
        """Write the current state now (or right after the write in progress); False if nothing to do.

        `remove_after`: an autosave this session took over (恢复); it is deleted once the new copy
        is safely on disk, never before, and kept if the write fails.
        """
        self._timer.stop()
        if remove_after is not None:
            self._remove_after = Path(remove_after)
        if self._executor is None:
            return False
        if self._writing:
            self._again = True
            return True
        snap = self._snapshot()
        if snap is None:
            return False
        project, path, version = snap
        remove = self._remove_after
        self._remove_after = None
        self._writing = True
        self._submit(lambda: self._write(project, path, version, remove), self._write_done)
        return True

    def discard(self, paths: Iterable[Path | None], version: int) -> None:
        """The official gave up these states (放弃修改, project replaced): remove their copies after any
        write queued before, and never write a state up to `version` again."""
        self._timer.stop()
        self._again = False
        if self._executor is None:
            return
        targets = list(paths)
        self._submit(lambda: self._discard(targets, version), None)

    def moved(self, old: Path | None) -> None:
        """Saved under a new name while changes remain: write the copy beside the new file, then
        remove the one beside the old name (in that order, so a crash in between loses nothing)."""
        self.write_now()
        if self._executor is not None:
            self._submit(lambda: self._discard([old], -1), None)

    def close(self, discard: Iterable[Path | None] | None = None, timeout: float = 30.0) -> None:
        """At exit: let the write in progress finish, then remove the copies in `discard` (the app
        closed normally, so nothing is left to recover). Waits at most `timeout` seconds."""
        self._timer.stop()
        ex, self._executor = self._executor, None
        if ex is None:
            return
        if discard is not None:
            ex.submit(self._discard, list(discard), NEVER)
        finished = threading.Event()
        ex.submit(finished.set)  # FIFO: runs after everything queued before
        ex.shutdown(wait=False)
        if not finished.wait(timeout):
            log.warning("autosave: still busy after %.0f s at exit", timeout)

    # --- any thread ----------------------------------------------------------------------------
    def saved(self, version: int, paths: Iterable[Path | None]) -> None:
        """Called by the save job (its worker thread) once the project file is written: the state up
        to `version` is safe, so its copies go and no older state is written after this."""
        self._discard(list(paths), version)

    # --- worker thread -------------------------------------------------------------------------
    def _submit(self, fn: Callable[[], Any], done: Callable[[Future], None] | None) -> None:
        assert self._executor is not None
        self._queued += 1
        future = self._executor.submit(fn)
        # The done callback runs on the worker thread: hand the outcome to the GUI thread by signal.
        future.add_done_callback(lambda f: self._relay.emit((f, done)))

    def _write(self, project: Any, path: Path | None, version: int, remove: Path | None) -> Path | None:
        with self._lock:
            if version <= self._floor:
                return None
            target = Path(projectfile.write_autosave(project, path))
            if remove is not None and not _same(remove, target):
                try:
                    remove.unlink(missing_ok=True)
                except OSError as exc:
                    log.warning("autosave: could not remove %s: %s", remove, exc)
            return target

    def _discard(self, paths: list[Path | None], version: int) -> None:
        with self._lock:
            self._floor = max(self._floor, version)
            for p in dict.fromkeys(paths):
                try:
                    projectfile.discard_autosave(p)
                except Exception as exc:  # best effort
                    log.warning("autosave: discard %s: %s", p, exc)

    # --- back on the GUI thread ---------------------------------------------------------------
    def _on_relay(self, item: tuple[Future, Callable[[Future], None] | None]) -> None:
        future, done = item
        self._queued -= 1
        if done is not None:
            done(future)

    def _write_done(self, future: Future) -> None:
        self._writing = False
        exc = future.exception()
        if exc is not None:
            log.warning("autosave failed: %s", exc)
            self.failed.emit(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        else:
            target = future.result()
            if target is not None:
                self.last_written = target
                self.written.emit(str(target))
        if self._again:
            self._again = False
            self.write_now()


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return a == b
