"""Finding a Chinese TrueType font to embed in the PDFs, and drawing text with it.

A letter printed with a Latin font shows blank boxes instead of the firm's name, and a PDF that
relies on the reader's own CID fonts prints differently on every machine. So every PDF embeds a
subset of a real TrueType font. The body font is found in this order:

1. the file set in the settings;
2. a font a county put into `templates/fonts/` itself (any file there that the app did not ship);
3. the official fonts of the system: Windows 仿宋/宋体/黑体 (what county PCs have; a letter set in them
   looks like every other notice the office prints), the macOS Chinese fonts;
4. the fonts shipped with the app in `templates/fonts/`: AR PL SungtiL GB (文鼎简报宋, a Song face,
   GB 2312) for the body and WenQuanYi Micro Hei (文泉驿微米黑, a Hei face, all of GBK) for titles;
5. other Linux system fonts (文泉驿正黑, AR PL UMing, Droid Sans Fallback, whatever `fc-list :lang=zh`
   knows): only reached when the shipped files are missing. The shipped Song face comes before them
   because it is the look of an official notice and prints the same on every machine.

`MUJUN_NO_SYSTEM_FONTS=1` switches steps 3 and 5 off (and the system Latin and title faces): the
tests run that way, so a green run proves that a machine without any Chinese font works.

Per-character fallback: a character the body font lacks (燊, 犇, 堃 are not in GB 2312, so not in
仿宋 or the shipped Song face) is drawn from the shipped Hei face (then the shipped Song face, then
Windows 宋体 and 宋体-ExtB for the CJK extensions), and a font without Latin letters (Droid Sans
Fallback) gets a Latin companion (DejaVu Sans, Arial) or, failing that, the shipped Hei face. Only a
character that no available face has is reported (`PdfFonts.missing`). If no font works at all the
user gets a message saying how to fix it; there is never a silent fallback to a font without
Chinese characters.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from ..core.issues import InputError
from ..core.paths import templates_dir

if TYPE_CHECKING:
    from .settings import Settings

# Characters every letter needs; a font lacking any CJK one of them is not a Chinese font.
PROBE_CJK = "亩均效益综合评价结果告知书企业名称统一社会信用代码万元规上第名共家类优先发展申诉"
PROBE_LATIN = "0123456789ABCDEFGHJKLMNPQRTUWXY.,%()-"

FONT_SUFFIXES = (".ttf", ".ttc", ".otf")

# Set to 1 to skip every font of the system (tests, CI): only the settings and `templates/fonts/` count.
NO_SYSTEM_FONTS_ENV = "MUJUN_NO_SYSTEM_FONTS"

# The fonts shipped in `templates/fonts/` (sources, licences and coverage in its README.md):
# (file, subfont index, label). The first is the body face, the second the title face and the
# per-character fallback; any other font file in that folder was put there by the county.
SHIPPED_BODY = ("gbsn00lp.ttf", 0, "文鼎简报宋（AR PL SungtiL GB）")
SHIPPED_HEI = ("wqy-microhei.ttc", 0, "文泉驿微米黑（WenQuanYi Micro Hei）")
SHIPPED_FONTS = (SHIPPED_BODY, SHIPPED_HEI)
# Fallback faces in the order they are asked for a character the body lacks (the Hei face has all of GBK).
SHIPPED_FALLBACKS = (SHIPPED_HEI, SHIPPED_BODY)


def system_fonts_allowed() -> bool:
    """False when `MUJUN_NO_SYSTEM_FONTS` is set (1/true/yes/on): only the settings and the app's fonts."""
    return os.environ.get(NO_SYSTEM_FONTS_ENV, "").strip().lower() not in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class FontFile:
    path: str
    subfont_index: int = 0
    label: str = ""


