"""汇总与图表 at county scale: building the summary panel (figures and charts) for 100,000 firms.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_summary.py [--n 100000]

Times, on a synthetic result (`bench_gui_table.synthetic_result`) with a synthetic prior year:
the figures behind the charts (score bands, cut lines, transitions), `summarise` over a filtered
half (what a filter costs), and `SummaryPanel.set_result` for all firms and for the half, then one
paint of every chart. Goal: a rebuild well under 0.5 s, so opening the tab or changing a filter
does not feel stuck.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MUJUN_CONFIG_DIR", tempfile.mkdtemp(prefix="mujun-bench-"))

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_gui_table import synthetic_result  # noqa: E402


def best(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    n = ap.parse_args().n
    from ui.app import create_app
    from ui.pages.summary import SummaryPanel, cut_lines, filtered_summary, score_bands, transitions

    app = create_app(["bench"])
    result = synthetic_result(n)
    t = result.table
    rng = np.random.default_rng(3)
    t["prior_tier"] = np.where(t["tier"].notna(), rng.choice(["A", "B", "C", "D"], len(t)), None)
    t["tier_change"] = np.where(t["tier"].notna(), "持平", None)
    half = np.flatnonzero(rng.random(len(t)) < 0.5)
    pops = [(pid, p) for pid, p in result.scheme.populations.items()]
    print(f"{n} firms")
    print(f"  score bands + cut lines + transitions: {best(lambda: [(score_bands(t, pid, list(p.tiers.labels)), cut_lines(t, pid, p.tiers), transitions(t, pid, list(p.tiers.labels))) for pid, p in pops]) * 1000:.0f} ms")
    print(f"  summarise over a filtered half:        {best(lambda: filtered_summary(result, half)) * 1000:.0f} ms")
    panel = SummaryPanel()
    panel.resize(1400, 900)
    panel.show()
    for label, rows in (("all firms", None), ("filtered half", half)):
        def build(rows=rows) -> None:
            panel.set_result(result, rows)
            app.processEvents()
        print(f"  SummaryPanel.set_result ({label}): {best(build) * 1000:.0f} ms")
    charts = [panel.tier_chart, *panel.score_charts.values(), *panel.transition_charts.values(),
              *panel.township_charts.values(), *panel.industry_charts.values()]
    print(f"  paint every chart once ({len(charts)} charts): "
          f"{best(lambda: [c.to_image(700, 400, scale=1) for c in charts]) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
