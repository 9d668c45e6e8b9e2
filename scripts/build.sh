#!/usr/bin/env bash
# Builds what the package ships: the server, CLI and migrations into dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf dist
npx tsc -p tsconfig.build.json
