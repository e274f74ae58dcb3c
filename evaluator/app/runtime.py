"""Process policy for long runs over county-sized data, applied by the entry points only.

`mujun` (`evaluator.app.start.entry`) and the desktop app (`ui.app.main`) call it once at start;
library callers and tests that call `cli.main` in-process keep their interpreter as it was.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
import threading
from typing import NoReturn


def freeze_startup_objects() -> None:
    """Leave everything alive at start-up (modules, classes, functions) out of later cycle collections.

    pandas, numpy and Qt bring tens of thousands of such objects; every full collection would walk
    them all while holding the interpreter lock, which the desktop app shows as a stutter. They
    live until exit anyway, and reference counting still frees any of them that is dropped.
    """
    gc.collect()
    gc.freeze()


# What a finished command leaves behind is not taken apart: a result over a province is millions
# of objects, which the interpreter frees one by one (0.2 s at 100,000 firms) when the command's
# function returns and again at shutdown, while the kernel takes the memory back at once when
# the process ends. The entry point arms this; library callers and tests never do.
_kept: list[object] = []
_armed = False


def arm_quick_exit() -> None:
    """From now on `keep_until_exit` holds what it is given and `exit_now` ends the process."""
    global _armed
    _armed = True


def keep_until_exit(obj: object) -> None:
    """Hold `obj` until the process ends (only once `arm_quick_exit` was called)."""
    if _armed:
        _kept.append(obj)


def exit_now(code: int) -> NoReturn:
    """End the process with `code` without the interpreter's shutdown, once what shutdown does
    that matters is done: the exit handlers run and the standard streams flushed. Where that
    cannot be done so (not armed, a thread still working, a stream that will not flush), the
    process exits the usual way."""
    others = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    if not _armed or others:
        sys.exit(code)
    # The exit handlers first (what they print is flushed with the rest). `_run_exitfuncs` is
    # what shutdown itself calls; it empties the list, so the usual exit below runs none twice.
    atexit._run_exitfuncs()
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):  # a closed or broken pipe: said the usual way
        sys.exit(code)
    os._exit(code)
