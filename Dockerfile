# Production image: Node.js 24 LTS, production dependencies only, runs as the unprivileged `node` user.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
# bcrypt ships prebuilt N-API binaries; the tools are there should a native module need to compile.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
ENV NODE_ENV=production PORT=3000 DATA_DIR=/app/data
# bcrypt, SQLite, file access and DNS share Node's thread pool (4 threads by default). The hash pool
# takes up to the cores but leaves two threads for the rest; 8 lets a container of up to 6 cores hash
# on all of them (see README, Capacity). Idle threads cost nothing.
ENV UV_THREADPOOL_SIZE=8
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY config ./config
COPY migrations ./migrations
COPY src ./src
COPY interactions ./interactions
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
# SIGTERM starts the graceful shutdown (README, "Operating hk-idp"): /readyz 503 at once, new
# connections refused after SHUTDOWN_GRACE, requests in flight finished, claimed messages handed back.
# Node runs as PID 1 and handles the signal itself (no shell in between: exec form below). Give the
# container a stop timeout of at least SHUTDOWN_GRACE + SHUTDOWN_TIMEOUT + 5 s (docker run
# --stop-timeout 35, Kubernetes terminationGracePeriodSeconds: 35); Docker's default of 10 s cuts
# requests that take longer than about 5 s after the grace period.
STOPSIGNAL SIGTERM
ENV SHUTDOWN_GRACE=5 SHUTDOWN_TIMEOUT=25
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Type stripping runs the TypeScript sources directly; there is no build step.
CMD ["node", "src/main.ts"]
