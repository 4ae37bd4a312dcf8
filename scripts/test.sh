#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds every package, checks
# types and lint, then runs the unit and the real-podman tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
pnpm() { bash "$PWD/scripts/pnpm.sh" "$@"; }
pnpm run build
pnpm run typecheck
pnpm run lint
pnpm run publint
report=$(mktemp)
status=0
pnpm exec vitest run --reporter=default --reporter=json --outputFile.json="$report" || status=$?
node scripts/summary.mjs "$report"
rm -f "$report"
exit "$status"
