"""Command-line options for the published outputs, plugged into `mujun evaluate` by `evaluator.app.cli`.

`prior_from_args` reads `--prior` before the evaluation (the pipeline attaches it, so the JSON
carries it); `write_outputs` writes the workbook, letters and summary report after it. Every
failure is one Chinese line and a non-zero exit status; other outputs are still written.
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
from .exits import EXIT_INPUT, EXIT_OK, PrintFn


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
    g.add_argument("--stage", metavar="文字", default="",
                   help="印在告知书标题下和分类名单页眉中的阶段说明，如 初评结果（不给则为正式结果）")
    g.add_argument("--reissue", choices=("keep", "supersede"), default="keep",
                   help="项目中已登记文号的企业再次生成告知书时：keep 沿用原文号（默认，重印同一份告知书）；"
                        "supersede 作废原文号并重新编号（复核后更正的告知书）")
    g.add_argument("--summary-pdf", metavar="PATH", help="写出汇总报告（PDF）")
    g.add_argument("--prior", metavar="FILE", help="上年评价结果（本软件输出的 .json 或分类名单 .xlsx），用于上年等级、等级变化和连续 D 类年数")
    g.add_argument("--settings", metavar="PATH", help="输出设置文件（TOML：评价机关、文号、申诉方式、字体等），默认用已保存的设置")
    g.add_argument("--release-held", metavar="理由",
                   help="对数据问题尚未处理的企业也生成告知书（强制放行，须写明理由；理由记入项目审计日志）")


def settings_for_print(path: str | None = None) -> Any:
    """The settings for an output that prints the 评价机关 or a 文号; an unreadable file raises
    `InputError` with the same words the app's banner shows (`SettingsState.message`)."""
    from ..outputs.settings import read_settings_state

    state = read_settings_state(path or None)
    if not state.usable:
        raise InputError(state.message().replace("\n", "；"))
    return state.settings


def _settings(args: argparse.Namespace) -> Any:
    cached = getattr(args, "_mujun_settings", None)
    if cached is None:
        cached = settings_for_print(getattr(args, "settings", None))
        args._mujun_settings = cached
    return cached


def prior_from_args(args: argparse.Namespace, print_fn: PrintFn) -> tuple[dict[str, Any] | None, int]:
    """Last year's result named by `--prior`, in the form the pipeline attaches; (None, status) without."""
    if not getattr(args, "prior", None):
        return None, EXIT_OK
    from ..pipeline.prior import load_prior, prior_document

    try:
        return prior_document(load_prior(args.prior)), EXIT_OK
    except InputError as exc:
        print_fn(f"错误：{exc}", err=True)
        return None, EXIT_INPUT


def report_prior(result: RunResult, source: str, print_fn: PrintFn) -> None:
    """What attaching last year's result did: matched firms and tier changes, and a wrong-year warning."""
    if result.prior_matched is None:
        return
    year = (result.prior or {}).get("year")
    counts = result.table["tier_change"].value_counts()
    summary = "，".join(f"{k} {int(counts.get(k, 0))} 家" for k in ("升档", "降档", "持平", "新参评"))
    print_fn(f"已读取上年结果 {source}" + (f"（{year} 年度）" if year else "")
             + f"：有上年等级的企业 {result.prior_matched} 家；{summary}")
    if isinstance(year, int) and year >= result.year:
        print_fn(f"警告：上年结果的评价年度（{year}）不早于本次评价年度（{result.year}），请确认文件是否选错", err=True)


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


def write_outputs(result: RunResult, args: argparse.Namespace, print_fn: PrintFn, project: Any = None,
                  project_path: str | None = None) -> int:
    """Write every output asked for; returns the worst exit status. With a `project`, the 文号 of
    the letters are allocated against its register and the project is saved to `project_path`."""
    status = EXIT_OK
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
    if args.xlsx:
        from ..outputs.workbook import write_workbook

        status = max(status, write_one(lambda: write_workbook(result, args.xlsx, settings,
                                                              stage=_stage_label(result, args)),
                                        f"已写出分类名单：{args.xlsx}", print_fn, args.xlsx))
    if (args.letters or args.summary_pdf) and not _font_usable(settings, print_fn):
        return EXIT_INPUT  # the PDFs cannot be made; said once, not once per PDF
    if args.letters:
        try:
            forced = release_held(result, getattr(args, "release_held", None), *getattr(args, "_mujun_who", ("", "")))
        except InputError as exc:
            print_fn(f"错误：{exc}", err=True)
            return max(status, EXIT_INPUT)
        if forced:
            print_fn(f"警告：已强制放行 {len(forced)} 家数据问题尚未处理的企业，理由：{forced[0].reason}", err=True)
        args._mujun_forced = forced
        status = max(status, _write_letters(result, args, settings, print_fn, project, project_path))
    if args.summary_pdf:
        from ..outputs.summary_pdf import write_summary_pdf

        status = max(status, write_one(lambda: write_summary_pdf(result, args.summary_pdf, settings),
                                        f"已写出汇总报告：{args.summary_pdf}", print_fn, args.summary_pdf))
    return status


