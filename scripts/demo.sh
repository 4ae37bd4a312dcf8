#!/usr/bin/env bash
# The README's first command: takes a fresh Debian machine with Node 20 to the
# example stack running under the archy daemon, shows `archy ps`, and says
# what to try next. Everything lives in .archy-demo/ (its own podman store).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bash scripts/setup.sh
bash scripts/pnpm.sh run build >/dev/null
mkdir -p .archy-demo
env_text=$(bash scripts/pnpm.sh exec tsx scripts/demo-env.ts)
eval "$env_text"

if ! archy status --json >/dev/null 2>&1 || ! archy status --json 2>/dev/null | grep -q '"pid"'; then
  echo "starting the archy daemon (log: .archy-demo/daemon.log)" >&2
  # The status page on loopback (ARCHY_DEMO_HTTP picks another address).
  nohup node "$root/packages/cli/bin/archy.js" daemon --http "${ARCHY_DEMO_HTTP:-127.0.0.1:7777}" \
    >>.archy-demo/daemon.log 2>&1 &
  for _ in $(seq 1 100); do [ -S "$ARCHY_STATE_DIR/archy.sock" ] && break; sleep 0.1; done
fi

archy up
echo
archy ps
# A daemon started earlier without --http serves no page: say how instead.
dashboard="start the daemon with --http ADDR to serve it"
if url=$(archy dashboard --no-open 2>/dev/null); then dashboard=$url; fi
cat <<TXT

The example stack runs under the archy daemon (PID $(archy status --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).daemon.pid))')).
The status page: $dashboard
  (open it in a browser on this machine, or through an SSH tunnel: ssh -L 7777:127.0.0.1:7777 HOST)
Try next, in this shell after:  source .archy-demo/env

  archy dashboard                  # the status page's address with its access token
  archy stop clock                 # stays stopped, across daemon restarts too, until:
  archy start clock
  archy events                     # every state change, live (Ctrl-C to leave)
  podman \$ARCHY_PODMAN_ARGS kill archy-web     # and watch it come back within a second or two
  kill -9 \$(pgrep -f "archy.js daemon"); podman \$ARCHY_PODMAN_ARGS stop -a
  node packages/cli/bin/archy.js daemon --http 127.0.0.1:7777 &   # recovery brings back what was running
  archy status                     # shows the recovery report
  curl http://127.0.0.1:18080/ http://127.0.0.1:18081/ http://127.0.0.1:18082/

Stop the demo: kill \$(pgrep -f "archy.js daemon"); podman \$ARCHY_PODMAN_ARGS rm -af
TXT
