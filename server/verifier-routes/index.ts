/**
 * The verifier service's routes, declared once: this table mounts the router
 * (`verifier-service.ts`) and writes the OpenAPI document and `/docs` (`openapi.ts`). Every path
 * under `/v1` needs an API key; an operation marked `admin` needs the admin key; the rest are
 * public (`mountRoutes` refuses a table that mixes these up).
 */
import { documentRoutes } from "../routes.js";
import { API_KEY_ROUTES } from "./api-keys.js";
import { AUDIT_ROUTES } from "./audit.js";
import { CHAIN_ROUTES } from "./chain.js";
import { CHALLENGE_ROUTES } from "./challenges.js";
import { CIRCUIT_ROUTES } from "./circuits.js";
import { CONSOLE_ROUTES } from "./console.js";
import type { VerifierContext, VerifierRoute, VerifierState } from "./context.js";
import { OPERATION_ROUTES } from "./operations.js";
import { POLICY_ROUTES } from "./policies.js";
import { RECEIPT_ROUTES } from "./receipts.js";
import { SESSION_ROUTES } from "./session.js";
import { STATS_ROUTES } from "./stats.js";
import { VERIFICATION_ROUTES } from "./verifications.js";

export type {
  ReadinessCheck,
  ReadinessChecks,
  VerifierContext,
  VerifierRoute,
  VerifierState,
} from "./context.js";

/** Every route of the verifier service, in the order the document lists them. */
export const VERIFIER_ROUTES: readonly VerifierRoute[] = [
  ...POLICY_ROUTES,
  ...CHALLENGE_ROUTES,
  ...VERIFICATION_ROUTES,
  ...RECEIPT_ROUTES,
  ...CHAIN_ROUTES,
  ...CIRCUIT_ROUTES,
  ...API_KEY_ROUTES,
  ...SESSION_ROUTES,
  ...AUDIT_ROUTES,
  ...OPERATION_ROUTES,
  ...STATS_ROUTES,
  ...CONSOLE_ROUTES,
  ...documentRoutes<VerifierContext, VerifierState>(),
];
