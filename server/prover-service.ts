/**
 * The prover service: a Koa API that runs inside the holder's boundary and turns
 * `(recordId, challenge)` into a presentation, proving in the worker pool (native or snarkjs:
 * `CROSSPROOF_PROVER_ENGINE`). Its routes are declared once, in `prover-routes.ts`, which drives
 * the router here, `/openapi.json` and `/docs`.
 *
 * It listens on 127.0.0.1 by default: it holds raw records and is not for the open network. It
 * logs request ids, routes, record and challenge ids, codes and durations; never a body.
 */
import Router from "@koa/router";
import Koa from "koa";
import type { CrossproofLogger } from "../infra/log.js";
import type { Vault } from "../issuer/vault.js";
import { apiDocsHtml, openApiDocument } from "./api-doc.js";
import { jsonBody, jsonErrors, requestLog, requestTimeout, securityHeaders } from "./http.js";
import { createPresenter } from "./presenter.js";
import { PROVER_API } from "./prover-api.js";
import type { ProverBackend, ProverMetrics } from "./prover-backend.js";
import { PROVER_ROUTES, type ProverState } from "./prover-routes.js";
import { mountRoutes } from "./routes.js";

export { type ProverBackend, ProverMetrics, poolBackend } from "./prover-backend.js";

/**
 * Dependencies and limits of the prover app: one vault (`vault`), or several by bureau name
 * (`vaults`, the first the default), which items choose with `bureau`.
 */
export type ProverAppOptions = {
  readonly backend: ProverBackend;
  readonly metrics: ProverMetrics;
  readonly logger: CrossproofLogger;
  /** Largest request body (default 256 KB: a full batch of forwarded challenges fits). */
  readonly bodyLimitKb?: number;
  /** Longest a request may take before `REQUEST_TIMEOUT` (default 180 s: a full batch). */
  readonly requestTimeoutMs?: number;
} & (
  | { readonly vault: Vault; readonly vaults?: never }
  | {
      readonly vaults: ReadonlyMap<string, Vault> | Readonly<Record<string, Vault>>;
      readonly vault?: never;
    }
);

/** The Koa application of the prover service. */
export function createProverApp(options: ProverAppOptions): Koa {
  const document = openApiDocument(PROVER_API);
  const router = new Router<ProverState>();
  mountRoutes(router, PROVER_ROUTES, {
    presenter: createPresenter(options),
    backend: options.backend,
    metrics: options.metrics,
    document,
    docsPage: apiDocsHtml(document),
  });

  const app = new Koa({ proxy: false });
  app.use(requestLog(options.logger));
  app.use(securityHeaders());
  app.use(jsonErrors(options.logger));
  app.use(requestTimeout(options.requestTimeoutMs ?? 180_000));
  app.use(jsonBody(options.bodyLimitKb));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
