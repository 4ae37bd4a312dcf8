#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds every package, checks
# types, lint and the published shape, then runs the unit and real-podman tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
pnpm() { bash "$PWD/scripts/pnpm.sh" "$@"; }
pnpm exec turbo run build publint //#lint
pnpm run typecheck
report=$(mktemp)
status=0
pnpm exec vitest run --reporter=default --reporter=json --outputFile.json="$report" || status=$?
node scripts/summary.mjs "$report"
rm -f "$report"
exit "$status"
