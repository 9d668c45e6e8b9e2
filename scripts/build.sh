#!/usr/bin/env bash
# Builds what the package ships: the server, CLI and migrations into dist/, then the web site
# (Astro, static) into dist/web, which the server serves. The CLI and the migrations are then
# bundled in place (scripts/bundle.ts): what `strangerchat` runs is dist/cli/main.js and its
# chunks; dist/server stays as tsc writes it, the package's library export.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf dist
npx tsc -p tsconfig.build.json
node scripts/bundle.ts
# No telemetry from the build machine; the site itself has no trackers either.
ASTRO_TELEMETRY_DISABLED=1 npx astro build --root web
