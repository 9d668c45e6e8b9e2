#!/usr/bin/env bash
# Builds what the package ships: the server, CLI and migrations into dist/, then the web site
# (Astro, static) into dist/web, which the server serves.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf dist
npx tsc -p tsconfig.build.json
# No telemetry from the build machine; the site itself has no trackers either.
ASTRO_TELEMETRY_DISABLED=1 npx astro build --root web
