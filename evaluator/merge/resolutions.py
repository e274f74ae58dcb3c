"""Resolving data problems (数据问题处理): an audited overlay on how imported rows form firms.

A row whose credit code fails the check, or a power account that matched no name, becomes a firm
of its own, and the firm it really belongs to is evaluated without that row's numbers. The
official resolves each such finding before a letter goes out, in one of these ways:

- `link`: the orphan's rows belong to an existing firm (a code typo, a power account under
  another name); the merge gives them that firm's key, so their numbers are summed into it;
- `recode`: the orphan's correct credit code is known (typed by the official, checked);
- `not_enterprise`: the rows are not an enterprise (村集体, 居民户) and leave the evaluation;
- `accept`: a finding is known and left as it is, with a written reason;
- `reject_link`: a suggested link is wrong (so the suggestion stops holding the firm back);
- `release`: a firm's letter is released over findings still open (an explicit, recorded override).

The imported rows are never changed: resolutions are applied while merging (`remap_keys`) and
after it (`exclude_non_enterprises`), and each leaves a notice in the data-check list.
`suggest_links` proposes links ranked by evidence, for the official to accept or reject.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from ..clean.codes import ALPHABET, is_valid_code, normalise_codes
from ..core.issues import Issue

NAME_KEY_PREFIX = "名称:"  # same as merge.tables (not imported: tables imports this module)

RESOLUTION_KINDS: dict[str, str] = {
    "link": "关联到企业",
    "recode": "更正信用代码",
    "not_enterprise": "非企业，不参评",
    "accept": "核实无误",
    "reject_link": "不予关联",
    "release": "准予发放",
}
REMAP_KINDS = ("link", "recode")
CODE_LENGTH = 18  # GB 32100: every valid credit code, so every link target's, has 18 characters


@dataclass(frozen=True)
class Resolution:
    """One decision on the data. `key` is the firm the finding is on (for `link`, `recode`,
    `not_enterprise` and `reject_link` the orphan's key); `target` the firm or code it goes to
    (`link`, `recode`) or the suggested firm turned down (`reject_link`); `code` the finding
    accepted (`accept`: an `ISSUE_CODES` id)."""

    kind: str
    key: str
    target: str = ""
    code: str = ""
    reason: str = ""
    user: str = ""
    time: str = ""

    def __post_init__(self) -> None:
        if self.kind not in RESOLUTION_KINDS:
            raise ValueError(f"unknown resolution kind {self.kind!r}")


def data_resolutions(resolutions: Sequence[Resolution]) -> list[tuple[str, str, str]]:
    """The resolutions that change the data (which rows form which firm), for fingerprints:
    accepting a finding, turning a suggestion down or releasing a letter changes no number."""
    return [(r.kind, r.key, r.target) for r in resolutions if r.kind in (*REMAP_KINDS, "not_enterprise")]


def check_resolution(r: Resolution) -> None:
    """Raise `ValueError` (Chinese, shown to the official) for a resolution that cannot stand."""
    if not r.reason.strip():
        raise ValueError(f"“{RESOLUTION_KINDS[r.kind]}”必须填写理由")
    if r.kind in REMAP_KINDS and not r.target:
        raise ValueError("请指定要关联的企业或更正后的信用代码")
    if r.kind == "recode" and not is_valid_code(r.target):
        raise ValueError(f"更正后的统一社会信用代码“{r.target}”不符合 GB 32100-2015（长度、字符或校验位有误）")
    if r.kind in REMAP_KINDS and r.target == r.key:
        raise ValueError("不能关联到企业自身")
    if r.kind == "accept" and not r.code:
        raise ValueError("请指定要确认的数据问题")


def normalise_target(kind: str, target: str) -> str:
    """A typed credit code as the importer normalises it (spaces, full-width, case)."""
    if kind == "recode" or (kind == "link" and not target.startswith(NAME_KEY_PREFIX)):
        return str(normalise_codes(pd.Series([target], dtype=object)).iat[0] or "")
    return target


def remap_keys(resolutions: Sequence[Resolution]) -> dict[str, str]:
    """Orphan key → the key its rows take, following chains (A → B → C gives A → C); the latest
    resolution of a key wins, and a cycle is cut where it closes."""
    direct: dict[str, str] = {}
    for r in resolutions:
        if r.kind in REMAP_KINDS:
            direct[r.key] = r.target
        elif r.key in direct and r.kind == "not_enterprise":
            del direct[r.key]
    out: dict[str, str] = {}
    for k, t in direct.items():
        seen = {k}
        while t in direct and direct[t] not in seen:
            seen.add(t)
            t = direct[t]
        out[k] = t
    return out


def excluded_keys(resolutions: Sequence[Resolution]) -> dict[str, Resolution]:
    """Keys marked as not an enterprise, with the resolution that says so (the latest wins)."""
    out: dict[str, Resolution] = {}
    for r in resolutions:
        if r.kind == "not_enterprise":
            out[r.key] = r
        elif r.kind in REMAP_KINDS:
            out.pop(r.key, None)
    return out


def _who(r: Resolution) -> str:
    return f"（{r.user}，{r.time}）" if r.user or r.time else ""


def exclude_non_enterprises(ent: pd.DataFrame, resolutions: Sequence[Resolution]
                            ) -> tuple[pd.DataFrame, pd.DataFrame, list[Issue]]:
    """The table without the rows marked not-an-enterprise, those rows (with `exclude_reason`),
    and one notice each; a mark on a key no longer present is reported, never ignored."""
    marks = excluded_keys(resolutions)
    issues: list[Issue] = []
    if not marks:
        return ent, ent.iloc[0:0].assign(exclude_reason=pd.Series(dtype=object)), issues
    present = [k for k in marks if k in ent.index]
    for k, r in marks.items():
        if k in ent.index:
            name = ent.at[k, "name"]
            issues.append(Issue("info", f"“{name}”已标记为非企业，不参加评价{_who(r)}，理由：{r.reason}",
                                key=k, code="not_enterprise"))
        else:
            issues.append(Issue("warning", f"“非企业”标记未能应用：数据中已没有 {k}（可能已重新导入或已关联）",
                                key=k, code="resolution_unapplied"))
    excluded = ent.loc[present].copy()
    excluded["exclude_reason"] = [marks[k].reason for k in present]
    return ent.drop(index=present), excluded, issues


def remap_notices(resolutions: Sequence[Resolution], applied: dict[str, str], names: dict[str, str]
                  ) -> list[Issue]:
    """One notice per link or code correction: applied (on the firm it went to) or not."""
    issues: list[Issue] = []
    latest: dict[str, Resolution] = {}
    for r in resolutions:
        if r.kind in REMAP_KINDS:
            latest[r.key] = r
    for k, r in latest.items():
        if k in applied:
            t = applied[k]
            what = "更正信用代码为" if r.kind == "recode" else "关联到企业"
            issues.append(Issue("info", f"原记为“{_shown_key(k)}”的数据已{what}“{names.get(t) or _shown_key(t)}”"
                                        f"（{_shown_key(t)}）{_who(r)}，理由：{r.reason}",
                                key=t, code="resolution_applied"))
        else:
            issues.append(Issue("warning", f"关联未能应用：数据中已没有“{_shown_key(k)}”（可能已重新导入）",
                                key=k, code="resolution_unapplied"))
    return issues


def _shown_key(k: str) -> str:
    return k.removeprefix(NAME_KEY_PREFIX)


# --- suggested links ------------------------------------------------------------------------------

EVIDENCE_LABELS: dict[str, str] = {
    "same_name": "企业名称相同",
    "loose_name": "名称去除括号、标点和“有限公司”等字样后相同",
    "code_edit1": "信用代码仅差一位（错一位、多一位、少一位或相邻两位颠倒）",
}
# Ranked as the issue asks: the same name with a valid code is the strongest evidence, a name
# equal once brackets and company-form words are dropped next, a one-character code slip last.
EVIDENCE_WEIGHTS: dict[str, int] = {"same_name": 4, "loose_name": 2, "code_edit1": 1}


@dataclass(frozen=True)
class Suggestion:
    """`orphan` (a firm known from a row with a bad code or an unmatched name) is probably `target`."""

    orphan: str
    target: str
    evidence: tuple[str, ...]  # EVIDENCE_LABELS ids, strongest first

    @property
    def score(self) -> int:
        return sum(EVIDENCE_WEIGHTS[e] for e in self.evidence)

    def reason(self) -> str:
        return "；".join(EVIDENCE_LABELS[e] for e in self.evidence)


_COMPANY_FORMS = re.compile(r"(股份有限公司|有限责任公司|有限公司|股份公司|公司|厂)$")
_PUNCT = re.compile(r"[\s()（）\[\]【】·.,，、\-—_]")


def strict_name(name: object) -> str:
    """The merge's name normalisation: no spaces, full-width → half-width."""
    if not isinstance(name, str):
        return ""
    from ..core.fields import FULLWIDTH_TABLE

    return "".join(name.translate(FULLWIDTH_TABLE).split())


def loose_name(name: object) -> str:
    """Brackets, punctuation and the company form dropped: `浙江A(示范县)有限公司` → `浙江A示范县`."""
    return _COMPANY_FORMS.sub("", _PUNCT.sub("", strict_name(name)))


def code_neighbours(code: str, length: int | None = None) -> Iterable[str]:
    """Every string one edit from `code`: a character changed, dropped, added, or two neighbours
    swapped; with `length`, only the edits that give a string of that length (a valid credit
    code has 18 characters, so a 17-character orphan can only have lost one, and so on)."""
    n = len(code)
    if length is None or length == n:
        for i in range(n):
            for c in ALPHABET:
                if c != code[i]:
                    yield code[:i] + c + code[i + 1:]
            if i + 1 < n and code[i] != code[i + 1]:
                yield code[:i] + code[i + 1] + code[i] + code[i + 2:]
    if length is None or length == n - 1:
        for i in range(n):
            yield code[:i] + code[i + 1:]
    if length is None or length == n + 1:
        for i in range(n + 1):
            for c in ALPHABET:
                yield code[:i] + c + code[i:]


def _loose_names(strict: pd.Series) -> pd.Series:
    return (strict.fillna("").str.replace(_PUNCT, "", regex=True)
            .str.replace(_COMPANY_FORMS, "", regex=True))


def suggest_links(ent: pd.DataFrame, rejected: Iterable[tuple[str, str]] = ()) -> list[Suggestion]:
    """Likely owners of each orphan firm, best first per orphan.

    `ent` is the merged table (index = key, columns `credit_code`, `name`, `code_valid`). An
    orphan is a firm whose code fails the check or that has no code (a `名称:` key); a target is
    a firm with a valid code. `rejected` holds (orphan, target) pairs the official turned down.
    Names are normalised for the whole table at once, and only the targets whose names an orphan
    shares are looked at, so a county of 100k firms with a few orphans costs little.
    """
    if ent.empty:
        return []
    valid = ent["code_valid"].to_numpy(dtype=bool)
    if valid.all():
        return []
    from .tables import normalise_names

    keys = ent.index.astype(str)
    strict = normalise_names(ent["name"])
    loose = _loose_names(strict)
    o_keys = keys[~valid].tolist()
    o_strict, o_loose = strict[~valid].tolist(), loose[~valid].tolist()
    t_strict, t_loose = strict[valid], loose[valid]
    t_keys = keys[valid]
    by_strict: dict[str, list[str]] = {}
    hit = t_strict.isin({x for x in o_strict if x}).to_numpy()
    for k, nm in zip(t_keys[hit].tolist(), t_strict[hit].tolist()):
        by_strict.setdefault(nm, []).append(k)
    by_loose: dict[str, list[str]] = {}
    hit = t_loose.isin({x for x in o_loose if x}).to_numpy()
    for k, nm in zip(t_keys[hit].tolist(), t_loose[hit].tolist()):
        by_loose.setdefault(nm, []).append(k)
    target_set = set(t_keys.tolist())
    no = set(rejected)
    out: list[Suggestion] = []
    for k, st, lo in zip(o_keys, o_strict, o_loose):
        found: dict[str, list[str]] = {}
        for t in by_strict.get(st, []) if st else []:
            found.setdefault(t, []).append("same_name")
        for t in by_loose.get(lo, []) if lo else []:
            if "same_name" not in found.get(t, []):
                found.setdefault(t, []).append("loose_name")
        if not k.startswith(NAME_KEY_PREFIX):
            for t in target_set.intersection(code_neighbours(k, CODE_LENGTH)):
                found.setdefault(t, []).append("code_edit1")
        out.extend(sorted((Suggestion(k, t, tuple(ev)) for t, ev in found.items() if (k, t) not in no),
                          key=lambda x: (-x.score, x.target)))
    return out


def suggestion_issues(suggestions: Sequence[Suggestion], ent: pd.DataFrame,
                      row_places: dict[str, tuple[str, str, int]]) -> list[Issue]:
    """An error on each suggested firm: part of its data may sit on an orphan row not merged into
    it, so its numbers are incomplete until the link is accepted or rejected. The finding is placed
    on the orphan's first row (file, sheet, row columns), the firm it belongs to is its key."""
    issues: list[Issue] = []
    for sg in suggestions:
        file, sheet, row = row_places.get(sg.orphan, ("", "", None))
        orphan_name = ent.at[sg.orphan, "name"] if sg.orphan in ent.index else ""
        issues.append(Issue(
            "error",
            f"{'该行' if file else '另一行'}的数据（{_shown_key(sg.orphan)}，名称“{orphan_name or '空'}”）"
            f"疑属于本企业（{sg.reason()}），尚未合并，本企业的数据可能不全",
            file, sheet, row, key=sg.target, code="link_suggested"))
    return issues
