/**
 * The prover service's routes, declared once: this table mounts the router
 * (`prover-service.ts`) and writes the OpenAPI document and `/docs` (`prover-api.ts`). The
 * service runs inside the holder's boundary and takes no key.
 */
import { CrossproofError } from "../core/errors.js";
import { MAX_BATCH, parseBody } from "../core/wire/common.js";
import {
  batchPresentationRequest,
  linkedPresentationRequest,
  presentationRequest,
} from "../core/wire/prover.js";
import { errorBody } from "./http.js";
import type { Presenter } from "./presenter.js";
import type { ProverBackend, ProverMetrics } from "./prover-backend.js";
import {
  type DocumentContext,
  documentOperation,
  documentRoutes,
  type Route,
  route,
} from "./routes.js";

/** The running prover service, as its routes see it. */
export interface ProverContext extends DocumentContext {
  readonly presenter: Presenter;
  readonly backend: ProverBackend;
  readonly metrics: ProverMetrics;
}

/** Koa state of a prover request: its id, for logs. */
export interface ProverState {
  requestId: string;
}

const proverRoute = route<ProverContext, ProverState>;

const QUEUE_NOTE =
  "The proving queue is bounded in requests, not proofs: a batch takes one place, and once accepted every item is proved (requests take turns at the workers). QUEUE_FULL (503, Retry-After) means every worker is busy and the queue is full.";

/** Every route of the prover service, in the order the document lists them. */
export const PROVER_ROUTES: readonly Route<ProverContext, ProverState>[] = [
  proverRoute(
    "post",
    "/v1/presentations",
    {
      summary: "Prove that a record meets a challenge (or one part of a linked challenge)",
      description: `The answer is the presentation itself, to forward to the verifier as it is. For a linked query_v2 challenge proved record by record (each bureau's prover its own record), give \`part\` and the presentation's \`linkNonce\` (the same for every part, required exactly when the part has a link), and assemble {challengeId, proof, publicSignals, linked: [{proof, publicSignals}, …]} from the parts in order. ${QUEUE_NOTE}`,
      tag: "presentations",
      body: "PresentationRequest",
      ok: ["200", "Presentation", "The presentation: {challengeId, proof, publicSignals}"],
      errors: {
        "404": "No such record (UNKNOWN_RECORD) or bureau (UNKNOWN_BUREAU)",
        "409": "The record is not in an anchored tree yet (RECORD_NOT_IN_TREE, ROOT_PENDING)",
        "410": "The record was revoked (RECORD_REVOKED)",
        "422": "The record does not meet the challenge (PREDICATE_UNSATISFIED)",
        "500": "A proving worker failed (PROVER_FAILED); the request can be sent again",
        "504": "The proof took too long and was abandoned (PROVE_TIMEOUT)",
      },
    },
    ({ presenter }) =>
      async (ctx) => {
        // One proof: the pool's `prove`, a request of one.
        const item = parseBody(presentationRequest, ctx.request.body);
        ctx.body = await presenter.one(item, ctx.state.requestId);
      },
  ),
  proverRoute(
    "post",
    "/v1/presentations/linked",
    {
      summary: "Prove every part of a linked challenge with records of this service's vaults",
      description: `One record per part of the challenge, in order, each from its bureau's vault. The service draws a fresh link nonce for the presentation (it never leaves the service), proves every part with it as one request of the pool, and answers the whole linked presentation, to forward to the verifier as it is. ${QUEUE_NOTE}`,
      tag: "presentations",
      body: "LinkedPresentationRequest",
      ok: [
        "200",
        "LinkedPresentation",
        "The presentation: part 0's {challengeId, proof, publicSignals}, the other parts' proofs in linked",
      ],
      errors: {
        "404": "No such record (UNKNOWN_RECORD) or bureau (UNKNOWN_BUREAU)",
        "409": "A record is not in an anchored tree yet (RECORD_NOT_IN_TREE, ROOT_PENDING)",
        "410": "A record was revoked (RECORD_REVOKED)",
        "422": "A record does not meet its part of the challenge (PREDICATE_UNSATISFIED)",
        "500": "A proving worker failed (PROVER_FAILED); the request can be sent again",
        "504": "A proof took too long and was abandoned (PROVE_TIMEOUT)",
      },
    },
    ({ presenter }) =>
      async (ctx) => {
        const { challenge, records } = parseBody(linkedPresentationRequest, ctx.request.body);
        ctx.body = await presenter.linked(challenge, records, ctx.state.requestId);
      },
  ),
  proverRoute(
    "post",
    "/v1/presentations/batch",
    {
      summary: `Prove up to ${MAX_BATCH} presentations`,
      description: `One result per item, in order: {presentation} or an error body. ${QUEUE_NOTE}`,
      tag: "presentations",
      body: "BatchPresentationRequest",
      ok: ["200", "BatchPresentation", "One result per item"],
    },
    ({ presenter }) =>
      async (ctx) => {
        const { items } = parseBody(batchPresentationRequest, ctx.request.body);
        const outcomes = await presenter.all(items, ctx.state.requestId);
        ctx.body = {
          results: outcomes.map((o) =>
            o instanceof CrossproofError ? errorBody(o) : { presentation: o },
          ),
        };
      },
  ),
  proverRoute(
    "get",
    "/healthz",
    {
      summary: "Liveness and the proving pool's state",
      tag: "operations",
      public: true,
      ok: ["200", "Health", "Workers are up"],
      errors: { "503": "No worker is up" },
      errorSchemas: { "503": "Health" },
    },
    ({ backend }) =>
      (ctx) => {
        const stats = backend.stats;
        ctx.status = stats.workers > 0 ? 200 : 503;
        ctx.body = {
          status: stats.workers > 0 ? "ok" : "no workers",
          ...(backend.engine === undefined ? {} : { engine: backend.engine }),
          pool: stats,
        };
      },
  ),
  proverRoute(
    "get",
    "/metrics",
    documentOperation("/metrics"),
    ({ backend, metrics }) =>
      async (ctx) => {
        metrics.sample(backend.stats, backend.engine);
        ctx.type = metrics.registry.contentType;
        ctx.body = await metrics.registry.metrics();
      },
  ),
  ...documentRoutes<ProverContext, ProverState>(),
];
