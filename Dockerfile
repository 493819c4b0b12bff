# syntax=docker/dockerfile:1.7
# signalbase daemon image. Build: docker build -t signalbase .
# Run:   docker run -p 8787:8787 -e DATABASE_URL=postgres://... signalbase
#
# Stage 1 installs production dependencies including the optional @tensorflow/tfjs-node, whose
# install step downloads libtensorflow (reachable from a normal build network, not from CI here).
FROM node:20-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# --include=optional keeps tfjs-node; the require() proves the native binding loads in this image,
# so a broken download fails the build instead of silently falling back to wasm at run time.
RUN npm ci --omit=dev --include=optional --no-audit --no-fund \
 && node -e "require('@tensorflow/tfjs-node'); console.log('tfjs-node loads')" \
 && npm cache clean --force

# Stage 2: the runtime. No compilers, non-root, only what the daemon reads.
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    SIGNALBASE_DATA_DIR=/var/lib/signalbase \
    PORT=8787
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --chown=node:node package.json ./
COPY --chown=node:node bin ./bin
COPY --chown=node:node src ./src
COPY --chown=node:node sql ./sql
COPY --chown=node:node data/sample ./data/sample
RUN mkdir -p /var/lib/signalbase && chown node:node /var/lib/signalbase
USER node
VOLUME ["/var/lib/signalbase"]
EXPOSE 8787
# /healthz answers 200 while the process runs; /readyz is for load balancers.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8787)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The daemon handles SIGTERM itself: stops the feed, finishes the tick, flushes the outbox,
# closes websocket clients with 1001 and exits 0 within its deadline.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/signalbase.js"]
CMD ["run"]
