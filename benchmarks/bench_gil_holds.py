"""Where a worker thread keeps the GUI waiting: the longest interpreter-lock holds of each GUI job.

    python benchmarks/bench_gil_holds.py                 # 100k firms
    python benchmarks/bench_gil_holds.py 20000 --top 10

The desktop app's jobs run in worker threads, but a thread inside one long C call (a pandas
hash over 400k strings, a numpy copy, a json.loads, a full cycle collection) holds the
interpreter lock throughout, and the GUI thread cannot repaint until it lets go. A watchdog
thread here asks for the lock every 2 ms; when it gets it late, the worker's stack shows the
line just after the long call. Each job of the app runs in turn (same code the GUI's workers
call): import + evaluate + table data, save the project, open it, export the graded list,
letters for a township's worth of firms (rendered in worker processes).
The GUI-level measure, with the real window, is bench_gui_table.py --heartbeat.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MUJUN_CONFIG_DIR", tempfile.mkdtemp(prefix="mujun-bench-"))

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_pipeline import make_workbook  # noqa: E402

import ui.main_window  # noqa: E402,F401  (everything the app imports, before the freeze as in ui.app.main)
from evaluator.app.runtime import freeze_startup_objects  # noqa: E402
from evaluator.project.model import new_project  # noqa: E402
from ui.session import evaluation_job  # noqa: E402

POLL = 0.002


def holds_during(job: Callable[[], object], threshold_ms: float) -> tuple[float, list[tuple[float, str]], object]:
    """Run `job` in a thread; (seconds, [(late ms, where)], job's result)."""
    done = threading.Event()
    out: dict[str, object] = {}
    worker_id: list[int] = []

    def work() -> None:
        worker_id.append(threading.get_ident())
        try:
            out["value"] = job()
        except BaseException as exc:  # noqa: BLE001 - reported below
            out["error"] = exc
        finally:
            done.set()

    hits: list[tuple[float, str]] = []

    def watch() -> None:
        last = time.perf_counter()
        while not done.is_set():
            time.sleep(POLL)
            now = time.perf_counter()
            late = (now - last - POLL) * 1000
            frame = sys._current_frames().get(worker_id[0]) if worker_id else None
            if late > threshold_ms and frame is not None:
                stack = traceback.extract_stack(frame)[-5:]
                hits.append((late, "  <  ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(stack))))
            last = time.perf_counter()

    t0 = time.perf_counter()
    w, d = threading.Thread(target=work), threading.Thread(target=watch)
    w.start()
    d.start()
    w.join()
    d.join()
    if "error" in out:
        raise out["error"]  # type: ignore[misc]
    return time.perf_counter() - t0, hits, out.get("value")


def letter_keys(result: object, n: int) -> list[str]:
    t = result.table  # type: ignore[attr-defined]
    return [str(k) for k in t.index[t["population"].notna().to_numpy()][:n]]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("sizes", type=int, nargs="*", default=[100_000])
    ap.add_argument("--threshold", type=float, default=20.0, help="report holds longer than this (ms)")
    ap.add_argument("--top", type=int, default=5)
    ap.add_argument("--letters", type=int, default=300, help="letters for this many firms (a township's worth)")
    ap.add_argument("--skip", nargs="*", default=[], help="skip jobs whose label contains any of these words "
                                                          "(e.g. export); import always runs")
    a = ap.parse_args()
    sys.setswitchinterval(0.00002)  # as ui.app.tune_runtime
    freeze_startup_objects()
    from evaluator.outputs.json_result import write_json
    from evaluator.outputs.letters import write_letters
    from evaluator.outputs.workbook import write_workbook
    from evaluator.project.file import load_project, save_project

    for n in a.sizes:
        path = make_workbook(n)
        tmp = Path(tempfile.mkdtemp(prefix="mujun-gil-"))
        project = new_project(2025, "reference")
        state: dict[str, object] = {}

        def import_and_evaluate() -> object:
            project.add_files([str(path)], lambda f, m: None, lambda: False)
            state["outcome"] = evaluation_job(project)(lambda f, m: None, lambda: False)
            return None

        jobs: list[tuple[str, Callable[[], object]]] = [
            ("import + evaluate + table data", import_and_evaluate),
            ("save project (.mujun)", lambda: save_project(project, tmp / "county.mujun",
                                                            state["outcome"].result)),  # type: ignore[attr-defined]
            ("open project", lambda: load_project(tmp / "county.mujun")),
            ("export graded list (.xlsx)", lambda: write_workbook(state["outcome"].result,  # type: ignore[attr-defined]
                                                                  tmp / "分类名单.xlsx")),
            ("export result (.json)", lambda: write_json(state["outcome"].result, tmp / "结果.json")),  # type: ignore[attr-defined]
            (f"letters for {a.letters} firms + combined", lambda: write_letters(
                state["outcome"].result, tmp / "告知书", keys=letter_keys(state["outcome"].result, a.letters),  # type: ignore[attr-defined]
                combined_path=tmp / "合订本.pdf")),
        ]
        print(f"\n{n:,} firms ({path.name}): longest interpreter-lock holds by a worker (watchdog polls every 2 ms)")
        for label, job in jobs:
            if any(w in label for w in a.skip) and not label.startswith("import"):
                continue
            seconds, hits, _ = holds_during(job, a.threshold)
            worst = max((h for h, _ in hits), default=0.0)
            print(f"  {label:<32}{seconds:7.2f} s   longest hold {worst:6.1f} ms   holds > {a.threshold:.0f} ms: {len(hits)}")
            for late, where in sorted(hits, reverse=True)[:a.top]:
                print(f"      {late:6.1f} ms  {where}")


if __name__ == "__main__":
    main()
