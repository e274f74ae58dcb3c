"""Data-check list entries (数据核查): every problem found, where it is, in words an official reads."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Level = Literal["error", "warning", "info"]
LEVEL_LABELS: dict[str, str] = {"error": "错误", "warning": "警告", "info": "提示"}

# Every kind of finding has a stable code (frictionless-style) beside its Chinese message, so that
# filters, tests, the workbook and the release gate never match on sentences. The value is the
# short Chinese title shown where codes are grouped (data-check filters, workbook).
ISSUE_CODES: dict[str, str] = {
    # reading files
    "file_unreadable": "文件无法读取",
    "csv_encoding": "CSV 编码",
    "csv_encoding_mixed": "CSV 编码混用",
    "csv_delimiter": "CSV 分隔符",
    "hidden_sheet_skipped": "跳过的隐藏工作表",
    "hidden_sheet_included": "按设置读取的隐藏工作表",
    "duplicate_file": "重复导入的文件",
    "duplicate_sheet": "内容重复的工作表",
    "file_renamed": "同名文件",
    "range_absurd": "已用区域异常",
    "payload_too_large": "文件内容超出限制",
    "blank_lines": "大量空行",
    # header and columns
    "unit_not_applicable": "单位不适用",
    "column_duplicate_field": "重复的列",
    "sheet_skipped_by_mapping": "按设置跳过的工作表",
    "sheet_empty": "空工作表",
    "header_not_found": "未识别到表头",
    "no_key_column": "无代码和名称列",
    "header_found": "表头识别结果",
    # rows
    "total_row": "合计行",
    "note_row": "表注行",
    "header_repeated": "重复表头",
    "row_without_data": "无数据行",
    "continuation_row": "续表行",
    "unit_line_in_data": "表中间的单位说明",
    "merged_cells_filled": "合并单元格已填充",
    "second_table": "同一工作表中的另一张表",
    "table_unreadable": "无法读取的表格区域",
    # cells
    "text_number": "文本格式的数值",
    "number_cleaned": "清洗后的数值",
    "placeholder": "占位符",
    "excel_error": "Excel 错误值",
    "number_unparseable": "无法识别的数值",
    "bool_unparseable": "无法识别的是/否",
    "scale_unparseable": "无法识别的企业规模",
    "year_unparseable": "无法识别的投产时间",
    "formula_without_value": "公式无缓存值",
    "code_stored_as_number": "代码存为数值",
    "invisible_char": "不可见字符",
    "value_not_finite": "数值无效（无穷大）",
    "value_absurd": "数值大得不合理",
    # plausibility of values
    "land_not_positive": "用地面积不大于 0",
    "tax_negative": "税金为负数",
    "employees_not_positive": "职工人数不大于 0",
    "employees_fraction": "职工人数非整数",
    "value_negative": "数值为负数",
    "industry_code_invalid": "行业代码无效",
    "unit_suspect": "疑似单位错误",
    # merging
    "code_invalid": "信用代码有误",
    "name_unmatched": "名称未匹配",
    "row_without_key": "无代码无名称",
    "name_matched": "按名称匹配",
    "rows_combined": "多行合并",
    "conflict_in_file": "文件内不一致",
    "conflict_across_files": "文件间不一致",
    "missing_scale": "缺少是否规上",
    "missing_name": "缺少企业名称",
    "missing_land": "缺少用地面积",
    "missing_industry": "缺少行业代码",
    "missing_township": "缺少所属乡镇",
    # evaluation
    "indicator_not_computable": "指标无法计算",
    "benchmark_not_positive": "基准值不大于 0",
    # decisions recorded on the data
    "manual_override": "手动调档",
    "correction_unapplied": "更正未能应用",
    "correction_applied": "人工更正",
    # the review cycle (evaluator/merge/resolutions.py): links, exclusions, accepted findings
    "link_suggested": "疑有未合并的数据",
    "resolution_applied": "已处理的数据问题",
    "resolution_unapplied": "处理未能应用",
    "not_enterprise": "非企业（不参评）",
    # writing outputs
    "output_is_input": "输出会覆盖输入文件",
}


# A human correction of this field on the firm settles a finding of this code: the finding stays on
# record (the source file did say so), but it is no longer an open problem of the data.
CORRECTED_BY: dict[str, str] = {
    "land_not_positive": "land",
    "missing_land": "land",
    "tax_negative": "tax",
    "employees_not_positive": "employees",
    "employees_fraction": "employees",
    "missing_scale": "above_scale",
    "missing_industry": "industry",
    "industry_code_invalid": "industry",
    "missing_township": "township",
    "missing_name": "name",
}


@dataclass(frozen=True)
class Issue:
    """One finding. `row` is the 1-based row as the user sees it in Excel (or the CSV line)."""

    level: Level
    message: str
    file: str = ""
    sheet: str = ""
    row: int | None = None
    column: str = ""
    key: str = ""  # the enterprise it concerns (normalised credit code or `名称:…`), if any
    code: str = ""  # stable machine code (`ISSUE_CODES`): filters, tests and the release gate use it

    def __post_init__(self) -> None:
        if self.code and self.code not in ISSUE_CODES:
            raise ValueError(f"unknown issue code {self.code!r}")

    def to_json(self) -> dict[str, object]:
        """The METHOD §5.1 form plus `code` (the enterprise key is carried separately)."""
        d = asdict(self)
        d.pop("key")
        return d

    def line(self) -> str:
        """`[错误] 文件 / 工作表 / 第 7 行 / 列“…”：message` — one finding on one line."""
        where = self.where()
        return f"[{LEVEL_LABELS[self.level]}] " + (f"{where}：" if where else "") + self.message

    def where(self) -> str:
        """`文件 / 工作表 / 第 7 行 / 列“实缴税金”` for one-line messages."""
        parts = [p for p in (self.file, self.sheet) if p]
        if self.row is not None:
            parts.append(f"第 {self.row} 行")
        if self.column:
            parts.append(f"列“{self.column}”")
        return " / ".join(parts)


def first_line(exc: BaseException, limit: int = 120) -> str:
    """The first line of an exception's text (its class name if empty), for one-line messages."""
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:limit]


class InputError(Exception):
    """A file or scheme that cannot be used at all; the message is for the user, in Chinese.

    `code` (an `ISSUE_CODES` key) says which kind of refusal it is when it becomes an `Issue`.
    """

    def __init__(self, message: str = "", code: str = "") -> None:
        super().__init__(message)
        self.code = code


class Cancelled(Exception):
    """Raised at a cancellation point when the user pressed 取消."""
