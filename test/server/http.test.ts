/**
 * What the HTTP services share: the request time limit, the per-key rate limit and the JSON body
 * parser, each through a tiny Koa app on a free port with the services' JSON errors.
 */
import Koa from "koa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CrossproofError, ErrorCode } from "../../core/errors.js";
import { type CrossproofLogger, createLogger, type LogFields } from "../../infra/log.js";
import {
  jsonBody,
  jsonErrors,
  listen,
  RateLimit,
  type RunningService,
  requestLog,
  requestTimeout,
} from "../../server/http.js";
import { caught } from "../helpers/errors.js";

const logger = createLogger("test", { CROSSPROOF_LOG_LEVEL: "silent" });

/** Starts an app of `jsonErrors` then `middleware`, on 127.0.0.1 and a free port. */
async function serve(...middleware: Koa.Middleware[]): Promise<RunningService> {
  const app = new Koa();
  app.use(jsonErrors(logger));
  for (const m of middleware) app.use(m);
  return listen(app, { port: 0 });
}

async function call(
  service: RunningService,
  init: RequestInit = {},
): Promise<{
  status: number;
  body: { error?: { code: string } } & Record<string, unknown>;
  headers: Headers;
}> {
  const response = await fetch(`${service.url}/`, init);
  return {
    status: response.status,
    body: (await response.json()) as { error?: { code: string } },
    headers: response.headers,
  };
}

describe("requestTimeout", () => {
  const running: RunningService[] = [];
  afterAll(async () => {
    for (const s of running) await s.close();
  });

  it("answers REQUEST_TIMEOUT (503) when the handler is slower than the limit", async () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let handlerDone = false;
    const service = await serve(requestTimeout(100), async (ctx) => {
      await gate;
      handlerDone = true;
      ctx.body = { late: true };
    });
    running.push(service);
    const started = performance.now();
    const answer = await call(service);
    expect(answer.status).toBe(503);
    expect(answer.body.error?.code).toBe(ErrorCode.REQUEST_TIMEOUT);
    expect(answer.headers.get("retry-after")).toBe("1");
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
    // Answered while the handler was still waiting.
    expect(handlerDone).toBe(false);
    release();
  });

  it("lets a faster handler answer", async () => {
    const service = await serve(requestTimeout(2_000), async (ctx) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      ctx.body = { ok: true };
    });
    running.push(service);
    const answer = await call(service);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ ok: true });
  });

  it("passes the handler's own error through", async () => {
    const service = await serve(requestTimeout(2_000), async () => {
      throw new CrossproofError(ErrorCode.NOT_FOUND, "no such thing");
    });
    running.push(service);
    const answer = await call(service);
    expect(answer.status).toBe(404);
    expect(answer.body.error?.code).toBe(ErrorCode.NOT_FOUND);
  });
});

describe("RateLimit", () => {
  it("allows n per second per key, then RATE_LIMITED with a retry time", async () => {
    const limit = new RateLimit(3);
    for (let n = 0; n < 3; n++) await limit.consume("key-a");
    const err = await caught(limit.consume("key-a"));
    expect(err.code).toBe(ErrorCode.RATE_LIMITED);
    const seconds = err.details.retryAfterSeconds as number;
    expect(Number.isInteger(seconds)).toBe(true);
    // A one-second window: never less than 1, never more than the window.
    expect(seconds).toBeGreaterThanOrEqual(1);
    expect(seconds).toBeLessThanOrEqual(1);
    // Another key has its own budget.
    for (let n = 0; n < 3; n++) await limit.consume("key-b");
    expect((await caught(limit.consume("key-b"))).code).toBe(ErrorCode.RATE_LIMITED);
  });

  it("keeps separate instances separate", async () => {
    const a = new RateLimit(1);
    const b = new RateLimit(1);
    await a.consume("same");
    await expect(b.consume("same")).resolves.toBeUndefined();
    expect((await caught(a.consume("same"))).code).toBe(ErrorCode.RATE_LIMITED);
  });

  it("allows again after the second has passed", async () => {
    const limit = new RateLimit(2);
    await limit.consume("k");
    await limit.consume("k");
    await expect(limit.consume("k")).rejects.toMatchObject({ code: ErrorCode.RATE_LIMITED });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await expect(limit.consume("k")).resolves.toBeUndefined();
  });

  it("does not limit at 0", async () => {
    const limit = new RateLimit(0);
    for (let n = 0; n < 1_000; n++) await limit.consume("key");
  });

  it("answers 429 with Retry-After through jsonErrors", async () => {
    const limit = new RateLimit(1);
    const service = await serve(async (ctx) => {
      await limit.consume("everyone");
      ctx.body = { ok: true };
    });
    try {
      expect((await call(service)).status).toBe(200);
      const refused = await call(service);
      expect(refused.status).toBe(429);
      expect(refused.body.error?.code).toBe(ErrorCode.RATE_LIMITED);
      expect(refused.headers.get("retry-after")).toBe("1");
    } finally {
      await service.close();
    }
  });
});

