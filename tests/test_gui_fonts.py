"""The window shows Chinese on a machine without any Chinese system font: the app registers the
fonts it ships (templates/fonts/) with Qt and falls back to them."""

from __future__ import annotations

from PySide6.QtGui import QFontMetrics


def test_the_app_font_draws_chinese_from_the_shipped_fonts(qapp) -> None:
    from ui.style import apply_style, register_shipped_fonts

    shipped = register_shipped_fonts()
    assert {"AR PL SungtiL GB", "WenQuanYi Micro Hei"} <= set(shipped)
    apply_style(qapp)
    families = qapp.font().families()
    assert "WenQuanYi Micro Hei" in families
    metrics = QFontMetrics(qapp.font())
    assert all(metrics.inFontUcs4(ord(ch)) for ch in "亩均效益综合评价鑫淼")
