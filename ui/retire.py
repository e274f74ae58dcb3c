"""Letting go of big results on a background thread instead of the GUI thread.

A 100k-firm outcome is millions of Python objects (display strings, object columns, raw rows).
Whichever thread drops the last reference frees all of them in one go, holding the interpreter
lock for 50–100 ms; when a new result replaced the old one on the GUI thread, the window froze
that long. `retire(obj)` keeps the object a little longer (until every page has taken the new
result) and then drops it on a daemon thread, where freeing costs the window nothing.

Only plain Python data may be retired (results, tables, projects): never a QObject, which must
be destroyed on its own thread.

Freeing on another thread still holds the interpreter lock, and a single free of a big container
(an object column of 100k strings, a 2-D object block of a DataFrame, a list of 100k rows) is one
C call that the window waits behind. So the retiring thread takes big structures apart: what
nothing else refers to (by its reference count) is split into its parts, big object arrays are
cleared and big lists and dicts emptied a slice at a time, each slice a short hold of the lock.
Anything still referred to elsewhere is only let go of, never changed.
"""

from __future__ import annotations

import gc
import queue
import sys
import threading
import time
import weakref

import numpy as np

RETIRE_DELAY = 2.0  # seconds an object is kept before it is dropped
SLICE = 8192  # elements freed per hold of the lock (a fraction of a millisecond)

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
        due, obj = _queue.get()
        time.sleep(max(0.0, due - time.monotonic()))
        held = [obj]  # the last reference, unless a page still holds the object
        del obj
        let_go(held)


def _pause() -> None:
    time.sleep(0)  # lets a waiting thread (the window) have the lock between slices


def let_go(stack: list[object]) -> None:
    """Empty `stack`, freeing what only it holds a slice at a time (see the module doc). The
    caller keeps no other reference to the objects, or they are only let go of."""
    while stack:
        x = stack.pop()
        # Two references (`x` and getrefcount's argument) mean nothing else holds it: its parts
        # can be taken, and an object array or a list cleared, without anyone seeing a change.
        if sys.getrefcount(x) > 2:
            del x
            continue
        if isinstance(x, np.ndarray):
            if x.dtype != object or x.size <= SLICE or weakref.getweakrefcount(x):
                pass
            elif isinstance(x.base, np.ndarray):
                stack.append(x.base)  # a view: its base is taken apart once the view is gone
            elif x.base is None:
                flat = x.reshape(-1, order="A")
                if flat.base is x:  # a view of the array's own buffer
                    for start in range(0, flat.size, SLICE):
                        flat[start:start + SLICE] = None
                        _pause()
                del flat
        elif type(x) is list and len(x) > SLICE:
            while x:
                del x[-SLICE:]
                _pause()
        elif type(x) is dict and len(x) > SLICE:
            while x:
                for _ in range(min(SLICE, len(x))):
                    x.popitem()
                _pause()
        elif gc.is_tracked(x) and not isinstance(x, type):
            stack.extend(gc.get_referents(x))  # freed below; its parts then belong to the stack alone
        del x
