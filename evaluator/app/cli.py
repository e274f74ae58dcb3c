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
from ..read.ahead import ReadAhead
from ..read.files import read_file
from ..read.mapping import load_mapping
from . import output_options as outputs_cli
from . import project_commands, review_commands
from .exits import EXIT_INPUT, EXIT_INTERNAL, EXIT_OK
from .runtime import keep_until_exit


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
    sc = sub.add_parser("schemes", parents=[common], help="列出内置评价方案；或把一个方案复制到新的年度",
                        description="列出 templates/schemes/ 中的评价方案模板；加 --copy 把一个方案复制为新年度的方案"
                                    "（全部设置与注释保留，编号、年度、版本改为新年度）。")
    sc.add_argument("--copy", metavar="SCHEME", help="要复制的方案：模板编号或 .toml 文件路径")
    sc.add_argument("--year", type=int, help="新方案的年度（与 --copy 同用）")
    sc.add_argument("--out", metavar="PATH", help="新方案文件（.toml，与 --copy 同用）")
    c = sub.add_parser("compare", parents=[common], help="方案模拟测算：同一批数据按两个方案（或调整后的权重）评价并比较",
                       description="同一批数据按两个方案评价，列出各群体的等级变化矩阵、等级变化的企业及原因、基准值的变化。"
                                   "方案二用 --against 给出，或用 --weight 在方案一基础上调整权重。")
    c.add_argument("files", nargs="+", metavar="FILE", help="数据文件（同 evaluate）")
    c.add_argument("--year", type=int, required=True, help="评价年度")
    c.add_argument("--scheme", default="reference", help="方案一：模板编号或 .toml 文件（默认 reference）")
    c.add_argument("--against", metavar="SCHEME", help="方案二：模板编号或 .toml 文件")
    c.add_argument("--weight", action="append", default=[], metavar="群体.指标=权重",
                   help="方案二为方案一调整这些权重，如 above.tax_per_mu=40（可重复）")
    c.add_argument("--mapping", metavar="PATH", help="列对应关系覆盖文件（TOML）")
    c.add_argument("--prior", metavar="FILE", help="上年评价结果（.json），方案使用上年基准或上年等级时需要")
    c.add_argument("--xlsx", metavar="PATH", help="写出模拟测算工作簿（.xlsx）")
    project_commands.add_commands(sub, common)
    review_commands.add_review_command(sub, common)
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
        pops = "；".join(f"{p.label}（{p.membership()}）：" + "、".join(f"{r.label}{r.weight:g}" for r in p.indicators)
                        for p in s.populations.values())
        _print(f"{s.id:<16} {s.name}（版本 {s.version}）")
        _print(f"{'':<16} {pops}")
    return EXIT_INPUT if errors else EXIT_OK


def cmd_copy_scheme(args: argparse.Namespace) -> int:
    from ..method.scheme import copy_for_year, parse_scheme

    if not args.year or not args.out:
        _print("错误：复制方案需要同时给出 --year 新年度 和 --out 新方案文件", err=True)
        return EXIT_INPUT
    old = load_scheme(args.copy)
    text = copy_for_year(old.text, args.year, Path(old.path).name or str(args.copy))
    out = Path(args.out)
    if out.exists():
        _print(f"错误：{out} 已存在，未覆盖；请换一个文件名", err=True)
        return EXIT_INPUT
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        _print(f"错误：无法写出 {out}（{exc.strerror or exc}）", err=True)
        return EXIT_INPUT
    new = parse_scheme(text, out.name)
    _print(f"已复制方案 {old.id}（{old.year or '未写年度'}）为 {new.id}（{new.year} 年度，版本 {new.version}）：{out}")
    return EXIT_OK


def _weights(items: list[str]) -> dict[str, float]:
    out = {}
    for it in items:
        name, sep, value = it.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise InputError(f"--weight 应写作 群体.指标=权重（如 above.tax_per_mu=40），实际为“{it}”") from None
        if not sep:
            raise InputError(f"--weight 应写作 群体.指标=权重（如 above.tax_per_mu=40），实际为“{it}”")
    return out


