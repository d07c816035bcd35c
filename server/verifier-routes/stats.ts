/**
 * The dashboard's figures: verifications per minute, the verdict mix and the top reasons from
 * the receipts (every instance's), and latency and batch sizes from this instance's metrics.
 */

import type { z } from "zod";
import { CrossproofError, ErrorCode } from "../../core/errors.js";
import { parseQuery } from "../../core/wire/common.js";
import { MAX_STATS_MINUTES, statsQuery, type statsResponse } from "../../core/wire/verifier.js";
import { type VerifierRoute, verifierRoute } from "./context.js";

const MINUTE_MS = 60_000;

/** Reasons in `topReasons`. */
const TOP_REASONS = 10;

export const STATS_ROUTES: VerifierRoute[] = [
  verifierRoute(
    "get",
    "/v1/stats",
    {
      summary: "Verifications per minute, verdicts, top reasons, latency and batch sizes",
      description:
        "Per minute, verdicts and reasons are counted from the receipts, so they cover every instance sharing the store; latency and batch sizes come from this instance's metrics since it started (listed in perInstance).",
      tag: "operations",
      roles: ["admin", "auditor"],
      query: statsQuery,
      ok: ["200", "Stats", "The window's counts and this instance's latency and batch sizes"],
    },
    ({ store, metrics }) =>
      async (ctx) => {
        const query = parseQuery(statsQuery, ctx.query);
        const minutes = query.minutes === undefined ? 60 : Number(query.minutes);
        if (minutes > MAX_STATS_MINUTES) {
          throw new CrossproofError(
            ErrorCode.INVALID_REQUEST,
            `invalid request: minutes must be at most ${MAX_STATS_MINUTES}`,
            { details: { issues: [{ path: "minutes", message: "at most 1440" }] } },
          );
        }
        const to = (Math.floor(Date.now() / MINUTE_MS) + 1) * MINUTE_MS;
        const from = to - minutes * MINUTE_MS;
        const [counts, latency, batchSizes] = await Promise.all([
          store.receiptStats(new Date(from), new Date(to), TOP_REASONS),
          metrics.latency(),
          metrics.batchSizes(),
        ]);
        const byMinute = new Map(counts.perMinute.map((m) => [m.minute.getTime(), m]));
        const perMinute = Array.from({ length: minutes }, (_, i) => {
          const minute = from + i * MINUTE_MS;
          const m = byMinute.get(minute);
          return {
            minute: new Date(minute).toISOString(),
            verified: m?.verified ?? 0,
            refused: m?.refused ?? 0,
          };
        });
        const body: z.input<typeof statsResponse> = {
          from: new Date(from).toISOString(),
          to: new Date(to).toISOString(),
          perMinute,
          verdicts: {
            verified: perMinute.reduce((n, m) => n + m.verified, 0),
            refused: perMinute.reduce((n, m) => n + m.refused, 0),
          },
          topReasons: counts.topReasons.map((r) => ({
            reason: r.reason as z.input<typeof statsResponse>["topReasons"][number]["reason"],
            count: r.count,
          })),
          latency,
          batchSizes: batchSizes.map((b) => ({
            le: b.le === Number.POSITIVE_INFINITY ? "+Inf" : b.le,
            count: b.count,
          })),
          perInstance: ["latency", "batchSizes"],
        };
        ctx.body = body;
      },
  ),
];
