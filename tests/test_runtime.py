"""Start-up objects are frozen out of cycle collections once per process (CLI and GUI)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_freeze_once_per_process() -> None:
    code = (
        "import gc\n"
        "import pandas\n"
        "from evaluator.app.runtime import freeze_startup_objects\n"
        "freeze_startup_objects(); first = gc.get_freeze_count()\n"
        "junk = [[i] for i in range(1000)]\n"
        "freeze_startup_objects(); print(first, gc.get_freeze_count() - first)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    first, added = map(int, out.split())
    assert first > 10_000  # pandas and numpy alone bring tens of thousands of objects
    assert added == 0  # a second call (the CLI's main run again in one process) freezes nothing more
