#!/usr/bin/env bash
# The quick-start commands of the README, on a fresh clone:
#   npm start   installs dependencies if needed, builds, and runs a development instance
#               in .dev-instance/ (created on first run, with a development owner account
#               for /mod) — it prints the URL and how to sign in.
#   npm stop    stops that instance (from the clone, or another terminal).
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

DEV_DIR="${STRANGERCHAT_DIR:-.dev-instance}"
# The development owner: a throwaway account of a throwaway instance on 127.0.0.1, with its
# password in a file of the instance (mode 0600) so every `npm start` can say how to sign in.
DEV_OWNER=dev
DEV_PASSWORD_FILE="$DEV_DIR/dev-owner-password"

ensure_dev_instance() {
  if [ ! -e "$DEV_DIR/strangerchat.json" ]; then
    # A folder with something else in it is left to start, which says what is wrong.
    if [ -e "$DEV_DIR" ] && [ -n "$(ls -A "$DEV_DIR")" ]; then return 0; fi
    local password log
    password="$(node -e 'process.stdout.write(require("node:crypto").randomBytes(18).toString("base64url"))')"
    log="$(mktemp)"
    if ! printf '%s\n' "$password" | node bin/strangerchat.js init "$DEV_DIR" --yes --name "strangerchat (development)" \
      --owner "$DEV_OWNER" --password-stdin >"$log" 2>&1; then
      cat "$log" >&2
      rm -f "$log"
      return 1
    fi
    rm -f "$log"
    (umask 077 && printf '%s\n' "$password" >"$DEV_PASSWORD_FILE")
    echo "strangerchat: created the development instance $DEV_DIR with the owner account $DEV_OWNER" >&2
  fi
  if [ -f "$DEV_PASSWORD_FILE" ]; then
    echo "strangerchat: moderation pages: <the URL below>/mod, as $DEV_OWNER with the password $(cat "$DEV_PASSWORD_FILE") (also in $DEV_PASSWORD_FILE)" >&2
  else
    echo "strangerchat: $DEV_DIR has no development owner; add one: node bin/strangerchat.js mod add $DEV_OWNER --role owner -C $DEV_DIR" >&2
  fi
}

command="${1:-}"
shift || true
case "$command" in
  start)
    ensure_dependencies
    scripts/build.sh >&2
    ensure_dev_instance
    exec node bin/strangerchat.js start --dir "$DEV_DIR" "$@"
    ;;
  instance)
    # What start does before serving, alone (tests, or to see the sign-in again); needs a build.
    ensure_dev_instance
    ;;
  stop)
    # Built by the start it stops; nothing to install or build.
    exec node bin/strangerchat.js stop --dir "$DEV_DIR" "$@"
    ;;
  test)
    ensure_dependencies
    scripts/build.sh >&2
    exec node scripts/run-tests.ts "$@"
    ;;
  *)
    echo "usage: scripts/dev.sh start|stop|instance|test [args…]" >&2
    exit 2
    ;;
esac
