"""Last year's result next to this year's: prior tier, tier change and years in a row in the bottom tier.

Officials report who moved up or down, and policies often bite harder on a firm that stays in
D (倒逼整治类) year after year. The prior year comes from a previous `--json` result or a graded-list
workbook this tool wrote; firms are matched by credit code (or, for firms without one, by
normalised name, as the merge does).

Columns added to `result.table`:
- `prior_tier`: last year's final tier label, None when the firm was not graded last year;
- `tier_change`: 升档 / 降档 / 持平 / 新参评 for firms evaluated this year (None otherwise, or when
  last year's label is not one of this year's labels);
- `d_years`: consecutive years in the bottom tier (D) including this one: 1 if D now and not D
  last year; last year's count + 1 when the prior result carries it, else 2 when D both years;
  0 for firms evaluated this year and not in D; missing for firms not evaluated.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..clean.codes import normalise_codes
from ..core.issues import InputError
from ..merge.tables import NAME_KEY_PREFIX, normalise_names
from ..method.evaluate import PriorFigures
from ..read.files import read_file

if TYPE_CHECKING:  # run.py attaches the prior through this module
    from .run import RunResult

PRIOR_COLUMNS = ("prior_tier", "tier_change", "d_years")
STORED_SOURCE = "项目中的上年结果"  # how a project's stored prior is named in messages
CHANGES = ("升档", "降档", "持平", "新参评")
ALL_SHEET = "全部企业"


def _empty() -> pd.DataFrame:
    return pd.DataFrame({"name": pd.Series(dtype=object), "tier": pd.Series(dtype=object),
                         "d_years": pd.Series(dtype=float)}, index=pd.Index([], name="key", dtype=object))


def _keys(codes: list[Any], names: list[Any]) -> list[str | None]:
    """Normalised code when it has one, else `名称:<normalised name>`, like the merge."""
    nc = normalise_codes(pd.Series(codes, dtype="string"))
    nn = normalise_names(pd.Series(names, dtype=object))
    out: list[str | None] = []
    for c, n in zip(nc.tolist(), nn.tolist()):
        if isinstance(c, str) and c:
            out.append(c)
        elif isinstance(n, str) and n:
            out.append(NAME_KEY_PREFIX + n)
        else:
            out.append(None)
    return out


def _tier_label(v: Any) -> str | None:
    """`A` from `A`, `A类` or `A类（优先发展类）`; None for empty cells."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    t = str(v).strip()
    if not t or t in ("—", "-", "/"):
        return None
    m = re.match(r"^(.+?)类(?:[（(].*[)）])?$", t)
    return (m.group(1) if m else t).strip() or None


def _frame(rows: list[tuple[str | None, Any, Any, Any]], year: int | None, source: str) -> pd.DataFrame:
    out = _empty()
    seen: dict[str, tuple[Any, Any, Any]] = {}
    for key, name, tier, d in rows:
        if key is None or key in seen:
            continue
        seen[key] = (name, _tier_label(tier), d)
    if seen:
        idx = pd.Index(list(seen), name="key", dtype=object)
        out = pd.DataFrame({
            "name": pd.Series([v[0] for v in seen.values()], index=idx, dtype=object),
            "tier": pd.Series([v[1] for v in seen.values()], index=idx, dtype=object),  # None, not NaN, when ungraded
            "d_years": pd.to_numeric(pd.Series([v[2] for v in seen.values()], index=idx, dtype=object),
                                     errors="coerce").astype(float),
        })
    out.attrs["year"] = year
    out.attrs["source"] = source
    return out


