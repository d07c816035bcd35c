/**
 * The web console (console/, built by Vite into dist/console): public static files, under a
 * strict Content-Security-Policy: scripts, styles and requests from this origin only, nothing
 * inline, no framing. The console signs in with an API key and reads the `/v1` API like any
 * client; these routes serve only its files.
 */
import { join } from "node:path";
import { send } from "@koa/send";
import { CrossproofError, ErrorCode } from "../../core/errors.js";
import { CONSOLE_DIR } from "../../infra/paths.js";
import { type VerifierRoute, verifierRoute } from "./context.js";

/** The console's policy: every directive the page needs, and no more. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** Vite's hashed asset names (`index-Ce40nfje.js`): nothing else is served from assets/. */
const ASSET_NAME = /^[A-Za-z0-9_.-]+\.(js|css|svg|png|woff2)$/;

const notBuilt = () =>
  new CrossproofError(
    ErrorCode.NOT_FOUND,
    "the console is not built here: run `npm run build` (it writes dist/console)",
  );

export const CONSOLE_ROUTES: VerifierRoute[] = [
  verifierRoute(
    "get",
    "/console",
    {
      summary: "The web console (sign in with an API key)",
      description:
        "A single page that reads this API with the key it is given (kept in the browser tab's session storage). Served under a strict Content-Security-Policy.",
      tag: "console",
      public: true,
      ok: ["200", null, "HTML"],
      media: "text/html",
      errors: { "404": "The console is not built (NOT_FOUND)" },
    },
    () => async (ctx) => {
      ctx.set("content-security-policy", CONSOLE_CSP);
      try {
        await send(ctx, "index.html", { root: CONSOLE_DIR });
      } catch {
        throw notBuilt();
      }
      // The page names the current assets: never kept (as every answer of the service but the
      // hashed assets below).
      ctx.set("cache-control", "no-store");
    },
  ),
  verifierRoute(
    "get",
    "/console/assets/{file}",
    {
      summary: "A script, style sheet or image of the web console",
      tag: "console",
      public: true,
      ok: ["200", null, "The file (its name holds its content hash: cached for a year)"],
      media: "application/octet-stream",
      errors: { "404": "No such file (NOT_FOUND)" },
    },
    () => async (ctx) => {
      const file = ctx.params.file as string;
      if (!ASSET_NAME.test(file)) {
        throw new CrossproofError(ErrorCode.NOT_FOUND, `no console file "${file}"`);
      }
      ctx.set("content-security-policy", CONSOLE_CSP);
      try {
        await send(ctx, file, {
          root: join(CONSOLE_DIR, "assets"),
          index: false,
          hidden: false,
        });
      } catch {
        throw new CrossproofError(ErrorCode.NOT_FOUND, `no console file "${file}"`);
      }
      // A hashed name never changes its content: cache it for a year.
      ctx.set("cache-control", "public, max-age=31536000, immutable");
    },
  ),
];
