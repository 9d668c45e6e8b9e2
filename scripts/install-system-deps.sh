#!/usr/bin/env bash
# Installs the Debian packages the test suites drive, only when they are missing:
#   coturn      the TURN relay that test/e2e/turn-relay.test.ts starts on loopback
#   chromium    the browser the browser tests drive through playwright-core
#   postgresql  initdb and pg_ctl for the throwaway clusters of test/integration/postgres-*.test.ts
#   redis-server  the private Redis of the cluster tests (test/helpers/redis.ts), on a unix socket
# Idempotent and non-interactive: safe to run on every CI job (as root, no stdin) and on a
# contributor's machine (through sudo). The tests start their own turnserver and their own
# PostgreSQL cluster on free ports, so a coturn or postgresql installed here must not leave
# Debian's system daemon running: it is kept from starting while the package installs, and
# stopped and disabled if it started anyway.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

PACKAGES=(coturn chromium postgresql redis-server)

if [ "$(id -u)" -eq 0 ]; then
  as_root() { "$@"; }
elif command -v sudo >/dev/null 2>&1; then
  # -n: never wait for a password on a stdin that CI does not have.
  as_root() { sudo -n DEBIAN_FRONTEND=noninteractive "$@"; }
else
  echo "install-system-deps: run as root (or install sudo) to install: ${PACKAGES[*]}" >&2
  exit 1
fi

is_installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = 'install ok installed' ]
}

missing=()
for package in "${PACKAGES[@]}"; do
  is_installed "$package" || missing+=("$package")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-system-deps: already installed: ${PACKAGES[*]}" >&2
  exit 0
fi

# Debian starts a package's service on install unless policy-rc.d says no (exit 101). Add one for
# the duration of the install when the machine has none (Docker images usually already do).
policy=/usr/sbin/policy-rc.d
added_policy=false
if [ ! -e "$policy" ]; then
  as_root sh -c "printf '#!/bin/sh\n# added by strangerchat install-system-deps.sh; removed when it ends\nexit 101\n' > $policy && chmod 755 $policy"
  added_policy=true
fi
cleanup() {
  if [ "$added_policy" = true ]; then as_root rm -f "$policy"; fi
}
trap cleanup EXIT

echo "install-system-deps: installing ${missing[*]}" >&2
as_root apt-get update -q
as_root apt-get install -y -q --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
  "${missing[@]}" </dev/null

# Stops and disables a system service this run installed, whichever init system is present.
stop_service() {
  if [ -d /run/systemd/system ]; then
    as_root systemctl disable --now "$1.service" >/dev/null 2>&1 || true
  elif command -v service >/dev/null 2>&1; then
    as_root service "$1" stop >/dev/null 2>&1 || true
  fi
  if command -v update-rc.d >/dev/null 2>&1 && [ ! -d /run/systemd/system ]; then
    as_root update-rc.d "$1" disable >/dev/null 2>&1 || true
  fi
}

# A system turnserver would hold port 3478 and a system PostgreSQL port 5432, each with Debian's
# configuration, and a system redis-server port 6379 with persistence on: the tests need none of them.
if [[ " ${missing[*]} " == *" coturn "* ]]; then stop_service coturn; fi
if [[ " ${missing[*]} " == *" postgresql "* ]]; then stop_service postgresql; fi
if [[ " ${missing[*]} " == *" redis-server "* ]]; then stop_service redis-server; fi

for package in "${PACKAGES[@]}"; do
  is_installed "$package" || { echo "install-system-deps: $package failed to install" >&2; exit 1; }
done
command -v turnserver >/dev/null 2>&1 || { echo "install-system-deps: turnserver is not on PATH after installing coturn" >&2; exit 1; }
# The tests run initdb and pg_ctl from Debian's versioned folder (they are not on PATH).
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || { echo "install-system-deps: no /usr/lib/postgresql/*/bin/initdb after installing postgresql" >&2; exit 1; }
command -v redis-server >/dev/null 2>&1 || { echo "install-system-deps: redis-server is not on PATH after installing redis-server" >&2; exit 1; }
echo "install-system-deps: installed ${missing[*]}" >&2
