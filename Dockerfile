# Production image: Node.js 24 LTS, production dependencies only, runs as the unprivileged `node` user.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
# bcrypt ships prebuilt N-API binaries; sqlite3 may need to compile.
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
# Type stripping runs the TypeScript sources directly; there is no build step.
CMD ["node", "src/main.ts"]