@dataclass(frozen=True)
class FontChoice:
    """The fonts the PDFs will embed: `path` is the body face, `title` a heavier face for titles and
    headings (None: the body face), `latin` draws Latin letters and digits a body font lacks (Droid
    Sans Fallback), and `fallbacks` draw, character by character, what neither has."""

    path: str
    subfont_index: int = 0
    label: str = ""
    source: str = ""  # 设置 / 软件目录 / 系统 / 软件自带
    title: FontFile | None = None  # Windows 黑体 or the shipped Hei face
    latin: FontFile | None = None
    fallbacks: tuple[FontFile, ...] = ()

    def describe(self) -> str:
        idx = f"（字体集第 {self.subfont_index} 个）" if self.path.lower().endswith(".ttc") else ""
        out = f"{self.label or Path(self.path).name}：{self.path}{idx}（{self.source}）"
        if self.title is not None:
            out += f"；标题：{self.title.label or Path(self.title.path).name}"
        extra = [f.label or Path(f.path).name for f in self.fallbacks]
        if extra:
            out += f"；缺字由{'、'.join(extra)}补充"
        return out


@dataclass(frozen=True)
class _Candidate:
    path: str
    index: int
    label: str
    source: str
    official: bool = False  # a system font preferred to the shipped ones (Windows 仿宋/宋体/黑体, macOS)


def _windows_fonts_dir() -> Path:
    return Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"


# (file, subfont index, label): the order is the preference.
WINDOWS_FONTS = (("simfang.ttf", 0, "仿宋"), ("simsun.ttc", 0, "宋体"), ("simhei.ttf", 0, "黑体"),
                 ("simkai.ttf", 0, "楷体"), ("msyh.ttc", 0, "微软雅黑"), ("msyh.ttf", 0, "微软雅黑"))
LINUX_FONTS = (
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0, "文泉驿正黑"),
    ("/usr/share/fonts/wenquanyi/wqy-zenhei/wqy-zenhei.ttc", 0, "文泉驿正黑"),
    ("/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc", 0, "文泉驿正黑"),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0, "文泉驿微米黑"),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0, "AR PL UMing"),
    ("/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf", 0, "AR PL SungtiL GB"),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0, "Droid Sans Fallback"),
    ("/usr/share/fonts/google-droid/DroidSansFallbackFull.ttf", 0, "Droid Sans Fallback"),
)
# Asked after the shipped faces for a character none of them has: 宋体 covers GB 18030 (CJK Extension A,
# e.g. 㛃), 宋体-ExtB Extension B. Only loaded when the body font is another one.
WINDOWS_FALLBACKS = (("simsun.ttc", 0, "宋体"), ("simsunb.ttf", 0, "宋体-ExtB"))
MAC_FONTS = (("/System/Library/Fonts/STHeiti Light.ttc", 0, "华文黑体"), ("/Library/Fonts/Arial Unicode.ttf", 0, "Arial Unicode"),
             ("/System/Library/Fonts/Supplemental/Songti.ttc", 0, "宋体-简"))
LATIN_FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/dejavu/DejaVuSans.ttf",
               "/usr/share/fonts/TTF/DejaVuSans.ttf", "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
               "/System/Library/Fonts/Supplemental/Arial.ttf", "/Library/Fonts/Arial.ttf")


def _fc_list() -> list[str]:
    """Chinese-capable font files fontconfig knows (Linux); empty where fc-list is missing."""
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return []
    files = []
    for line in out.stdout.splitlines():
        f = line.strip().rstrip(":").strip()
        if f.lower().endswith(FONT_SUFFIXES):
            files.append(f)
    return sorted(set(files))


def _fonts_dir() -> Path:
    return templates_dir() / "fonts"


def _shipped(entry: tuple[str, int, str]) -> FontFile:
    return FontFile(str(_fonts_dir() / entry[0]), entry[1], entry[2])


def _shipped_candidates() -> list[_Candidate]:
    return [_Candidate(str(_fonts_dir() / f), i, label, "软件自带") for f, i, label in SHIPPED_FONTS]


