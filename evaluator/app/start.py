"""The `mujun` command's process entry point, kept light: it starts reading the input files
before the rest of the program (pandas, numpy) is loaded, so the two overlap."""

from __future__ import annotations

import sys


def entry() -> None:
    """Read ahead the files `evaluate` names, load the program, apply process policy, run, and
    end the process without taking its objects apart (`runtime.exit_now`)."""
    from ..read.ahead import ReadAhead, files_named

    paths = files_named(sys.argv[1:])
    try:
        ahead = ReadAhead(paths) if paths else None
    except KeyboardInterrupt:  # as `cli.main` says it, before the rest of the program has loaded
        print("已中断", file=sys.stderr, flush=True)
        sys.exit(130)
    # the heavy imports, while calamine parses on the reader thread
    from .cli import main
    from .runtime import arm_quick_exit, exit_now, freeze_startup_objects

    freeze_startup_objects()
    arm_quick_exit()
    exit_now(main(read_ahead=ahead))
