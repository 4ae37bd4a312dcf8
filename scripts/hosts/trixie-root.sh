#!/usr/bin/env bash
# Builds (once) a Debian 13 "trixie" root with podman 5, its Quadlet generator,
# systemd, crun/runc, pasta, Node 20, the distribution registry and prometheus, from Debian's packages only. Printed on
# stdout: the root's path. Kept under ARCHY_HOSTS_DIR (default
# /var/cache/archy-hosts) and rebuilt when this recipe changes (the stamp holds
# package list). configure() runs each time: cheap, idempotent settings. About 3 minutes and 1.2 GB the first time; nothing on the
# host is installed but debootstrap. See ../shared/HOSTS-TESTING.md.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${ARCHY_HOSTS_DIR:-/var/cache/archy-hosts}"
root="$cache/trixie"
mirror="${ARCHY_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
packages=(
  podman crun runc conmon netavark aardvark-dns passt uidmap catatonit
  busybox-static nodejs systemd systemd-sysv dbus dbus-user-session libpam-systemd
  iproute2 nftables procps curl wget python3 ca-certificates docker-registry prometheus
)
stamp_want="$(echo "trixie $mirror ${packages[*]}" | sha256sum | cut -c1-16)"

# What debootstrap's minbase leaves out and the tests need.
configure() {
  [ -s "$root/etc/hosts" ] || printf '127.0.0.1 localhost\n::1 localhost ip6-localhost\n' >"$root/etc/hosts"
}

fresh() { [ -f "$root/.archy-stamp" ] && [ "$(cat "$root/.archy-stamp")" = "$stamp_want" ]; }
if fresh; then
  configure
  echo "$root"
  exit 0
fi

# One build at a time: a second caller waits for the first, then finds it fresh.
mkdir -p "$cache"
exec 9>"$cache/.trixie.lock"
flock 9
if fresh; then
  configure
  echo "$root"
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if ! command -v debootstrap >/dev/null 2>&1; then
  echo "hosts: installing debootstrap from Debian" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq debootstrap >/dev/null
fi

echo "hosts: building a Debian 13 root with podman 5 in $root (about 3 minutes, once)" >&2
$sudo mkdir -p "$cache"
$sudo rm -rf "$root.new"
include=$(IFS=,; echo "${packages[*]}")
# The mirror sometimes answers a Packages file it is updating with an error: try again.
for attempt in 1 2 3; do
  $sudo rm -rf "$root.new"
  if $sudo debootstrap --variant=minbase --include="$include" trixie "$root.new" "$mirror" >&2; then
    break
  fi
  [ "$attempt" -lt 3 ] || { echo "hosts: debootstrap failed 3 times" >&2; exit 1; }
  sleep 10
done
$sudo rm -rf "$root.new/var/cache/apt/archives/"*.deb "$root.new/var/lib/apt/lists/"*
echo "$stamp_want" | $sudo tee "$root.new/.archy-stamp" >/dev/null
$sudo rm -rf "$root"
$sudo mv "$root.new" "$root"
configure
echo "$root"
