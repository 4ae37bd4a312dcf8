#!/usr/bin/env bash
# Installs what archy and its tests need on a Debian machine, skipping what is
# already there: podman, runc, busybox-static, docker-registry and prometheus from Debian, Debian's chromium
# for the status page's browser tests (driven by playwright-core, which never
# downloads a browser of its own), then the Node packages of the workspace
# through the pinned pnpm.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v podman >/dev/null 2>&1 || need+=(podman)
command -v runc >/dev/null 2>&1 || need+=(runc)
[ -x /bin/busybox ] || need+=(busybox-static)
# The distribution registry the update tests push to and check against.
[ -x /usr/bin/docker-registry ] || need+=(docker-registry)
# Without recommends: chromium (chromium-sandbox: the tests start it with --no-sandbox),
# prometheus (its node exporter): promtool checks /metrics and the server scrapes a daemon.
lean=()
[ -x /usr/bin/chromium ] || lean+=(chromium)
[ -x /usr/bin/promtool ] || lean+=(prometheus)
if [ "${#need[@]}" -gt 0 ] || [ "${#lean[@]}" -gt 0 ]; then
  echo "setup: installing ${need[*]} ${lean[*]} from Debian" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  if [ "${#need[@]}" -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
  fi
  if [ "${#lean[@]}" -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
      "${lean[@]}" >/dev/null
  fi
fi

# Registry signatures are not served here, so corepack's key check is off;
# the pnpm version is pinned by package.json's packageManager.
export COREPACK_INTEGRITY_KEYS=0
PNPM_VERSION=$(node -p 'require("./package.json").packageManager.split("@")[1]')
npx -y "pnpm@${PNPM_VERSION}" install --frozen-lockfile --reporter=append-only >&2

# podman 5 and the booted box (scripts/test.sh steps 2 and 3): a Debian 13 root,
# built once and kept under /var/cache/archy-hosts (about 2 minutes the first time).
if [ -z "${ARCHY_SKIP_HOSTS:-}" ]; then
  bash scripts/hosts/trixie-root.sh >/dev/null
fi
