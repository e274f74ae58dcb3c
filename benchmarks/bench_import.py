"""Reading hostile and huge departmental files: time and peak memory of each case (issue 16).

    python benchmarks/bench_import.py                 # every case
    python benchmarks/bench_import.py million stray   # some cases
    python benchmarks/bench_import.py --rows 200000   # a smaller "million" sheet

Each case runs in a fresh child process so that its peak resident memory (ru_maxrss, which also
counts calamine's Rust allocations that tracemalloc cannot see) is its own:

- `million`: a 1,000,000-row sheet (code, name, township, tax, land), read and parsed, against a
  bare calamine `to_python()` of the same sheet in the same run (`bare`);
- `stray`: a 2 KB workbook with one stray cell at XFD1048576 (calamine alone asks for 512 GiB and
  aborts the process); it must be refused in milliseconds with a few MB;
- `bomb`: a ~1 MB workbook whose shared strings inflate to 1 GiB; refused before reading;
- `blank`: a CSV with a small table and 10 million blank lines.

Goals: `million` within 1.5 × `bare` in peak memory (the guards must not hold a second copy of the
sheet); the three hostile cases under 1 s and under 150 MB each (the interpreter with pandas
imported is ~80 MB). Time for `million` is reported against `bare`; the header, unit and row
interpretation cost most of the difference. Files are cached in benchmarks/.cache/.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CACHE = ROOT / "benchmarks" / ".cache"
CASES = ("bare", "million", "stray", "bomb", "blank")


def _code(i: int) -> str:
    from evaluator.clean.codes import check_character

    body = f"91330100MA{i:07d}"
    return body + check_character(body)


def make_million(rows: int) -> Path:
    import xlsxwriter

    path = CACHE / f"import_{rows}.xlsx"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("税务")
    ws.write_row(0, 0, ["统一社会信用代码", "企业名称", "所属乡镇", "实缴税金", "用地面积"])
    towns = ["城关镇", "东山镇", "西河镇", "南湖街道"]
    for i in range(rows):
        ws.write_row(i + 1, 0, [_code(i), f"示范县第{i}机械有限公司", towns[i % 4], (i % 997) * 1.5, 3 + i % 50])
    wb.close()
    return path


def make_stray() -> Path:
    import openpyxl

    path = CACHE / "import_stray.xlsx"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "企业名称", "实缴税金"])
    ws.append([_code(1), "甲公司", 10])
    ws["XFD1048576"] = "x"
    wb.save(path)
    return path


def make_bomb() -> Path:
    import openpyxl

    path = CACHE / "import_bomb.xlsx"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    small = CACHE / "import_bomb_base.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["企业名称", "备注"])
    wb.active.append(["甲公司", 1])
    wb.save(small)
    with zipfile.ZipFile(small) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        with dst.open("xl/sharedStrings.xml", "w", force_zip64=True) as fh:
            fh.write(b"<sst><si><t>")
            block = b"a" * (1 << 20)
            for _ in range(1024):
                fh.write(block)
            fh.write(b"</t></si></sst>")
    small.unlink()
    return path


def make_blank() -> Path:
    path = CACHE / "import_blank.csv"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(f"统一社会信用代码,企业名称,实缴税金\n{_code(1)},甲公司,10\n".encode())
        block = b"\n" * (1 << 20)
        for _ in range(10):
            fh.write(block)
    return path


def child(case: str, rows: int) -> dict[str, object]:
    """Run one case in this process; returns seconds and what was read."""
    from evaluator.pipeline.run import parse_files, read_files

    path = {"bare": lambda: make_million(rows), "million": lambda: make_million(rows), "stray": make_stray,
            "bomb": make_bomb, "blank": make_blank}[case]()
    start = time.perf_counter()
    if case == "bare":
        import python_calamine

        sheet = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
        out: dict[str, object] = {"rows": len(sheet)}
    else:
        files, issues, failed = read_files([path])
        tables, more = parse_files(files)
        codes = sorted({i.code for i in issues + more if i.level != "info"})
        out = {"rows": sum(len(t.data) for t in tables), "findings": codes, "failed": len(failed)}
    out["seconds"] = time.perf_counter() - start
    out["bytes"] = path.stat().st_size
    return out


def run_case(case: str, rows: int) -> dict[str, object]:
    # Build the input first, in its own process, so its memory does not count.
    subprocess.run([sys.executable, __file__, "--make", case, "--rows", str(rows)], check=True)
    r = subprocess.run([sys.executable, __file__, "--child", case, "--rows", str(rows)], capture_output=True, text=True)
    if r.returncode != 0:
        return {"case": case, "died": r.returncode, "stderr": r.stderr.strip()[-300:]}
    out = json.loads(r.stdout.strip().splitlines()[-1])
    out["case"] = case
    return out


def main(argv: list[str]) -> None:
    rows = 1_000_000
    if "--rows" in argv:
        rows = int(argv[argv.index("--rows") + 1])
        del argv[argv.index("--rows"):argv.index("--rows") + 2]
    if argv and argv[0] == "--make":
        {"bare": lambda: make_million(rows), "million": lambda: make_million(rows), "stray": make_stray,
         "bomb": make_bomb, "blank": make_blank}[argv[1]]()
        return
    if argv and argv[0] == "--child":
        out = child(argv[1], rows)
        out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(out, ensure_ascii=False))
        return
    cases = [c for c in argv if c in CASES] or list(CASES)
    if "million" in cases and "bare" not in cases:
        cases.insert(0, "bare")
    results = {c: run_case(c, rows) for c in cases}
    print(f"{'case':<8} {'file MB':>8} {'rows':>9} {'seconds':>8} {'peak MB':>8}  findings")
    for c, r in results.items():
        if "died" in r:
            print(f"{c:<8} died with status {r['died']}: {r['stderr']}")
            continue
        print(f"{c:<8} {r['bytes'] / 2**20:>8.1f} {r['rows']:>9,} {r['seconds']:>8.2f} {r['peak_mb']:>8.0f}  "
              f"{','.join(r.get('findings', [])) or '-'}")
    if "bare" in results and "million" in results and "died" not in results["million"]:
        b, m = results["bare"], results["million"]
        print(f"million / bare: time {m['seconds'] / b['seconds']:.2f}×, peak memory {m['peak_mb'] / b['peak_mb']:.2f}×")


if __name__ == "__main__":
    main(sys.argv[1:])