def _app_candidates() -> list[_Candidate]:
    """Font files a county added to `templates/fonts/` (every one there but the shipped ones)."""
    d = _fonts_dir()
    if not d.is_dir():
        return []
    shipped = {f for f, _i, _label in SHIPPED_FONTS}
    return [_Candidate(str(p), 0, p.stem, "软件目录") for p in sorted(d.iterdir())
            if p.suffix.lower() in FONT_SUFFIXES and p.name not in shipped]


def _system_candidates() -> list[_Candidate]:
    """System fonts: the official ones first (`official`, tried before the shipped fonts), then the rest."""
    if not system_fonts_allowed():
        return []
    out: list[_Candidate] = []
    if sys.platform == "win32":
        d = _windows_fonts_dir()
        out += [_Candidate(str(d / f), i, label, "系统", official=True) for f, i, label in WINDOWS_FONTS]
    elif sys.platform == "darwin":
        out += [_Candidate(f, i, label, "系统", official=True) for f, i, label in MAC_FONTS]
    else:
        out += [_Candidate(f, i, label, "系统") for f, i, label in LINUX_FONTS]
        known = {c.path for c in out}
        out += [_Candidate(f, 0, Path(f).stem, "系统") for f in _fc_list() if f not in known]
    return out


def _latin_candidates() -> list[str]:
    if not system_fonts_allowed():
        return []
    if sys.platform == "win32":
        d = _windows_fonts_dir()
        return [str(d / "arial.ttf"), str(d / "calibri.ttf")]
    return list(LATIN_FONTS)


def _system_fallbacks() -> list[FontFile]:
    if sys.platform != "win32" or not system_fonts_allowed():
        return []
    d = _windows_fonts_dir()
    return [FontFile(str(d / f), i, label) for f, i, label in WINDOWS_FALLBACKS]


def _title_candidates() -> list[FontFile]:
    """Heavier faces for titles, preferred first: Windows 黑体, then the shipped Hei face."""
    out = []
    if sys.platform == "win32" and system_fonts_allowed():
        out.append(FontFile(str(_windows_fonts_dir() / "simhei.ttf"), 0, "黑体"))
    return out + [_shipped(SHIPPED_HEI)]


# --- loading ------------------------------------------------------------------------------------
_LOADED: dict[tuple[str, int], object] = {}


def _load(path: str, index: int) -> object:
    """A reportlab TTFont (cached per process); raises with the library's reason when unusable."""
    key = (path, index)
    if key not in _LOADED:
        name = "MujunF" + hashlib.sha1(f"{path}|{index}".encode()).hexdigest()[:10]
        font = _embedding_font_class()(name, path, subfontIndex=index)
        _cache_tables(font.face)
        _LOADED[key] = font
    return _LOADED[key]


SUBSET_CACHE = 64
_FONT_CLASS: list[type] = []


def _embedding_font_class() -> type:
    """reportlab's TTFont, whose per-subset /Widths arrays are formatted once per process.

    Each embedded subset carries a 256-number /Widths array that reportlab formats number by
    number for every document; letters primed alike repeat the same arrays, so the formatted
    bytes are kept (same output, a tenth of a letter's cost saved)."""
    if _FONT_CLASS:
        return _FONT_CLASS[0]
    from reportlab.pdfbase import pdfdoc
    from reportlab.pdfbase.ttfonts import TTFont

    formatted: dict[tuple[float, ...], bytes] = {}

    class _Formatted(pdfdoc.PDFObject):
        def __init__(self, data: bytes):
            self.data = data

        def format(self, document: object) -> bytes:
            return self.data

    class EmbeddingTTFont(TTFont):
        def addObjects(self, doc: object) -> None:
            fonts = getattr(getattr(doc, "idToObject", {}).get("BasicFonts"), "dict", None)
            before = set(fonts) if isinstance(fonts, dict) else None
            super().addObjects(doc)
            if before is None:
                return
            for name, f in fonts.items():  # type: ignore[union-attr]
                widths = getattr(f, "Widths", None) if name not in before else None
                if isinstance(widths, pdfdoc.PDFArray) and len(widths.sequence) > 16:
                    key = tuple(widths.sequence)
                    data = formatted.get(key)
                    if data is None:
                        if len(formatted) >= SUBSET_CACHE:
                            formatted.pop(next(iter(formatted)))
                        data = formatted[key] = widths.format(doc)
                    f.Widths = _Formatted(data)

    _FONT_CLASS.append(EmbeddingTTFont)
    return EmbeddingTTFont


