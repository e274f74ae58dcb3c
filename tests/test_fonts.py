"""The Chinese fonts: the ones shipped in templates/fonts/, the order they are looked up in, the
per-character fallback, and letters and the summary made on a machine without any Chinese font.

conftest sets MUJUN_NO_SYSTEM_FONTS=1 for the whole suite; these tests also make sure nothing
behind that switch (fontconfig, the Linux and Latin font lists) is consulted.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from evaluator.app.cli import main
from evaluator.method.scheme import load_scheme
from evaluator.outputs import fonts as fonts_mod
from evaluator.outputs.fonts import find_cjk_font, pdf_fonts
from evaluator.outputs.letters import write_letters
from evaluator.outputs.summary_pdf import write_summary_pdf
from evaluator.pipeline.run import run

from .conftest import ROOT, SAMPLE_FILES
from .helpers import code
from .outputs_fixtures import (
    embedded_fonts,
    flat,
    hostile_rows,
    pdf_text,
    settings,
    write_xlsx,
)

FONTS = ROOT / "templates" / "fonts"
SONG = FONTS / "gbsn00lp.ttf"
HEI = FONTS / "wqy-microhei.ttc"
# Name characters outside GB 2312 (or rare in it) that enterprise names do use.
RARE = "燊犇鑫淼喆昇晟珺琍堃垚㛃"
SHIPPED_BASE = re.compile(r"^/[A-Z]{6}\+(BousungEG-Light-GB|WenQuanYiMicroHei)")


def _gb2312_hanzi() -> list[str]:
    return [bytes([hi, lo]).decode("gb2312") for hi in range(0xB0, 0xF8) for lo in range(0xA1, 0xFF)
            if _decodes(bytes([hi, lo]), "gb2312")]


def _gbk_hanzi() -> list[str]:
    out = []
    for hi in range(0x81, 0xFF):
        for lo in range(0x40, 0xFF):
            c = _decodes(bytes([hi, lo]), "gbk")
            if c and len(c) == 1 and ("\u4e00" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff"):
                out.append(c)
    return out


def _decodes(b: bytes, enc: str) -> str:
    try:
        return b.decode(enc)
    except UnicodeDecodeError:
        return ""


def _cov(path: Path, index: int = 0) -> set[int]:
    return set(fonts_mod._load(str(path), index).face.charToGlyph)  # type: ignore[attr-defined]


@pytest.fixture
def no_system(monkeypatch):
    """Fail loudly if anything behind MUJUN_NO_SYSTEM_FONTS is looked at."""
    monkeypatch.setenv("MUJUN_NO_SYSTEM_FONTS", "1")

    def forbidden() -> list[str]:
        raise AssertionError("fc-list consulted with system fonts switched off")

    monkeypatch.setattr(fonts_mod, "_fc_list", forbidden)
    monkeypatch.setattr(fonts_mod, "LINUX_FONTS", ())
    monkeypatch.setattr(fonts_mod, "LATIN_FONTS", ())


def test_shipped_fonts_are_truetype_with_their_licences_beside_them():
    assert SONG.is_file() and HEI.is_file()
    for lic in ("ARPHICPL.TXT", "wqy-microhei-COPYING.txt", "wqy-microhei-LICENSE-Apache-2.0.txt", "README.md"):
        assert (FONTS / lic).is_file(), lic
    assert "ARPHIC PUBLIC LICENSE" in (FONTS / "ARPHICPL.TXT").read_text(encoding="ascii")
    assert "Font exception" in (FONTS / "wqy-microhei-COPYING.txt").read_text(encoding="utf-8")
    assert sum(p.stat().st_size for p in FONTS.iterdir()) < 25 * 1024 * 1024
    for path in (SONG, HEI):
        head = path.read_bytes()[:4]
        assert head in (b"\x00\x01\x00\x00", b"ttcf"), path  # TrueType outlines (a CFF font starts with OTTO)
        assert fonts_mod._check(str(path), 0)[:2] == (True, True)  # reportlab loads it, with Latin and digits


def test_shipped_fonts_cover_gb2312_gbk_and_every_sample_name(sample_result):
    song, hei = _cov(SONG), _cov(HEI)
    gb = _gb2312_hanzi()
    assert len(gb) == 6763 and all(ord(c) in song for c in gb)
    gbk = _gbk_hanzi()
    assert len(gbk) > 20_000 and all(ord(c) in hei for c in gbk)
    t = sample_result.table
    text = "".join(v for col in ("name", "township") for v in t[col].dropna().astype(str))
    assert {ord(c) for c in text if not c.isspace()} <= song  # the demo county prints in the Song face alone
    assert [c for c in RARE if ord(c) not in song] == list("燊犇喆昇珺琍堃垚㛃")
    assert [c for c in RARE if ord(c) not in hei] == ["㛃"]  # CJK Extension A: no shipped face has it


def test_without_system_fonts_the_shipped_song_and_hei_are_used(no_system):
    choice = find_cjk_font(settings())
    assert Path(choice.path) == SONG and choice.source == "软件自带"
    assert choice.title is not None and Path(choice.title.path) == HEI
    assert [Path(f.path) for f in choice.fallbacks] == [HEI]
    assert "标题" in choice.describe() and "补充" in choice.describe()
    fonts = pdf_fonts(choice)
    assert fonts.body != fonts.title and fonts.fallbacks == (fonts.title,)
    assert fonts.runs("示范县燊犇机械有限公司") == [(fonts.body, "示范县"), (fonts.title, "燊犇"), (fonts.body, "机械有限公司")]
    assert fonts.runs("示范县机械有限公司 2025") == [(fonts.body, "示范县机械有限公司 2025")]
    assert fonts.missing("示范县燊犇㛃机械") == "㛃"
    assert fonts.markup("A&燊") == f'A&amp;<font face="{fonts.title}">燊</font>'
    assert fonts.plain_ok("示范县") and not fonts.plain_ok("燊")


def test_letters_and_summary_with_only_the_shipped_fonts(no_system, sample_result, tmp_path):
    """The contract behind `.ci/run` installing no Chinese font: letters (in worker processes) and
    the summary are written with the shipped fonts alone, embedded, and their text extracts back."""
    t = sample_result.table
    keys = [str(k) for k in t.index[t["population"].notna() & t["tier"].notna()][:30]]
    batch = write_letters(sample_result, tmp_path / "letters", settings(), keys=keys, workers=2)
    assert len(batch) == len(keys) and not batch.warnings
    for path in (batch[0], batch[-1]):
        fonts = embedded_fonts(path)
        assert fonts and all(SHIPPED_BASE.match(name) and embedded for name, embedded in fonts), fonts
        assert {SHIPPED_BASE.match(n).group(1) for n, _ in fonts} == {"BousungEG-Light-GB", "WenQuanYiMicroHei"}
        key = t.index[t["name"] == path.stem.split("_", 1)[1]][0]  # `序号_企业名称.pdf`, in rank order
        text = flat(pdf_text(path))
        for needle in (t.at[key, "name"], t.at[key, "credit_code"], "亩均效益综合评价结果告知书", "示范县经济和信息化局"):
            assert flat(str(needle)) in text, needle
    summary = write_summary_pdf(sample_result, tmp_path / "汇总报告.pdf", settings())
    fonts = embedded_fonts(summary)
    assert fonts and all(SHIPPED_BASE.match(name) and embedded for name, embedded in fonts), fonts
    text = flat(pdf_text(summary))
    assert "示范县" in text and "汇总报告" in text and "城关镇" in text


def test_rare_name_characters_are_drawn_from_the_shipped_hei(no_system, tmp_path):
    rows = hostile_rows()
    names = ["示范县燊犇鑫淼机械有限公司", "示范县喆昇晟珺琍堃垚电子有限公司", "示范县㛃美服饰有限公司"]
    for i, name in enumerate(names):
        rows.append([code(f"91330381MA2R{i:04d}X"), name, "城关镇", "3411", "是", 30 + i, 20 + i, 500, 2000, 60, 70,
                     40, 30, "否", "否", "否"])
    result = run([write_xlsx(tmp_path / "rare.xlsx", rows)], load_scheme("reference"), 2025)
    t = result.table
    keys = [str(t.index[t["name"] == n][0]) for n in names]
    batch = write_letters(result, tmp_path / "out", settings(), keys=keys, workers=1)
    assert len(batch) == 3
    # Only the character no shipped face has is reported, for the firm whose name has it.
    assert len(batch.warnings) == 1 and "示范县㛃美服饰有限公司" in batch.warnings[0] and "“㛃”" in batch.warnings[0]
    assert sorted(path.stem.split("_", 1)[1] for path in batch) == sorted(names)
    for path in batch:
        name = path.stem.split("_", 1)[1]
        fonts = {SHIPPED_BASE.match(n).group(1) for n, _ in embedded_fonts(path)}
        assert fonts == {"BousungEG-Light-GB", "WenQuanYiMicroHei"}
        if "㛃" not in name:
            assert name in flat(pdf_text(path))


def _home(tmp_path: Path, *extra: tuple[str, Path]) -> Path:
    """An app folder whose templates/fonts/ holds the shipped fonts (symlinks) and `extra` files."""
    d = tmp_path / "home" / "templates" / "fonts"
    d.mkdir(parents=True)
    for p in (SONG, HEI):
        (d / p.name).symlink_to(p)
    for name, target in extra:
        (d / name).symlink_to(target)
    return d.parent.parent


def test_order_settings_then_added_then_official_system_then_shipped_then_other_system(no_system, monkeypatch,
                                                                                          tmp_path):
    system = tmp_path / "Fonts"
    system.mkdir()
    (system / "simfang.ttf").symlink_to(SONG)  # stands in for Windows 仿宋
    (system / "zenhei.ttc").symlink_to(HEI)  # stands in for a Linux font
    official = fonts_mod._Candidate(str(system / "simfang.ttf"), 0, "仿宋", "系统", official=True)
    other = fonts_mod._Candidate(str(system / "zenhei.ttc"), 0, "文泉驿正黑", "系统")
    monkeypatch.setenv("MUJUN_HOME", str(_home(tmp_path)))

    monkeypatch.setattr(fonts_mod, "_system_candidates", lambda: [other])
    assert find_cjk_font(settings()).source == "软件自带"  # the shipped Song before other system fonts

    monkeypatch.setattr(fonts_mod, "_system_candidates", lambda: [other, official])
    choice = find_cjk_font(settings())
    assert (choice.path, choice.label, choice.source) == (official.path, "仿宋", "系统")
    assert Path(choice.title.path).name == HEI.name and [Path(f.path).name for f in choice.fallbacks] == [HEI.name,
                                                                                                        SONG.name]

    monkeypatch.setattr(fonts_mod, "_system_fallbacks", lambda: [fonts_mod.FontFile(other.path, 0, "宋体")])
    assert [f.label for f in find_cjk_font(settings()).fallbacks][-1] == "宋体"  # Windows 宋体 after the shipped faces

    monkeypatch.setenv("MUJUN_HOME", str(_home(tmp_path / "2", ("本县字体.ttc", HEI))))
    choice = find_cjk_font(settings())
    assert Path(choice.path).name == "本县字体.ttc" and choice.source == "软件目录"
    assert choice.title is not None  # a separate file, so the shipped Hei still sets the titles

    choice = find_cjk_font(settings(font_path=str(system / "zenhei.ttc")))
    assert choice.path == str(system / "zenhei.ttc") and choice.source == "设置"


def test_settings_font_lacking_characters_falls_back_per_character(no_system):
    choice = find_cjk_font(settings(font_path=str(SONG)))
    fonts = pdf_fonts(choice)
    assert choice.source == "设置" and [Path(f.path) for f in choice.fallbacks] == [HEI]
    assert [f for f, _t in fonts.runs("示范县堃垚科技")] == [fonts.body, fonts.fallbacks[0], fonts.body]
    assert fonts.missing("示范县堃垚科技") == ""


def test_a_broken_settings_font_is_printed_once(tmp_path, capsys):
    s = tmp_path / "设置.toml"
    s.write_text(f'[fonts]\npath = "{(tmp_path / "没有这个字体.ttf").as_posix()}"\n', encoding="utf-8")
    rc = main(["evaluate", *map(str, SAMPLE_FILES), "--year", "2025", "--issues", "none", "--settings", str(s),
               "--xlsx", str(tmp_path / "分类名单.xlsx"),
               "--letters", str(tmp_path / "letters"), "--summary-pdf", str(tmp_path / "汇总报告.pdf")])
    assert rc == 2
    err = capsys.readouterr().err
    assert err.count("没有这个字体.ttf") == 1 and err.count("未生成告知书和汇总报告") == 1, err
    assert not (tmp_path / "汇总报告.pdf").exists() and not list((tmp_path / "letters").glob("*.pdf"))
    assert (tmp_path / "分类名单.xlsx").exists()  # outputs that need no font are still written


def test_no_font_at_all_names_the_switch(no_system, monkeypatch, tmp_path):
    monkeypatch.setenv("MUJUN_HOME", str(tmp_path))
    with pytest.raises(Exception) as exc:
        find_cjk_font(settings())
    msg = str(exc.value)
    assert "MUJUN_NO_SYSTEM_FONTS" in msg and "gbsn00lp.ttf" in msg and "重新安装" in msg


def test_settings_dialog_checks_a_font_without_any_system_font(no_system, qtbot):
    """The settings dialog's 检查字体 on a font-less machine: a .ttc from the settings, then none set."""
    from evaluator.outputs.settings import Settings
    from ui.widgets.settings_dialog import SettingsDialog

    d = SettingsDialog(Settings(font_path=str(HEI)))
    qtbot.addWidget(d)
    assert d.font_index.isEnabled() and d.check_font()
    assert "将使用" in d.font_status.text() and "wqy-microhei.ttc" in d.font_status.text()
    d.font_path.setText("")
    assert d.check_font() and "文鼎简报宋" in d.font_status.text() and "软件自带" in d.font_status.text()
