import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));

/**
 * The SPA lives in web/; generated clients come from ../gen. `npm run build` writes web/dist,
 * which `npm start` serves on the API's port. In `npm run dev`, VITE_API_URL points the page
 * at the API server's own port (CORS). Source maps are written for debugging but neither
 * referenced by the bundles nor served (server/web/serve-spa.ts skips them).
 */
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  plugins: [react()],
  server: { host: "127.0.0.1", port: 5173, strictPort: false, fs: { allow: [repoRoot] } },
  build: { outDir: "dist", emptyOutDir: true, sourcemap: "hidden", chunkSizeWarningLimit: 1024 },
});
