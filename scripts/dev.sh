#!/usr/bin/env bash
# The two quick-start commands of the README, on a fresh clone:
#   npm start   installs dependencies if needed, builds, and runs a development instance
#               in .dev-instance/ (created on first run) — it prints the URL.
#   npm test    installs dependencies if needed, builds, and runs every test.
# Run through scripts/toolchain.sh, so a Node >= 22.16 is already first on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

ensure_dependencies() {
  # npm ci when node_modules is missing or older than the lockfile.
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "strangerchat: installing dependencies (npm ci)" >&2
    npm ci --no-audit --no-fund >&2
  fi
}

command="${1:-}"
shift || true
case "$command" in
  start)
    ensure_dependencies
    scripts/build.sh >&2
    exec node bin/strangerchat.js start --dir "${STRANGERCHAT_DIR:-.dev-instance}" "$@"
    ;;
  test)
    ensure_dependencies
    scripts/build.sh >&2
    exec node scripts/run-tests.ts "$@"
    ;;
  *)
    echo "usage: scripts/dev.sh start|test [args…]" >&2
    exit 2
    ;;
esac
