"""Files read ahead on the command line give exactly what a later read gives."""

from __future__ import annotations

import subprocess
import sys
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


def test_a_sheet_the_scan_refuses_is_refused_when_read_ahead_too(tmp_path) -> None:
    """calamine opens the workbook while the sheets are scanned, but reads none before the scan
    is done: the far cell would ask it for 512 GiB."""
    path = str(_far_cell_workbook(tmp_path / "税务.xlsx"))
    got = ReadAhead([path]).read_file(path)
    assert [s.sheet for s in got.sheets] == ["用地"] and _same(got, read_file(path))
    assert [i.code for i in got.issues] == ["range_absurd"]


def test_the_reader_waits_for_the_scan_before_any_sheet(tmp_path) -> None:
    import threading
    from dataclasses import replace

    from evaluator.read.files import PendingScans, check_head, load_checked, scan_sheets

    head = check_head((p := _far_cell_workbook(tmp_path / "税务.xlsx")).read_bytes(), p)
    pending = PendingScans()
    got: list = []
    reader = threading.Thread(target=lambda: got.append(load_checked(replace(head, scans=pending))))
    reader.start()
    reader.join(0.3)
    assert reader.is_alive() and not got  # the workbook is open, no sheet read
    pending.set(scan_sheets(head))
    reader.join(10)
    assert [s.sheet for s in got[0].sheets] == ["用地"]


def test_a_scan_that_fails_fails_that_file_only(tmp_path) -> None:
    from dataclasses import replace

    from evaluator.read.files import PendingScans, check_head, load_checked

    head = check_head((p := _far_cell_workbook(tmp_path / "税务.xlsx")).read_bytes(), p)
    pending = PendingScans()
    pending.fail(InputError("税务.xlsx：扫描失败"))
    with pytest.raises(InputError, match="扫描失败"):
        load_checked(replace(head, scans=pending))
