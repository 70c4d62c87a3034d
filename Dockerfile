# The server and the built web app in one image. Untested here: no container engine runs on the
# development machine (see README "Production").
FROM node:24-bookworm-slim

WORKDIR /app
COPY package.json package-lock.json ./
# Dev dependencies are needed to build (vite for the web app, tsc for the server), not to run.
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm run build:server && npm prune --omit=dev --no-audit --no-fund

ENV HOST=0.0.0.0 PORT=8080 NODE_ENV=production
EXPOSE 8080
USER node
# Not `npm start`: npm would not pass SIGTERM on, and the build is already done.
CMD ["node", "--enable-source-maps", "--max-semi-space-size=16", "--no-allocation-site-pretenuring", "build/server/main.js"]