def prior_from_json(doc: dict[str, Any], source: str = "上年结果") -> pd.DataFrame:
    """A `--json` result document (also what the project file stores as its prior)."""
    ents = doc.get("enterprises") if isinstance(doc, dict) else None
    if not isinstance(ents, list):
        raise InputError(f"上年结果 {source}：不是本软件输出的评价结果（缺少 enterprises 列表）")
    ents = [e for e in ents if isinstance(e, dict)]
    keys = _keys([e.get("credit_code") for e in ents], [e.get("name") for e in ents])
    rows = [(k, e.get("name"), e.get("tier"), e.get("d_years")) for k, e in zip(keys, ents)]
    year = doc.get("year")
    out = _frame(rows, int(year) if isinstance(year, int) else None, source)
    out.attrs["figures"] = _figures(doc.get("summary"))
    return out


FIGURE_STATS = ("aggregates", "means")


def _figures(summary: Any) -> dict[str, dict[str, Any]]:
    """Per population the county figures a prior-year benchmark needs (Σ/Σ and mean per indicator)."""
    if not isinstance(summary, dict):
        return {}
    return {str(pid): {k: dict(e[k]) for k in FIGURE_STATS if isinstance(e.get(k), dict)}
            for pid, e in summary.items() if isinstance(e, dict)}


def prior_figures(prior: pd.DataFrame | None) -> PriorFigures | None:
    """Last year's county figures from `load_prior` (None without a prior). A graded-list workbook
    carries none: a scheme that needs them then stops with a message naming the file."""
    if prior is None:
        return None
    tiers = {str(k): str(v) for k, v in zip(prior.index, prior["tier"]) if isinstance(v, str) and v}
    return PriorFigures(prior.attrs.get("year"), str(prior.attrs.get("source", "")), prior.attrs.get("figures") or {},
                        tiers)


def stored_prior_figures(doc: dict[str, Any] | None) -> PriorFigures | None:
    """The figures of the prior a project stores (`prior_document`)."""
    return prior_figures(prior_from_json(doc, STORED_SOURCE)) if doc else None


def _header_index(row: list[Any]) -> dict[str, int]:
    return {str(v).strip(): i for i, v in enumerate(row) if v is not None and str(v).strip()}


def prior_from_workbook(path: Path) -> pd.DataFrame:
    """The 全部企业 sheet of a graded-list workbook written by `evaluator.outputs.workbook`, read
    by the same reader as the departments' files (calamine, many times faster than openpyxl)."""
    try:
        sheets = read_file(path).sheets
    except InputError as exc:
        raise InputError(f"上年结果 {exc}") from exc
    sheet = next((sh for sh in sheets if sh.sheet == ALL_SHEET), None)
    if sheet is None:
        raise InputError(f"上年结果 {path.name}：没有“{ALL_SHEET}”工作表，不是本软件导出的分类名单")
    grid = [[None if v == "" else v for v in r] for r in sheet.rows]
    header_row = next((i for i, r in enumerate(grid[:10]) if "统一社会信用代码" in _header_index(r)), None)
    if header_row is None:
        raise InputError(f"上年结果 {path.name}：“{ALL_SHEET}”工作表中找不到“统一社会信用代码”表头")
    cols = _header_index(grid[header_row])
    if "最终等级" not in cols:
        raise InputError(f"上年结果 {path.name}：“{ALL_SHEET}”工作表中找不到“最终等级”列")
    d_col = next((i for h, i in cols.items() if re.fullmatch(r"连续.*类年数", h)), None)
    year = None
    for r in grid[:header_row]:
        m = re.search(r"(\d{4})\s*年度", " ".join(str(v) for v in r if v is not None))
        if m:
            year = int(m.group(1))
            break
    data = [r for r in grid[header_row + 1:] if any(v not in (None, "") for v in r)]
    c_code, c_name, c_tier = cols["统一社会信用代码"], cols.get("企业名称"), cols["最终等级"]

    def cell(r: list[Any], i: int | None) -> Any:
        return r[i] if i is not None and i < len(r) else None

    keys = _keys([cell(r, c_code) for r in data], [cell(r, c_name) for r in data])
    rows = [(k, cell(r, c_name), cell(r, c_tier), cell(r, d_col)) for k, r in zip(keys, data)]
    return _frame(rows, year, path.name)