def cmd_compare(args: argparse.Namespace) -> int:
    from ..method.compare import compare_evaluations, with_weights
    from ..method.indicators import format_number
    from ..pipeline.run import evaluate_tables, import_files

    if bool(args.against) == bool(args.weight):
        _print("错误：请用 --against 给出方案二，或用 --weight 调整方案一的权重（二者选一）", err=True)
        return EXIT_INPUT
    scheme_a = load_scheme(args.scheme)
    scheme_b = load_scheme(args.against) if args.against else with_weights(scheme_a, _weights(args.weight))
    mapping = load_mapping(args.mapping) if args.mapping else None
    prior = None
    if args.prior and (scheme_a.uses_prior or scheme_b.uses_prior):
        from ..pipeline.prior import load_prior, prior_figures

        prior = prior_figures(load_prior(args.prior))
    imported = import_files(args.files, mapping)
    for msg in imported.failed:
        _print(f"错误：{msg}", err=True)
    if not imported.files:
        _print("错误：没有可读取的数据文件", err=True)
        return EXIT_INPUT
    a = evaluate_tables(imported, scheme_a, args.year, prior=prior)
    b = evaluate_tables(imported, scheme_b, args.year, prior=prior)
    c = compare_evaluations(a.evaluation, b.evaluation)
    _print(f"方案一：{scheme_a.name}（{scheme_a.id} 版本 {scheme_a.version}）")
    _print(f"方案二：{scheme_b.name}（{scheme_b.id} 版本 {scheme_b.version}）")
    for p in c.populations:
        m = p.matrix
        _print(f"  {p.label}：{int(m.to_numpy().sum())} 家中等级或名单变化 {p.moved} 家（行：方案一，列：方案二）")
        _print("    " + "\t".join(["", *map(str, m.columns)]))
        for lab, row in m.iterrows():
            _print("    " + "\t".join([str(lab), *(str(int(v)) for v in row)]))
        for rec in p.benchmarks.to_dict("records"):
            old, new = (format_number(rec[k], rec["unit"]) if rec[k] == rec[k] and rec[k] is not None else "不计分"
                        for k in ("a", "b"))
            if old != new:
                _print(f"    基准值 {rec['label']}：{old} → {new}（{rec['unit']}）")
    status = EXIT_INPUT if imported.failed else EXIT_OK
    if args.xlsx:
        from ..outputs.compare_workbook import write_compare_workbook

        if outputs_cli.write_one(lambda: write_compare_workbook(c, args.xlsx), f"已写出模拟测算：{args.xlsx}", _print):
            return EXIT_INPUT
    return status


def cmd_evaluate(args: argparse.Namespace, read_ahead: ReadAhead | None = None) -> int:
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
    prior, status = outputs_cli.prior_from_args(args, _print)
    if status:
        return status
    missing = [f for f in args.files if not Path(f).exists()]
    project = None
    if args.project:  # run through a Project so that what is saved is exactly what was run
        project, result = project_commands.evaluate_into_project(args.files, args.scheme, args.year, mapping,
                                                                 prior, args.prior)
    else:
        result = run([f for f in args.files], scheme, args.year, mapping, prior=prior,
                     reader=read_ahead.read_file if read_ahead else read_file)
    keep_until_exit((project, result))  # freed by the kernel when the process ends, not one object at a time
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
    outputs_cli.report_prior(result, args.prior, _print)
    # Every output asked for is attempted, whatever happened to the one before.
    if args.json:
        status = max(status, outputs_cli.write_one(lambda: write_json(result, args.json), f"已写出结果：{args.json}",
                                                   _print, args.json))
    if project is not None and args.project:
        status = max(status, project_commands.save_evaluated(project, result, args, _print))
    return max(status, outputs_cli.write_outputs(result, args, _print, project, args.project if project else None))


def _report(result, min_level: str) -> None:
    from ..core.issues import LEVEL_LABELS
    from ..method.evaluate import STATUS_LABELS, status_label
    from ..outputs.gate import release_gate

    t = result.table
    _print(f"方案：{result.scheme.name}（{result.scheme.id} 版本 {result.scheme.version}），评价年度 {result.year}")
    _print(f"读取文件 {len(result.imported.files)} 个，识别数据表 {len(result.imported.tables)} 张，企业 {len(t)} 家")
    for pid, s in result.evaluation.summary.items():
        counts = "，".join(f"{status_label(k, result.scheme)} {s[k]}" for k in STATUS_LABELS if s.get(k))
        tiers = " ".join(f"{k}:{v}" for k, v in s["tiers"].items())
        _print(f"  {s['label']}：共 {s['total']} 家（{counts or '无'}）；分类 {tiers}")
    levels = ["error", "warning", "info"]
    counts = {lv: sum(1 for i in result.issues if i.level == lv) for lv in levels}
    _print("数据核查：" + "，".join(f"{LEVEL_LABELS[lv]} {counts[lv]} 条" for lv in levels))
    held = release_gate(result).held
    if held:
        _print(f"发放前核查：{len(held)} 家企业的数据问题尚未处理，暂不生成其告知书和公示名单"
               "（处理方法见 mujun review issues 项目文件）")
    if min_level == "none":
        return
    shown = levels[: levels.index(min_level) + 1]
    for it in result.issues:
        if it.level in shown:
            _print("  " + it.line() + (f"（企业 {it.key}）" if it.key and (not it.row or it.code == "link_suggested") else ""))


def main(argv: Sequence[str] | None = None, read_ahead: ReadAhead | None = None) -> int:
    """The command line; `read_ahead`: input files already being read (`start.entry`)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")  # type: ignore[attr-defined]
        except (AttributeError, ValueError):
            pass
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "schemes":
            return cmd_copy_scheme(args) if args.copy else cmd_schemes()
        if args.command == "evaluate":
            return cmd_evaluate(args, read_ahead)
        if args.command == "compare":
            return cmd_compare(args)
        if args.command == "report":
            return project_commands.cmd_report(args, _print)
        if args.command == "audit":
            return project_commands.cmd_audit(args, _print)
        if args.command == "review":
            return review_commands.cmd_review(args, _print)
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
