"""Evaluation letters (评价结果告知书) for a batch of enterprises: one PDF each, optionally one
combined PDF for printing, using all cores for large batches.

Only evaluated firms get a letter by default; exempt, incomplete and out-of-scope firms get a
short status notice (情况告知书) only when asked for (`notices=True` or the settings' `status_notices`).
A 文号 (and the file-name prefix) is given only to a letter actually issued: a batch is numbered
in `letter_order` (population, county rank, then credit code), and a project records the numbers
(`doc_numbers`) so a later batch or a re-issue after 复核 continues or keeps them explicitly.
"""

from __future__ import annotations

import io
import math
import multiprocessing as mp
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from ..clean.codes import normalise_codes
from ..core.issues import Cancelled, InputError
from ..core.progress import CancelFn, ProgressFn
from ..pipeline.run import RunResult
from .fonts import PdfFonts, find_cjk_font, pdf_fonts
from .gate import release_gate
from .letter_data import LetterBuilder, letter_order
from .letter_model import LetterData
from .letter_pdf import (
    init_worker,
    render_chunk,
    render_combined,
    render_combined_job,
    render_letter,
    render_letter_file,
)
from .letter_template import load_letter_template
from .names import path_inside
from .settings import Settings, load_settings

PARALLEL_MIN = 24  # below this, starting worker processes costs more than it saves
CHECK_INTERVAL = 0.1  # seconds between cancel checks (and progress notes) while letters are prepared
STOP_GRACE = 0.5  # seconds the workers get to finish the letter in hand after 取消 before they are ended


class LetterBatch(list[Path]):
    """The letter files written, in serial order, plus what the caller should tell the user."""

    def __init__(self, paths: Iterable[Path] = ()):
        super().__init__(paths)
        self.skipped: list[str] = []  # keys of non-evaluated firms that got no letter
        self.unknown: list[str] = []  # requested keys that are not in the result
        self.held: list[str] = []  # keys held back by the release gate (`gate.release_gate`)
        self.warnings: list[str] = []
        self.combined: Path | None = None
        self.numbers: dict[str, int] = {}  # the 文号 serial of each letter written, by enterprise key


def select_keys(result: RunResult, tier: str | None = None, township: str | None = None,
                codes: Sequence[str] | None = None) -> list[str]:
    """Keys of the firms matching every given filter: final tier (`A` or `A类`), township, credit codes.

    Codes are normalised like the importer does (spaces, full-width, case), and a firm without a
    code can be named by its key (`名称:…`)."""
    t = result.table
    mask = pd.Series(True, index=t.index)
    if tier:
        label = tier.strip().removesuffix("类").upper()
        mask &= t["tier"].astype("string").str.upper().eq(label).fillna(False)
    if township:
        mask &= t["township"].astype("string").str.strip().eq(township.strip()).fillna(False)
    if codes is not None:
        wanted = set(normalise_codes(pd.Series(list(codes), dtype="string")).dropna())
        wanted |= {c for c in codes if c.startswith("名称:")}
        mask &= pd.Series(t.index.astype(str), index=t.index).isin(wanted)
    return [str(k) for k in t.index[mask.to_numpy(dtype=bool)]]


def unknown_codes(result: RunResult, codes: Sequence[str]) -> list[str]:
    """The requested codes that match no firm (to report, never to ignore silently)."""
    keys = set(result.table.index.astype(str))
    norm = normalise_codes(pd.Series(list(codes), dtype="string"))
    return [c for c, n in zip(codes, norm) if (n if isinstance(n, str) else c) not in keys and c not in keys]


def common_characters(texts: Sequence[str], fonts: PdfFonts | None = None, subsets: int = 2,
                      tick: _Tick | None = None) -> str:
    """The characters most letters use, enough to fill `subsets` whole font subsets (256 codes
    each), in code-point order so that every letter primed with them gets identical leading
    subsets (see `PdfFonts.prime`). Without `fonts`: those used by at least half the letters."""
    if not texts:
        return ""
    counts: Counter[str] = Counter()
    for t in texts:
        counts.update(set(t))
        if tick is not None:
            tick()
    ranked = sorted((c for c in counts if not c.isspace()), key=lambda c: (-counts[c], c))
    if fonts is None:
        need = math.ceil(len(texts) / 2)
        return "".join(sorted(c for c in ranked if counts[c] >= need))
    chosen = fonts.fill_subsets(ranked, subsets)
    return "".join(sorted(c for c in chosen if counts[c] > 1))


