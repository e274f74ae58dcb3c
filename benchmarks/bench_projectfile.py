"""Project file speed and size: save and open a county of n firms, against re-reading its workbook.

    python benchmarks/bench_projectfile.py            # 300 (≈ sample county), 10k firms
    python benchmarks/bench_projectfile.py 100000     # one size

Uses the same four-sheet workbook as `bench_pipeline.py` (cached in benchmarks/.cache/). Prints
save and open times, the file size, and the ratio of opening the project to a bare calamine read
of the source workbook (opening must not be slower than importing again). Best of `REPEATS`.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_pipeline import make_workbook  # noqa: E402

from evaluator.outputs.json_result import to_json_dict  # noqa: E402
from evaluator.project.file import load_project, save_project  # noqa: E402
from evaluator.project.model import new_project  # noqa: E402
from evaluator.read.files import read_file  # noqa: E402

REPEATS = 3


def best(fn, repeats: int = REPEATS) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def bench(n: int) -> None:
    book = make_workbook(n)
    t_read, _ = best(lambda: read_file(book))
    project = new_project(2025)
    project.add_files([book])
    t_run, result = best(project.run, 1)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "county.mujun"
        t_save, _ = best(lambda: save_project(project, path, result))
        t_open, loaded = best(lambda: load_project(path))
        same = to_json_dict(loaded.run()) == to_json_dict(result)
        size = path.stat().st_size
    print(f"{n:>7} firms: save {t_save:6.2f} s  open {t_open:6.2f} s  (bare read of the workbook {t_read:6.2f} s, "
          f"open/read {t_open / t_read:4.2f})  run {t_run:6.2f} s  file {size / 1e6:6.1f} MB "
          f"(workbook {book.stat().st_size / 1e6:.1f} MB)  reopened result identical: {same}")


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:]] or [300, 10_000]
    for n in sizes:
        bench(n)