_Codes = tuple[dict[int, int], list[list[int]], int]  # a face's subset codes in one document


def _copy_codes(state: Any) -> _Codes:
    return dict(state.assignments), [list(sub) for sub in state.subsets], state.nextCode


def _restore_codes(font: Any, doc: object, codes: _Codes) -> None:
    """Give `doc` a fresh copy of the codes another document got from the same priming."""
    state = type(font).State(font._asciiReadable, font)
    assignments, subsets, next_code = codes
    state.assignments, state.subsets, state.nextCode = dict(assignments), [list(sub) for sub in subsets], next_code
    font.state[doc] = state


def _cache_tables(face: object) -> None:
    """Keep each font table, and recently built subsets, once per process.

    reportlab copies whole tables (the 10 MB `glyf` of a CJK font) every time it builds a subset,
    a large part of a letter's cost; and letters primed with the same common characters
    (`PdfFonts.prime`) ask for the same subsets again and again. Both are pure functions of
    immutable bytes, so caching them changes nothing in the output."""
    original = face.get_table  # type: ignore[attr-defined]
    tables: dict[str, bytes] = {}

    def get_table(tag: str) -> bytes:
        t = tables.get(tag)
        if t is None:
            t = tables[tag] = original(tag)
        return t

    face.get_table = get_table  # type: ignore[attr-defined]
    make = face.makeSubset  # type: ignore[attr-defined]
    subsets: dict[tuple[int, ...], bytes] = {}

    def make_subset(subset: list[int]) -> bytes:
        key = tuple(subset)
        data = subsets.get(key)
        if data is None:
            if len(subsets) >= SUBSET_CACHE:
                subsets.pop(next(iter(subsets)))
            data = subsets[key] = make(subset)
        return data

    face.makeSubset = make_subset  # type: ignore[attr-defined]


def _coverage(font: object) -> set[int]:
    return set(font.face.charToGlyph)  # type: ignore[attr-defined]


def _check(path: str, index: int) -> tuple[bool, bool, str]:
    """(usable as CJK font, has Latin letters and digits, reason if not usable)."""
    if not Path(path).is_file():
        return False, False, "文件不存在"
    try:
        font = _load(path, index)
    except Exception as exc:  # reportlab raises TTFError, struct.error, IndexError… for odd files
        msg = str(exc)
        if "postscript" in msg.lower() or "cff" in msg.lower():
            msg = "为 PostScript（CFF）轮廓的 OpenType 字体，无法嵌入，请改用 TrueType（.ttf/.ttc）字体"
        return False, False, f"无法读取（{msg}）"
    cov = _coverage(font)
    missing = [c for c in PROBE_CJK if ord(c) not in cov]
    if missing:
        return False, False, f"不含常用汉字（如“{''.join(missing[:5])}”）"
    return True, all(ord(c) in cov for c in PROBE_LATIN), ""


def _find_latin() -> FontFile | None:
    for p in _latin_candidates():
        if Path(p).is_file():
            try:
                font = _load(p, 0)
            except Exception:
                continue
            if all(ord(c) in _coverage(font) for c in PROBE_LATIN):
                return FontFile(p, 0, Path(p).stem)
    return None


