"""Graded-list workbook at provincial scale, against a bare calamine read of the input, same run.

    python benchmarks/bench_workbook.py                 # 10k and 100k firms
    python benchmarks/bench_workbook.py 100000 --writers

Prints `write_workbook` (all sheets, formats, print set-up) in seconds, µs per firm and cells per
second, with its ratio to the bare read of the same input. `--writers` also times the writing
mechanism alone on the 全部数据 sheet's cells (values already made), four ways: xlsxwriter's
own cell calls (the writer before issue 15), `xlsx_fast.RowWriter` a row at a time (`add`) and a
block of columns at a time (`add_columns`, the one in use), and
rustpy-xlsxwriter (Rust, from a DataFrame with per-column formats only: no per-cell tier fills,
no title rows; shown where installed). Goal (issue 15): 100k firms ≤ 15 s. Never asserted in tests.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_scale import YEAR, make_sheet  # noqa: E402

from evaluator.method.scheme import load_scheme  # noqa: E402
from evaluator.outputs import workbook as wbm  # noqa: E402
from evaluator.outputs.settings import Settings  # noqa: E402
from evaluator.outputs.xlsx_fast import RowWriter, Workbook  # noqa: E402
from evaluator.pipeline.run import run  # noqa: E402


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def cells_of_all_sheet(result) -> tuple[list[wbm.Column], list[list]]:
    ctx = wbm._Context(result, Settings())
    cols = wbm._all_columns(ctx)
    firms = wbm._Firms(ctx, ctx.order_rows)
    columns = [wbm._texts(c.values(firms)) if text else wbm._numbers(c.values(firms))
               for c, text in zip(cols, (c.kind not in ("number", "int", "year") for c in cols))]
    return cols, [list(r) for r in zip(*columns)]


def writers(result, tmp: str) -> None:
    cols, rows = cells_of_all_sheet(result)
    n_cells = len(rows) * len(cols)

    def with_xlsxwriter(fast: str) -> None:
        wb = Workbook(f"{tmp}/w.xlsx", {"constant_memory": True, "tmpdir": tmp})
        ws = wb.add_worksheet("全部企业")
        f = wb.add_format({"border": 1, "font_name": "宋体"})
        fmts = [f] * len(cols)
        if fast == "rows":
            w = RowWriter(ws, 0, len(cols))
            for r in rows:
                w.add(r, fmts)
            w.close()
        elif fast == "columns":
            w = RowWriter(ws, 0, len(cols))
            is_text = [isinstance(v, str) for v in rows[0]]
            attrs = [w.attr(f) for f in fmts]
            for start in range(0, len(rows), wbm.BLOCK):
                block = rows[start:start + wbm.BLOCK]
                w.add_columns([list(c) for c in zip(*block)], is_text, attrs)
            w.close()
        else:
            for i, r in enumerate(rows):
                for j, v in enumerate(r):
                    if isinstance(v, str):
                        ws.write_string(i, j, v, f) if v else ws.write_blank(i, j, None, f)
                    elif v == v:
                        ws.write_number(i, j, v, f)
                    else:
                        ws.write_blank(i, j, None, f)
        wb.close()

    for label, fn in (("xlsxwriter cell calls", lambda: with_xlsxwriter("")),
                      ("RowWriter.add (rows)", lambda: with_xlsxwriter("rows")),
                      ("RowWriter.add_columns", lambda: with_xlsxwriter("columns"))):
        t = timed(fn)
        print(f"  writer only: {label:<26} {t:7.2f} s   {n_cells / t / 1e6:5.2f} M cells/s", flush=True)
    try:
        from rustpy_xlsxwriter import FastExcel
    except ImportError:
        print("  writer only: rustpy-xlsxwriter not installed (pip install rustpy-xlsxwriter to compare)")
        return
    df = pd.DataFrame(rows, columns=[f"{j}_{c.header}" for j, c in enumerate(cols)])
    t = timed(lambda: FastExcel(f"{tmp}/r.xlsx").sheet("全部企业", df).save())
    print(f"  writer only: {'rustpy-xlsxwriter':<26} {t:7.2f} s   {n_cells / t / 1e6:5.2f} M cells/s", flush=True)


def bench(n: int, with_writers: bool) -> None:
    path = make_sheet(n)
    t_bare = timed(lambda: pd.read_excel(path, engine="calamine", dtype=str))
    result = run([path], load_scheme("reference"), YEAR)
    with tempfile.TemporaryDirectory() as tmp:
        t = timed(lambda: wbm.write_workbook(result, f"{tmp}/分类名单.xlsx", Settings()))
        size = os.path.getsize(f"{tmp}/分类名单.xlsx") / 1e6
        print(f"\n{n:,} firms: bare calamine read {t_bare:.2f} s")
        print(f"  write_workbook (all sheets)   {t:7.2f} s   ×{t / t_bare:5.2f} the bare read   "
              f"{t / n * 1e6:6.1f} µs/firm   {size:.0f} MB   (goal ≤ 15 s at 100k)   load {os.getloadavg()[0]:.1f}",
              flush=True)
        if with_writers:
            writers(result, tmp)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000])
    ap.add_argument("--writers", action="store_true", help="also time the writing mechanisms alone")
    a = ap.parse_args()
    for size in a.sizes:
        bench(size, a.writers)
