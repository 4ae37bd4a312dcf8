#!/usr/bin/env bash
# Runs the pnpm pinned in the root package.json's packageManager, in the current folder.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version=$(node -p "require('$root/package.json').packageManager.split('@')[1]")
exec npx -y "pnpm@${version}" "$@"
