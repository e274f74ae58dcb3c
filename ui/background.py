"""Background threads run below the window's thread in the scheduler's eyes (Linux).

On a machine with as many busy threads and processes as cores (two cores: a job's thread, the
letters' render processes, the autosave), the window's thread waited for a core for tens of
milliseconds at a time. A worker thread lowers its own priority when it starts; processes it
starts (the render processes of a letters batch) inherit it. Among themselves background threads
share the CPU as before, and idle cores are used in full; only the window comes first.

Linux keeps a priority per thread, so this lowers only the calling thread. Elsewhere the call does
nothing: on macOS the same call would lower the whole app, and Windows has no such call here.
"""

from __future__ import annotations

import os
import sys
import threading

BACKGROUND_NICE = 10  # added to a background thread's scheduling priority (nice value)

_lowered = threading.local()


def run_below_the_window() -> None:
    """Lower the calling thread's priority by `BACKGROUND_NICE`, once per thread (Linux only)."""
    if getattr(_lowered, "done", False) or not sys.platform.startswith("linux"):
        return
    _lowered.done = True
    tid = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + BACKGROUND_NICE))
    except OSError:  # not allowed here: the thread keeps its priority
        pass
