"""Evaluation letters per second, against a bare reportlab baseline measured in the same run.

    python benchmarks/bench_letters.py          # the sample county (279 letters), best of 3
    python benchmarks/bench_letters.py 3        # the sample county's letters ×3 (837 letters)
    python benchmarks/bench_letters.py --county 700   # a generated 700-firm county, one batch

Prints, for the serial path (one process) and the default batch (all cores, process pool):
letters per second, CPU milliseconds per letter, and the ratio to the bare baseline — a one-page
PDF per firm with the same embedded CJK font, drawing only the firm's name, code and tier (what
any embedded-font PDF costs at least). Goal (issue 15): ≥ 300 letters/s on a 2-core machine for the
default batch of a 700-firm county. Timings depend on other load on the machine; the load average is printed with them.
Never asserted in tests.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evaluator.method.scheme import load_scheme  # noqa: E402
from evaluator.outputs.fonts import find_cjk_font, pdf_fonts  # noqa: E402
from evaluator.outputs.letter_data import LetterBuilder  # noqa: E402
from evaluator.outputs.letter_template import load_letter_template  # noqa: E402
from evaluator.outputs.letters import default_workers, write_letters  # noqa: E402
from evaluator.outputs.settings import Settings  # noqa: E402
from evaluator.pipeline.run import run  # noqa: E402

SAMPLE = ROOT / "sample_data"
FILES = [SAMPLE / "统计局_工业企业主要指标.xlsx", SAMPLE / "税务局_实缴税金.xls", SAMPLE / "自然资源局_工业用地.xlsx",
         SAMPLE / "供电公司_用电量.csv", SAMPLE / "工信局_企业认定名单.xlsx"]
REPEATS = 3


def bare_letters(items: list, fonts: object, out: Path) -> None:
    """The floor: one embedded-font page per firm with three lines of text."""
    from reportlab.pdfgen.canvas import Canvas

    for d in items:
        c = Canvas(str(out / d.filename), initialFontName=fonts.body)  # type: ignore[attr-defined]
        c.setFont(fonts.body, 12)  # type: ignore[attr-defined]
        c.drawString(72, 760, d.identity[0][1])
        c.drawString(72, 740, d.identity[1][1])
        c.drawString(72, 720, d.tier_lines[0][1] if d.tier_lines else d.title)
        c.showPage()
        c.save()


def timed(fn, n: int) -> tuple[float, float]:
    """Best (wall seconds, CPU seconds of this process) of REPEATS runs."""
    best = (float("inf"), 0.0)
    for _ in range(REPEATS):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        w, c = time.perf_counter() - wall, time.process_time() - cpu
        if w < best[0]:
            best = (w, c)
    return best


def main() -> None:
    args = sys.argv[1:]
    files, year = FILES, 2025
    if args[:1] == ["--county"]:  # one batch of a generated county's letters (bench_scale's sheet)
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from bench_scale import YEAR, make_sheet

        files, year, args = [make_sheet(int(args[1]))], YEAR, args[2:]
    times = int(args[0]) if args else 1
    result = run(files, load_scheme("reference"), year)
    settings = Settings(issue_date="2026-03-01")
    keys = [str(k) for k in result.table.index[result.table["population"].notna()]]
    fonts = pdf_fonts(find_cjk_font(settings))
    builder = LetterBuilder(result, settings, load_letter_template())
    items = [builder.build(k) for k in keys]
    n = len(keys) * times
    tmp = Path(tempfile.mkdtemp(prefix="bench-letters-"))
    try:
        def batch(workers: int, combined: bool = False):
            def go():
                for i in range(times):
                    out = tmp / f"w{workers}_{i}"
                    write_letters(result, out, settings, keys=keys, workers=workers,
                                  combined_path=(out / "all.pdf") if combined else None)
            return go

        bare_items = [replace(d, filename=f"{i:05d}.pdf") for i, d in enumerate(items * times)]
        (tmp / "bare").mkdir()
        bw, bc = timed(lambda: bare_letters(bare_items, fonts, tmp / "bare"), n)
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"{n} letters, {os.cpu_count()} cores (load average {load:.2f}), font {fonts.choice.describe()}")
        print(f"  bare baseline (1 page, 3 lines) : {n / bw:7.1f} letters/s   {bc / n * 1000:5.1f} ms CPU/letter")
        sw, sc = timed(batch(1), n)
        print(f"  letters, one process            : {n / sw:7.1f} letters/s   {sc / n * 1000:5.1f} ms CPU/letter"
              f"   {bw / sw:4.2f} × bare")
        workers = default_workers()
        pw, _pc = timed(batch(workers), n)
        print(f"  letters, {workers} processes (default) : {n / pw:7.1f} letters/s"
              f"                         {bw / pw:4.2f} × bare   goal ≥ 300/s")
        cw, _cc = timed(batch(workers, combined=True), n)
        print(f"  letters + combined PDF          : {n / cw:7.1f} letters/s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
