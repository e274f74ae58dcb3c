"""Outputs officials publish: evaluation letters (告知书), the graded-list workbook (分类名单) and the
summary report (汇总报告), plus their settings.

Kept import-light on purpose: the letter renderer runs in worker processes that import only what
they need (`letter_pdf`, `letter_model`, `fonts`). Import the submodules directly.
"""
