"""`mujun`: the command line over the same pipeline the desktop app runs.

Bad input never ends in a traceback: an unreadable file or a bad scheme gets one line naming the
file and a non-zero exit status, and the other files are still processed.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from ..core.issues import InputError
from ..method.scheme import list_schemes, load_scheme
from ..outputs.json_result import write_json
from ..read.mapping import load_mapping
from . import output_options as outputs_cli
from . import project_commands
from .runtime import freeze_startup_objects

EXIT_OK = 0
EXIT_INPUT = 2
EXIT_INTERNAL = 3


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mujun",
        description="亩均效益综合评价系统（命令行）：导入各部门数据、合并核查、计算指标、评分分档、输出结果。",
        epilog="示例：mujun evaluate sample_data/*.xlsx sample_data/*.xls sample_data/*.csv --scheme reference --year 2025 --json out/result.json",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=False, help="出现内部错误时显示完整调用栈")
    p.add_argument("--debug", action="store_true", default=False, help=argparse.SUPPRESS)
    sub = p.add_subparsers(dest="command", metavar="命令")
    e = sub.add_parser("evaluate", parents=[common], help="导入数据并评价",
                       description="导入各部门数据文件（.xlsx/.xls/.csv），按方案评价并输出结果。")
    e.add_argument("files", nargs="+", metavar="FILE", help="数据文件；同一字段在多个文件中取值不同时，以先给出的文件为准")
    e.add_argument("--scheme", default="reference", help="评价方案：模板编号（见 mujun schemes）或 .toml 文件路径（默认 reference）")
    e.add_argument("--year", type=int, required=True, help="评价年度（数据所属年度），如 2025")
    e.add_argument("--json", metavar="PATH", help="写出机器可读结果（JSON）")
    e.add_argument("--mapping", metavar="PATH", help="列对应关系覆盖文件（TOML），用于表头无法自动识别的文件")
    e.add_argument("--issues", choices=("error", "warning", "info", "none"), default="warning",
                   help="在屏幕上列出的数据问题的最低级别（默认 warning）")
    project_commands.add_evaluate_arguments(e)
    outputs_cli.add_arguments(e)
    sub.add_parser("schemes", parents=[common], help="列出内置评价方案", description="列出 templates/schemes/ 中的评价方案模板。")
    project_commands.add_commands(sub, common)
    return p


def _print(msg: str = "", err: bool = False) -> None:
    stream = sys.stderr if err else sys.stdout
    print(msg, file=stream, flush=True)


def cmd_schemes() -> int:
    errors: list[str] = []
    schemes = list_schemes(errors)
    for e in errors:
        _print(f"错误：{e}", err=True)
    if not schemes:
        _print("未找到方案模板（templates/schemes/）", err=True)
        return EXIT_INPUT
    for s in schemes:
        pops = "；".join(f"{p.label}：" + "、".join(f"{r.label}{r.weight:g}" for r in p.indicators) for p in s.populations.values())
        _print(f"{s.id:<16} {s.name}（版本 {s.version}）")
        _print(f"{'':<16} {pops}")
    return EXIT_INPUT if errors else EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    from ..pipeline.run import run

    try:
        scheme = load_scheme(args.scheme)
    except InputError as exc:
        _print(f"错误：{exc}", err=True)
        return EXIT_INPUT
    mapping = None
    if args.mapping:
        try:
            mapping = load_mapping(args.mapping)
        except InputError as exc:
            _print(f"错误：{exc}", err=True)
            return EXIT_INPUT
    missing = [f for f in args.files if not Path(f).exists()]
    project = None
    if args.project:  # run through a Project so that what is saved is exactly what was run
        project, result = project_commands.evaluate_into_project(args.files, args.scheme, args.year, mapping)
    else:
        result = run([f for f in args.files], scheme, args.year, mapping)
    for msg in result.imported.failed:
        _print(f"错误：{msg}", err=True)
    status = EXIT_INPUT if result.imported.failed or missing else EXIT_OK
    if not result.imported.files:
        _print("错误：没有可读取的数据文件", err=True)
        return EXIT_INPUT
    _report(result, args.issues)
    inputs = [*args.files, *(p for p in (args.mapping, getattr(args, "prior", None), getattr(args, "settings", None),
                                         args.scheme) if p and Path(p).exists())]
    status = max(status, outputs_cli.refuse_overwrites(args, inputs, _print))
    # outputs that change the result (--prior) must be applied before the JSON is written
    status = max(status, outputs_cli.prepare(result, args, _print))
    # Every output asked for is attempted, whatever happened to the one before.
    if args.json:
        status = max(status, outputs_cli.write_one(lambda: write_json(result, args.json), f"已写出结果：{args.json}",
                                                   _print, args.json))
    if project is not None and args.project:
        status = max(status, project_commands.save_evaluated(project, result, args, _print))
    return max(status, outputs_cli.write_outputs(result, args, _print))


def _report(result, min_level: str) -> None:
    from ..core.issues import LEVEL_LABELS
    from ..method.evaluate import STATUS_LABELS

    t = result.table
    _print(f"方案：{result.scheme.name}（{result.scheme.id} 版本 {result.scheme.version}），评价年度 {result.year}")
    _print(f"读取文件 {len(result.imported.files)} 个，识别数据表 {len(result.imported.tables)} 张，企业 {len(t)} 家")
    for pid, s in result.evaluation.summary.items():
        counts = "，".join(f"{STATUS_LABELS[k]} {s[k]}" for k in STATUS_LABELS if s.get(k))
        tiers = " ".join(f"{k}:{v}" for k, v in s["tiers"].items())
        _print(f"  {s['label']}：共 {s['total']} 家（{counts or '无'}）；分类 {tiers}")
    levels = ["error", "warning", "info"]
    counts = {lv: sum(1 for i in result.issues if i.level == lv) for lv in levels}
    _print("数据核查：" + "，".join(f"{LEVEL_LABELS[lv]} {counts[lv]} 条" for lv in levels))
    if min_level == "none":
        return
    shown = levels[: levels.index(min_level) + 1]
    for it in result.issues:
        if it.level in shown:
            where = it.where()
            _print(f"  [{LEVEL_LABELS[it.level]}] " + (f"{where}：" if where else "") + it.message
                   + (f"（企业 {it.key}）" if it.key and not it.row else ""))


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")  # type: ignore[attr-defined]
        except (AttributeError, ValueError):
            pass
    parser = _parser()
    args = parser.parse_args(argv)
    freeze_startup_objects()
    try:
        if args.command == "schemes":
            return cmd_schemes()
        if args.command == "evaluate":
            return cmd_evaluate(args)
        if args.command == "report":
            return project_commands.cmd_report(args, _print)
        if args.command == "audit":
            return project_commands.cmd_audit(args, _print)
        parser.print_help()
        return EXIT_OK
    except InputError as exc:
        _print(f"错误：{exc}", err=True)
        return EXIT_INPUT
    except KeyboardInterrupt:
        _print("已中断", err=True)
        return 130
    except Exception as exc:  # a bug, not bad input: one line, details on request
        if args.debug:
            traceback.print_exc()
        _print(f"内部错误：{type(exc).__name__}: {exc}（加 --debug 查看详情，并请将输入文件反馈给开发者）", err=True)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
