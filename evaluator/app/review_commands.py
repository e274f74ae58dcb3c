"""`mujun review …`: the review cycle on a project file, for counties that script their work.

Each command opens the `.mujun` file, does one step through the same `Project` methods the
desktop app calls (so each step is audited), re-runs the evaluation where the data changed, and
saves the file with the new result. Every refusal is one Chinese line and exit status 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from pathlib import Path

from ..core.fields import FIELD_BY_ID
from ..core.issues import InputError
from ..merge.resolutions import EVIDENCE_LABELS
from ..outputs.gate import file_level_findings, finding_line, held_lines, release_gate
from ..pipeline.run import RunResult
from ..project.model import Project
from ..project.review import CONFIRM_STATUS, DECISIONS, STAGES, diff_stages, stage_id

PrintFn = Callable[..., None]
EXIT_OK = 0
EXIT_INPUT = 2


def add_review_command(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    rv = sub.add_parser("review", parents=[common], help="复核：处理数据问题、确认单、公示、异议、阶段",
                        description="评价复核流程（一企一单确认 → 初评公示 → 异议复核 → 定稿），均在项目文件（.mujun）上进行，"
                                    "每一步记入审计日志并保存项目。")
    s = rv.add_subparsers(dest="review_command", metavar="步骤")

    def cmd(name: str, help_: str) -> argparse.ArgumentParser:
        c = s.add_parser(name, parents=[common], help=help_, description=help_)
        c.add_argument("project", metavar="PROJECT", help="项目文件（.mujun）")
        return c

    cmd("issues", "列出暂缓发放的企业及原因、建议关联")
    c = cmd("accept-links", "接受建议关联（按编号，或 --all 接受每个待关联行的首选建议）")
    c.add_argument("numbers", nargs="*", type=int, metavar="编号", help="mujun review issues 列出的建议编号")
    c.add_argument("--all", action="store_true", help="接受全部首选建议")
    c.add_argument("--reason", default="", help="理由（默认写明建议所依据的证据）")
    c = cmd("reject-link", "拒绝一条建议关联")
    c.add_argument("number", type=int, metavar="编号")
    c.add_argument("--reason", required=True, help="理由")
    for name, help_ in (("link", "把一行数据关联到某企业（孤立行的代码或“名称:…” → 企业代码）"),
                        ("recode", "更正孤立行的统一社会信用代码")):
        c = cmd(name, help_)
        c.add_argument("key", metavar="孤立行", help="孤立行的代码，或 名称:用电户名")
        c.add_argument("target", metavar="企业代码" if name == "link" else "正确代码")
        c.add_argument("--reason", required=True, help="理由")
    c = cmd("not-enterprise", "标记为非企业（村集体、居民户等），不参加评价，不发任何文书")
    c.add_argument("key", metavar="代码或名称:…")
    c.add_argument("--reason", required=True, help="理由")
    c = cmd("accept-issue", "核实后确认某项数据问题无需更正（写明理由）；整个文件或工作表的问题用 --file 文件名")
    c.add_argument("key", metavar="企业代码", nargs="?", help="企业代码；用 --file 时省略")
    c.add_argument("code", metavar="问题代码", nargs="?", help="如 land_not_positive（见 mujun review issues）")
    c.add_argument("--file", metavar=("文件名", "问题代码"), nargs=2,
                   help="确认整个文件（工作表）的数据问题，如 --file 税务局.xls range_absurd：该问题暂缓全部企业，确认后放行")
    c.add_argument("--reason", required=True, help="理由")
    c = cmd("release", "对数据问题尚未处理的企业准予发放（强制放行，记入审计日志）")
    c.add_argument("key", metavar="企业代码")
    c.add_argument("--reason", required=True, help="理由")
    c = cmd("confirm-sheets", "生成企业数据确认单（一企一单）并登记为已发送")
    c.add_argument("--out", required=True, metavar="DIR", help="确认单输出文件夹")
    c.add_argument("--combined", metavar="PATH", help="另外生成合订本 PDF")
    c.add_argument("--register", metavar="XLSX", help="另外生成回执登记表（企业交回后填写，再用 confirm-import 导入）")
    c.add_argument("--codes", metavar="代码,…", help="只为这些企业生成")
    c.add_argument("--settings", metavar="PATH", help="输出设置文件")
    c = cmd("confirm-import", "导入填好的回执登记表（确认无误 / 有异议及异议数据项）")
    c.add_argument("xlsx", metavar="XLSX")
    c = cmd("confirm", "登记一家企业的确认结果")
    c.add_argument("key", metavar="企业代码")
    c.add_argument("status", choices=list(CONFIRM_STATUS), help="sent 已发送 / confirmed 已确认 / disputed 有异议")
    c.add_argument("--fields", default="", help="有异议的数据项，如 用地面积,实缴税金")
    c.add_argument("--date", default="", help="日期，如 2026-03-05")
    c.add_argument("--note", default="")
    c = cmd("publicity", "生成公示名单（工作簿和/或 PDF）")
    c.add_argument("--xlsx", metavar="PATH")
    c.add_argument("--pdf", metavar="PATH")
    c.add_argument("--unranked", action="store_true", help="排名不分先后（不列名次和得分，按等级、代码或名称排列）")
    c.add_argument("--order", choices=("code", "name"), default="code", help="排名不分先后时的排列：code 代码 / name 名称")
    c.add_argument("--settings", metavar="PATH", help="输出设置文件（公示期、异议受理部门）")
    c = cmd("objection", "登记一件异议")
    c.add_argument("--firm", required=True, metavar="企业代码")
    c.add_argument("--received", required=True, metavar="日期", help="收到日期，如 2026-03-04")
    c.add_argument("--claim", required=True, help="异议内容")
    c.add_argument("--fields", default="", help="异议的数据项，如 用地面积,实缴税金")
    c.add_argument("--tier", action="store_true", help="对评价等级本身有异议")
    c.add_argument("--via", default="", help="受理渠道，如 城关镇经济办")
    c.add_argument("--evidence", nargs="*", default=[], metavar="FILE", help="证明材料文件（存入项目）")
    c = cmd("decide", "登记异议复核意见；需更正的数据随之更正并重新评价")
    c.add_argument("number", type=int, metavar="编号")
    c.add_argument("--decision", required=True, choices=list(DECISIONS), help="accepted 采纳 / partly 部分采纳 / rejected 不予采纳")
    c.add_argument("--reason", required=True)
    c.add_argument("--set", action="append", default=[], metavar="数据项=值", help="更正，如 用地面积=53.72（标准单位）；可多次")
    c.add_argument("--handler", default="")
    c.add_argument("--date", default="")
    c = cmd("answer", "登记已答复异议企业的日期")
    c.add_argument("number", type=int, metavar="编号")
    c.add_argument("--date", required=True)
    c = cmd("objections", "导出异议登记表（Excel）")
    c.add_argument("--xlsx", required=True, metavar="PATH")
    c.add_argument("--settings", metavar="PATH")
    c = cmd("freeze", "保存当前结果为一个阶段（初评、公示、复核、定稿）")
    c.add_argument("stage", metavar="阶段", help="初评 / 公示 / 复核 / 定稿")
    c.add_argument("--note", default="")
    cmd("stages", "列出已保存的阶段")
    c = cmd("diff", "对比两个阶段：列出数值、得分、名次或等级变化的企业及原因")
    c.add_argument("before", metavar="阶段1")
    c.add_argument("after", metavar="阶段2", nargs="?", default="当前", help="默认与当前结果对比")
    c.add_argument("--xlsx", metavar="PATH", help="另外写出对比表（Excel）")


# --- helpers -------------------------------------------------------------------------------------

def _key(result: RunResult, text: str) -> str:
    """A typed code or `名称:…` as a key of the result; InputError if no firm has it."""
    import pandas as pd

    from ..clean.codes import normalise_codes

    t = text.strip()
    if t.startswith("名称:") or t in result.table.index:
        return t
    k = str(normalise_codes(pd.Series([t], dtype=object)).iat[0] or t)
    if k not in result.table.index:
        raise InputError(f"数据中没有企业“{text}”")
    return k


def _fields(text: str) -> list[str]:
    out = []
    labels = {s.label: s.id for s in FIELD_BY_ID.values()}
    for part in text.replace("，", ",").replace("、", ",").split(","):
        p = part.strip()
        if not p:
            continue
        if p in FIELD_BY_ID:
            out.append(p)
        elif p in labels:
            out.append(labels[p])
        else:
            raise InputError(f"数据项“{p}”无法识别（如 用地面积、实缴税金、用电量）")
    return out


def _save(project: Project, path: str, result: RunResult, print_: PrintFn) -> None:
    from ..project.file import save_project

    save_project(project, path, result)
    print_(f"已保存项目：{path}")


def _tier_line(before: RunResult, after: RunResult, key: str) -> str:
    t0, t1 = before.table, after.table
    name = t1.at[key, "name"] if key in t1.index else (t0.at[key, "name"] if key in t0.index else key)
    a = t0.at[key, "tier"] if key in t0.index else None
    b = t1.at[key, "tier"] if key in t1.index else None
    return f"{name}：等级 {a or '—'} → {b or '—'}"


def _print_issues(result: RunResult, print_: PrintFn) -> None:
    gate = release_gate(result)
    held = gate.held
    print_(f"暂缓发放 {len(held)} 家；已处理的数据问题 {gate.resolved} 条；非企业 {len(result.excluded)} 行；"
           f"强制放行 {len(gate.released)} 家")
    for line in held_lines(result, held):
        print_(f"  {line}")
    whole = file_level_findings(result)
    if whole:
        print_("整个文件（工作表）的数据问题，暂缓全部企业（核实后用 mujun review accept-issue PROJECT --file 文件名 "
               "问题代码 --reason 理由 确认）：")
        for it in whole:
            print_(f"  {it.file} {it.code}：{finding_line(it)}")
    if result.suggestions:
        print_("建议关联（mujun review accept-links PROJECT 编号 接受；reject-link 拒绝）：")
    t = result.table
    for i, sg in enumerate(result.suggestions, 1):
        ev = "；".join(EVIDENCE_LABELS[e] for e in sg.evidence)
        print_(f"  [{i}] {sg.orphan}（{t.at[sg.orphan, 'name']}） → {sg.target}（{t.at[sg.target, 'name']}）：{ev}")


# --- commands ------------------------------------------------------------------------------------

def cmd_review(args: argparse.Namespace, print_: PrintFn) -> int:
    from ..project.file import load_project

    if not getattr(args, "review_command", None):
        print_("请给出复核步骤，如 mujun review issues 项目.mujun（mujun review -h 查看全部）", err=True)
        return EXIT_INPUT
    project = load_project(args.project)
    result = project.run()
    try:
        return _dispatch(args, project, result, print_)
    except ValueError as exc:  # a decision the model refuses (no reason, bad code, unknown stage)
        print_(f"错误：{exc}", err=True)
        return EXIT_INPUT


def _dispatch(args: argparse.Namespace, project: Project, result: RunResult, print_: PrintFn) -> int:
    c = args.review_command
    path = args.project
    if c == "issues":
        _print_issues(result, print_)
        return EXIT_OK
    if c == "stages":
        for st in project.stages:
            print_(f"{st.label}　{st.time}　{st.user}　{len(st.doc['firms'])} 家企业" + (f"　{st.note}" if st.note else ""))
        print_(f"当前阶段：{STAGES[project.current_stage()]}")
        return EXIT_OK
    if c == "diff":
        return _diff(args, project, result, print_)
    if c in ("accept-links", "reject-link"):
        return _links(args, project, result, print_)
    if c == "accept-issue" and getattr(args, "file", None):
        return _accept_file_issue(args, project, result, print_)
    if c == "accept-issue" and not (args.key and args.code):
        raise InputError("请给出企业代码和问题代码，如 accept-issue 项目.mujun 9133… land_not_positive；"
                         "整个文件的问题用 --file 文件名 问题代码")
    if c in ("link", "recode", "not-enterprise", "accept-issue", "release"):
        kind = {"link": "link", "recode": "recode", "not-enterprise": "not_enterprise", "accept-issue": "accept",
                "release": "release"}[c]
        key = args.key.strip() if c in ("link", "recode", "not-enterprise") else _key(result, args.key)
        if key not in result.table.index:
            raise InputError(f"数据中没有“{args.key}”（孤立行的键见 mujun review issues）")
        target = _key(result, args.target) if c == "link" else getattr(args, "target", "")
        project.add_resolution(kind, key, args.reason, target=target, code=getattr(args, "code", ""))
        after = project.run()
        if kind in ("link", "recode"):
            print_(_tier_line(result, after, after.merged.remapped.get(key, key)))
        _save(project, path, after, print_)
        return EXIT_OK
    if c in ("confirm-sheets", "confirm-import", "confirm"):
        return _confirm(args, project, result, print_)
    if c == "publicity":
        return _publicity(args, result, print_)
    if c in ("objection", "decide", "answer", "objections"):
        return _objections(args, project, result, print_)
    if c == "freeze":
        st = project.freeze_stage(stage_id(args.stage), result, args.note)
        print_(f"已保存阶段：{st.label}（{len(result.table)} 家企业）")
        _save(project, path, project.run(), print_)
        return EXIT_OK
    raise InputError(f"未知的复核步骤 {c}")


def _accept_file_issue(args: argparse.Namespace, project: Project, result: RunResult, print_: PrintFn) -> int:
    """`accept-issue --file 文件名 问题代码`: a finding on a whole file or sheet, which holds every
    firm, accepted under the file's name (the release gate's key for it, `gate.file_level_findings`)."""
    if args.key or args.code:
        raise InputError("用 --file 时不再给企业代码：accept-issue 项目.mujun --file 文件名 问题代码 --reason 理由")
    name, code = (x.strip() for x in args.file)
    open_ = file_level_findings(result)
    hits = [it for it in open_ if it.file == name and it.code == code]
    if not hits:
        listed = "；".join(f"{it.file} {it.code}" for it in open_) or "无"
        raise InputError(f"文件“{name}”没有待处理的“{code}”整文件数据问题"
                         f"（待处理的整文件问题：{listed}）")
    project.add_resolution("accept", name, args.reason, code=code)
    for it in hits:
        print_(f"已确认：{finding_line(it)}")
    after = project.run()
    _save(project, args.project, after, print_)
    return EXIT_OK


def _links(args: argparse.Namespace, project: Project, result: RunResult, print_: PrintFn) -> int:
    sgs = result.suggestions
    if args.review_command == "reject-link":
        if not 1 <= args.number <= len(sgs):
            raise InputError(f"没有第 {args.number} 条建议关联（共 {len(sgs)} 条）")
        sg = sgs[args.number - 1]
        project.add_resolution("reject_link", sg.orphan, args.reason, target=sg.target)
        _save(project, args.project, project.run(), print_)
        return EXIT_OK
    if args.all:
        chosen, seen = [], set()
        for sg in sgs:  # the best suggestion of each orphan comes first
            if sg.orphan not in seen:
                chosen.append(sg)
                seen.add(sg.orphan)
    else:
        bad = [n for n in args.numbers if not 1 <= n <= len(sgs)]
        if bad or not args.numbers:
            raise InputError(f"请给出建议编号（1–{len(sgs)}），或 --all" if sgs else "没有待处理的建议关联")
        chosen = [sgs[n - 1] for n in args.numbers]
    for sg in chosen:
        project.add_resolution("link", sg.orphan, args.reason or f"接受建议关联：{sg.reason()}", target=sg.target)
    after = project.run()
    for sg in chosen:
        print_(f"已关联 {sg.orphan} → {sg.target}；" + _tier_line(result, after, sg.target))
    _save(project, args.project, after, print_)
    return EXIT_OK


def _settings(args: argparse.Namespace):  # noqa: ANN202
    from .output_options import settings_for_print

    return settings_for_print(getattr(args, "settings", None))


def _confirm(args: argparse.Namespace, project: Project, result: RunResult, print_: PrintFn) -> int:
    from ..outputs.confirmation import (
        read_confirmation_returns,
        write_confirmation_register,
        write_confirmation_sheets,
    )

    c = args.review_command
    if c == "confirm":
        key = _key(result, args.key)
        project.set_confirmation(key, args.status, args.date, _fields(args.fields), args.note)
    elif c == "confirm-import":
        returned, problems = read_confirmation_returns(args.xlsx)
        for line in problems:
            print_(f"警告：{line}", err=True)
        n = 0
        for r in returned:
            if r.key not in result.table.index:
                print_(f"警告：{Path(args.xlsx).name}：数据中没有企业“{r.key}”，该行未导入", err=True)
                continue
            project.set_confirmation(r.key, r.status, r.day, list(r.fields), r.note)
            n += 1
        disputed = sum(1 for r in returned if r.status == "disputed")
        print_(f"已导入确认结果 {n} 家（其中有异议 {disputed} 家）")
    else:
        keys = None
        if args.codes:
            keys = []
            for x in (x for x in args.codes.replace("，", ",").split(",") if x.strip()):
                try:
                    keys.append(_key(result, x))
                except InputError as exc:
                    print_(f"警告：{exc}（可能已关联到其他企业），未生成其确认单", err=True)
        paths, left_out = write_confirmation_sheets(result, args.out, _settings(args), keys, args.combined)
        print_(f"已生成企业数据确认单 {len(paths)} 份：{args.out}")
        if left_out:
            print_(f"提示：{len(left_out)} 家企业身份尚未核实（信用代码有误或名称未匹配），未生成确认单：{'、'.join(left_out)}")
        if args.register:
            write_confirmation_register(result, args.register)
            print_(f"已生成回执登记表：{args.register}")
        today = dt.date.today().isoformat()
        done = set(result.table.index.astype(str)) - set(left_out) if keys is None else set(keys) - set(left_out)
        for k in sorted(done):
            if project.confirmations.get(k) is None:
                project.set_confirmation(k, "sent", today)
    _save(project, args.project, result, print_)
    return EXIT_OK


def _publicity(args: argparse.Namespace, result: RunResult, print_: PrintFn) -> int:
    from ..outputs.publicity import write_publicity_pdf, write_publicity_xlsx

    if not (args.xlsx or args.pdf):
        raise InputError("请给出 --xlsx 和/或 --pdf")
    settings = _settings(args)
    lst = None
    if args.xlsx:
        lst = write_publicity_xlsx(result, args.xlsx, settings, args.unranked, args.order)
        print_(f"已写出公示名单：{args.xlsx}")
    if args.pdf:
        lst = write_publicity_pdf(result, args.pdf, settings, args.unranked, args.order)
        print_(f"已写出公示名单：{args.pdf}")
    if lst is not None and lst.held:
        print_(f"警告：{len(lst.held)} 家参评企业的数据问题尚未处理，未列入公示名单：", err=True)
        for line in held_lines(result, release_gate(result).held, lst.held):
            print_(f"  {line}", err=True)
    return EXIT_OK


def _objections(args: argparse.Namespace, project: Project, result: RunResult, print_: PrintFn) -> int:
    c = args.review_command
    if c == "objections":
        from ..project.review_xlsx import write_objection_register

        write_objection_register(project, args.xlsx, _settings(args))
        print_(f"已写出异议登记表：{args.xlsx}（{len(project.objections)} 件）")
        return EXIT_OK
    if c == "objection":
        key = _key(result, args.firm)
        evidence = []
        for f in args.evidence:
            try:
                evidence.append((Path(f).name, Path(f).read_bytes()))
            except OSError as exc:
                raise InputError(f"无法读取证明材料 {f}（{exc.strerror or exc}）") from exc
        dt.date.fromisoformat(args.received)
        o = project.add_objection(key, str(result.table.at[key, "name"]), args.received, args.claim,
                                  _fields(args.fields), args.tier, args.via, evidence)
        print_(f"已登记异议第 {o.number} 号：{o.name}")
        _save(project, args.project, result, print_)
        return EXIT_OK
    if c == "answer":
        dt.date.fromisoformat(args.date)
        project.answer_objection(args.number, args.date)
        _save(project, args.project, result, print_)
        return EXIT_OK
    changes: dict[str, object] = {}
    for item in args.set:
        name, _, value = item.partition("=")
        ids = _fields(name)
        if len(ids) != 1 or not value.strip():
            raise InputError(f"--set {item}：应写成“数据项=值”，如 用地面积=53.72")
        fid = ids[0]
        spec = FIELD_BY_ID[fid]
        try:
            changes[fid] = float(value) if spec.kind in ("number", "bool", "scale", "year") else value.strip()
        except ValueError as exc:
            raise InputError(f"--set {item}：“{value}”不是数值") from exc
    o = project.decide_objection(args.number, args.decision, args.reason, args.handler, changes, args.date)
    after = project.run()
    print_(f"异议第 {o.number} 号：{DECISIONS[o.decision]}" + (f"；已更正 {len(changes)} 项并重新评价" if changes else ""))
    if changes:
        print_("  " + _tier_line(result, after, o.key))
    _save(project, args.project, after, print_)
    return EXIT_OK


def _diff(args: argparse.Namespace, project: Project, result: RunResult, print_: PrintFn) -> int:
    from ..project.review import Stage, snapshot
    from ..project.review_xlsx import write_stage_diff

    a = project.find_stage(stage_id(args.before))
    if args.after in ("当前", "current"):
        b = Stage("review", "", project.user, "当前", project.fingerprint(),
                  snapshot(result, project.scheme_text, project.objections))
        label_b = "当前结果"
    else:
        b = project.find_stage(stage_id(args.after))
        label_b = b.label
    d = diff_stages(a, b)
    d.after = label_b
    print_(f"{d.before} → {d.after}：变化企业 {len(d.firms)} 家，因本企业数据更正或复核决定变化 {len(d.direct)} 家，"
           f"等级变化 {len(d.tier_changes)} 家")
    for f in d.firms:
        if not (f.direct or f.tier_changed):
            continue
        print_(f"  {f.name}（{f.key}）：" + "；".join(f"{w} {x} → {y}" for w, x, y in f.changes))
        print_("    原因：" + ("；".join(f.causes) or "本企业数据未变，因其他企业数据更正名次随之变化"))
    rest = len(d.firms) - len([f for f in d.firms if f.direct or f.tier_changed])
    if rest:
        print_(f"  另有 {rest} 家企业本身数据未变，因基准值变化得分或名次略有变化（见对比表）")
    if args.xlsx:
        write_stage_diff(d, args.xlsx)
        print_(f"已写出对比表：{args.xlsx}")
    return EXIT_OK
