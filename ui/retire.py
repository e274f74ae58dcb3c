"""Letting go of big results on a background thread instead of the GUI thread.

A 100k-firm outcome is millions of Python objects (display strings, object columns, raw rows).
Whichever thread drops the last reference frees all of them in one go, holding the interpreter
lock for 50–100 ms; when a new result replaced the old one on the GUI thread, the window froze
that long. `retire(obj)` keeps the object a little longer (until every page has taken the new
result) and then drops it on a daemon thread, where freeing costs the window nothing.

Only plain Python data may be retired (results, tables, projects): never a QObject, which must
be destroyed on its own thread.
"""

from __future__ import annotations

import queue
import threading
import time

RETIRE_DELAY = 2.0  # seconds an object is kept before it is dropped

_queue: queue.SimpleQueue[tuple[float, object]] = queue.SimpleQueue()
_started = threading.Lock()
_thread: threading.Thread | None = None


def retire(obj: object) -> None:
    """Drop this reference to `obj` on the retiring thread, `RETIRE_DELAY` seconds from now."""
    global _thread
    if obj is None:
        return
    _queue.put((time.monotonic() + RETIRE_DELAY, obj))
    with _started:
        if _thread is None:
            _thread = threading.Thread(target=_run, name="mujun-retire", daemon=True)
            _thread.start()


def pending() -> int:
    """How many objects are waiting to be dropped (for tests)."""
    return _queue.qsize()


def _run() -> None:
    while True:
        item = _queue.get()
        time.sleep(max(0.0, item[0] - time.monotonic()))
        del item  # the last reference, unless a page still holds the object: freed here
