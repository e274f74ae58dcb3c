"""Regenerate the README screenshots by driving the real desktop app under Xvfb with xdotool.

    python docs/screenshots/take.py [1600x1000] [1366x768] [--out docs/screenshots]

For each screen size: starts its own Xvfb display, starts `python -m ui` with a throwaway config
folder (so the first-start questions appear), gives the 操作人 name, answers 是 to the demo county, and then clicks through
the workflow like an official would: 导入数据, 数据核查, 评价方案, 评价结果 (a search filter and a
firm's detail pane), 汇总与图表, 复核与公示, 输出 (分类名单 and 汇总报告 written; 生成告知书 for 全部,
captured at its confirmation and cancelled; then letters for the searched firms only), 审计记录. Each step is captured with
`import -window root` into <out>/<width>/<n>_<step>.png (256 colours, to keep the files small).

Needs Xvfb, xdotool and ImageMagick (`import`, `convert`). There is no window manager, so the window
has no title bar and is sized to the whole screen with xdotool. When the machine has no CJK system
font, the capture session gets a private fontconfig file adding templates/fonts/ (a capture-only
setting, not a product change: the app itself is expected to register the shipped fonts).

Click positions are screen pixels measured on the screenshots of each size; the navigation list is the
same at every size, the search box and table rows move with the window width. When a page's layout
changes, look at the shots and re-measure POSITIONS.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

NAV_X, NAV_Y0, NAV_STEP = 80, 41, 42  # navigation list: row i is at y = NAV_Y0 + i * NAV_STEP
NAV = {"import": 0, "check": 1, "scheme": 2, "results": 3, "review": 4, "export": 5, "audit": 6}

# per size: the results page's search box, the summary tab, and the first and second table rows
POSITIONS = {
    (1600, 1000): {"search": (1300, 131), "summary_tab": (303, 166), "list_tab": (205, 166),
                   "row1": (330, 236), "row2": (330, 260), "workbook": (530, 226), "summary_pdf": (530, 266),
                   "scope_visible": (904, 273), "letters": (1181, 393)},
    (1366, 768): {"search": (1190, 131), "summary_tab": (303, 166), "list_tab": (205, 166),
                  "row1": (330, 236), "row2": (330, 260), "workbook": (472, 226), "summary_pdf": (472, 266),
                  "scope_visible": (787, 273), "letters": (1005, 393)},
}
SEARCH_TEXT = "汽车"


def run(*args: str, env: dict[str, str]) -> str:
    return subprocess.run(args, env=env, check=True, capture_output=True, text=True).stdout


def fontconfig_file(tmp: Path) -> Path | None:
    """A private fonts.conf adding the shipped fonts, when the system has no Chinese font."""
    has_cjk = subprocess.run(["fc-list", ":lang=zh"], check=False, capture_output=True, text=True).stdout.strip()
    if has_cjk:
        return None
    conf = tmp / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
        f'  <dir>{ROOT / "templates" / "fonts"}</dir>\n  <cachedir>{tmp / "fccache"}</cachedir>\n'
        '</fontconfig>\n', encoding="utf-8")
    return conf


def free_display() -> int:
    n = 91
    while Path(f"/tmp/.X{n}-lock").exists():
        n += 1
    return n


class Session:
    def __init__(self, size: tuple[int, int], out: Path) -> None:
        self.size, self.out = size, out
        self.tmp = Path(tempfile.mkdtemp(prefix="mujun-shots-"))
        self.display = f":{free_display()}"
        # HOME too: the default output folder is ~/亩均评价输出, which must not fill the real home
        self.env = dict(os.environ, DISPLAY=self.display, MUJUN_CONFIG_DIR=str(self.tmp / "config"),
                        HOME=str(self.tmp / "home"))
        self.env.pop("MUJUN_SETTINGS", None)
        self.env.pop("QT_QPA_PLATFORM", None)
        conf = fontconfig_file(self.tmp)
        if conf is not None:
            self.env["FONTCONFIG_FILE"] = str(conf)
        self.xvfb = subprocess.Popen(["Xvfb", self.display, "-screen", "0", f"{size[0]}x{size[1]}x24",
                                      "-nolisten", "tcp"], stderr=subprocess.DEVNULL)
        time.sleep(1.5)
        self.app = subprocess.Popen([sys.executable, "-m", "ui"], cwd=ROOT, env=self.env,
                                    stdout=subprocess.DEVNULL, stderr=(self.tmp / "app.log").open("w"))

    def wait_window(self, timeout: float = 60) -> str:
        end = time.time() + timeout
        while time.time() < end:
            r = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "亩均效益综合评价系统（"],
                               env=self.env, check=False, capture_output=True, text=True)
            if r.stdout.strip():
                return r.stdout.split()[0]
            time.sleep(0.5)
        raise SystemExit("主窗口没有出现：" + (self.tmp / "app.log").read_text(encoding="utf-8"))

    def click(self, xy: tuple[int, int], pause: float = 1.5) -> None:
        run("xdotool", "mousemove", str(xy[0]), str(xy[1]), "click", "1", env=self.env)
        time.sleep(pause)

    def nav(self, step: str, pause: float = 2.0) -> None:
        self.click((NAV_X, NAV_Y0 + NAV[step] * NAV_STEP), pause)

    def key(self, *keys: str, pause: float = 1.0) -> None:
        run("xdotool", "key", *keys, env=self.env)
        time.sleep(pause)

    def type(self, text: str, pause: float = 2.0) -> None:
        run("xdotool", "type", "--delay", "150", text, env=self.env)
        time.sleep(pause)

    def shot(self, name: str) -> None:
        folder = self.out / str(self.size[0])
        folder.mkdir(parents=True, exist_ok=True)
        raw = self.tmp / f"{name}.png"
        run("import", "-window", "root", str(raw), env=self.env)
        target = folder / f"{name}.png"
        # 256 colours keep UI text crisp at a third of the size of a full-colour PNG
        run("convert", str(raw), "+dither", "-colors", "256", "-define", "png:compression-level=9", str(target),
            env=self.env)
        print("saved", target)

    def close(self) -> None:
        for p in (self.app, self.xvfb):
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


def workflow(s: Session) -> None:
    pos = POSITIONS[s.size]
    time.sleep(8)  # first start: the 操作人 name is asked before the main window's welcome
    s.type("张明", 0.5)
    s.key("Return", pause=2.0)
    s.wait_window()
    time.sleep(3)
    s.shot("0_welcome")
    s.key("Return", pause=1.0)  # 是: open the demo county
    win = s.wait_window()
    run("xdotool", "windowmove", win, "0", "0", env=s.env)
    run("xdotool", "windowsize", win, str(s.size[0]), str(s.size[1]), env=s.env)
    time.sleep(15)  # the demo's five files are read, merged and evaluated
    s.shot("1_import")
    s.nav("check")
    s.shot("2_check")
    s.nav("scheme")
    s.shot("3_scheme")
    s.nav("results")
    s.click(pos["search"], 0.5)
    s.type(SEARCH_TEXT)
    s.click(pos["row2"], 2.0)
    s.shot("4_results")
    s.click(pos["summary_tab"], 3.0)
    s.shot("5_summary")
    s.click(pos["list_tab"], 1.0)
    s.nav("review")
    s.shot("6_review")
    s.nav("export")
    s.click(pos["workbook"], 8.0)
    s.click(pos["summary_pdf"], 8.0)
    s.click(pos["letters"], 2.0)  # 全部参评企业: asks first, with the number of letters
    s.shot("7_letters_confirm")
    s.key("Escape", pause=1.0)  # 取消; then only the firms the 汽车 search left on the results page
    s.click(pos["scope_visible"], 0.5)
    s.click(pos["letters"], 40.0)
    s.shot("8_export")
    s.nav("audit")
    s.shot("9_audit")


def main() -> None:
    args = sys.argv[1:]
    out = Path(__file__).resolve().parent
    if "--out" in args:
        i = args.index("--out")
        out = Path(args[i + 1])
        del args[i:i + 2]
    sizes = [tuple(int(v) for v in a.split("x")) for a in args] or list(POSITIONS)
    for size in sizes:
        s = Session(size, out)  # type: ignore[arg-type]
        try:
            workflow(s)
        finally:
            s.close()


if __name__ == "__main__":
    main()
