"""Start-up objects are frozen out of cycle collections by the entry points, never by library calls."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _freeze_counts(code: str) -> list[int]:
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [int(x) for x in out.split()]


def test_the_command_entry_point_freezes_start_up_objects() -> None:
    code = (
        "import gc, sys\n"
        "from evaluator.app import start\n"
        "sys.argv = ['mujun', 'schemes']\n"
        "try:\n    start.entry()\n"
        "except SystemExit:\n    pass\n"
        "print(gc.get_freeze_count())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert int(out.split()[-1]) > 10_000  # pandas and numpy alone bring tens of thousands of objects


def test_calling_main_in_process_leaves_the_collector_alone() -> None:
    (count,) = _freeze_counts(
        "import gc\nfrom evaluator.app import cli\ncli.main(['schemes'])\nprint(gc.get_freeze_count())\n"
        .replace("cli.main(['schemes'])", "import contextlib, io\nwith contextlib.redirect_stdout(io.StringIO()):\n    cli.main(['schemes'])"))
    assert count == 0
