"""Outputs never destroy inputs or leave half-written files, and every output asked for is attempted (issue 16)."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest

from evaluator.app.cli import main
from evaluator.core import atomic
from evaluator.core.issues import InputError
from evaluator.project.file import ProjectFileError, load_project, save_project
from evaluator.project.model import new_project

from .conftest import SAMPLE_FILES


def _inputs(tmp_path):  # type: ignore[no-untyped-def]
    copies = []
    for p in SAMPLE_FILES:
        q = tmp_path / p.name
        q.write_bytes(p.read_bytes())
        copies.append(q)
    return copies


def test_an_output_on_an_input_file_is_refused_and_the_others_written(tmp_path, capsys) -> None:
    files = _inputs(tmp_path)
    tax = next(f for f in files if f.name.startswith("税务"))
    power = next(f for f in files if f.suffix == ".csv")
    before = (tax.read_bytes(), power.read_bytes())
    rc = main(["evaluate", *map(str, files), "--year", "2025", "--issues", "none", "--xlsx", str(tax),
               "--json", str(power), "--summary-pdf", str(tmp_path / "r.pdf"), "--project", str(tmp_path / "p.mujun")])
    err = capsys.readouterr().err
    assert rc == 2
    assert (tax.read_bytes(), power.read_bytes()) == before
    assert err.count("就是输入文件") == 2 and "内部错误" not in err
    assert (tmp_path / "p.mujun").exists()


def test_a_failed_json_does_not_skip_the_project_or_the_workbook(tmp_path, capsys) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where a folder should be")
    rc = main(["evaluate", *map(str, SAMPLE_FILES), "--year", "2025", "--issues", "none",
               "--json", str(blocked / "r.json"), "--project", str(tmp_path / "p.mujun"),
               "--xlsx", str(tmp_path / "名单.xlsx")])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("错误：") == 1 and "内部错误" not in err
    assert (tmp_path / "p.mujun").exists() and (tmp_path / "名单.xlsx").exists()


def test_an_unwritable_workbook_is_one_chinese_line(tmp_path, capsys, monkeypatch) -> None:
    import xlsxwriter

    def refuse(self):  # type: ignore[no-untyped-def]
        raise xlsxwriter.exceptions.FileCreateError(PermissionError(13, "Permission denied"))

    monkeypatch.setattr(xlsxwriter.Workbook, "close", refuse)
    rc = main(["evaluate", *map(str, SAMPLE_FILES), "--year", "2025", "--issues", "none",
               "--xlsx", str(tmp_path / "名单.xlsx"), "--json", str(tmp_path / "r.json")])
    err = capsys.readouterr().err
    assert rc == 2 and "内部错误" not in err and "无法写出" in err and "名单.xlsx" in err
    assert (tmp_path / "r.json").exists()


def test_a_full_disk_keeps_the_previous_json(tmp_path, capsys, monkeypatch) -> None:
    out = tmp_path / "r.json"
    out.write_text('{"previous": true}', encoding="utf-8")

    from evaluator.outputs import json_result

    def full(result, f):  # type: ignore[no-untyped-def]
        f.write(b'{"enterprises": [')  # half a document, then the disk is full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(json_result, "write_json_to", full)
    rc = main(["evaluate", *map(str, SAMPLE_FILES), "--year", "2025", "--issues", "none", "--json", str(out)])
    assert rc == 2 and "No space left" in capsys.readouterr().err
    assert json.loads(out.read_text(encoding="utf-8")) == {"previous": True}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temp file left behind


def test_a_letter_that_fails_midway_leaves_no_truncated_pdf(tmp_path, monkeypatch) -> None:
    from evaluator.outputs import letter_pdf

    def broken(d, fonts, target):  # type: ignore[no-untyped-def]
        with open(target, "wb") as fh:
            fh.write(b"%PDF-1.4 truncated")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(letter_pdf, "render_letter", broken)
    with atomic.atomic_target(tmp_path / "ok.txt") as t:
        t.write_text("ok")
    with pytest.raises(OSError):
        letter_pdf.render_letter_file(None, None, str(tmp_path / "甲.pdf"))  # type: ignore[arg-type]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.txt"]


def test_output_overwrites_input_sees_other_spellings(tmp_path) -> None:
    a = tmp_path / "税务.xlsx"
    a.write_bytes(b"x")
    os.link(a, tmp_path / "link.xlsx")
    assert atomic.output_overwrites_input(tmp_path / "sub" / ".." / "税务.xlsx", [a]) == a
    assert atomic.output_overwrites_input(tmp_path / "link.xlsx", [a]) == a
    assert atomic.output_overwrites_input(tmp_path / "new.xlsx", [a]) is None


def test_a_mapping_nested_ten_thousand_deep_is_a_format_error(tmp_path, capsys) -> None:
    m = tmp_path / "m.toml"
    m.write_text("a = " + "[" * 10000 + "]" * 10000 + "\n", encoding="utf-8")
    rc = main(["evaluate", str(SAMPLE_FILES[0]), "--year", "2025", "--mapping", str(m)])
    err = capsys.readouterr().err
    assert rc == 2 and "嵌套层数过多" in err and "内部错误" not in err


def test_a_crafted_project_file_is_a_damaged_file_not_an_internal_error(tmp_path) -> None:
    path = tmp_path / "p.mujun"
    save_project(new_project(2025), path)
    con = sqlite3.connect(path)
    con.execute("UPDATE project SET mapping = ?", ("[" * 100_000 + "]" * 100_000,))
    con.commit()
    con.close()
    with pytest.raises(ProjectFileError) as exc:
        load_project(path)
    assert isinstance(exc.value, InputError) and "已损坏" in str(exc.value)


def test_a_blob_that_inflates_beyond_any_project_is_refused(tmp_path, monkeypatch) -> None:
    import zlib

    from evaluator.project import file as projectfile

    monkeypatch.setattr(projectfile, "INFLATE_MIN", 1 << 16)
    blob = zlib.compress(b"[" + b" " * (1 << 24) + b"]")
    with pytest.raises(ValueError):
        projectfile._decompress(blob, projectfile.CODEC)


def test_a_grid_blob_that_inflates_beyond_any_project_is_refused_block_by_block(monkeypatch) -> None:
    import zlib

    from evaluator.project import jsonblocks

    monkeypatch.setattr(jsonblocks, "INFLATE_MIN", 1 << 16)
    blob = zlib.compress(b"[" + b" " * (1 << 24) + b"]")
    with pytest.raises(ValueError):
        jsonblocks.loads_list(blob)
    assert jsonblocks.loads_list(zlib.compress(b"[[1,2],\n[3]]")) == [[1, 2], [3]]
