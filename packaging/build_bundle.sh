#!/usr/bin/env bash
# Build dist/Mujun/ with build_app.spec and prove it works: the bundled CLI evaluates the sample
# county and must write the same JSON as the source tree; the bundled GUI builds its main window
# off screen; no bundled library may miss a dependency (Linux: ldd). Prints the folder's size.
#
#   packaging/build_bundle.sh            # build + checks
#   SKIP_BUILD=1 packaging/build_bundle.sh   # checks only, on an existing dist/Mujun
#
# The same spec builds the Windows folder on Windows (docs/PACKAGING.md); this script is for
# Linux CI and developers, since PyInstaller cannot cross-compile.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DIST="$ROOT/dist/Mujun"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  start=$(date +%s)
  python -m PyInstaller --noconfirm --clean --log-level WARN --distpath "$ROOT/dist" --workpath "$ROOT/build" build_app.spec
  echo "build: $(( $(date +%s) - start )) s"
fi

SAMPLE=(sample_data/统计局_工业企业主要指标.xlsx sample_data/税务局_实缴税金.xls sample_data/自然资源局_工业用地.xlsx
        sample_data/供电公司_用电量.csv sample_data/工信局_企业认定名单.xlsx)
export MUJUN_CONFIG_DIR="$WORK/config"

# 1. The bundled CLI, run from outside the repository so it can only use what the bundle holds.
(cd "$WORK" && "$DIST/mujun-cli" schemes >/dev/null)
(cd "$WORK" && for f in "${SAMPLE[@]}"; do cp "$ROOT/$f" .; done \
   && "$DIST/mujun-cli" evaluate $(for f in "${SAMPLE[@]}"; do basename "$f"; done) --year 2025 \
        --json bundle.json --project bundle.mujun --issues none \
   && "$DIST/mujun-cli" report bundle.mujun --json report.json >/dev/null \
   && "$DIST/mujun-cli" audit bundle.mujun --xlsx audit.xlsx >/dev/null)
python -m evaluator evaluate "${SAMPLE[@]}" --year 2025 --json "$WORK/source.json" --issues none >/dev/null
cmp "$WORK/bundle.json" "$WORK/source.json" && echo "bundled CLI: same JSON as the source tree"
cmp "$WORK/bundle.json" "$WORK/report.json" && echo "bundled CLI: report JSON equals evaluation JSON"

# 2. The bundled GUI builds its main window off screen (skipped when ui/ was not bundled).
if [ -x "$DIST/Mujun" ]; then
  QT_QPA_PLATFORM=offscreen "$DIST/Mujun" --self-test
else
  echo "GUI not bundled (ui/app.py missing at build time)"
fi

# 3. No bundled shared library misses a dependency (the Qt filtering in the spec must not cut too deep).
if command -v ldd >/dev/null; then
  missing=$(find "$DIST" -name '*.so*' -type f -print0 | xargs -0 -n 50 ldd 2>/dev/null | grep 'not found' | sort -u || true)
  if [ -n "$missing" ]; then echo "libraries with unresolved dependencies:"; echo "$missing"; exit 1; fi
  echo "bundled libraries: every dependency resolves"
fi

du -sh "$DIST"
