"""Big results are freed on the retiring thread, never on the thread that let go of them."""

from __future__ import annotations

import threading
import time

import ui.retire as retire_mod


class Tracked:
    freed_on: list[str] = []

    def __del__(self) -> None:
        Tracked.freed_on.append(threading.current_thread().name)


def test_retired_object_is_freed_on_the_retiring_thread(monkeypatch) -> None:
    monkeypatch.setattr(retire_mod, "RETIRE_DELAY", 0.05)
    Tracked.freed_on.clear()
    obj = Tracked()
    retire_mod.retire(obj)
    del obj  # the caller's reference goes: the object must survive until the retiring thread drops it
    assert Tracked.freed_on == []
    deadline = time.monotonic() + 5
    while not Tracked.freed_on and time.monotonic() < deadline:
        time.sleep(0.01)
    assert Tracked.freed_on == ["mujun-retire"]


def test_none_is_ignored() -> None:
    before = retire_mod.pending()
    retire_mod.retire(None)
    assert retire_mod.pending() == before