class _Tick:
    """Cancel checks (and a progress note) while 100k letters are prepared, at most every
    `CHECK_INTERVAL`: cheap enough to call per letter, and silent for a small batch."""

    def __init__(self, stop: CancelFn, report: ProgressFn, message: str = "") -> None:
        self.stop, self.report, self.message = stop, report, message
        self.count = 0
        self.next = time.monotonic() + CHECK_INTERVAL

    def __call__(self) -> None:
        self.count += 1
        now = time.monotonic()
        if now < self.next:
            return
        self.next = now + CHECK_INTERVAL
        if self.stop():
            raise Cancelled("已取消")
        if self.message:
            self.report(0.0, self.message.format(n=self.count))


def _mp_context() -> mp.context.BaseContext:
    """`fork` is fast but unsafe in a threaded process (the GUI); `spawn` everywhere else.

    Qt's threads are invisible to `threading.active_count()`, so a call from any thread but the
    main one (the GUI's worker pool) is treated as threaded too.
    """
    if (sys.platform.startswith("linux") and threading.current_thread() is threading.main_thread()
            and threading.active_count() == 1):
        return mp.get_context("fork")
    return mp.get_context("spawn")


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def issued_keys(result: RunResult, keys: Sequence[str] | None, notices: bool) -> list[str]:
    """The firms of a batch that get a letter, in `letter_order` (the order 文号 are given in):
    every selected firm that was evaluated, and the others only when notices are asked for; never a
    firm the release gate holds."""
    order = letter_order(result.table, list(result.scheme.populations))
    wanted = None if keys is None else {str(k) for k in keys}
    evaluated = dict(zip(result.table.index.astype(str), result.table["population"].notna()))
    held = release_gate(result).held  # a held firm gets no letter, so it takes no number
    return [k for k in order if (wanted is None or k in wanted) and (evaluated[k] or notices) and k not in held]


def prepare_letters(result: RunResult, settings: Settings, keys: Sequence[str] | None, fonts: PdfFonts, *,
                    notices: bool | None = None, numbers: dict[str, int] | None = None, stage: str = "",
                    tick: _Tick | None = None) -> tuple[LetterBatch, list[LetterData]]:
    """The letters of a batch, ready to render, and the batch's record (held, skipped, warnings,
    serials; no paths yet). `write_letters` and the app's print preview (`letter_pdf_bytes`) both
    build through here, so a previewed letter is the letter the export writes."""
    tick = tick or _Tick(lambda: False, lambda f, m: None)
    template = load_letter_template(settings.letter_template)
    notices = settings.status_notices if notices is None else notices
    order = letter_order(result.table, list(result.scheme.populations))
    known = set(order)
    wanted = known if keys is None else {str(k) for k in keys}
    batch = LetterBatch()
    batch.unknown = sorted(wanted - known)
    evaluated = dict(zip(result.table.index.astype(str), result.table["population"].notna()))
    held = release_gate(result).held  # no letter over a finding left open
    issued = []
    tick.message, tick.count = "正在准备告知书内容（{n} 家）", 0
    for key in order:
        if key not in wanted:
            continue
        tick()
        if key in held:
            batch.held.append(key)
            continue
        if not evaluated[key] and not notices:
            batch.skipped.append(key)
            continue
        issued.append(key)
    if numbers is not None:
        missing = [k for k in issued if k not in numbers]
        if missing:
            raise InputError(f"有 {len(missing)} 家企业尚未分配文号，未生成告知书")
    builder = LetterBuilder(result, settings, template, only=issued, numbers=numbers, stage=stage, tick=tick)
    batch.numbers = {k: builder.serial[k] for k in issued}
    items: list[LetterData] = []
    for key in issued:
        tick()
        items.append(builder.build(key))
    tick.message = "正在准备告知书内容（检查字体）"
    texts = [d.text() for d in items]
    prelude = common_characters(texts, fonts, tick=tick)
    items = [replace(d, prelude=prelude) for d in items]
    for d, text in zip(items, texts):
        tick()
        missing = fonts.missing(text)
        if missing:
            batch.warnings.append(f"{d.identity[0][1]}：字体中没有“{missing}”，这些字在告知书中会显示为空白或方框；"
                                  "请在设置中改用包含这些字的字体")
    return batch, items


