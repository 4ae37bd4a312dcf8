#!/bin/sh
# Pre-start hook of the greeter app: renders its page from the manifest's env.
# When the text changes, the config hash changes and archy recreates the app.
set -eu
cd "$(dirname "$0")"
mkdir -p conf
printf '<p>%s, %s!</p>\n' "${GREETING:-Hello}" "${NAME:-world}" > conf/index.html.tmp
mv conf/index.html.tmp conf/index.html
