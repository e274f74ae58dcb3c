"""The desktop app at county scale: the enterprise table at 100k firms, and a GUI that never freezes.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_gui_table.py               # 100k table + 20k/100k heartbeat
    QT_QPA_PLATFORM=offscreen python benchmarks/bench_gui_table.py --table 100000
    QT_QPA_PLATFORM=offscreen python benchmarks/bench_gui_table.py --heartbeat 20000

Part 1 (table): a 100,000-firm result is synthesised as a merged enterprise table and evaluated
with `evaluator.method.evaluate.evaluate`; then it times what the results page does: building the column
data (in the evaluation worker), swapping it into the model (GUI thread), sorting by a number and
by a text column, filtering by tier and by a name search, and painting the view scrolled to the
middle. Baseline in the same run: `np.argsort` of the score column, and a `QSortFilterProxyModel`
sort over the same model (the approach the column model avoids).

Part 2 (heartbeat): a `Session` imports and evaluates a generated county workbook
(`bench_pipeline.make_workbook`, cached in benchmarks/.cache/) in its workers, re-evaluates after
a tier override, saves the project, exports the graded list and the JSON result and writes
300 letters (the export page's own jobs), while a 5 ms QTimer on the GUI thread records the largest
gap between ticks: the longest the event loop was blocked. Goal: < 100 ms. Where a worker holds
the interpreter lock too long, bench_gil_holds.py names the line.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MUJUN_CONFIG_DIR", tempfile.mkdtemp(prefix="mujun-bench-"))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from evaluator.clean.codes import ALPHABET, check_character  # noqa: E402
from evaluator.core.fields import FIELDS  # noqa: E402
from evaluator.merge.tables import MergedData  # noqa: E402
from evaluator.method.evaluate import evaluate  # noqa: E402
from evaluator.method.scheme import load_scheme  # noqa: E402
from evaluator.pipeline.run import Imported, RunResult  # noqa: E402

TOWNS = ["城关镇", "经济开发区", "高新技术产业园", "东山镇", "西河镇", "南湖街道", "北塘乡", "青石镇"]
INDUSTRIES = ["1311", "1713", "C1810", "2231", "2641", "3021", "C3311", "3391", "3484", "3511", "3670", "3825", "4411"]


def synthetic_enterprises(n: int, seed: int = 7) -> pd.DataFrame:
    """A merged enterprise table (as `merge_tables` returns it) of `n` plausible firms."""
    rng = np.random.default_rng(seed)
    bodies = ["".join(ALPHABET[int(c)] for c in f"913303{i:011d}") for i in range(n)]
    codes = [b + check_character(b) for b in bodies]
    land = np.round(rng.lognormal(3.2, 0.8, n), 2)
    land[rng.random(n) < 0.01] = np.nan
    va = land * rng.lognormal(4.2, 0.7, n)
    data: dict[str, object] = {}
    for f in FIELDS:
        data[f.id] = (pd.Series([None] * n, dtype="string") if f.kind in ("text", "code") else np.full(n, np.nan))
    data["credit_code"] = pd.Series(codes, dtype="string")
    data["name"] = pd.Series([f"示范县第{i}号制造有限公司" for i in range(n)], dtype="string")
    data["township"] = pd.Series([TOWNS[i % len(TOWNS)] for i in range(n)], dtype="string")
    data["industry"] = pd.Series([INDUSTRIES[i % len(INDUSTRIES)] for i in range(n)], dtype="string")
    data["above_scale"] = (rng.random(n) < 0.55).astype(float)
    data["land"] = land
    data["tax"] = land * rng.lognormal(1.0, 0.9, n)
    data["value_added"] = va
    data["revenue"] = va * 4
    data["electricity"] = data["tax"] / rng.lognormal(-0.7, 0.6, n)  # type: ignore[operator]
    data["energy"] = va / 3
    data["employees"] = np.floor(10 + va / 20)
    data["rd_expense"] = va * 0.1
    data["commissioned"] = 2000 + np.arange(n) % 26
    for flag, share in (("high_tech", 0.08), ("specialized", 0.05), ("smart_factory", 0.03), ("champion", 0.01),
                        ("safety_accident", 0.005), ("env_violation", 0.005), ("newly_above", 0.01)):
        data[flag] = (rng.random(n) < share).astype(float)
    ent = pd.DataFrame(data)
    ent.index = pd.Index(codes, name="key")
    ent["sources"] = "统计.xlsx；税务.xlsx"
    ent["n_rows"] = 2
    ent["code_valid"] = True
    return ent


def synthetic_result(n: int) -> RunResult:
    scheme = load_scheme("reference")
    ent = synthetic_enterprises(n)
    ev = evaluate(ent, scheme, 2025)
    return RunResult(scheme, 2025, Imported([], [], []), MergedData(ent), ev, [])


def ms(seconds: float) -> str:
    return f"{seconds * 1000:9.1f} ms"


def _timed(app, view, fn) -> tuple[float, float]:
    """(model time, repaint time) of one user action: the call itself, then the events it causes."""
    t0 = time.perf_counter()
    fn()
    t1 = time.perf_counter()
    app.processEvents()
    view.viewport().repaint()
    return t1 - t0, time.perf_counter() - t1


def _best(app, view, fn, repeats: int = 3) -> tuple[float, float]:
    runs = [_timed(app, view, fn) for _ in range(repeats)]
    return min(r[0] for r in runs), min(r[1] for r in runs)


def table_actions(n: int, verbose: bool = True) -> dict[str, tuple[float, float]]:
    from PySide6.QtCore import Qt

    from ui.app import create_app
    from ui.models import ColumnTableModel, build_enterprise_table, enterprise_mask
    from ui.pages.common import fit_columns, table_view

    app = create_app([])
    result = synthetic_result(n)
    t0 = time.perf_counter()
    table = build_enterprise_table(result)
    t_build = time.perf_counter() - t0
    model = ColumnTableModel()
    view = table_view(model)
    view.resize(1400, 800)
    view.show()
    app.processEvents()
    score, name = table.column_index("total_score"), table.column_index("name")
    out: dict[str, tuple[float, float]] = {"build column data (worker)": (t_build, 0.0)}
    out["open: swap data into model"] = _timed(app, view, lambda: (model.set_table(table), fit_columns(view, model)))
    first = _timed(app, view, lambda: view.sortByColumn(score, Qt.SortOrder.DescendingOrder))
    out["sort 总分 (first time: argsort)"] = first
    out["sort 总分 (again, either order)"] = _best(app, view, lambda: view.sortByColumn(
        score, Qt.SortOrder.AscendingOrder if view.horizontalHeader().sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
        else Qt.SortOrder.DescendingOrder))
    model._perm_cache.clear()
    out["sort 企业名称 (text, first time)"] = _timed(app, view, lambda: view.sortByColumn(name, Qt.SortOrder.AscendingOrder))
    out["filter 等级 = A"] = _best(app, view, lambda: model.set_mask(enterprise_mask(table, tier="A")))
    out["filter 规上 + 城关镇"] = _best(app, view, lambda: model.set_mask(
        enterprise_mask(table, population="above", township="城关镇")))
    out["filter search “第4242”"] = _best(app, view, lambda: model.set_mask(enterprise_mask(table, text="第4242")))
    out["clear filters"] = _best(app, view, lambda: model.set_mask(np.ones(table.n, dtype=bool)))
    pos = iter([0.25, 0.5, 0.75, 1.0, 0.1, 0.6])
    out["scroll to another position"] = _best(app, view, lambda: view.scrollTo(
        model.index(int((model.rowCount() - 1) * next(pos)), 0)), repeats=6)
    view.close()
    return out


def bench_table(n: int) -> None:
    from PySide6.QtCore import QSortFilterProxyModel, Qt

    from ui.models import SORT_ROLE, ColumnTableModel, build_enterprise_table

    small = table_actions(300)
    big = table_actions(n)
    print(f"\nEnterprise table, {n:,} firms (model time = the call; repaint = events + painting 1400×800)")
    print(f"  {'action':<34}{'model':>11}{'repaint':>11}   {'300 firms: model':>17}{'repaint':>10}")
    for k, (m, p) in big.items():
        sm, sp = small[k]
        print(f"  {k:<34}{ms(m)}{ms(p)}   {ms(sm)}{ms(sp)}")
    result = synthetic_result(n)
    table = build_enterprise_table(result)
    col = table.column_index("total_score")
    t0 = time.perf_counter()
    np.argsort(-table.columns[col].sort, kind="stable")
    t_bare = time.perf_counter() - t0
    model = ColumnTableModel()
    model.set_table(table)
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    sample = min(n, 20_000)
    model.set_mask(np.arange(table.n) < sample)
    t0 = time.perf_counter()
    proxy.sort(col, Qt.SortOrder.DescendingOrder)
    t_proxy = time.perf_counter() - t0
    print(f"  baseline: bare np.argsort of 总分 ({n:,})      {ms(t_bare)}   "
          f"(model's first sort: {big['sort 总分 (first time: argsort)'][0] / t_bare:4.1f}× bare)")
    print(f"  baseline: QSortFilterProxyModel, {sample:,} rows {ms(t_proxy)}   "
          f"(column model at {n:,}: {ms(big['sort 总分 (first time: argsort)'][0])})")


LETTERS = 300  # a township's worth of letters in the heartbeat's letters phase


class StackSampler:
    """What the GUI thread is doing, sampled every 4 ms from another thread (`--stacks`): for each
    long gap, the lines it was seen on most (Python frames only; a C call shows its caller), and
    where the time went by the kernel's account (/proc/self/task/*/schedstat, Linux): the GUI
    thread running, the GUI thread ready but waiting for a core, and the CPU each other thread of
    the process used. A gap the GUI thread neither ran nor queued through was a wait (the
    interpreter lock, or a lock in Qt)."""

    def __init__(self) -> None:
        import collections
        import threading

        self.samples: collections.deque = collections.deque(maxlen=500_000)
        self.main = threading.get_ident()
        self.main_tid = threading.main_thread().native_id
        self.running = True
        self.collections: list[tuple[float, float, int, str]] = []  # (start, end, generation, thread)
        self._gc_start: dict[int, float] = {}
        import gc

        gc.callbacks.append(self._on_gc)
        threading.Thread(target=self._run, name="stack-sampler", daemon=True).start()

    def _on_gc(self, phase: str, info: dict) -> None:
        import threading

        me = threading.get_ident()
        if phase == "start":
            self._gc_start[me] = time.perf_counter()
        elif me in self._gc_start and info.get("generation", 0) >= 1:
            self.collections.append((self._gc_start.pop(me), time.perf_counter(), info["generation"],
                                     threading.current_thread().name))

    @staticmethod
    def _schedstat() -> dict[int, tuple[int, int]]:
        out: dict[int, tuple[int, int]] = {}
        try:
            tids = os.listdir("/proc/self/task")
        except OSError:
            return out
        for tid in tids:
            try:
                with open(f"/proc/self/task/{tid}/schedstat") as f:
                    run, wait, _ = f.read().split()
                out[int(tid)] = (int(run), int(wait))
            except (OSError, ValueError):
                pass
        return out

    def _run(self) -> None:
        def where(frame, depth: int) -> str:  # type: ignore[no-untyped-def]
            parts = []  # by hand, without reading source lines: the sampler holds the lock meanwhile
            while frame is not None and len(parts) < depth:
                code = getattr(frame, "f_code", None)
                if code is None:  # a thread that ended meanwhile (its frame slot reused)
                    break
                parts.append(f"{code.co_filename.rsplit('/', 1)[-1]}:{frame.f_lineno} {code.co_name}")
                frame = frame.f_back
            return "  <  ".join(parts)

        import threading

        me = threading.get_ident()
        while self.running:
            frames = sys._current_frames()
            f = frames.get(self.main)
            if f is not None:
                names = {t.ident: t.name for t in threading.enumerate()}
                others = {names.get(i, str(i)): where(g, 4) for i, g in frames.items() if i not in (self.main, me)}
                self.samples.append((time.perf_counter(), where(f, 6), self._schedstat(), others))
            time.sleep(0.004)

    def report(self, ticks: list[tuple[float, str]], over: float = 0.08) -> None:
        import bisect
        import collections
        import gc
        import itertools
        import threading

        self.running = False
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)
        names = {t.native_id: t.name for t in threading.enumerate()}
        samples = list(self.samples)
        times = [ts for ts, _, _, _ in samples]
        starts: dict[str, float] = {}
        for ts, phase in ticks:
            starts.setdefault(phase, ts)
        for (a, _), (b, phase) in itertools.pairwise(ticks):
            if b - a > over:
                inside = [x for x in samples if a <= x[0] <= b]
                seen = collections.Counter(x[1] for x in inside)
                print(f"  gap {1000 * (b - a):.0f} ms ({phase}, {a - starts[phase]:.2f} s into it; "
                      f"perf_counter {a:.3f}–{b:.3f}):")
                i, j = max(bisect.bisect_right(times, a) - 1, 0), min(bisect.bisect_left(times, b), len(samples) - 1)
                if samples and j > i:
                    s0, s1 = samples[i][2], samples[j][2]
                    span = 1000 * (samples[j][0] - samples[i][0])

                    used = {t: [(s1[t][k] - s0.get(t, (0, 0))[k]) / 1e6 for k in (0, 1)] for t in s1}
                    gui = used.get(self.main_tid, [0.0, 0.0])
                    others = sorted(((u[0], names.get(t, str(t))) for t, u in used.items() if t != self.main_tid),
                                    reverse=True)
                    print(f"      over {span:.0f} ms: GUI thread ran {gui[0]:.0f} ms, "
                          f"waited for a core {gui[1]:.0f} ms; others ran: "
                          + ", ".join(f"{nm} {ms_:.0f} ms" for ms_, nm in others[:3] if ms_ >= 1))
                else:
                    others = []
                for where, k in seen.most_common(3):
                    print(f"      {k:3d} × {where}")
                for g0, g1, gen, name in self.collections:
                    if g1 > a and g0 < b and g1 - g0 > 0.005:
                        print(f"      cycle collection (generation {gen}) in [{name}]: {1000 * (g1 - g0):.0f} ms")
                busy = {name for u, name in others if u >= 20}
                workers = collections.Counter((name, w) for x in inside for name, w in x[3].items() if name in busy)
                for (name, w), k in workers.most_common(3):  # seen when it let go of the lock: the line after a long C call
                    print(f"      {k:3d} × [{name}] {w}")


def bench_heartbeat(n: int, window: bool = True, stacks: bool = False,
                    stacks_over: float = 80.0) -> tuple[float, float]:
    """Max event-loop gap (ms) while importing + evaluating, and while re-evaluating after an edit.

    With `window`, the whole main window is shown on the results page, so the gaps include every
    page refreshing itself when the result arrives (as in use); without, only the session runs.
    """
    from bench_pipeline import make_workbook
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer

    from evaluator.app.runtime import freeze_startup_objects
    from ui.app import create_app, tune_runtime
    from ui.session import Session

    path = make_workbook(n)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")  # before the run: other load on the machine
    app = create_app([])
    tune_runtime()
    if window:
        from ui.main_window import MainWindow

        win = MainWindow()
        win.ask_unsaved = lambda: "discard"
        win.resize(1440, 900)
        freeze_startup_objects()  # as ui.app.main does
        win.show()
        win.go(3)
        end = time.perf_counter() + 0.5  # the window's first paint is start-up, not the import's
        while time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.002)
        session = win.session
    else:
        freeze_startup_objects()
        session = Session()
    gaps: list[tuple[float, str]] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.nsecsElapsed()]
    phase = ["import"]
    sampler = StackSampler() if stacks else None
    tick_times: list[tuple[float, str]] = []

    def tick() -> None:
        now = clock.nsecsElapsed()
        gaps.append(((now - last[0]) / 1e6, phase[0]))
        last[0] = now
        if sampler is not None:
            tick_times.append((time.perf_counter(), phase[0]))

    def own_work(fn):  # type: ignore[no-untyped-def]
        """The benchmark's own work on the GUI thread (choosing the firms to edit and write
        letters for), left out of the gaps: it is not the app's, and the app's events cannot run
        during it (the tick after it measures from its end)."""
        out = fn()
        last[0] = clock.nsecsElapsed()
        return out

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    timer.start()
    if sampler is not None:  # the first gap runs from here (as `last`), and is explained like the others
        tick_times.append((time.perf_counter(), phase[0]))

    def wait_for_result() -> float:
        loop = QEventLoop()
        session.result_changed.connect(loop.quit)
        QTimer.singleShot(600_000, loop.quit)
        t0 = time.perf_counter()
        loop.exec()
        session.result_changed.disconnect(loop.quit)
        return time.perf_counter() - t0

    session.add_files([path])
    t_total = wait_for_result()
    end = time.perf_counter() + 1.0
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.002)
    phase[0] = "edit"
    def evaluated_keys() -> list[str]:  # no reference to the table kept: the app retires it
        t = session.result.table
        return [str(k) for k in t.index[t["population"].notna().to_numpy()][:LETTERS]]

    evaluated = own_work(evaluated_keys)  # an override changes a tier, not who is evaluated
    key = evaluated[0]
    session.set_override(key, "D", "基准测试")
    t_edit = wait_for_result()
    end = time.perf_counter() + 1.0  # the pages refresh after the result arrives: keep measuring
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.002)
    phase[0] = "save"
    save_to = Path(tempfile.mkdtemp(prefix="mujun-bench-")) / "county.mujun"
    t0 = time.perf_counter()
    session.save(save_to)
    while session.file_runner.busy:
        app.processEvents()
        time.sleep(0.002)
    t_save = time.perf_counter() - t0
    t_export = t_letters = float("nan")
    if window:  # the export page's jobs, as the buttons start them
        page = win.export_page
        out = save_to.parent

        def run_export(start) -> float:
            t0 = time.perf_counter()
            assert start()
            while page.runner.busy:
                app.processEvents()
                time.sleep(0.002)
            assert not page.last_error, page.last_error
            took = time.perf_counter() - t0
            # The next button is clicked in a later turn of the event loop, as an official would:
            # started from here at once, it ran in the same turn as the repaint of the window the
            # dialog uncovers, and that repaint then raced the next job for the interpreter lock.
            end = time.perf_counter() + 0.5
            while time.perf_counter() < end:
                app.processEvents()
                time.sleep(0.002)
            return took

        phase[0] = "export"
        t_export = run_export(lambda: page.export_workbook(out / "分类名单.xlsx"))
        t_export += run_export(lambda: page.export_json(out / "结果.json"))
        phase[0] = "letters"
        t_letters = run_export(lambda: page.export_letters(evaluated, "基准", out / "告知书", combined=False))
    timer.stop()
    if window:
        win.close()

    def stats(which: str) -> tuple[float, int, int]:
        g = [x for x, p in gaps if p == which]
        return (max(g) if g else float("nan")), sum(1 for x in g if x > 100), len(g)

    imp, edit, save, export, letters = (stats(p) for p in ("import", "edit", "save", "export", "letters"))
    where = "main window on the results page" if window else "session only, no pages"
    print(f"\nHeartbeat (5 ms QTimer on the GUI thread), {n:,} firms ({path.name}, 4 sheets of {n:,} rows), {where}; "
          f"{os.cpu_count()} cores, load average {load:.2f} at start")
    print(f"  import + evaluate + table data in workers  {t_total:7.2f} s   max gap {imp[0]:6.1f} ms; "
          f"gaps > 100 ms: {imp[1]} of {imp[2]:,} ticks")
    print(f"  re-evaluate after a tier override          {t_edit:7.2f} s   max gap {edit[0]:6.1f} ms; "
          f"gaps > 100 ms: {edit[1]} of {edit[2]:,} ticks")
    print(f"  save the project (.mujun, with result)     {t_save:7.2f} s   max gap {save[0]:6.1f} ms; "
          f"gaps > 100 ms: {save[1]} of {save[2]:,} ticks")
    if window:
        print(f"  export graded list (.xlsx) + result (.json) {t_export:7.2f} s   max gap {export[0]:6.1f} ms; "
              f"gaps > 100 ms: {export[1]} of {export[2]:,} ticks")
        print(f"  {LETTERS} letters (worker processes)          {t_letters:7.2f} s   max gap {letters[0]:6.1f} ms; "
              f"gaps > 100 ms: {letters[1]} of {letters[2]:,} ticks")
    print("  goal: max gap < 100 ms")
    if sampler is not None:
        sampler.report(tick_times, stacks_over / 1000)
    return imp[0], edit[0]


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--table", type=int, nargs="*", help="table sizes (default 100000)")
    ap.add_argument("--heartbeat", type=int, nargs="*", help="heartbeat sizes (default 20000 100000)")
    ap.add_argument("--no-window", action="store_true", help="heartbeat with the session only (no pages)")
    ap.add_argument("--stacks", action="store_true", help="print what the GUI thread did in each long gap")
    ap.add_argument("--stacks-over", type=float, default=80.0, help="with --stacks: gaps longer than this (ms)")
    a = ap.parse_args()
    run_all = a.table is None and a.heartbeat is None
    for size in (a.table or ([100_000] if run_all else [])):
        bench_table(size)
    for size in (a.heartbeat or ([20_000, 100_000] if run_all else [])):
        bench_heartbeat(size, window=not a.no_window, stacks=a.stacks, stacks_over=a.stacks_over)
