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


def test_big_parts_are_freed_and_shared_parts_left_as_they_are() -> None:
    """let_go takes apart what only the retired object holds; what a page still holds is unchanged."""
    import numpy as np
    import pandas as pd

    n = 3 * retire_mod.SLICE
    shared_array = np.array([f"企业{i}" for i in range(n)], dtype=object)
    shared_list = [f"k{i}" for i in range(n)]
    shared_base = np.array([f"b{i}" for i in range(n)], dtype=object)
    Tracked.freed_on.clear()
    own_array = np.array([f"x{i}" for i in range(n)], dtype=object)
    own_array[5] = Tracked()
    own_list = [f"y{i}" for i in range(n)] + [Tracked()]
    own_dict = {f"z{i}": i for i in range(n)} | {"t": Tracked()}
    frame = pd.DataFrame({"a": np.array([f"f{i}" for i in range(n)], dtype=object), "b": np.arange(n)})
    retired = ({"shared": shared_array, "view": shared_base[::2], "list": [shared_list]},
               [own_array, own_list, own_dict], frame, Tracked())
    del own_array, own_list, own_dict, frame
    held = [retired]
    del retired
    retire_mod.let_go(held)
    assert held == []
    assert len(Tracked.freed_on) == 4
    assert shared_array.tolist() == [f"企业{i}" for i in range(n)]
    assert shared_list == [f"k{i}" for i in range(n)]
    assert shared_base.tolist() == [f"b{i}" for i in range(n)]
