"""Files read ahead on the command line give exactly what a later read gives."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from evaluator.core.issues import InputError
from evaluator.read.ahead import ReadAhead, files_named
from evaluator.read.files import read_file

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = sorted(str(p) for p in (ROOT / "sample_data").iterdir() if p.suffix in (".xlsx", ".xls", ".csv"))


def _same(a, b) -> bool:  # type: ignore[no-untyped-def]
    return (a.sha256, [(s.sheet, s.rows, s.merged, s.formula_cells) for s in a.sheets], [i.line() for i in a.issues]) == \
        (b.sha256, [(s.sheet, s.rows, s.merged, s.formula_cells) for s in b.sheets], [i.line() for i in b.issues])


def test_every_sample_file_read_ahead_equals_a_plain_read() -> None:
    ahead = ReadAhead(SAMPLE)
    for p in SAMPLE:
        assert _same(ahead.read_file(p), read_file(p))


def test_each_file_is_served_once_and_other_reads_are_done_as_usual(tmp_path, monkeypatch) -> None:
    ahead = ReadAhead(SAMPLE[:1])
    first = ahead.read_file(SAMPLE[0])
    again = ahead.read_file(SAMPLE[0])  # served once: the second read is a fresh one
    assert again is not first and _same(again, first)
    csv = next(p for p in SAMPLE if p.endswith(".csv"))
    assert _same(ahead.read_file(csv, "gb18030"), read_file(csv, "gb18030"))  # not read ahead, and another encoding


def test_a_file_that_cannot_be_read_raises_the_same_error(tmp_path) -> None:
    bad = tmp_path / "坏.xlsx"
    bad.write_bytes(b"not a workbook at all")
    missing = tmp_path / "无此文件.xlsx"
    ahead = ReadAhead([str(bad), str(missing)])
    for p in (bad, missing):
        with pytest.raises((InputError, OSError)) as got:
            ahead.read_file(str(p))
        try:
            read_file(p)
        except (InputError, OSError) as exc:
            assert str(exc) == str(got.value)
        else:
            pytest.fail("a plain read should fail too")


def test_only_the_files_of_a_plain_evaluate_are_read_ahead() -> None:
    files = SAMPLE[:2]
    assert files_named(["evaluate", *files, "--year", "2025"]) == files
    assert files_named(["evaluate", *files, "--mapping", "m.toml", "--year", "2025"]) == []
    assert files_named(["evaluate", *files, "--project", "p.mujun"]) == []
    assert files_named(["schemes"]) == [] and files_named([]) == []
    assert files_named(["evaluate", "无此文件.xlsx", "--year", "2025"]) == []


def test_the_command_gives_the_same_result_with_files_read_ahead(tmp_path) -> None:
    out = []
    for i, code in enumerate(("from evaluator.app.start import entry; entry()",
                              "import sys; from evaluator.app.cli import main; sys.exit(main())")):
        target = tmp_path / f"r{i}.json"
        subprocess.run([sys.executable, "-c", code, "evaluate", *SAMPLE, "--year", "2025", "--issues", "none",
                        "--json", str(target)], cwd=ROOT, check=True, capture_output=True)
        out.append(target.read_bytes())
    assert out[0] == out[1]


def test_a_path_given_with_dot_segments_is_still_served(tmp_path, monkeypatch) -> None:
    from evaluator.read import ahead as ahead_module

    monkeypatch.chdir(ROOT)
    rel = "./sample_data/" + Path(SAMPLE[0]).name
    ahead = ReadAhead([rel])
    monkeypatch.setattr(ahead_module, "read_file", lambda *a, **k: pytest.fail("read again"))
    assert _same(ahead.read_file(rel), read_file(rel))


def test_last_years_result_does_not_stop_the_read_ahead() -> None:
    files = SAMPLE[:1]
    assert files_named(["evaluate", *files, "--year", "2025", "--prior", "上年.json"]) == files
    assert files_named(["evaluate", *files, "--map", "m.toml"]) == [] and files_named(["evaluate", *files, "--proj=p"]) == []


def _far_cell_workbook(path: Path) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "税务"
    ws.append(["统一社会信用代码", "企业名称", "实缴税金"])
    ws["XFD1048576"] = "x"
    wb.create_sheet("用地").append(["统一社会信用代码", "企业名称", "用地面积"])
    wb.save(path)
    return path


# A read that reached the far cell would ask calamine for 512 GiB and abort the process: these run
# in a child whose address space is capped, so a regression fails the test, not the test run.
GUARDED = "import resource; resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))\n"


def _guarded(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", GUARDED + code, *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_a_sheet_the_scan_refuses_is_refused_when_read_ahead_too(tmp_path) -> None:
    """calamine opens the workbook while the sheets are scanned, but reads none before the scan
    is done."""
    path = str(_far_cell_workbook(tmp_path / "税务.xlsx"))
    done = _guarded("import sys\nfrom evaluator.read.ahead import ReadAhead\n"
                    "got = ReadAhead([sys.argv[1]]).read_file(sys.argv[1])\n"
                    "print([s.sheet for s in got.sheets], [i.code for i in got.issues])\n", path)
    assert (done.returncode, done.stdout) == (0, "['用地'] ['range_absurd']\n"), done.stderr[-500:]


def test_the_reader_waits_for_the_scan_before_any_sheet(tmp_path) -> None:
    path = str(_far_cell_workbook(tmp_path / "税务.xlsx"))
    done = _guarded(
        "import sys, threading\nfrom dataclasses import replace\nfrom pathlib import Path\n"
        "from evaluator.read.files import PendingScans, check_head, load_checked, scan_sheets\n"
        "head = check_head(Path(sys.argv[1]).read_bytes(), sys.argv[1])\n"
        "pending = PendingScans()\ngot = []\n"
        "reader = threading.Thread(target=lambda: got.append(load_checked(replace(head, scans=pending))))\n"
        "reader.start()\nreader.join(0.3)\nprint(reader.is_alive(), len(got))\n"  # the workbook open, no sheet read
        "pending.set(scan_sheets(head))\nreader.join(30)\nprint([s.sheet for s in got[0].sheets])\n", path)
    assert (done.returncode, done.stdout) == (0, "True 0\n['用地']\n"), done.stderr[-500:]


def test_a_workbook_is_never_read_without_its_scan(tmp_path) -> None:
    from evaluator.read.files import check_head, load_checked

    p = _far_cell_workbook(tmp_path / "税务.xlsx")
    with pytest.raises(ValueError, match="scanned"):
        load_checked(check_head(p.read_bytes(), p))


def test_a_scan_that_fails_fails_that_file_only(tmp_path, monkeypatch) -> None:
    from evaluator.read import ahead as ahead_module

    bad, good = [p for p in SAMPLE if p.endswith(".xlsx")][:2]
    real = ahead_module.scan_sheets

    def scan(head):  # type: ignore[no-untyped-def]
        if str(head.path) == bad:
            raise InputError("扫描失败")
        return real(head)

    monkeypatch.setattr(ahead_module, "scan_sheets", scan)
    got: dict = {}

    def read() -> None:
        ahead = ReadAhead([bad, good])
        for p in (bad, good):
            try:
                got[p] = ahead.read_file(p)
            except InputError as exc:
                got[p] = exc

    t = threading.Thread(target=read, daemon=True)
    t.start()
    t.join(20)
    assert not t.is_alive(), "the reader waited for a scan that had failed"
    assert isinstance(got[bad], InputError) and str(got[bad]) == "扫描失败"
    assert _same(got[good], read_file(good))


def test_ctrl_c_during_a_scan_stops_the_read_ahead(monkeypatch) -> None:
    from evaluator.read import ahead as ahead_module

    def scan(head):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(ahead_module, "scan_sheets", scan)
    with pytest.raises(KeyboardInterrupt):
        ReadAhead([p for p in SAMPLE if p.endswith(".xlsx")][:1])


def test_an_encrypted_part_gives_the_same_error_read_ahead_or_not(tmp_path) -> None:
    """A part flagged as encrypted: zipfile will not open it, calamine says what is wrong."""
    import zipfile

    src = Path(next(p for p in SAMPLE if p.endswith(".xlsx")))
    data = bytearray(src.read_bytes())
    with zipfile.ZipFile(src) as zf:
        info = zf.getinfo("xl/workbook.xml")
    data[info.header_offset + 6] |= 1  # the local header's flag
    central = data.index(b"PK\x01\x02")
    while not data[central + 46:].startswith(b"xl/workbook.xml"):
        central = data.index(b"PK\x01\x02", central + 4)
    data[central + 8] |= 1  # and the central directory's
    path = tmp_path / "加密.xlsx"
    path.write_bytes(bytes(data))
    errors = []
    for read in (lambda: ReadAhead([str(path)]).read_file(str(path)), lambda: read_file(path)):
        with pytest.raises(InputError) as exc:
            read()
        errors.append(str(exc.value))
    assert errors[0] == errors[1] and "无法读取 Excel 文件" in errors[0]
