"""Print the sample county's outputs the way an office would, to look at the pages.

    python benchmarks/print_outputs.py OUT_DIR [--scheme reference]

Writes the graded list, the summary report and one letter of each kind (A with bonus, D, veto,
protection, 规下, long name, exempt notice), then:
- prints the workbook through LibreOffice (`soffice --headless --convert-to pdf`, Debian package
  `libreoffice-calc`) when it is installed, and says so when it is not;
- renders every PDF page to PNG at 70 dpi with `pdftoppm` (poppler-utils) for viewing;
- reports the page count of each letter (a 规下 letter must be one page).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    from pypdf import PdfReader

    from evaluator.method.scheme import load_scheme
    from evaluator.outputs.letters import write_letters
    from evaluator.outputs.settings import load_settings
    from evaluator.outputs.summary_pdf import write_summary_pdf
    from evaluator.outputs.workbook import write_workbook
    from evaluator.pipeline.run import run

    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--scheme", default="reference")
    ap.add_argument("--year", type=int, default=2025)
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    sample = ROOT / "sample_data"
    files = [sample / n for n in ("统计局_工业企业主要指标.xlsx", "税务局_实缴税金.xls", "自然资源局_工业用地.xlsx",
                                  "供电公司_用电量.csv", "工信局_企业认定名单.xlsx")]
    r = run(files, load_scheme(a.scheme), a.year)
    t = r.table
    settings = load_settings()

    def first(mask) -> str | None:  # type: ignore[no-untyped-def]
        keys = list(t.index[mask.fillna(False).to_numpy(dtype=bool)])
        return str(keys[0]) if keys else None

    kinds = {
        "A（加分）": first((t["tier"] == "A") & (t["bonus"] > 0)),
        "D": first((t["tier"] == "D") & (t["population"] == "above")),
        "否决": first((t["initial_tier"] != t["tier"]) & (t["safety_accident"] == 1)),
        "保护": first((t["initial_tier"] != t["tier"]) & (t["newly_above"] == 1)),
        "规下": first(t["population"] == "below"),
        "负分": first(t["total_score"] < 0),
        "长名称": str(t["name"].str.len().idxmax()),
        "免评": first(t["status"] == "exempt"),
    }
    keys = [k for k in kinds.values() if k]
    batch = write_letters(r, out / "告知书", settings, keys=keys, notices=True, workers=1,
                          combined_path=out / "告知书合订本.pdf")
    for p in batch:
        print(f"{p.name}: {len(PdfReader(str(p)).pages)} 页")
    book = write_workbook(r, out / "分类名单.xlsx", settings)
    write_summary_pdf(r, out / "汇总报告.pdf", settings)
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice:
        subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(out), str(book)], check=True,
                       capture_output=True)
        print(f"分类名单已经 LibreOffice 打印为 {out / '分类名单.pdf'}")
    else:
        print("未安装 LibreOffice（Debian：apt-get install libreoffice-calc），分类名单未打印")
    if shutil.which("pdftoppm"):
        png = out / "png"
        png.mkdir(exist_ok=True)
        for pdf in [*batch, out / "汇总报告.pdf", out / "分类名单.pdf"]:
            if Path(pdf).exists():
                subprocess.run(["pdftoppm", "-r", "70", "-png", str(pdf), str(png / Path(pdf).stem)], check=True)
        print(f"页面图像：{png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
