"""The letters' per-process caches change no byte of any letter."""

from __future__ import annotations

import io

from reportlab import rl_config

from evaluator.outputs import letter_pdf, pdf_layout
from evaluator.outputs.fonts import find_cjk_font, pdf_fonts
from evaluator.outputs.letter_data import LetterBuilder
from evaluator.outputs.letter_pdf import render_letter
from evaluator.outputs.letter_template import load_letter_template
from evaluator.outputs.letters import common_characters

from .outputs_fixtures import hostile_result, settings


class _Never(dict):
    def get(self, key, default=None):
        return None


def _letters(result) -> tuple[list, object]:
    s = settings()
    fonts = pdf_fonts(find_cjk_font(s))
    builder = LetterBuilder(result, s, load_letter_template())
    items = [builder.build(k) for k in builder.order if builder.evaluated(k)]
    prelude = common_characters([d.text() for d in items], fonts)
    return [type(d)(**{**d.__dict__, "prelude": prelude}) for d in items], fonts


def _pdf(d, fonts) -> bytes:
    buf = io.BytesIO()
    render_letter(d, fonts, buf)
    return buf.getvalue()


def test_reused_text_operators_give_the_same_bytes(sample_result, tmp_path, monkeypatch):
    monkeypatch.setattr(rl_config, "invariant", 1)  # no time stamps or random ids in the files
    items, fonts = _letters(sample_result)
    items = items[:6] + _letters(hostile_result(tmp_path))[0][:4]
    monkeypatch.setattr(pdf_layout, "_TEXT_OPS", {})
    cold = [_pdf(d, fonts) for d in items]
    warm = [_pdf(d, fonts) for d in items]  # now mostly from the cache
    assert len(pdf_layout._TEXT_OPS) > 50
    monkeypatch.setattr(pdf_layout, "_TEXT_OPS", _Never())
    plain = [_pdf(d, fonts) for d in items]  # reportlab's own encoding every time
    assert warm == cold == plain


def _drawn(d, fonts, st) -> tuple[int, float]:
    """Pages and final cursor of the letter drawn for real in style `st`."""
    c = letter_pdf._canvas(io.BytesIO(), fonts, "t", st)
    if d.prelude:
        fonts.prime(c, d.prelude)
    w = letter_pdf._writer(c, fonts, st)
    pages = [1]
    show = c.showPage

    def counted() -> None:
        pages[0] += 1
        show()

    c.showPage = counted
    letter_pdf.draw_letter(w, d, st)
    return pages[0], w.y


def _measured(d, fonts, st) -> tuple[int, float]:
    m = letter_pdf._writer(pdf_layout.NullCanvas(), fonts, st, pdf_layout.Measure)
    letter_pdf.draw_letter(m, d, st)
    return m.pages, m.y


def test_measuring_places_every_block_as_drawing_does(sample_result, tmp_path):
    items, fonts = _letters(sample_result)
    items = items[:6] + sorted(items, key=lambda d: len(d.indicators))[:6] + _letters(hostile_result(tmp_path))[0]
    pages = set()
    for d in items:
        for st in letter_pdf.STYLES[d.layout]:
            got = _measured(d, fonts, st)
            assert got == _drawn(d, fonts, st), (d.filename, st)
            pages.add(got[0])
    assert pages >= {1, 2}  # both one- and two-page letters were compared


def test_the_page_limit_changes_no_letter_s_style(sample_result, tmp_path):
    items, fonts = _letters(sample_result)
    items = items + _letters(hostile_result(tmp_path))[0]
    chosen = set()
    for d in items:
        full = [(st, _measured(d, fonts, st)[0]) for st in letter_pdf.STYLES[d.layout]]
        want = full[0]
        for st, pages in full:  # the rule without shortcuts: the first style unless a later one needs fewer pages
            if pages < want[1]:
                want = (st, pages)
        assert letter_pdf.choose_style(d, fonts) == want, d.filename
        chosen.add(want[0])
    assert len(chosen) >= 2


def test_copied_font_codes_give_the_same_bytes_as_priming_each_letter(sample_result, tmp_path, monkeypatch):
    monkeypatch.setattr(rl_config, "invariant", 1)
    items, fonts = _letters(sample_result)
    items = items[:5] + _letters(hostile_result(tmp_path))[0][:4]
    fonts._primed.clear()
    copied = [_pdf(d, fonts) for d in items]  # the first letter primes, the others get copies
    assert any(snapshots for _faces, snapshots in fonts._primed.values())
    primed_each = []
    for d in items:
        fonts._primed.clear()  # no copy to give: every letter primes its own document
        primed_each.append(_pdf(d, fonts))
    assert copied == primed_each


def test_font_streams_are_compressed_once_and_page_streams_every_time():
    import zlib

    from reportlab.pdfbase import pdfdoc

    filt = type(pdfdoc.PDFZCompress)()
    cmap = "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n" + "<01> <4E00>\n" * 50
    font = b"\x00\x01\x00\x00" + bytes(range(256)) * 40
    page = b"BT /F1 12 Tf (x) Tj ET\n" * 300
    for data in (cmap, font, page):
        first, again = filt.encode(data), filt.encode(data)
        raw = data.encode("utf8") if isinstance(data, str) else data
        assert first == again == zlib.compress(raw)  # the same bytes as reportlab's own filter
    assert len(filt._cache) == 2  # the character map and the font file, not the page


def test_the_font_stream_kept_longest_is_the_one_used_most_recently():
    from reportlab.pdfbase import pdfdoc

    filt = type(pdfdoc.PDFZCompress)(size=3)
    fonts = [b"\x00\x01\x00\x00" + bytes([i]) * 5000 for i in range(5)]
    filt.encode(fonts[0])
    for f in fonts[1:]:
        filt.encode(fonts[0])  # used again before each new one: every letter shares it
        filt.encode(f)
    assert fonts[0] in filt._cache and len(filt._cache) == 3
