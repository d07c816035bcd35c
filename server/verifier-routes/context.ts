/**
 * What the verifier's route handlers are given: the running service's parts. The route table
 * (`index.ts`) is static, so the OpenAPI document is written from it without a running service;
 * each handler is built from this context when the app is.
 */
import type { RegistryHistory } from "../../chain/registry-history.js";
import type { RootCache } from "../../chain/root-cache.js";
import type { CrossproofLogger } from "../../infra/log.js";
import type { VerifierPool } from "../../verifier/pool.js";
import type { VerifierStore } from "../../verifier/store.js";
import type { Verifier } from "../../verifier/verifier.js";
import type { Caller } from "../api-keys.js";
import type { ReceiptAnchorer } from "../receipt-anchorer.js";
import { type DocumentContext, type Route, route } from "../routes.js";
import type { RequestLimiter } from "../shared-rate-limit.js";
import type { VerifierMetrics } from "../verifier-metrics.js";

/** One readiness check's outcome, as `/readyz` shows it. */
export interface ReadinessCheck {
  readonly ok: boolean;
  readonly detail?: string;
}

/** Named readiness checks, run on every `/readyz`. */
export type ReadinessChecks = () => Promise<Record<string, ReadinessCheck>>;

/** The running verifier service, as its routes see it. */
export interface VerifierContext extends DocumentContext {
  readonly verifier: Verifier;
  readonly store: VerifierStore;
  readonly roots: RootCache;
  /** The registry's issuers and roots, for `GET /v1/chain`. */
  readonly history: RegistryHistory;
  readonly pool: VerifierPool;
  readonly metrics: VerifierMetrics;
  readonly logger: CrossproofLogger;
  /** The per-key rate limit (in memory, or shared through Redis). */
  readonly perKey: RequestLimiter;
  /** Whether the service is shutting down. */
  readonly stopping: () => boolean;
  /** More readiness checks, of the deployment around the service. */
  readonly readiness?: ReadinessChecks;
  /** The receipt log's anchorer (absent: the log is kept, not anchored). */
  readonly anchorer?: ReceiptAnchorer;
  /** Set when development keys are served: said on `/docs` and in `/readyz`. */
  readonly developmentNotice?: string;
}

/** Koa state on every keyed request: who called, and the request id for logs. */
export interface VerifierState {
  caller: Caller;
  requestId: string;
}

/** A route of the verifier service. */
export type VerifierRoute = Route<VerifierContext, VerifierState>;

/** Declares a route of the verifier service (`route`, with the verifier's context and state). */
export const verifierRoute = route<VerifierContext, VerifierState>;
