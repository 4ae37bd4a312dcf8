#!/usr/bin/env bash
# Runs a command inside the Debian 13 root with podman 5 (trixie-root.sh builds
# it once), the way ../shared/HOSTS-TESTING.md says podman 5 runs on this
# host: private mount and network namespaces (loopback only; its netavark rules
# and bridges never reach the host), the root bind-mounted onto itself (podman's
# storage needs / to be a mount point) and made the root by pivot_root, its own /tmp, /run and /dev/shm, and
# this checkout bind-mounted at the same path. Nothing of the host is changed.
#
#   bash scripts/hosts/in-root.sh [--bind DIR]... CMD [ARG...]
#
# The environment inside is clean but for CI, TERM and ARCHY_* variables.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
checkout="$(cd "$here/../.." && pwd)"
if [ "${1:-}" != "--inside" ]; then
  root="$(bash "$here/trixie-root.sh")"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  exec $sudo unshare --mount --net --fork --propagation private -- \
    bash "$0" --inside "$root" "$checkout" "$PWD" "$@"
fi
shift
root="$1" checkout="$2" cwd="$3"
shift 3
binds=("$checkout")
while [ "${1:-}" = "--bind" ]; do
  binds+=("$2")
  shift 2
done
[ "$#" -gt 0 ] || { echo "in-root.sh: no command" >&2; exit 2; }

mount --bind "$root" "$root"
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --rbind /dev "$root/dev"
mount -t tmpfs -o mode=1777 tmpfs "$root/dev/shm"
mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
mount -t tmpfs -o mode=0755 tmpfs "$root/run"
mount -t tmpfs -o mode=0700 tmpfs "$root/var/lib/containers" 2>/dev/null ||
  { mkdir -p "$root/var/lib/containers" && mount -t tmpfs -o mode=0700 tmpfs "$root/var/lib/containers"; }
for dir in "${binds[@]}"; do
  mkdir -p "$root$dir"
  mount --bind "$dir" "$root$dir"
done
ip link set lo up

# ARCHY_HOST tells the tests where they run (vitest.config.ts leaves out what needs this host).
env=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
  ARCHY_HOST=trixie-root)
while IFS='=' read -r name value; do
  case "$name" in CI | TERM | ARCHY_*) env+=("$name=$value") ;; esac
done < <(env)
# pivot_root, not chroot: a container's mount namespace is a copy of this one, and
# after a chroot its root mount stays the host's, so `podman exec` (runc joins the
# container's namespace and lands at that root) ran in the host's file system.
mkdir -p "$root/.host"
cd "$root"
pivot_root . .host
umount -l /.host
exec /usr/bin/env -i "${env[@]}" sh -c 'cd "$0" 2>/dev/null || cd /; exec "$@"' "$cwd" "$@"