def _stage_label(result: RunResult, args: argparse.Namespace) -> str:
    """`--stage` as given, else what the project's current stage prints ("" for the final result)."""
    from ..project.review import stage_print_label

    return getattr(args, "stage", "") or stage_print_label(result.stage)


def _font_usable(settings: Any, print_fn: PrintFn) -> bool:
    """Whether the PDFs can embed a Chinese font; if not, the one message says why and how to fix it."""
    from ..outputs.fonts import find_cjk_font

    try:
        find_cjk_font(settings)
    except InputError as exc:
        print_fn(f"错误：{exc}", err=True)
        print_fn("未生成告知书和汇总报告", err=True)
        return False
    return True


def release_held(result: RunResult, reason: str | None, user: str = "", time_text: str = "") -> list[Any]:
    """`--release-held 理由`: a recorded `release` for every firm the gate holds; returns them."""
    if not reason:
        return []
    from ..merge.resolutions import Resolution
    from ..outputs.gate import release_gate

    if not reason.strip():
        raise InputError("--release-held 必须写明理由")
    added = [Resolution("release", k, reason=reason.strip(), user=user, time=time_text)
             for k in release_gate(result).held]
    result.resolutions.extend(added)
    return added


def report_held(result: RunResult, held: list[str], what: str, print_fn: PrintFn) -> None:
    """Name every firm the gate held back from `what`, and what holds it."""
    if not held:
        return
    from ..outputs.gate import held_lines, release_gate

    print_fn(f"警告：{len(held)} 家企业的数据问题尚未处理，暂不生成{what}（处理后重新生成，"
             "或用 mujun review 处理；确需先发的，加 --release-held 理由）：", err=True)
    gate = release_gate(result)
    for line in held_lines(result, gate.held, held):
        print_fn(f"  {line}", err=True)


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


def _allocate(result: RunResult, args: argparse.Namespace, settings: Any, keys: list[str] | None, project: Any
              ) -> Any:
    """The 文号 of this batch against the project's register (None without a project)."""
    if project is None:
        return None
    from ..outputs.doc_numbers import allocate
    from ..outputs.letters import issued_keys
    from ..pipeline.fingerprint import data_fingerprint
    from ..project.model import now_text

    issued = issued_keys(result, keys, settings.status_notices if args.letters_notices is None else args.letters_notices)
    return allocate(project.doc_numbers, issued, settings, data_fingerprint(result), now_text(),
                    getattr(args, "reissue", "keep") or "keep")


def _write_letters(result: RunResult, args: argparse.Namespace, settings: Any, print_fn: PrintFn,
                   project: Any = None, project_path: str | None = None) -> int:
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
    allocation = _allocate(result, args, settings, keys, project)
    try:
        batch = write_letters(result, args.letters, settings, keys=keys, combined_path=combined,
                              notices=args.letters_notices, numbers=allocation.serials if allocation else None,
                              stage=_stage_label(result, args))
    except InputError as exc:
        print_fn(f"错误：{exc}", err=True)
        return EXIT_INPUT
    except OSError as exc:
        print_fn(f"错误：无法写出告知书到 {args.letters}（{exc.strerror or exc}；请确认文件夹有写入权限）", err=True)
        return EXIT_INPUT
    if allocation is not None and project_path:
        from ..project.file import save_project

        from ..pipeline.fingerprint import data_fingerprint

        project.record_doc_numbers(allocation, str(args.letters))
        project.record_export("告知书", f"{len(batch)} 份（命令行）" + ("，另有合订本" if batch.combined else ""),
                              args.letters, data_fingerprint(result), result.stage)
        try:
            save_project(project, project_path, result)
        except InputError as exc:
            print_fn(f"错误：告知书已生成，但文号未能登记到项目文件：{exc}", err=True)
            return EXIT_INPUT
        print_fn(f"已在项目中登记文号：{allocation.summary()}")
    elapsed = time.perf_counter() - started
    print_fn(f"已生成告知书 {len(batch)} 份（用时 {elapsed:.1f} 秒）：{args.letters}")
    report_held(result, batch.held, "告知书", print_fn)
    if batch.combined is not None:
        print_fn(f"已生成合订本：{batch.combined}")
    if batch.skipped:
        print_fn(f"未参评企业 {len(batch.skipped)} 家（免评、数据不全或不在评价范围）未生成告知书；"
                 "如需为其生成情况告知书，请加 --letters-notices")
    for w in batch.warnings:
        print_fn(f"警告：{w}", err=True)
    return EXIT_OK
