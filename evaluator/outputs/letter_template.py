"""The wording of the evaluation letter, as an editable TOML template with `{企业名称}` placeholders.

Counties word their letters differently and change the wording more often than the program, so
the text lives in `templates/letters/*.toml` and is checked on load: an unknown placeholder or key
is reported by name instead of printing `{企业名杯}` on 300 letters. The placeholders are listed in
`PLACEHOLDERS` and documented in `templates/letters/README.md`.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, fields, replace
from pathlib import Path

from ..core.issues import InputError
from ..core.paths import templates_dir
from ..core.tomlfiles import parse_toml, read_text

PLACEHOLDERS: dict[str, str] = {
    "企业名称": "企业名称",
    "统一社会信用代码": "统一社会信用代码（无代码的企业为空）",
    "所属乡镇": "所属乡镇（街道）",
    "评价年度": "评价年度，如 2025",
    "评价机关": "设置中的评价机关名称",
    "县名": "设置中的县（市、区）名称",
    "排名范围": "设置中的排名范围称呼，如“全县”",
    "方案名称": "评价方案名称",
    "方案编号": "评价方案编号，如 reference",
    "方案版本": "评价方案版本",
    "参评群体": "规上企业 / 规下企业",
    "综合得分": "综合得分（两位小数）",
    "等级": "最终等级，如 A",
    "等级全称": "最终等级全称，如 A类（优先发展类）",
    "排名": "县内同群体排名，如 12",
    "参评企业数": "同群体参评企业数",
    "文号": "本告知书文号，如 示工信〔2026〕12号",
    "发文日期": "发文日期，如 2026年3月1日",
    "申诉期限": "申诉期限天数",
    "申诉截止日期": "申诉截止日期（发文日期 + 申诉期限）",
    "申诉受理部门": "设置中的申诉受理部门",
    "申诉地址": "设置中的申诉地址",
    "联系电话": "设置中的联系电话",
    "评价状态": "参评 / 免评 / 数据不全 / 不在评价范围",
    "状态原因": "未参评的原因（一句话），如“贵单位为规下企业，用地面积 2.00 亩，不足评价方案规定的 5 亩，不在本年度评价范围”",
}


LAYOUTS = {"official": "公文版式（GB/T 9704：正文 3 号字，版心 156 × 225 毫米）", "compact": "紧凑版式（正文小四号字）"}


@dataclass(frozen=True)
class LetterTemplate:
    layout: str = "official"
    title: str = "{评价年度}年度亩均效益综合评价结果告知书"
    addressee: str = "{企业名称}："
    body: str = ("根据《{方案名称}》，{评价机关}依据统计、税务、自然资源和供电等单位提供的数据，"
                 "对贵单位{评价年度}年度亩均效益进行了综合评价，结果如下：")
    heading_result: str = "一、评价结果"
    result: str = "贵单位综合得分{综合得分}分，在{排名范围}{参评企业数}家{参评群体}中排第{排名}名，评价等级为{等级全称}。"
    heading_scores: str = "二、评价指标及得分"
    chart_caption: str = "各项指标与基准值之比（虚线为基准值）"
    heading_method: str = "计分办法"
    heading_policies: str = "三、适用政策"
    heading_appeal: str = "四、异议复核"
    policies_intro: str = "贵单位适用以下政策："
    appeal: str = ("如对评价结果有异议，请于{申诉截止日期}前向{申诉受理部门}提出书面复核申请，并附相关证明材料；"
                   "逾期未提出的，视为无异议。地址：{申诉地址}；电话：{联系电话}。")
    closing: str = "特此告知。"
    notice_title: str = "{评价年度}年度亩均效益综合评价情况告知书"
    notice_body: str = ("根据《{方案名称}》，{评价机关}对{县名}工业企业{评价年度}年度亩均效益情况进行了综合评价。"
                        "经核查，{状态原因}。\n\n如对上述情况有异议，或有需要补充、更正的数据，请于{申诉截止日期}前向"
                        "{申诉受理部门}提出，并附相关证明材料。受理地址：{申诉地址}；联系电话：{联系电话}。")
    source: str = ""

    def fill(self, key: str, values: dict[str, str]) -> str:
        """One entry with placeholders replaced (already validated, so this cannot fail)."""
        return getattr(self, key).format_map(values).strip()

    def paragraphs(self, key: str, values: dict[str, str]) -> list[str]:
        """An entry split into paragraphs at blank lines; single line breaks are joined."""
        text = self.fill(key, values)
        parts = [" ".join(line.strip() for line in block.splitlines() if line.strip())
                 for block in text.replace("\r\n", "\n").split("\n\n")]
        return [p for p in parts if p]


TEMPLATE_KEYS = tuple(f.name for f in fields(LetterTemplate) if f.name != "source")


def _check_text(text: str, key: str, source: str) -> None:
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise InputError(f"告知书模板 {source}：“{key}”中的花括号不成对（{exc}）；"
                         "需要原样显示花括号时请写成 {{ 和 }}") from exc
    for _lit, name, spec, conv in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conv:
            raise InputError(f"告知书模板 {source}：“{key}”中的占位符 {{{name}}} 无法识别"
                             f"（可用：{'、'.join('{' + k + '}' for k in PLACEHOLDERS)}）")


def parse_letter_template(text: str, source: str = "模板") -> LetterTemplate:
    data = parse_toml(text, "告知书模板", source)
    unknown = [k for k in data if k not in TEMPLATE_KEYS]
    if unknown:
        raise InputError(f"告知书模板 {source}：未知的项目“{'、'.join(unknown)}”（可用：{'、'.join(TEMPLATE_KEYS)}）")
    changes: dict[str, str] = {}
    for k, v in data.items():
        if not isinstance(v, str):
            raise InputError(f"告知书模板 {source}：“{k}”应为文字（用英文引号或三引号括起）")
        _check_text(v, k, source)
        changes[k] = v
    if "layout" in changes and changes["layout"] not in LAYOUTS:
        raise InputError(f"告知书模板 {source}：“layout”应为 {' 或 '.join(LAYOUTS)}"
                         f"（{'；'.join(f'{k}：{v}' for k, v in LAYOUTS.items())}），实际为“{changes['layout']}”")
    tpl = replace(LetterTemplate(), source=source, **changes)
    for k in TEMPLATE_KEYS:
        _check_text(getattr(tpl, k), k, source)
    return tpl


def load_letter_template(ref: str | Path = "default") -> LetterTemplate:
    """A template name in `templates/letters/` or a path to a `.toml` file."""
    p = Path(ref)
    if not p.suffix:
        p = templates_dir() / "letters" / f"{ref}.toml"
        if not p.exists():
            if str(ref) == "default":
                return LetterTemplate(source="内置默认")
            known = "、".join(x.stem for x in sorted((templates_dir() / "letters").glob("*.toml")))
            raise InputError(f"找不到告知书模板“{ref}”（可用：{known or '无'}；也可给出 .toml 文件路径）")
    return parse_letter_template(read_text(p, "告知书模板"), p.name)
