"""The letters' per-process caches change no byte of any letter."""

from __future__ import annotations

import io

from reportlab import rl_config

from evaluator.outputs import pdf_layout
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
