"""Project-file commands of `mujun`: `evaluate --project`, `report` and `audit`.

`report` re-derives every output from the `.mujun` file alone, without the departments' files, so
a bureau can reprint letters or the graded list weeks later on another PC and get the same
result; it also checks the re-computed result against the one stored at save time. Kept apart
from `cli.py` so the core command line stays small; `cli.py` calls the hooks below.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..core.issues import InputError
from ..pipeline.run import RunResult
from ..project.model import AuditEntry, Project, new_project, now_text
from ..read.mapping import Mapping
from . import output_options as outputs_cli
from .exits import EXIT_INPUT, EXIT_OK, PrintFn


def add_evaluate_arguments(e: argparse.ArgumentParser) -> None:
    e.add_argument("--project", metavar="PATH",
                   help="评价后保存为项目文件（.mujun）：含原始数据、列对应、方案、年度与结果，"
                        "之后可用 mujun report 在没有原始文件的情况下重新生成全部输出")


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    r = sub.add_parser("report", parents=[common], help="由项目文件重新生成结果与输出",
                       description="只依据项目文件（.mujun）重新计算，并写出 JSON 结果及分类名单、告知书、汇总报告等；"
                                   "同时核对重新计算的结果与保存时是否一致。")
    r.add_argument("project", metavar="PATH", help="项目文件（.mujun）")
    r.add_argument("--json", metavar="OUT", help="写出机器可读结果（JSON）")
    outputs_cli.add_arguments(r)  # graded list / letters / summary / prior, as `evaluate` has
    a = sub.add_parser("audit", parents=[common], help="导出项目的审计日志（Excel）",
                       description="把项目文件中的全部操作记录（导入、更正、调档等）导出为 Excel 工作簿。")
    a.add_argument("project", metavar="PATH", help="项目文件（.mujun）")
    a.add_argument("--xlsx", metavar="OUT", required=True, help="审计日志工作簿（.xlsx）")


def evaluate_into_project(paths: Sequence[str | Path], scheme_ref: str, year: int, mapping: Mapping | None,
                          prior: dict[str, Any] | None = None, prior_source: str = ""
                          ) -> tuple[Project, RunResult]:
    """Run the CLI's evaluation through a `Project`, so what is saved is exactly what was run.

    The result equals `pipeline.run` on the same files; unreadable files are in `imported.failed`.
    A prior year goes into the project, so `report` reapplies it.
    """
    project = new_project(year, scheme_ref)
    if prior is not None:
        project.set_prior(prior, Path(prior_source).name if prior_source else "")
    for rule in reversed(mapping.sheets if mapping else []):
        project.set_sheet_mapping(rule)  # each rule goes in front: reversed keeps the file's order
    failed = project.add_files(list(paths))
    result = project.run()
    result.imported.failed = failed
    s = result.scheme
    project.audit.append(AuditEntry(now_text(), project.user, "evaluate", "命令行",
                                    after=f"{len(result.table)} 家企业；方案 {s.id} 版本 {s.version}；"
                                          f"项目指纹 {project.fingerprint()}"))
    return project, result


def save_evaluated(project: Project, result: RunResult, args: argparse.Namespace, print_: PrintFn) -> int:
    """Save after `evaluate --project`."""
    return _save(project, args.project, result, print_, "错误：{}", f"已保存项目：{args.project}")


def _save(project: Project, path: str | Path, result: RunResult, print_: PrintFn, failed: str, done: str) -> int:
    """Save the project with its result; a failure is printed (`failed` with `{}` for the reason)."""
    from ..project.file import save_project

    try:
        save_project(project, path, result)
    except InputError as exc:
        print_(failed.format(exc), err=True)
        return EXIT_INPUT
    print_(done)
    return EXIT_OK


def cmd_report(args: argparse.Namespace, print_: PrintFn) -> int:
    from ..outputs.json_result import to_json_dict, write_json
    from ..project.file import load_project, load_saved_result

    project = load_project(args.project)
    saved = load_saved_result(args.project)
    print_(f"项目：{Path(args.project).name}（评价年度 {project.year}，数据文件 {len(project.files)} 个，"
           f"人工更正 {len(project.corrections)} 条，手动调档 {len(project.overrides)} 条）")
    prior, status = outputs_cli.prior_from_args(args, print_)
    if status:
        return status
    if prior is not None:  # a --prior given now replaces the stored one (not saved into the file)
        project.prior = prior
    result = project.run()
    if args.prior:
        outputs_cli.report_prior(result, args.prior, print_)
    if getattr(args, "prior", None):
        print_("提示：使用命令行指定的上年结果，未与项目保存时的结果核对")
    elif saved is None:
        print_("提示：项目文件未保存评价结果，无法与保存时核对")
    elif to_json_dict(result) == saved:
        print_("核对：重新计算的结果与项目保存时的结果一致")
    else:
        print_("警告：重新计算的结果与项目保存时的结果不一致（可能是程序版本不同）；以下输出按本次重新计算的结果写出",
               err=True)
    outputs = tuple(o for o in outputs_cli.OUTPUT_OPTIONS if o[0] != "project")  # here `project` is the input
    status = max(status, outputs_cli.refuse_overwrites(args, [args.project], print_, outputs))
    if args.json:  # a failed JSON does not keep the other outputs from being written
        status = max(status, outputs_cli.write_one(lambda: write_json(result, args.json), f"已写出结果：{args.json}",
                                                   print_, args.json))
    args._mujun_who = (project.user, now_text())
    status = max(status, outputs_cli.write_outputs(result, args, print_, project, args.project))
    return max(status, _record_forced(project, args, result, print_))


def _record_forced(project: Project, args: argparse.Namespace, result: RunResult, print_: PrintFn) -> int:
    """`--release-held`: the releases go into the project (audited) so the file says who let
    which letters out over open findings, and why."""
    forced = getattr(args, "_mujun_forced", [])
    if not forced:
        return EXIT_OK
    for r in forced:
        project.add_resolution("release", r.key, r.reason)
    return _save(project, args.project, result, print_, "错误：强制放行未能记入项目文件（{}）",
                 f"已将强制放行的 {len(forced)} 家企业记入项目文件：{args.project}")


def cmd_audit(args: argparse.Namespace, print_: PrintFn) -> int:
    from ..project.audit import names_from_result, write_audit_xlsx
    from ..project.file import load_project, load_saved_result

    project = load_project(args.project)
    names = names_from_result(load_saved_result(args.project))
    out = Path(args.xlsx)
    if outputs_cli.output_overwrites_input(out, [args.project]):
        print_(f"错误：--xlsx 的输出文件 {out} 就是项目文件，写出会覆盖项目，未写出；请换一个文件名", err=True)
        return EXIT_INPUT
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print_(f"错误：无法创建文件夹 {out.parent}（{exc.strerror or exc}）", err=True)
        return EXIT_INPUT
    write_audit_xlsx(project, out, names)
    print_(f"已写出审计日志：{out}（{len(project.audit)} 条操作记录）")
    return EXIT_OK
