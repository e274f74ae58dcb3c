"""The PySide6 desktop app: a thin view over `evaluator`'s pipeline."""
