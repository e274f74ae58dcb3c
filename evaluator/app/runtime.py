"""Interpreter settings for long runs over county-sized data (used by the CLI and the desktop app)."""

from __future__ import annotations

import gc

_frozen = False


def freeze_startup_objects() -> None:
    """Leave everything alive at start-up (modules, classes, functions) out of later cycle collections.

    pandas, numpy and Qt bring ~60k such objects, and every full collection walked all of them:
    ~40 ms with the interpreter lock held, several times per 100k-firm import. In the desktop app
    that is a visible stutter of the window, in the CLI ~0.3 s per run. They live until exit
    anyway; reference counting still frees any of them that is dropped. Only the first call in a
    process freezes (the CLI's `main` may run many times in one process, as in the tests).
    """
    global _frozen
    if _frozen:
        return
    _frozen = True
    gc.collect()
    gc.freeze()
