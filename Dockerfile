# signalbase daemon image (README "Container"; scripts/container/test.sh builds and runs it in CI).
#   docker build -t signalbase .
#   docker run -d -p 8787:8787 -v signalbase-data:/var/lib/signalbase -e DATABASE_URL=postgres://... signalbase
# Where libtensorflow cannot be downloaded: docker build --build-arg TFJS_NODE=0 -t signalbase .
# (the daemon then runs tfjs on its wasm backend, and ONNX Runtime where a model has model.onnx).
ARG NODE_IMAGE=node:20-bookworm-slim

# Stage 1: production dependencies only. Install scripts are off for the whole tree and run again
# for the few packages that need them, so nothing downloads by surprise (.npmrc also tells
# onnxruntime-node's script to skip its optional CUDA download).
FROM ${NODE_IMAGE} AS deps
ARG TFJS_NODE=1
WORKDIR /app
# tfjs-node's install falls back to compiling its binding when the prebuilt one does not fit.
RUN if [ "$TFJS_NODE" = 1 ]; then \
      apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
      && rm -rf /var/lib/apt/lists/*; \
    fi
COPY package.json package-lock.json .npmrc ./
# With TFJS_NODE=1 the require() proves tfjs-node's native binding loads here: a broken download
# fails the build instead of silently falling back to wasm at run time. Then only the linux-x64
# binaries of packages that ship every platform are kept, tfjs's browser bundles go (node loads
# each package's dist/*.node.js), and no source maps or typings.
RUN npm ci --omit=dev --include=optional --ignore-scripts --no-audit --no-fund \
 && npm rebuild esbuild bufferutil \
 && if [ "$TFJS_NODE" = 1 ]; then \
      npm rebuild @tensorflow/tfjs-node \
      && node -e "require('@tensorflow/tfjs-node'); console.log('tfjs-node loads')"; \
    else \
      rm -rf node_modules/@tensorflow/tfjs-node && echo "TFJS_NODE=0: no tfjs-node (wasm backend)"; \
    fi \
 && find node_modules/onnxruntime-node/bin -mindepth 2 -maxdepth 2 -type d ! -path '*/napi-v*/linux' -exec rm -rf {} + \
 && find node_modules/onnxruntime-node/bin -mindepth 3 -maxdepth 3 -type d -path '*/linux/*' ! -name x64 -exec rm -rf {} + \
 && find node_modules/bufferutil/prebuilds -mindepth 1 -maxdepth 1 -type d ! -name linux-x64 -exec rm -rf {} + \
 && find node_modules/@tensorflow/*/dist -maxdepth 1 -type f \( -name 'tf.*js' -o -name 'tf-*.js' -o -name '*.html' \) ! -name '*.node.js' -delete \
 && rm -rf node_modules/@tensorflow/tfjs/dist/miniprogram \
 && find node_modules \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -type f -delete \
 && node -e "require('onnxruntime-node'); require('@tensorflow/tfjs'); require('@tensorflow/tfjs-backend-wasm'); console.log('onnxruntime-node and tfjs load')" \
 && npm cache clean --force

# Stage 2: the runtime. No compilers, no npm, non-root; the application files belong to root and
# are read-only for the daemon, which writes only its data volume.
FROM ${NODE_IMAGE} AS runtime
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /opt/yarn* \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg \
 && mkdir -p /var/lib/signalbase && chown node:node /var/lib/signalbase
ENV NODE_ENV=production \
    SIGNALBASE_DATA_DIR=/var/lib/signalbase \
    PORT=8787
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY sql ./sql
COPY data/sample ./data/sample
USER node
VOLUME ["/var/lib/signalbase"]
EXPOSE 8787
# /healthz answers 200 while the process runs; /readyz is for load balancers.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8787)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# node itself is PID 1 (not npm, which would need to forward signals): it handles SIGTERM, stops
# the feed, finishes the tick, flushes the outbox, closes websocket clients with 1001 and exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/signalbase.js"]
CMD ["run"]
