"""Work around a PySide6 6.12 reference-count bug that aborts the app on Python 3.11.

Every time Python receives an *invalid* QVariant from Qt — `QComboBox.currentData()` on an item
without data, `QModelIndex.data()` for a role the model does not answer, `QListWidgetItem.data()`
for an unset role — PySide6 6.12 hands back `None` without taking a reference, so `None` loses
one reference per call (measured: 100 calls, −100). On Python ≥ 3.12 `None` is immortal and
nothing happens; on 3.11 its count (about 5,000 at start) runs out after a few minutes of normal
use and the interpreter aborts with "Fatal Python error: none_dealloc: deallocating None".

The guard gives `None`, `True` and `False` the immortality Python 3.12 gives them: a reference
count so large that no session can exhaust it, set once at import. These objects are never
freed anyway, so nothing else changes. It is skipped where it does not apply (3.12+, PyPy, debug
builds whose object header has extra fields before the count).
"""

from __future__ import annotations

import ctypes
import sys

_RESERVE = 1 << 40  # references; at a million lost per second this lasts 12 days of uptime


def guard_singletons() -> bool:
    """Give None/True/False a huge reference count on CPython 3.11; True if it was applied."""
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12) or hasattr(sys, "gettotalrefcount"):
        return False
    for obj in (None, True, False):
        count = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt is the first field of PyObject
        if count.value < _RESERVE:
            count.value += _RESERVE
    return True
