# strangerchat from this repository, in a container.
#
#   docker build -t strangerchat .
#   docker run -d --name chat -p 8080:8080 -v chat-data:/data strangerchat
#
# The instance lives in the volume /data: the first start in an empty volume creates a default
# instance there (strangerchat.json, .env with generated secrets, rules.md, data/). Run commands
# against it with `docker exec chat strangerchat <command>` (e.g. `mod add`, `doctor`).
# To deploy a published version with Caddy (HTTPS) and coturn (TURN), use
# `strangerchat deploy docker` instead: it renders a Dockerfile and a docker-compose.yml.

# --- Build: compile the server, CLI and migrations, build the site, keep production deps ----
FROM node:24-bookworm-slim AS build
WORKDIR /src
# Dependencies first, so editing a source file does not reinstall them.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# scripts/toolchain.sh finds this image's Node 24 and uses it; ASTRO_TELEMETRY_DISABLED is set by build.sh.
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# --- Runtime: what the npm package ships, and nothing to build with ---------------------------
FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    STRANGERCHAT_DIR=/data
WORKDIR /app
COPY --from=build /src/package.json /src/README.md /src/LICENSE ./
COPY --from=build /src/bin ./bin
COPY --from=build /src/dist ./dist
COPY --from=build /src/templates ./templates
COPY --from=build /src/node_modules ./node_modules
# `strangerchat` on PATH for `docker exec`; /data owned by the unprivileged user of the node
# image (uid 1000), so a new named volume is writable by it. A bind mount must be too:
# sudo chown -R 1000:1000 <folder>.
RUN chmod 755 bin/strangerchat.js \
 && ln -s /app/bin/strangerchat.js /usr/local/bin/strangerchat \
 && mkdir -p /data \
 && chown node:node /data
USER node
VOLUME /data
EXPOSE 8080
# /healthz answers 200 while the database answers. The slim image has no curl: Node's fetch does it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.STRANGERCHAT_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# docker stop sends SIGTERM: strangerchat tells every client it is going away (1001), then exits.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/app/bin/strangerchat.js"]
# Listen on every interface of the container (the default instance listens on 127.0.0.1 only).
CMD ["start", "--host", "0.0.0.0"]