def _fix_it(tried: list[str]) -> str:
    fonts_dir = _fonts_dir()
    shipped = "、".join(f for f, _i, _label in SHIPPED_FONTS)
    lines = ["未找到可嵌入 PDF 的中文字体，无法生成告知书和汇总报告。请任选一种方法解决：",
             f"① 软件自带的字体（{fonts_dir} 中的 {shipped}）缺失或损坏：请重新安装本软件，或从安装包中复制这些文件；",
             "② 在“设置”中指定中文字体文件（命令行：设置文件 [fonts] path），如 C:\\Windows\\Fonts\\simfang.ttf（仿宋）、"
             "C:\\Windows\\Fonts\\simsun.ttc（宋体）或 simhei.ttf（黑体）；",
             f"③ 将 TrueType 中文字体文件（.ttf 或 .ttc）复制到 {fonts_dir}；"
             "Linux 系统也可安装文泉驿正黑：sudo apt-get install fonts-wqy-zenhei。"]
    if not system_fonts_allowed():
        lines.append(f"（环境变量 {NO_SYSTEM_FONTS_ENV} 已设置，未查找系统字体。）")
    if tried:
        lines.append("已尝试：" + "；".join(tried[:8]) + ("……" if len(tried) > 8 else ""))
    return "\n".join(lines)


def find_cjk_font(settings: Settings | None = None) -> FontChoice:
    """The fonts every PDF will embed; raises `InputError` with a fix-it message when there is none.

    A font file named in the settings must work: if it does not, that is the error (silently using
    another font would hide a typo in the settings).
    """
    return _find(settings)


def _find(settings: Settings | None) -> FontChoice:
    tried: list[str] = []
    if settings is not None and settings.font_path:
        p = settings.font_path
        ok, latin_ok, why = _check(p, settings.font_index)
        if not ok:
            if "无法读取" in why and p.lower().endswith(".ttc"):
                why += f"；.ttc 字体集的序号为 {settings.font_index}，请确认该序号存在"
            raise InputError(f"设置中指定的字体文件 {p} 不能使用：{why}。请在“设置”中改选其他中文字体文件，"
                             "或清空该项以自动查找。")
        return _choice(p, settings.font_index, Path(p).stem, "设置", latin_ok)
    system = _system_candidates()
    candidates = (_app_candidates() + [c for c in system if c.official] + _shipped_candidates()
                  + [c for c in system if not c.official])
    for c in candidates:
        ok, latin_ok, why = _check(c.path, c.index)
        if ok:
            choice = _choice(c.path, c.index, c.label, c.source, latin_ok, quiet=True)
            if choice is not None:
                return choice
            why = "不含英文字母和数字，且未找到可配合使用的西文字体"
        if why != "文件不存在":
            tried.append(f"{c.path}：{why}")
    raise InputError(_fix_it(tried))


def _usable(f: FontFile) -> bool:
    ok, latin_ok, _why = _check(f.path, f.subfont_index)
    return ok and latin_ok


def _loadable(f: FontFile) -> bool:
    if not Path(f.path).is_file():
        return False
    try:
        _load(f.path, f.subfont_index)
    except Exception:  # as in `_check`: an odd file is simply not used
        return False
    return True


def _choice(path: str, index: int, label: str, source: str, latin_ok: bool, quiet: bool = False) -> FontChoice:
    body = (str(Path(path)), index)

    def other(f: FontFile) -> bool:
        return (str(Path(f.path)), f.subfont_index) != body

    shipped = [f for f in map(_shipped, SHIPPED_FALLBACKS) if other(f) and _usable(f)]
    system = [f for f in _system_fallbacks() if other(f) and _loadable(f)]
    fallbacks = tuple(shipped + system)
    latin = None
    if not latin_ok:
        latin = _find_latin() or next(iter(shipped), None)  # every shipped face has Latin letters and digits
        if latin is None:
            if quiet:
                return None  # type: ignore[return-value]
            raise InputError(f"字体文件 {path} 不含英文字母和数字，且未找到可配合使用的西文字体（如 DejaVu Sans、Arial）；"
                             "请改选其他中文字体文件。")
    title = None
    titles = _title_candidates()
    if all(map(other, titles)):  # a Hei body is its own title face
        title = next((t for t in titles if _usable(t)), None)
    return FontChoice(path, index, label, source, title, latin, fallbacks)