def load_prior(path: str | Path) -> pd.DataFrame:
    """Last year's tiers keyed like this year's enterprises (credit code, or `名称:` key).

    Columns `name`, `tier`, `d_years` (NaN when the file does not carry it); `attrs["year"]` is
    last year's evaluation year when the file says so."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"找不到上年结果文件 {p}")
    suffix = p.suffix.lower()
    if suffix == ".json":
        try:
            doc = json.loads(p.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"上年结果 {p.name}：无法读取 JSON（{exc}）") from exc
        return prior_from_json(doc, p.name)
    if suffix in (".xlsx", ".xlsm"):
        return prior_from_workbook(p)
    raise InputError(f"上年结果 {p.name}：应为本软件输出的评价结果（.json）或分类名单（.xlsx）")


def attach_prior(result: RunResult, prior: pd.DataFrame) -> int:
    """Add `prior_tier`, `tier_change`, `d_years` to `result.table`; returns how many firms matched."""
    t = result.table
    keys = [str(k) for k in t.index]
    p_tier = prior["tier"] if len(prior) else pd.Series(dtype=object)
    p_d = prior["d_years"] if len(prior) else pd.Series(dtype=float)
    prior_tier = [p_tier.get(k) for k in keys]
    prior_tier = [None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v) for v in prior_tier]
    change: list[str | None] = []
    d_years: list[float] = []
    pops = result.scheme.populations
    for key, pid, tier, before in zip(keys, t["population"].tolist(), t["tier"].tolist(), prior_tier):
        if pid is None or pid not in pops or not tier:
            change.append(None)
            d_years.append(np.nan)
            continue
        labels = pops[pid].tiers.labels
        bottom = labels[-1]
        if before is None:
            change.append("新参评")
        elif before in labels:
            now, then = labels.index(tier), labels.index(before)
            change.append("升档" if now < then else "降档" if now > then else "持平")
        else:
            change.append(None)
        if tier != bottom:
            d_years.append(0.0)
        elif before != bottom:
            d_years.append(1.0)
        else:
            last = p_d.get(key)
            d_years.append(float(last) + 1 if last is not None and np.isfinite(last) and last >= 1 else 2.0)
    t["prior_tier"] = pd.Series(prior_tier, index=t.index, dtype=object)
    t["tier_change"] = pd.Series(change, index=t.index, dtype=object)
    t["d_years"] = pd.Series(d_years, index=t.index, dtype=float)
    return sum(1 for v in prior_tier if v is not None)


def prior_document(prior: pd.DataFrame) -> dict[str, Any]:
    """Last year's tiers (`load_prior`) as the small `--json`-shaped document a project stores
    (`Project.prior`), which `prior_from_json` reads back to the same keys, tiers and years in the
    bottom tier."""
    ents = []
    for key, name, tier, d in zip(prior.index, prior["name"], prior["tier"], prior["d_years"]):
        by_name = str(key).startswith(NAME_KEY_PREFIX)
        ents.append({"credit_code": None if by_name else str(key),
                     "name": (str(key)[len(NAME_KEY_PREFIX):] if by_name and not name else name),
                     "tier": tier, "d_years": float(d) if d == d else None})
    doc: dict[str, Any] = {"year": prior.attrs.get("year"), "source": prior.attrs.get("source", ""), "enterprises": ents}
    if prior.attrs.get("figures"):
        doc["summary"] = prior.attrs["figures"]
    return doc


def attach_stored_prior(result: RunResult, doc: dict[str, Any] | None) -> int | None:
    """Attach the prior a project stores (`Project.prior`, from `prior_document`); None without one.

    The one way every caller applies it (`mujun report`, the desktop app's evaluation), so a
    result saved by either is the result the other re-derives."""
    if not doc:
        return None
    return attach_prior(result, prior_from_json(doc, STORED_SOURCE))
