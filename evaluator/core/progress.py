"""Progress reporting and cooperative cancellation for long work, with no Qt in sight.

Core functions take `progress(fraction, message)` and `cancel()` callables; the GUI wraps them in
a worker, the CLI passes nothing. `Steps` splits one overall bar across the pipeline's stages.
"""

from __future__ import annotations

from collections.abc import Callable

from .issues import Cancelled

ProgressFn = Callable[[float, str], None]
CancelFn = Callable[[], bool]


def _noop(fraction: float, message: str) -> None:
    return None


def _never() -> bool:
    return False


class Steps:
    """Maps each stage's own 0..1 progress into its slice of the overall bar and checks cancel."""

    def __init__(self, progress: ProgressFn | None = None, cancel: CancelFn | None = None):
        self._progress = progress or _noop
        self._cancel = cancel or _never
        self._lo = 0.0
        self._hi = 1.0

    def stage(self, lo: float, hi: float, message: str) -> None:
        self.check()
        self._lo, self._hi = lo, hi
        self._progress(lo, message)

    def report(self, fraction: float, message: str) -> None:
        self.check()
        self._progress(self._lo + (self._hi - self._lo) * min(max(fraction, 0.0), 1.0), message)

    def check(self) -> None:
        if self._cancel():
            raise Cancelled("已取消")

    def done(self, message: str = "完成") -> None:
        self._progress(1.0, message)
