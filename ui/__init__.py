"""The PySide6 desktop app: a thin view over `evaluator`'s pipeline."""

from ._qt_workarounds import guard_singletons

guard_singletons()  # before any Qt call: see _qt_workarounds for the PySide6 6.12 bug it covers
