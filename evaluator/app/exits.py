"""Exit statuses and the print function type every `mujun` command shares."""

from __future__ import annotations

from collections.abc import Callable

EXIT_OK = 0
EXIT_INPUT = 2  # a file, scheme or output could not be used; the message said which
EXIT_INTERNAL = 3  # a bug: the message asks the user to report it

PrintFn = Callable[..., None]
