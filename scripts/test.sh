#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds every package, checks
# types, lint and the published shape, then runs
#   1. the unit tests and the real-podman integration and end-to-end tests on
#      this host's podman (Debian 12: 4.3.1);
#   2. the same integration tests, and the podman5 project (Quadlet's generator,
#      systemd-analyze), inside a Debian 13 root with podman 5
#      (scripts/hosts/in-root.sh; the browser tests need Debian 12's chromium and
#      the downstream smoke test the npm registry, so those two stay on step 1);
#   3. the box project: archy as a systemd service in a booted systemd box.
# ARCHY_SKIP_HOSTS=1 skips steps 2 and 3 on a developer's machine; under CI it is
# refused. The last line is the sum of all steps: "tests: N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${ARCHY_SKIP_HOSTS:-}" ] && [ -n "${CI:-}" ]; then
  echo "test.sh: ARCHY_SKIP_HOSTS is refused under CI: podman 5 and the box must run" >&2
  exit 2
fi
bash scripts/setup.sh
pnpm() { bash "$PWD/scripts/pnpm.sh" "$@"; }
pnpm exec turbo run build publint //#lint
pnpm run typecheck
reports="$(mktemp -d "$PWD/.test-reports.XXXXXX")"
trap 'rm -rf "$reports"' EXIT
status=0
ran=()
run() {
  local name="$1"
  shift
  ran+=("$reports/$name.json")
  echo "== $name" >&2
  "$@" --reporter=default --reporter=json --outputFile.json="$reports/$name.json" || status=1
}
vitest=(node node_modules/vitest/vitest.mjs run)
run podman4 "${vitest[@]}" --project unit --project integration
if [ -z "${ARCHY_SKIP_HOSTS:-}" ]; then
  run podman5 bash scripts/hosts/in-root.sh "${vitest[@]}" --project integration --project podman5
  run box "${vitest[@]}" --project box
else
  echo "test.sh: ARCHY_SKIP_HOSTS is set: podman 5 and the box were not run" >&2
fi
node scripts/summary.mjs "${ran[@]}"
exit "$status"
