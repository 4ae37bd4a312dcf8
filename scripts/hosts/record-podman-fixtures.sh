#!/usr/bin/env bash
# Records what a podman prints for the runtime's parsers, into
# packages/runtime-podman/src/fixtures/podman-<version>/: ps, inspect (with and
# without a health check, running and exited), images, version, and the events
# of a life (create, start, health_status, died with 0 and non-zero, remove).
# Run it on this host (podman 4.3) or inside the Debian 13 root (podman 5):
#   bash scripts/hosts/in-root.sh bash scripts/hosts/record-podman-fixtures.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
d="$(mktemp -d)"
trap 'podman --root "$d/root" --runroot "$d/run" rm -af -t0 >/dev/null 2>&1; rm -rf "$d"' EXIT
cat >"$d/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$d/events.log"
tmp_dir = "$d/tmp"
lock_type = "file"
CONF
export CONTAINERS_CONF="$d/containers.conf" PODMAN_IGNORE_CGROUPSV1_WARNING=1
p() { podman --root "$d/root" --runroot "$d/run" "$@"; }
mkdir -p "$d/ctx/bin"
cp /bin/busybox "$d/ctx/bin/busybox"
for a in sh sleep true false wget httpd; do ln -s busybox "$d/ctx/bin/$a"; done
printf 'FROM scratch\nCOPY bin /bin\n' >"$d/ctx/Containerfile"
p build -q -t localhost/fixture:1 "$d/ctx" >/dev/null
version="$(p version --format '{{.Client.Version}}')"
out="packages/runtime-podman/src/fixtures/podman-$version"
if [ -e "$out" ] && [ "${1:-}" != "--force" ]; then
  echo "record-podman-fixtures.sh: $out exists (tests read it); --force to record it again" >&2
  exit 2
fi
mkdir -p "$out"

p create --name web --label io.archy.app=web -p 127.0.0.1:18080:8080 \
  --health-cmd '["true"]' --health-interval disable localhost/fixture:1 sleep 600 >/dev/null
p start web >/dev/null
p healthcheck run web
p run -d --name plain --label io.archy.app=plain localhost/fixture:1 sleep 600 >/dev/null
p run --name ok localhost/fixture:1 true
rc=0
p run --name bad --label io.archy.app=bad localhost/fixture:1 sh -c 'exit 3' || rc=$?
[ "$rc" -eq 3 ]
p kill plain >/dev/null
sleep 1
p rm ok >/dev/null
p ps -a --format json >"$out/ps.json"
p inspect web plain >"$out/inspect.json"
p inspect bad >"$out/inspect-stopped.json"
p images --format json >"$out/images.json"
p version --format json >"$out/version.json"
p events --stream=false --format json >"$out/events.jsonl"
echo "$out"