describe("jsonBody", () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await serve(jsonBody(1), async (ctx) => {
      ctx.body = { received: ctx.request.body ?? null };
    });
  });
  afterAll(async () => {
    await service?.close();
  });

  const post = (body: string, contentType: string) =>
    call(service, { method: "POST", headers: { "content-type": contentType }, body });

  it("parses a JSON body under the limit", async () => {
    const answer = await post(JSON.stringify({ a: 1, b: ["x"] }), "application/json");
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ received: { a: 1, b: ["x"] } });
    const charset = await post('{"c":true}', "application/json; charset=utf-8");
    expect(charset.body).toEqual({ received: { c: true } });
  });

  it("answers 415 UNSUPPORTED_MEDIA_TYPE for a text/plain body", async () => {
    const answer = await post('{"a":1}', "text/plain");
    expect(answer.status).toBe(415);
    expect(answer.body.error?.code).toBe(ErrorCode.UNSUPPORTED_MEDIA_TYPE);
  });

  it("answers 415 for a chunked text/plain body too (no Content-Length)", async () => {
    const { request } = await import("node:http");
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        service.url,
        {
          method: "POST",
          headers: { "content-type": "text/plain", "transfer-encoding": "chunked" },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.write('{"a":');
      req.end("1}");
    });
    expect(status).toBe(415);
  });

  it("answers 413 BODY_TOO_LARGE over the limit", async () => {
    const big = JSON.stringify({ pad: "x".repeat(2_048) });
    const answer = await post(big, "application/json");
    expect(answer.status).toBe(413);
    expect(answer.body.error?.code).toBe(ErrorCode.BODY_TOO_LARGE);
  });

  it("answers 400 INVALID_REQUEST for malformed JSON", async () => {
    const answer = await post('{"a":', "application/json");
    expect(answer.status).toBe(400);
    expect(answer.body.error?.code).toBe(ErrorCode.INVALID_REQUEST);
  });

  it("lets a request without a body through", async () => {
    const answer = await call(service);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ received: null });
  });
});

describe("requestLog", () => {
  it("logs an unmatched request as `unmatched`, never its path (the caller's text, found by the fuzz suite)", async () => {
    const lines: LogFields[] = [];
    const recording: CrossproofLogger = {
      info: (fields) => lines.push(fields),
      warn: (fields) => lines.push(fields),
      error: (fields) => lines.push(fields),
      pino: logger.pino,
    };
    const app = new Koa();
    app.use(requestLog(recording));
    app.use(jsonErrors(logger));
    const service = await listen(app, { port: 0 });
    try {
      const path = `/v1/${"1".repeat(77)}/HK-A1234567`;
      const response = await fetch(`${service.url}${path}`);
      expect(response.status).toBe(404);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ method: "GET", route: "unmatched", status: 404 });
      expect(JSON.stringify(lines)).not.toContain("HK-A1234567");
    } finally {
      await service.close();
    }
  });
});
