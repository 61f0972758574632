# Image of the project's processes (worker-cpu, worker-gpu, serving in docker-compose.yml); the command picks one.
FROM node:20-bookworm-slim

RUN apt-get update \
  && apt-get install -y --no-install-recommends ca-certificates \
  && rm -rf /var/lib/apt/lists/*

RUN mkdir /app && chown node:node /app
WORKDIR /app
USER node

# Dependencies first, so that code changes reuse this layer. Dev dependencies are kept: processes run with tsx.
COPY --chown=node:node package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund && npm cache clean --force

COPY --chown=node:node . .

ENV NODE_OPTIONS=--enable-source-maps
CMD ["npx", "tsx", "serving/main.ts"]
