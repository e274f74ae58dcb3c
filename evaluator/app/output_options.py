"""Command-line options for the published outputs, plugged into `mujun evaluate` by `evaluator.app.cli`.

`prepare` runs before the JSON is written (it attaches last year's result, which the JSON carries);
`write_outputs` writes the workbook, letters and summary report after it. Every failure is one
Chinese line and a non-zero exit status; other outputs are still written.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from xlsxwriter.exceptions import FileCreateError

from ..core.atomic import output_overwrites_input
from ..core.issues import InputError
from ..pipeline.run import RunResult

EXIT_OK = 0
EXIT_INPUT = 2
PrintFn = Callable[..., None]


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("输出（分类名单、告知书、汇总报告）")
    g.add_argument("--xlsx", metavar="PATH", help="写出分类名单工作簿（.xlsx）")
    g.add_argument("--letters", metavar="DIR", help="为每家参评企业生成评价结果告知书（PDF），写入该文件夹")
    g.add_argument("--letters-combined", metavar="PATH", nargs="?", const="",
                   help="另外生成一份包含全部告知书的合订本 PDF，便于一次打印（不给路径则写入告知书文件夹）")
    g.add_argument("--letters-tier", metavar="等级", help="只生成该最终等级企业的告知书，如 A")
    g.add_argument("--letters-township", metavar="乡镇", help="只生成该乡镇（街道）企业的告知书，如 城关镇")
    g.add_argument("--letters-codes", metavar="代码,…", help="只生成这些统一社会信用代码企业的告知书（逗号分隔）")
    g.add_argument("--letters-notices", action="store_true", default=None,
                   help="同时为未参评企业（免评、数据不全、不在评价范围）生成情况告知书")
    g.add_argument("--summary-pdf", metavar="PATH", help="写出汇总报告（PDF）")
    g.add_argument("--prior", metavar="FILE", help="上年评价结果（本软件输出的 .json 或分类名单 .xlsx），用于上年等级、等级变化和连续 D 类年数")
    g.add_argument("--settings", metavar="PATH", help="输出设置文件（TOML：评价机关、文号、申诉方式、字体等），默认用已保存的设置")


def _settings(args: argparse.Namespace) -> Any:
    cached = getattr(args, "_mujun_settings", None)
    if cached is None:
        from ..outputs.settings import load_settings

        cached = load_settings(args.settings) if getattr(args, "settings", None) else load_settings()
        args._mujun_settings = cached
    return cached


def prepare(result: RunResult, args: argparse.Namespace, print_fn: PrintFn) -> int:
    """Attach the prior year (before `--json` is written); returns an exit status. Runs once."""
    if getattr(args, "_mujun_prepared", False):
        return EXIT_OK
    args._mujun_prepared = True
    if not getattr(args, "prior", None):
        return EXIT_OK
    from ..pipeline.prior import attach_prior, load_prior

    try:
        prior = load_prior(args.prior)
    except InputError as exc:
        print_fn(f"错误：{exc}", err=True)
        return EXIT_INPUT
    matched = attach_prior(result, prior)
    year = prior.attrs.get("year")
    counts = result.table["tier_change"].value_counts()
    summary = "，".join(f"{k} {int(counts.get(k, 0))} 家" for k in ("升档", "降档", "持平", "新参评"))
    print_fn(f"已读取上年结果 {args.prior}" + (f"（{year} 年度）" if year else "") + f"：有上年等级的企业 {matched} 家；{summary}")
    if year and year >= result.year:
        print_fn(f"警告：上年结果的评价年度（{year}）不早于本次评价年度（{result.year}），请确认文件是否选错", err=True)
    return EXIT_OK


def _letter_keys(result: RunResult, args: argparse.Namespace, print_fn: PrintFn) -> list[str] | None:
    from ..outputs.letters import select_keys, unknown_codes

    tier, town, codes_arg = args.letters_tier, args.letters_township, args.letters_codes
    if not (tier or town or codes_arg):
        return None
    t = result.table
    if tier:
        labels = {lab for p in result.scheme.populations.values() for lab in p.tiers.labels}
        if tier.strip().removesuffix("类").upper() not in {lab.upper() for lab in labels}:
            raise InputError(f"--letters-tier：等级“{tier}”不存在（可用：{'、'.join(sorted(labels))}）")
    if town:
        towns = sorted({str(x) for x in t["township"].dropna().unique()})
        if town.strip() not in towns:
            raise InputError(f"--letters-township：没有乡镇“{town}”（数据中的乡镇：{'、'.join(towns) or '无'}）")
    codes = None
    if codes_arg:
        codes = [c.strip() for c in codes_arg.replace("，", ",").split(",") if c.strip()]
        missing = unknown_codes(result, codes)
        if missing:
            print_fn(f"警告：--letters-codes 中以下代码在数据中找不到：{'、'.join(missing)}", err=True)
    return select_keys(result, tier, town, codes)


def write_outputs(result: RunResult, args: argparse.Namespace, print_fn: PrintFn) -> int:
    """Write every output asked for; returns the worst exit status."""
    status = prepare(result, args, print_fn)
    letter_options = (any(getattr(args, a, None) for a in ("letters_tier", "letters_township", "letters_codes",
                                                          "letters_notices"))
                      or getattr(args, "letters_combined", None) is not None)
    if letter_options and not getattr(args, "letters", None):
        print_fn("错误：--letters-* 选项需要同时给出 --letters 告知书输出文件夹", err=True)
        status = EXIT_INPUT
    if not any(getattr(args, a, None) for a in ("xlsx", "letters", "summary_pdf")):
        return status
    try:
        settings = _settings(args)
    except InputError as exc:
        print_fn(f"错误：{exc}", err=True)
        return max(status, EXIT_INPUT)
    fingerprint = None
    if args.xlsx:
        from ..outputs.workbook import write_workbook

        status = max(status, write_one(lambda: write_workbook(result, args.xlsx, settings),
                                        f"已写出分类名单：{args.xlsx}", print_fn, args.xlsx))
    if args.letters:
        status = max(status, _write_letters(result, args, settings, fingerprint, print_fn))
    if args.summary_pdf:
        from ..outputs.summary_pdf import write_summary_pdf

        status = max(status, write_one(lambda: write_summary_pdf(result, args.summary_pdf, settings),
                                        f"已写出汇总报告：{args.summary_pdf}", print_fn, args.summary_pdf))
    return status


def write_one(write: Callable[[], object], done: str, print_fn: PrintFn, path: object = "") -> int:
    """Run one writer; an `InputError` is printed and becomes the exit status (`evaluate`,
    `report` and every output here report a failed file the same way). A file-system error the
    writer did not word (a folder without write permission) is one Chinese line too, never 内部错误."""
    try:
        write()
    except InputError as exc:
        print_fn(f"错误：{exc}", err=True)
        return EXIT_INPUT
    except (OSError, FileCreateError) as exc:
        cause = exc if isinstance(exc, OSError) else (exc.__context__ or exc)
        reason = getattr(cause, "strerror", None) or str(cause)
        print_fn(f"错误：无法写出 {path or '输出文件'}（{reason}；请确认文件夹存在且有写入权限、文件未被其他程序打开）", err=True)
        return EXIT_INPUT
    print_fn(done)
    return EXIT_OK


OUTPUT_OPTIONS = (("json", "--json"), ("xlsx", "--xlsx"), ("summary_pdf", "--summary-pdf"), ("project", "--project"),
                  ("letters_combined", "--letters-combined"))


def refuse_overwrites(args: argparse.Namespace, inputs: list[str], print_fn: PrintFn,
                      options: tuple[tuple[str, str], ...] = OUTPUT_OPTIONS) -> int:
    """Drop each output option whose path is one of the input files (`--xlsx 税务.xlsx`), with one line each.

    The other outputs are still written; the exit status says something was refused.
    """
    status = EXIT_OK
    for attr, flag in options:
        path = getattr(args, attr, None)
        if not path:
            continue
        hit = output_overwrites_input(path, inputs)
        if hit is not None:
            print_fn(f"错误：{flag} 的输出文件 {path} 就是输入文件 {hit}，写出会覆盖原始数据，未写出；请换一个文件名", err=True)
            setattr(args, attr, None)
            status = EXIT_INPUT
    return status


def _write_letters(result: RunResult, args: argparse.Namespace, settings: Any, fingerprint: str | None,
                   print_fn: PrintFn) -> int:
    from pathlib import Path

    from ..outputs.letters import write_letters

    try:
        keys = _letter_keys(result, args, print_fn)
    except InputError as exc:
        print_fn(f"错误：{exc}", err=True)
        return EXIT_INPUT
    if keys is not None and not keys:
        print_fn("错误：没有符合 --letters-tier / --letters-township / --letters-codes 条件的企业，未生成告知书", err=True)
        return EXIT_INPUT
    combined = None
    if args.letters_combined is not None:
        combined = Path(args.letters_combined) if args.letters_combined else Path(args.letters) / "评价结果告知书（合订本）.pdf"
    started = time.perf_counter()
    try:
        batch = write_letters(result, args.letters, settings, keys=keys, combined_path=combined,
                              fingerprint=fingerprint, notices=args.letters_notices)
    except InputError as exc:
        print_fn(f"错误：{exc}", err=True)
        return EXIT_INPUT
    except OSError as exc:
        print_fn(f"错误：无法写出告知书到 {args.letters}（{exc.strerror or exc}；请确认文件夹有写入权限）", err=True)
        return EXIT_INPUT
    elapsed = time.perf_counter() - started
    print_fn(f"已生成告知书 {len(batch)} 份（用时 {elapsed:.1f} 秒）：{args.letters}")
    if batch.combined is not None:
        print_fn(f"已生成合订本：{batch.combined}")
    if batch.skipped:
        print_fn(f"未参评企业 {len(batch.skipped)} 家（免评、数据不全或不在评价范围）未生成告知书；"
                 "如需为其生成情况告知书，请加 --letters-notices")
    for w in batch.warnings:
        print_fn(f"警告：{w}", err=True)
    return EXIT_OK
