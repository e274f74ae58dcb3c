"""Start-up objects are frozen out of cycle collections by the entry points, never by library calls."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Output to a pipe buffered, as on a user's machine (this one sets PYTHONUNBUFFERED, under which
# a quick exit that forgot to flush would still pass)
BUFFERED = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}


def _freeze_counts(code: str) -> list[int]:
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [int(x) for x in out.split()]


def test_the_command_entry_point_freezes_start_up_objects() -> None:
    code = (
        "import atexit, gc, sys\n"
        "from evaluator.app import start\n"
        "sys.argv = ['mujun', 'schemes']\n"
        "atexit.register(lambda: print(gc.get_freeze_count()))\n"  # the entry point ends by os._exit
        "start.entry()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env=BUFFERED).stdout
    assert int(out.split()[-1]) > 10_000  # pandas and numpy alone bring tens of thousands of objects


def test_calling_main_in_process_leaves_the_collector_alone() -> None:
    (count,) = _freeze_counts(
        "import gc\nfrom evaluator.app import cli\ncli.main(['schemes'])\nprint(gc.get_freeze_count())\n"
        .replace("cli.main(['schemes'])", "import contextlib, io\nwith contextlib.redirect_stdout(io.StringIO()):\n    cli.main(['schemes'])"))
    assert count == 0


def _exit_now(body: str) -> subprocess.CompletedProcess[str]:
    code = "import atexit, sys, threading, time\nfrom evaluator.app import runtime\n" + body
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=BUFFERED)


def test_a_quick_exit_flushes_the_streams_and_runs_the_exit_handlers() -> None:
    done = _exit_now("runtime.arm_quick_exit()\natexit.register(lambda: print('handler'))\n"
                     "class Noisy:\n    def __del__(self): print('taken apart')\n"
                     "runtime.keep_until_exit(Noisy())\n"
                     "print('out', end=''); print('err', end='', file=sys.stderr)\n"
                     "runtime.exit_now(3)\nprint('never')\n")
    assert (done.returncode, done.stdout, done.stderr) == (3, "outhandler\n", "err")  # nothing taken apart


def test_unarmed_or_with_a_thread_still_working_the_exit_is_the_usual_one() -> None:
    done = _exit_now("runtime.keep_until_exit(object())\nprint(len(runtime._kept))\nruntime.exit_now(4)\n")
    assert (done.returncode, done.stdout) == (4, "0\n")  # not armed: nothing kept, a plain exit
    done = _exit_now("runtime.arm_quick_exit()\n"
                     "t = threading.Thread(target=lambda: (time.sleep(0.3), print('thread done')))\n"
                     "t.start()\nruntime.exit_now(2)\n")
    assert (done.returncode, done.stdout) == (2, "thread done\n")