# --- drawing text -------------------------------------------------------------------------------
class PdfFonts:
    """The registered fonts for one process, and text helpers that route each character to a face
    that has it: the body font, else the Latin companion, else the fallback faces in order; a
    character no face has stays with the body font (and `missing` reports it).

    `body` and `title` are the font names for body text and for titles and headings (the same name
    when there is no separate title face)."""

    def __init__(self, choice: FontChoice):
        from reportlab.pdfbase import pdfmetrics

        self.choice = choice
        body = _load(choice.path, choice.subfont_index)
        self.body: str = body.fontName  # type: ignore[attr-defined]
        self._cov = frozenset(_coverage(body))
        self._body_chars = frozenset(map(chr, self._cov))
        # per priming text: its characters by face, and each face's codes once a document got them
        self._primed: dict[str, tuple[dict[str, str], dict[str, _Codes]]] = {}
        fonts = [body]
        self.title = self.body
        if choice.title is not None:
            tf = _load(choice.title.path, choice.title.subfont_index)
            self.title = tf.fontName  # type: ignore[attr-defined]
            fonts.append(tf)
        self.latin: str | None = None
        # The faces asked, in order, for a character the body lacks: (font name, coverage).
        self._others: list[tuple[str, frozenset[int]]] = []
        if choice.latin is not None:
            lf = _load(choice.latin.path, choice.latin.subfont_index)
            self.latin = lf.fontName  # type: ignore[attr-defined]
            self._others.append((self.latin, frozenset(_coverage(lf))))
            fonts.append(lf)
        for fb in choice.fallbacks:
            ff = _load(fb.path, fb.subfont_index)
            name: str = ff.fontName  # type: ignore[attr-defined]
            if name != self.body and all(name != n for n, _c in self._others):
                self._others.append((name, frozenset(_coverage(ff))))
                fonts.append(ff)
        self.fallbacks: tuple[str, ...] = tuple(n for n, _c in self._others if n != self.latin)
        self._route: dict[str, str] = {}
        self._drawable: frozenset[str] | None = None
        for f in fonts:
            if f.fontName not in pdfmetrics.getRegisteredFontNames():  # type: ignore[attr-defined]
                pdfmetrics.registerFont(f)  # type: ignore[arg-type]

    def face_for(self, c: str) -> str:
        """The font name that draws the character `c`."""
        f = self._route.get(c)
        if f is None:
            f = self.body
            o = ord(c)
            if o not in self._cov:
                f = next((name for name, cov in self._others if o in cov), self.body)
            self._route[c] = f
        return f

    def prime(self, canv: object, chars: str) -> None:
        """Assign subset codes to `chars` first thing in a document.

        Every letter of a batch primed with the same characters (those most letters use) gets
        identical leading font subsets, whose embedded font files are then built and compressed
        once per process instead of once per letter. A face's codes depend only on the order of
        its own characters, so after the first document each fresh document gets a copy of them."""
        from reportlab.pdfbase.pdfmetrics import getFont

        doc = canv._doc  # type: ignore[attr-defined]
        primed = self._primed.get(chars)
        if primed is None:
            by_face: dict[str, str] = {}
            for font, text in self.runs(chars):
                by_face[font] = by_face.get(font, "") + text
            primed = self._primed[chars] = (by_face, {})
        by_face, snapshots = primed
        for font, text in by_face.items():
            f = getFont(font)
            if doc in f.state:  # type: ignore[attr-defined]  # already used in this document: no copy applies
                f.splitString(text, doc)  # type: ignore[attr-defined]
            elif font in snapshots:
                _restore_codes(f, doc, snapshots[font])
            else:
                f.splitString(text, doc)  # type: ignore[attr-defined]
                snapshots[font] = _copy_codes(f.state[doc])  # type: ignore[attr-defined]
        # what was primed, per face: text made only of these characters is encoded alike in every
        # document primed with the same `chars` (pdf_layout reuses its text operators)
        canv._mujun_primed = (chars, {font: frozenset(text) for font, text in by_face.items()})  # type: ignore[attr-defined]

    def fill_subsets(self, ranked: list[str], subsets: int) -> list[str]:
        """The leading characters of `ranked` that fit in the first `subsets` font subsets of the
        body font (worked out on a scratch document, as reportlab assigns codes)."""
        from reportlab.pdfbase.pdfmetrics import getFont

        class _Scratch:  # reportlab keys subset state by document (weakly)
            pass

        font = getFont(self.body)
        doc = _Scratch()
        out: list[str] = []
        for c in ranked:
            if self.face_for(c) != self.body:
                out.append(c)  # drawn by another face: no body-font code needed
                continue
            font.splitString(c, doc)  # type: ignore[attr-defined]
            if len(font.state[doc].subsets) > subsets:  # type: ignore[attr-defined]
                break
            out.append(c)
        font.state.pop(doc, None)  # type: ignore[attr-defined]
        return out

    def missing(self, text: str) -> str:
        """Characters no face can draw (they would print as boxes)."""
        if self._drawable is None:
            cov = set(self._cov)
            for _name, c in self._others:
                cov |= c
            self._drawable = frozenset(map(chr, cov))
        bad = set(text) - self._drawable
        return "".join(sorted(c for c in bad if not c.isspace()))

    def plain_ok(self, text: str) -> bool:
        """True when the body font alone draws the text (then a plain string cell is enough)."""
        return not self._others or self._body_chars.issuperset(text) or all(self.face_for(c) == self.body for c in text)

    def runs(self, text: str) -> list[tuple[str, str]]:
        """(font name, text) runs: characters the body font lacks go to the face that has them."""
        if not self._others or self._body_chars.issuperset(text):
            return [(self.body, text)]
        out: list[tuple[str, str]] = []
        for c in text:
            f = self.face_for(c)
            if out and out[-1][0] == f:
                out[-1] = (f, out[-1][1] + c)
            else:
                out.append((f, c))
        return out

    def markup(self, text: str) -> str:
        """Paragraph markup for literal text: escaped (`A&B<b>` prints as typed), runs switched."""
        if not self._others or self._body_chars.issuperset(text):
            return escape(text)
        return "".join(escape(t) if f == self.body else f'<font face="{f}">{escape(t)}</font>' for f, t in self.runs(text))

    def width(self, text: str, size: float) -> float:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        return sum(stringWidth(t, f, size) for f, t in self.runs(text))

    def draw(self, canv: object, x: float, y: float, text: str, size: float, align: str = "left",
             font: str | None = None) -> None:
        """Draw one line on a canvas, routing runs to faces (`font` forces one face, e.g. the title's)."""
        runs = [(font, text)] if font else self.runs(text)
        if align != "left":
            w = sum(_sw(t, f, size) for f, t in runs)
            x = x - w if align == "right" else x - w / 2
        for f, t in runs:
            canv.setFont(f, size)  # type: ignore[attr-defined]
            canv.drawString(x, y, t)  # type: ignore[attr-defined]
            x += _sw(t, f, size)


def _sw(text: str, font: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(text, font, size)


_REGISTERED: dict[FontChoice, PdfFonts] = {}


def pdf_fonts(choice: FontChoice) -> PdfFonts:
    """Register the chosen fonts once per process (workers call this in their initializer)."""
    if choice not in _REGISTERED:
        _REGISTERED[choice] = PdfFonts(choice)
    return _REGISTERED[choice]
