"""Process policy for long runs over county-sized data, applied by the entry points only.

`mujun` (`evaluator.app.start.entry`) and the desktop app (`ui.app.main`) call it once at start;
library callers and tests that call `cli.main` in-process keep their interpreter as it was.
"""

from __future__ import annotations

import gc


def freeze_startup_objects() -> None:
    """Leave everything alive at start-up (modules, classes, functions) out of later cycle collections.

    pandas, numpy and Qt bring tens of thousands of such objects; every full collection would walk
    them all while holding the interpreter lock, which the desktop app shows as a stutter. They
    live until exit anyway, and reference counting still frees any of them that is dropped.
    """
    gc.collect()
    gc.freeze()
