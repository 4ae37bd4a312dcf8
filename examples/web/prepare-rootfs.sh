#!/bin/sh
# Pre-start hook of the web app: puts the host's static busybox into the build
# context, once. Needs busybox-static (scripts/setup.sh installs it).
set -eu
cd "$(dirname "$0")"
[ -x rootfs/bin/busybox ] && exit 0
mkdir -p rootfs/bin rootfs/tmp
cp /bin/busybox rootfs/bin/busybox
for applet in sh sleep httpd wget cat echo date mkdir ls rm true false; do
  ln -sf busybox "rootfs/bin/$applet"
done
