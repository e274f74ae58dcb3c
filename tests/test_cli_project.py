"""`mujun evaluate --project`, `mujun report` and `mujun audit`: outputs re-derived from the project alone."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import openpyxl
import pytest

from evaluator.app.cli import main
from evaluator.outputs.json_result import to_json_dict
from evaluator.project.file import load_project, load_saved_result, save_project
from evaluator.project.model import new_project


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory, sample_files):
    """An evaluation run from copies of the sample files, which are then deleted."""
    d = tmp_path_factory.mktemp("cli")
    src = d / "来自各部门"
    src.mkdir()
    copies = [str(shutil.copy(f, src / f.name)) for f in sample_files]
    rc = main(["evaluate", *copies, "--year", "2025", "--json", str(d / "evaluate.json"),
               "--project", str(d / "示范县.mujun"), "--issues", "none"])
    assert rc == 0
    shutil.rmtree(src)  # `report` must not need them
    return d


def test_evaluate_saves_the_project_with_its_result(evaluated):
    project = load_project(evaluated / "示范县.mujun")
    assert [f.name for f in project.files] == [
        "统计局_工业企业主要指标.xlsx", "税务局_实缴税金.xls", "自然资源局_工业用地.xlsx", "供电公司_用电量.csv", "工信局_企业认定名单.xlsx"]
    assert project.year == 2025 and project.scheme_source == "reference"
    assert [a.action for a in project.audit] == ["import"] * 5 + ["evaluate"]
    saved = load_saved_result(evaluated / "示范县.mujun")
    assert saved == json.loads((evaluated / "evaluate.json").read_text(encoding="utf-8"))


def test_evaluate_with_and_without_project_gives_the_same_json(evaluated, sample_files, tmp_path):
    assert main(["evaluate", *map(str, sample_files), "--year", "2025", "--json", str(tmp_path / "plain.json"),
                 "--issues", "none"]) == 0
    assert (tmp_path / "plain.json").read_bytes() == (evaluated / "evaluate.json").read_bytes()


def test_report_json_is_byte_equal_to_the_evaluation_json(evaluated, capsys):
    out = evaluated / "报告" / "report.json"
    assert main(["report", str(evaluated / "示范县.mujun"), "--json", str(out)]) == 0
    assert out.read_bytes() == (evaluated / "evaluate.json").read_bytes()
    assert "一致" in capsys.readouterr().out


def test_report_reproduces_corrections_and_overrides(tmp_path, sample_files, sample_result):
    project = new_project(2025)
    project.add_files(sample_files)
    t = sample_result.table
    key = t.index[(t["population"] == "above") & (t["tier"] == "B")][0]
    project.set_override(key, "D", "复核发现安全隐患", before="B")
    project.add_correction(key, "tax", 0.0, "税款已退", before=t.at[key, "tax"])
    result = project.run()
    save_project(project, tmp_path / "p.mujun", result)
    assert main(["report", str(tmp_path / "p.mujun"), "--json", str(tmp_path / "r.json")]) == 0
    doc = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert doc == to_json_dict(result)
    firm = next(e for e in doc["enterprises"] if e["credit_code"] == key)
    assert firm["tier"] == "D" and firm["indicators"]["tax_per_mu"] == 0.0


def test_report_warns_when_the_recomputed_result_differs(tmp_path, capsys):
    project = new_project(2025)
    save_project(project, tmp_path / "p.mujun", {"scheme": "reference", "enterprises": []})
    assert main(["report", str(tmp_path / "p.mujun")]) == 0
    assert "不一致" in capsys.readouterr().err


def test_audit_command_exports_the_log(evaluated, capsys):
    out = evaluated / "审计.xlsx"
    assert main(["audit", str(evaluated / "示范县.mujun"), "--xlsx", str(out)]) == 0
    ws = openpyxl.load_workbook(out)["审计日志"]
    assert [ws.cell(r, 3).value for r in range(3, ws.max_row + 1)] == ["导入文件"] * 5 + ["评价"]
    assert "6 条操作记录" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["report", "audit"])
def test_bad_project_files_get_one_line_and_exit_2(tmp_path, capsys, command):
    bad = tmp_path / "坏.mujun"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x07" * 5000)
    missing = tmp_path / "无.mujun"
    for path in (bad, missing):
        extra = ["--xlsx", str(tmp_path / "a.xlsx")] if command == "audit" else []
        assert main([command, str(path), *extra]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("错误：") and path.name in err and "\n" not in err and "Traceback" not in err


def test_a_corrupt_project_never_prints_a_traceback_from_the_real_command(tmp_path):
    bad = tmp_path / "x.mujun"
    bad.write_text("not a project", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "evaluator", "report", str(bad)], capture_output=True, text=True,
                          encoding="utf-8")
    assert proc.returncode == 2
    assert proc.stderr.strip() == "错误：x.mujun：不是亩均效益评价项目文件（.mujun），或文件已损坏"


def test_a_prior_year_given_at_evaluation_is_kept_in_the_project(tmp_path, sample_files, evaluated):
    pytest.importorskip("evaluator.app.output_options")
    prior = json.loads((evaluated / "evaluate.json").read_text(encoding="utf-8"))
    prior["year"] = 2024
    for e in prior["enterprises"]:
        if e["tier"]:
            e["tier"] = "D"  # everyone was D last year
    (tmp_path / "2024.json").write_text(json.dumps(prior, ensure_ascii=False), encoding="utf-8")
    assert main(["evaluate", *map(str, sample_files), "--year", "2025", "--json", str(tmp_path / "e.json"),
                 "--prior", str(tmp_path / "2024.json"), "--project", str(tmp_path / "p.mujun"), "--issues", "none"]) == 0
    project = load_project(tmp_path / "p.mujun")
    assert project.prior["year"] == 2024 and "prior" in [a.action for a in project.audit] and project.audit[-1].action == "evaluate"
    assert main(["report", str(tmp_path / "p.mujun"), "--json", str(tmp_path / "r.json")]) == 0
    assert (tmp_path / "r.json").read_bytes() == (tmp_path / "e.json").read_bytes()
    doc = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    graded = [e for e in doc["enterprises"] if e["tier"]]
    assert graded and all(e["prior_tier"] == "D" for e in graded)
