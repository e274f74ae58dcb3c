"""Pipeline throughput: read, parse, merge, evaluate and the whole CLI, against a bare calamine read.

    python benchmarks/bench_pipeline.py            # 1k, 10k and 100k firms
    python benchmarks/bench_pipeline.py 100000     # one size

One workbook per size holds four departmental sheets (统计, 税务 in 元, 自然资源 parcels in 平方米,
供电 meters without codes, matched by name), so the merge does real work. Workbooks are cached in
benchmarks/.cache/. Figures are the best of `REPEATS` runs. Goals (issue 2): the whole CLI run
≤ 1.3 × a bare `pd.read_excel(engine="calamine")` of the same file, evaluation ≤ 0.2 s at 100k.
"""

from __future__ import annotations

import contextlib
import io
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evaluator.app.cli import main as cli_main  # noqa: E402
from evaluator.clean.codes import ALPHABET, check_character  # noqa: E402
from evaluator.merge.tables import merge_tables  # noqa: E402
from evaluator.method.evaluate import evaluate  # noqa: E402
from evaluator.method.scheme import load_scheme  # noqa: E402
from evaluator.pipeline.run import parse_files, read_files  # noqa: E402

CACHE = ROOT / "benchmarks" / ".cache"
REPEATS = 3
TOWNS = ["城关镇", "经济开发区", "高新技术产业园", "东山镇", "西河镇", "南湖街道", "北塘乡", "青石镇"]
INDUSTRIES = ["1311", "1713", "C1810", "2231", "2641", "3021", "C3311", "3391", "3484", "3511", "3670", "3825"]


def make_workbook(n: int) -> Path:
    path = CACHE / f"county_{n}.xlsx"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(n)
    bodies = [f"913303{i:011d}" for i in range(n)]
    bodies = ["".join(ALPHABET[int(c)] for c in b) for b in bodies]
    codes = [b + check_character(b) for b in bodies]
    names = [f"示范县第{i}号制造有限公司" for i in range(n)]
    above = rng.random(n) < 0.55
    land = np.round(rng.lognormal(3.2, 0.8, n), 2)
    va = np.round(land * rng.lognormal(4.2, 0.7, n), 2)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})

    def sheet(name, title, header, rows):
        ws = wb.add_worksheet(name)
        ws.write_row(0, 0, [title])
        ws.write_row(1, 0, ["金额单位：万元"])
        ws.write_row(2, 0, header)
        for r, row in enumerate(rows, start=3):
            ws.write_row(r, 0, row)
        ws.write_row(3 + len(rows), 0, ["合计"])

    sheet("统计", "规上规下工业企业主要指标",
          ["序号", "企业名称", "统一社会信用代码", "所属乡镇", "行业代码", "企业规模", "工业增加值", "营业收入", "综合能耗（吨标准煤）",
           "研发经费支出", "年平均职工人数", "投产时间"],
          [(i + 1, names[i], codes[i], TOWNS[i % 8], INDUSTRIES[i % 12], "规上" if above[i] else "规下", float(va[i]),
            float(va[i] * 4), float(round(va[i] / 3, 2)), float(round(va[i] * 0.1, 2)), int(10 + va[i] // 20), 2000 + i % 23)
           for i in range(n)])
    tax = np.round(land * rng.lognormal(1.0, 0.9, n) * 10000, 2)
    sheet("税务", "实缴税金", ["纳税人识别号", "纳税人名称", "实缴税金（元）"], [(codes[i], names[i], float(tax[i])) for i in range(n)])
    sheet("用地", "工业用地", ["统一社会信用代码", "土地使用权人", "土地使用权面积（平方米）"],
          [(codes[i], names[i], float(round(land[i] * 10000 / 15, 2))) for i in range(n)])
    kwh = np.round(tax / 10000 / rng.lognormal(-0.7, 0.6, n) * 10000, 0)
    sheet("用电", "用电量", ["户号", "用电户名", "用电量（千瓦时）"], [(f"{i:08d}", names[i], float(kwh[i])) for i in range(n)])
    wb.close()
    return path


def best(fn, repeats: int = REPEATS) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def bench(n: int) -> None:
    path = make_workbook(n)
    scheme = load_scheme("reference")
    t_bare, _ = best(lambda: pd.read_excel(path, sheet_name=None, engine="calamine"))
    t_read, (files, _, _) = best(lambda: read_files([path]))
    t_parse, (tables, _) = best(lambda: parse_files(files))
    t_merge, merged = best(lambda: merge_tables(tables))
    t_eval, _ = best(lambda: evaluate(merged.enterprises, scheme, 2025))

    def cli():
        with contextlib.redirect_stdout(io.StringIO()):
            return cli_main(["evaluate", str(path), "--year", "2025", "--issues", "none"])

    t_cli, rc = best(cli)
    assert rc == 0
    rows = 4 * n
    print(f"\n{n:,} firms ({rows:,} data rows in 4 sheets, {path.stat().st_size / 1e6:.1f} MB)")
    print(f"  bare pd.read_excel(calamine) {t_bare:8.3f} s   {rows / t_bare:12,.0f} rows/s")
    print(f"  read (calamine grids)        {t_read:8.3f} s   {rows / t_read:12,.0f} rows/s")
    print(f"  parse (headers, cleaning)    {t_parse:8.3f} s   {rows / t_parse:12,.0f} rows/s")
    print(f"  merge                        {t_merge:8.3f} s   {rows / t_merge:12,.0f} rows/s")
    print(f"  evaluate                     {t_eval:8.3f} s   {n / t_eval:12,.0f} firms/s")
    print(f"  whole CLI run                {t_cli:8.3f} s   ratio to bare read {t_cli / t_bare:5.2f}×  (goal ≤ 1.30×)")


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:]] or [1_000, 10_000, 100_000]
    for size in sizes:
        bench(size)