@dataclass(frozen=True)
class OneLetter:
    """One firm's letter as the export writes it: the PDF bytes, its file name, font warnings."""

    pdf: bytes
    filename: str
    serial: int | None
    warnings: tuple[str, ...] = ()


def letter_pdf_bytes(result: RunResult, key: str, settings: Settings, *, numbers: dict[str, int] | None = None,
                     stage: str = "", notices: bool | None = None) -> OneLetter:
    """One firm's letter as PDF bytes, built and drawn exactly as `write_letters` does for a batch of
    that one firm (the print preview shows and prints these). Raises `InputError` (Chinese) when the
    firm gets no letter: held by the release gate, not evaluated, or unknown."""
    fonts = pdf_fonts(find_cjk_font(settings))
    batch, items = prepare_letters(result, settings, [key], fonts, notices=notices, numbers=numbers, stage=stage)
    if batch.held:
        raise InputError("该企业的数据问题尚未处理，暂不生成告知书（见“复核与公示”页）")
    if batch.skipped:
        raise InputError("该企业未参评（免评、数据不全或不在评价范围），不生成告知书")
    if not items:
        raise InputError("评价结果中没有这家企业")
    buf = io.BytesIO()
    render_letter(items[0], fonts, buf)
    return OneLetter(buf.getvalue(), items[0].filename, batch.numbers.get(str(key)), tuple(batch.warnings))


def write_letters(result: RunResult, out_dir: str | Path, settings: Settings | None = None,
                  keys: Sequence[str] | None = None, combined_path: str | Path | None = None,
                  progress: ProgressFn | None = None, cancel: CancelFn | None = None, *,
                  notices: bool | None = None, workers: int | None = None,
                  numbers: dict[str, int] | None = None, stage: str = "") -> LetterBatch:
    """Write one PDF per selected firm into `out_dir` (all firms when `keys` is None).

    `numbers`: the 文号 serial of each firm (from `doc_numbers.allocate`, which records them in the
    project); without it the letters issued are numbered consecutively from the settings' first
    serial in `letter_order`, and firms not issued a letter take no number. `stage`: a label
    printed under the title, e.g. "初评结果" ("" for the final result).

    Returns the paths written (a `LetterBatch`, which is a list of paths that also carries the
    skipped firms, warnings and the serial given to each letter). Raises `InputError` for a missing font, a bad template or an
    unwritable folder, and `Cancelled` when `cancel()` turns true (letters already written stay).
    """
    settings = settings or load_settings()
    report = progress or (lambda f, m: None)
    stop = cancel or (lambda: False)
    tick = _Tick(stop, report)
    choice = find_cjk_font(settings)
    fonts = pdf_fonts(choice)
    batch, items = prepare_letters(result, settings, keys, fonts, notices=notices, numbers=numbers, stage=stage,
                                   tick=tick)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"无法创建输出文件夹 {out}（{exc.strerror or exc}）") from exc
    base = out.resolve()
    jobs = [(d, str(path_inside(base, d.filename, resolved=True))) for d in items]
    combined = Path(combined_path) if combined_path and jobs else None
    if combined is not None:
        try:
            combined.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"无法创建文件夹 {combined.parent}（{exc.strerror or exc}）") from exc
    tick()
    n_workers = default_workers() if workers is None else max(1, workers)
    if n_workers > 1 and len(jobs) >= PARALLEL_MIN:
        _render_parallel(jobs, combined, choice, n_workers, report, stop)
    else:
        _render_serial(jobs, combined, fonts, report, stop)
    batch.extend(Path(p) for _d, p in jobs)
    batch.combined = combined
    report(1.0, f"已生成告知书 {len(jobs)} 份")
    return batch


def _write_error(path: str, exc: OSError) -> InputError:
    return InputError(f"无法写出 {path}（{exc.strerror or exc}；文件可能正被其他程序打开，或文件夹没有写入权限）")


