import { createHash } from "node:crypto";
import { existsSync, lstatSync, readdirSync, readFileSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";
import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import { PACKAGE_ROOT } from "../lib/package-root.js";

/** A handler for what no RPC matched (connectNodeAdapter's fallback). */
export type FallbackHandler = NonNullable<ConnectNodeAdapterOptions["fallback"]>;

export interface ServeSpaOptions {
  /** The built single-page app (vite build's outDir). Default: web/dist beside the server. */
  root?: string;
  /** Answers requests the SPA does not (e.g. 404 for API-looking paths). Default: 404. */
  next?: FallbackHandler;
}

interface StaticFile {
  body: Buffer;
  contentType: string;
  etag: string;
  cacheControl: string;
}

export const DEFAULT_WEB_ROOT = `${join(PACKAGE_ROOT, "web", "dist")}/`;

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".webmanifest": "application/manifest+json",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};

/** Vite puts content-hashed files under assets/: their URL changes whenever they do. */
const IMMUTABLE = "public, max-age=31536000, immutable";
/** index.html and unhashed files: always revalidate (cheap with the ETag), so a deploy shows at once. */
const REVALIDATE = "no-cache";

/**
 * The page may run only its own scripts and styles, call only its own origin, and be framed by
 * nobody (clickjacking). React sets styles through the DOM, which 'self' allows.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
};

/**
 * Serves the built SPA from memory on the RPC port: hashed assets cached for a year, everything
 * else revalidated by ETag, and index.html for any other GET that looks like a page route
 * (client-side routing). Files are read once at start; a missing build serves a page that says
 * how to make one rather than failing the API.
 */
export function serveSpa(options: ServeSpaOptions = {}): FallbackHandler {
  const root = options.root ?? DEFAULT_WEB_ROOT;
  const next: FallbackHandler = options.next ?? ((_, response) => ((response.statusCode = 404), response.end()));
  const files = loadFiles(root);
  const index = files.get("/index.html") ?? missingBuildPage();

  return (request, response) => {
    if (request.method !== "GET" && request.method !== "HEAD") return next(request, response);
    const path = decodePath(request.url ?? "/");
    const file = files.get(path) ?? (path === "/index.html" || looksLikePageRoute(path) ? index : undefined);
    if (file === undefined) return next(request, response);
    response.setHeader("content-type", file.contentType);
    response.setHeader("cache-control", file.cacheControl);
    response.setHeader("etag", file.etag);
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
    if (request.headers["if-none-match"] === file.etag) {
      response.statusCode = 304;
      response.end();
      return;
    }
    response.setHeader("content-length", String(file.body.length));
    if (request.method === "HEAD") response.end();
    else response.end(file.body);
  };
}

function loadFiles(root: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  if (!existsSync(root)) return files;
  for (const path of walk(root)) {
    const urlPath = "/" + relative(root, path).split(sep).join("/");
    const body = readFileSync(path);
    files.set(urlPath, {
      body,
      contentType: CONTENT_TYPES[extname(path)] ?? "application/octet-stream",
      etag: `"${createHash("sha1").update(body).digest("base64url")}"`,
      cacheControl: urlPath.startsWith("/assets/") ? IMMUTABLE : REVALIDATE,
    });
  }
  return files;
}

/**
 * Regular files only: symbolic links are not followed (one could point outside the web root,
 * or nowhere), and source maps are not served (they would publish the source).
 */
function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = lstatSync(path);
    if (stat.isDirectory()) yield* walk(path);
    else if (stat.isFile() && !name.endsWith(".map")) yield path;
  }
}

function decodePath(url: string): string {
  const path = url.split("?")[0] ?? "/";
  try {
    return path === "/" ? "/index.html" : decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** A route of the app (e.g. /users/42), not a file or an RPC path (which contain a dot or are /metrics). */
function looksLikePageRoute(path: string): boolean {
  return !path.includes(".") && path !== "/metrics";
}

/** Says what to do without saying where the server's files are. */
function missingBuildPage(): StaticFile {
  const body = Buffer.from(
    `<!doctype html><meta charset="utf-8"><title>Web app not built</title>` +
      `<p>The API is running on this port, but the web app has not been built (WEB_ROOT has no index.html).` +
      ` Run <code>npm run build</code>, or use <code>npm start</code>, which builds it first.</p>`,
  );
  return { body, contentType: "text/html; charset=utf-8", etag: `"missing-build"`, cacheControl: REVALIDATE };
}
