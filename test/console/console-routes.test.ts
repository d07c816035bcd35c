/**
 * The console's routes on a Koa app with the verifier's security headers and error answers: the
 * page and its assets under the strict CSP, a year's cache for hashed assets and none for the
 * page, and nothing else of the disk reachable through them.
 */
import { readdir } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import Router from "@koa/router";
import Koa from "koa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../infra/log.js";
import { CONSOLE_DIR } from "../../infra/paths.js";
import { jsonErrors, securityHeaders } from "../../server/http.js";
import { mountRoutes } from "../../server/routes.js";
import { CONSOLE_CSP, CONSOLE_ROUTES } from "../../server/verifier-routes/console.js";
import type { VerifierState } from "../../server/verifier-routes/index.js";

describe("the console's routes", () => {
  let url: string;
  let server: ReturnType<Koa["listen"]>;
  let assets: string[];

  beforeAll(async () => {
    // test/global-setup.ts does not build the console; `npm test` runs `npm run build` first.
    assets = await readdir(join(CONSOLE_DIR, "assets"));
    const router = new Router<VerifierState>();
    mountRoutes(router, CONSOLE_ROUTES, {} as never, { keyedPrefix: "/v1" });
    const app = new Koa();
    app.use(securityHeaders());
    app.use(jsonErrors(createLogger("crossproof")));
    app.use(router.routes());
    server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("serve the page at /console and /console/ under the strict CSP, never cached", async () => {
    for (const path of ["/console", "/console/"]) {
      const response = await fetch(`${url}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^text\/html/);
      expect(response.headers.get("content-security-policy")).toBe(CONSOLE_CSP);
      expect(response.headers.get("cache-control")).toBe("no-store");
      const html = await response.text();
      // Nothing inline: the page only names its script and style sheet.
      expect(html).toMatch(/<script type="module" crossorigin src="\/console\/assets\/[^"]+\.js">/);
      expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
      expect(html).not.toMatch(/<style|style=/);
    }
    expect(CONSOLE_CSP).not.toMatch(/unsafe/);
  });

  it("serve the hashed assets for a year, and nothing else", async () => {
    const script = assets.find((a) => a.endsWith(".js"));
    expect(script).toBeDefined();
    const response = await fetch(`${url}/console/assets/${script}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/javascript/);
    expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    for (const path of [
      "/console/assets/missing.js",
      "/console/assets/..%2Findex.html",
      "/console/assets/%2e%2e%2f%2e%2e%2fpackage.json",
      "/console/assets/.hidden.js",
      "/console/index.html",
    ]) {
      const refused = await fetch(`${url}${path}`);
      expect(refused.status, path).toBe(404);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
    }
  });
});