def _render_serial(jobs: list[tuple[LetterData, str]], combined: Path | None, fonts: object,
                   report: ProgressFn, stop: CancelFn) -> None:
    total = len(jobs) * (1.5 if combined else 1.0) or 1
    for i, (d, path) in enumerate(jobs):
        if stop():
            raise Cancelled("已取消")
        try:
            render_letter_file(d, fonts, path)  # type: ignore[arg-type]
        except OSError as exc:
            raise _write_error(path, exc) from exc
        report((i + 1) / total, f"已生成告知书 {i + 1} / {len(jobs)} 份")
    if combined is not None:
        report(len(jobs) / total, "正在生成合订本")

        def check() -> None:
            if stop():
                raise Cancelled("已取消")

        tmp = combined.with_name(combined.name + ".part")
        try:
            render_combined([d for d, _p in jobs], fonts, str(tmp), check)  # type: ignore[arg-type]
            tmp.replace(combined)
        except OSError as exc:
            raise _write_error(str(combined), exc) from exc
        finally:
            tmp.unlink(missing_ok=True)


def _warm_up(d: LetterData, choice: object) -> None:
    """Render one letter in this process and throw it away, before the workers are forked.

    The first letter of a process builds and compresses the primed font subsets and fills the
    text and width caches; forked workers inherit them warm instead of each paying it."""
    render_letter(d, pdf_fonts(choice), io.BytesIO())  # type: ignore[arg-type]


def _render_parallel(jobs: list[tuple[LetterData, str]], combined: Path | None, choice: object, n_workers: int,
                     report: ProgressFn, stop: CancelFn) -> None:
    """Chunks of letters on a process pool; the combined PDF is one more job, started first.

    On 取消 (or any error) nothing more is started: queued chunks are cancelled, the workers are
    told to stop after the letter in hand (each letter is written under a temporary name and
    renamed, so none is left half-written), and workers still busy after `STOP_GRACE` (say,
    still unpacking the combined PDF's 100k letters) are ended. The batch stops within a second.
    """
    ctx = _mp_context()
    if ctx.get_start_method() == "fork":
        _warm_up(jobs[0][0], choice)
    stop_event = ctx.Event()
    chunk = max(4, min(16, math.ceil(len(jobs) / (n_workers * 12))))  # small: no worker idles long at the end
    chunks = [jobs[i:i + chunk] for i in range(0, len(jobs), chunk)]
    weight_combined = len(jobs) * 0.5 if combined else 0
    total = len(jobs) + weight_combined
    done = 0.0
    if stop():
        raise Cancelled("已取消")
    pool = ProcessPoolExecutor(max_workers=n_workers, mp_context=ctx, initializer=init_worker,
                               initargs=(choice, stop_event))
    pending: dict[Future, tuple[str, int, list[tuple[LetterData, str]]]] = {}
    try:
        if combined is not None:
            pending[pool.submit(render_combined_job, [d for d, _p in jobs], str(combined))] = ("combined", 0, [])
        for c in chunks:
            pending[pool.submit(render_chunk, c)] = ("chunk", len(c), c)
        while pending:
            finished, _ = wait(list(pending), timeout=0.1, return_when=FIRST_COMPLETED)
            if stop():
                raise Cancelled("已取消")
            for f in finished:
                kind, n, _c = pending.pop(f)
                try:
                    f.result()
                except OSError as exc:
                    raise _write_error(getattr(exc, "filename", "") or "告知书", exc) from exc
                done += n if kind == "chunk" else weight_combined
                report(done / total, f"已生成告知书 {min(int(done), len(jobs))} / {len(jobs)} 份"
                       + ("（合订本已完成）" if kind == "combined" else ""))
    except BaseException:
        stop_event.set()
        _abandon(pool, pending, combined)
        raise
    pool.shutdown(wait=True)


def _abandon(pool: ProcessPoolExecutor, pending: dict[Future, tuple[str, int, list[tuple[LetterData, str]]]],
             combined: Path | None) -> None:
    """Stop a cancelled or failed batch now: see `_render_parallel`."""
    running = [f for f in pending if not f.cancel()]  # cancel() is False for work already started
    if running:
        wait(running, timeout=STOP_GRACE)
    late = [f for f in running if not f.done()]
    processes = list((getattr(pool, "_processes", None) or {}).values())  # private, but no public way before 3.14
    if late:
        for p in processes:
            try:
                p.terminate()
            except Exception:  # already gone
                pass
    pool.shutdown(wait=False, cancel_futures=True)
    if late:
        for p in processes:
            p.join(timeout=2.0)
        # A worker ended mid-letter leaves only a temporary file: remove those.
        for f in late:
            for _d, path in pending[f][2]:
                Path(path + ".part").unlink(missing_ok=True)
        if combined is not None:
            combined.with_name(combined.name + ".part").unlink(missing_ok=True)
