"""Work around a PySide6 reference-count bug that aborts the app on Python 3.11.

PySide6 6.12.0 (seen on CPython 3.11) hands back `None` without taking a reference every time it
converts an *invalid* QVariant to Python — `QModelIndex().data()`, `QComboBox.currentData()` on
an item without data, a role a model does not answer — so `None` loses one reference per call.
On Python ≥ 3.12 `None` is immortal and nothing happens; on 3.11 its count (a few thousand at
start) runs out after minutes of normal use and the interpreter aborts with
"Fatal Python error: none_dealloc: deallocating None".

The guard is applied only where the bug is present: `leaks_none()` converts a few invalid
QVariants and watches None's count, so a fixed PySide6 gets no guard, and
`tests/test_gui_models.py` fails the day the bug is gone (then delete this module). Where it is
present, `None`, `True` and `False` get the immortality Python 3.12 gives them: a reference count
so large that no session can exhaust it. These objects are never freed anyway.
"""

from __future__ import annotations

import ctypes
import sys

_RESERVE = 1 << 40  # references; at a million lost per second this lasts 12 days of uptime
_PROBES = 16


def leaks_none() -> bool:
    """True if this PySide6 drops a reference to None per invalid QVariant it returns."""
    from PySide6.QtCore import QModelIndex

    before = sys.getrefcount(None)
    for _ in range(_PROBES):
        QModelIndex().data()
    lost = before - sys.getrefcount(None)
    if lost > 0:  # give back what the probe itself took
        ctypes.c_ssize_t.from_address(id(None)).value += lost
    return lost >= _PROBES


def guard_singletons() -> bool:
    """Give None/True/False a huge reference count where the bug is present; True if applied."""
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12) or hasattr(sys, "gettotalrefcount"):
        return False  # immortal singletons (3.12+), or an object header this guard does not know
    if not leaks_none():
        return False
    for obj in (None, True, False):
        count = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt is the first field of PyObject
        if count.value < _RESERVE:
            count.value += _RESERVE
    return True
