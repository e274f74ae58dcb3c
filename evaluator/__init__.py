"""亩均效益综合评价系统 — the evaluation core: import, validation, merge, indicators, scoring, outputs.

No Qt here, ever (enforced by an import-linter contract): the CLI, the tests and the GUI's
worker threads all call these functions directly.
"""

__version__ = "0.1.0"
