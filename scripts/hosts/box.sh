#!/usr/bin/env bash
# A booted systemd "box" on this host: a copy of the Debian 13 root
# (trixie-root.sh) booted by Debian 12's systemd-nspawn (unpacked, never
# installed) with systemd 257 as PID 1, podman 5, crun, no network but its own
# loopback. ../shared/HOSTS-TESTING.md has the facts this encodes.
#
#   box.sh create NAME        copy the root into $ARCHY_HOSTS_DIR/boxes/NAME, print its path
#   box.sh boot NAME          boot it in the background; a reboot inside boots it again
#   box.sh wait NAME [S]      wait until its systemd is up (running or degraded), S seconds at most
#   box.sh pid1 NAME          its PID 1 as this host sees it
#   box.sh exec NAME CMD...   run CMD inside it (all its namespaces, its cgroup), as root
#   box.sh poweroff NAME      power it off (SIGTERM to nspawn) and wait
#   box.sh destroy NAME       power off, remove the copy and its cgroups
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${ARCHY_HOSTS_DIR:-/var/cache/archy-hosts}"
cmd="${1:?usage: box.sh create|boot|wait|pid1|exec|poweroff|destroy NAME}"
name="${2:?box name}"
[[ "$name" =~ ^[a-z0-9-]{1,20}$ ]] || { echo "box.sh: bad name $name" >&2; exit 2; }
shift 2
box="$cache/boxes/$name"
state="$cache/boxes/$name.state"
cg_unified="/sys/fs/cgroup/unified/box-$name"
cg_systemd="/sys/fs/cgroup/systemd/box-$name"

# Debian 12's systemd-nspawn and the libraries it needs, unpacked once.
nspawn_dir() {
  local dir="$cache/nspawn"
  if [ ! -x "$dir/usr/bin/systemd-nspawn" ]; then
    local tmp
    tmp="$(mktemp -d)"
    (cd "$tmp" && { apt-get download systemd-container systemd libsystemd-shared >/dev/null 2>&1 ||
      { apt-get update -qq && apt-get download systemd-container systemd libsystemd-shared >/dev/null; }; })
    mkdir -p "$dir.new"
    for f in "$tmp"/*.deb; do dpkg -x "$f" "$dir.new"; done
    rm -rf "$tmp" "$dir"
    mv "$dir.new" "$dir"
  fi
  echo "$dir"
}

pid1() {
  local procs="$cg_unified/payload/init.scope/cgroup.procs"
  [ -r "$procs" ] && head -n 1 "$procs"
}

case "$cmd" in
create)
  root="$(bash "$here/trixie-root.sh")"
  nspawn_dir >/dev/null
  rm -rf "$box" "$state"
  mkdir -p "$cache/boxes" "$state"
  cp -a --reflink=auto "$root" "$box"
  echo "$name" >"$box/etc/hostname"
  # No cgroup controllers inside (the host binds them all to v1): no pids limit, no resource
  # limits; the host's hard nofile limit (20000) is below podman's default.
  mkdir -p "$box/etc/containers"
  cat >"$box/etc/containers/containers.conf" <<'CONF'
[containers]
pids_limit = 0
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

[engine]
cgroup_manager = "systemd"
events_logger = "journald"
CONF
  # pasta (rootless networking) opens /dev/net/tun, 0600 in the box.
  echo 'z /dev/net/tun 0666 - - -' >"$box/etc/tmpfiles.d/archy-box-tun.conf"
  echo "$box"
  ;;
boot)
  [ -d "$box" ] || { echo "box.sh: no box $name (create it first)" >&2; exit 2; }
  nspawn="$(nspawn_dir)"
  mkdir -p "$cg_unified" "$cg_systemd" "$state"
  rm -f "$state/exit"
  (
    echo "$BASHPID" >"$cg_unified/cgroup.procs"
    echo "$BASHPID" >"$cg_systemd/cgroup.procs"
    boots=0
    while true; do
      boots=$((boots + 1))
      echo "$boots $(date +%s.%N)" >>"$state/boots"
      rc=0
      SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 SYSTEMD_SECCOMP=0 \
        LD_LIBRARY_PATH="$nspawn/usr/lib/x86_64-linux-gnu/systemd" \
        "$nspawn/usr/bin/systemd-nspawn" -q -D "$box" -M "$name" --register=no --keep-unit \
        --private-network --capability=all --console=read-only -b </dev/null || rc=$?
      # 133: `systemctl reboot` inside; boot it again, as systemd-nspawn@.service does.
      [ "$rc" -eq 133 ] || break
    done
    echo "$rc" >"$state/exit"
  ) >>"$state/console.log" 2>&1 &
  echo $! >"$state/loop.pid"
  ;;
wait)
  limit="${1:-60}"
  deadline=$(($(date +%s) + limit))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    if [ -f "$state/exit" ]; then
      echo "box.sh: box $name exited ($(cat "$state/exit")); console:" >&2
      tail -n 30 "$state/console.log" >&2
      exit 1
    fi
    if p="$(pid1)" && [ -n "$p" ]; then
      s="$(bash "$0" exec "$name" systemctl is-system-running 2>/dev/null || true)"
      case "$s" in running | degraded) exit 0 ;; esac
    fi
    sleep 0.2
  done
  echo "box.sh: box $name not up after ${limit}s; console:" >&2
  tail -n 30 "$state/console.log" >&2
  exit 1
  ;;
pid1)
  pid1
  ;;
exec)
  p="$(pid1)" || { echo "box.sh: box $name is not running" >&2; exit 2; }
  [ -n "$p" ] || { echo "box.sh: box $name is not running" >&2; exit 2; }
  # logind (linger, user sessions) refuses callers from outside the box's cgroup.
  echo "$$" >"$cg_unified/payload/cgroup.procs"
  exec nsenter -t "$p" -a -- /usr/bin/env -i \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"
  ;;
poweroff)
  if [ -f "$state/loop.pid" ] && kill -0 "$(cat "$state/loop.pid")" 2>/dev/null; then
    pkill -TERM -P "$(cat "$state/loop.pid")" -f systemd-nspawn || true
    for _ in $(seq 1 300); do
      kill -0 "$(cat "$state/loop.pid")" 2>/dev/null || break
      sleep 0.1
    done
  fi
  ;;
destroy)
  bash "$0" poweroff "$name"
  rm -rf "$box" "$state"
  for cg in "$cg_unified" "$cg_systemd"; do
    [ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
    [ ! -d "$cg" ] || echo "box.sh: could not remove $cg" >&2
  done
  ;;
*)
  echo "box.sh: unknown command $cmd" >&2
  exit 2
  ;;
esac
