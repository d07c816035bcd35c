/**
 * What the verifier service answers with, from its records: the serialisers that turn stored
 * policies, challenges, verdicts, receipts, circuits and keys into the wire shapes of
 * `core/wire/verifier.ts`.
 */
import type { z } from "zod";
import type { RegistryView } from "../chain/registry-history.js";
import { predicatesToJson } from "../core/proof-request.js";
import { getSchema, type Schema } from "../core/schema.js";
import type {
  apiKeyResponse,
  chainResponse,
  challengeResponse,
  circuitResponse,
  externalCircuitResponse,
  policyPreviewResponse,
  policyResponse,
  proofCheckResponse,
  receiptDetailResponse,
  receiptResponse,
  verificationResponse,
} from "../core/wire/verifier.js";
import type { CircuitRelease } from "../infra/artifacts.js";
import type { PolicyDefinition, StoredPolicy } from "../verifier/policy.js";
import { joinWords, policyInWords } from "../verifier/policy-words.js";
import { receiptChecks } from "../verifier/receipt-checks.js";
import {
  type ApiKeyRecord,
  type ChallengeRecord,
  type ExternalCircuit,
  type Receipt,
  statementToJson,
} from "../verifier/store.js";
import type { PolicyPreview, ProofCheck, Verdict } from "../verifier/verifier.js";

// ---- serialisers ----------------------------------------------------------------------------

/** A policy's schema, if this verifier knows it (a policy of a removed schema is still shown). */
function knownSchema(id: string): Schema | undefined {
  try {
    return getSchema(id);
  } catch {
    return undefined;
  }
}

/** A policy's requirements in words, and as one sentence. */
export function policyWordsJson(definition: PolicyDefinition): {
  conditions: string[];
  words: string;
} {
  const conditions = policyInWords(definition, knownSchema(definition.schema), knownSchema);
  return { conditions, words: joinWords(conditions) };
}

/** A policy as the API shows it. */
export function policyJson(p: StoredPolicy): z.input<typeof policyResponse> {
  return {
    ...p.definition,
    createdAt: p.createdAt.toISOString(),
    ...policyWordsJson(p.definition),
  };
}

/** A policy preview as the API shows it. */
export function policyPreviewJson(p: PolicyPreview): z.input<typeof policyPreviewResponse> {
  return {
    id: p.definition.id,
    schemaId: p.schemaId.toString(),
    queryHash: p.queryHash?.toString() ?? null,
    asOf: p.asOf.toISOString(),
    subjectBound: p.definition.subject !== undefined,
    exists: p.exists,
    definition: { ...p.definition },
    ...policyWordsJson(p.definition),
  };
}

/** A challenge as the API shows it (the holder's prover accepts it as a proof request). */
export function challengeJson(
  c: ChallengeRecord,
  withState = false,
): z.input<typeof challengeResponse> {
  const statement = statementToJson(c);
  return {
    challengeId: c.id,
    policyId: c.policyId,
    nonce: c.nonce.toString(),
    schemaId: c.schemaId.toString(),
    queryHash: c.queryHash.toString(),
    predicates: predicatesToJson(c.predicates),
    query: c.query.map((q) => ({ ...q })),
    circuit: c.circuit,
    // query_v2: the table, the link slot and the linked parts, as the stores keep them.
    ...(statement === null
      ? {}
      : {
          table: statement.table,
          link: statement.link,
          ...(statement.linked.length === 0 ? {} : { linked: statement.linked }),
        }),
    issuedAt: c.issuedAt.toISOString(),
    expiresAt: c.expiresAt.toISOString(),
    ...(withState
      ? { consumedAt: c.consumedAt?.toISOString() ?? null, receiptId: c.receiptId }
      : {}),
  };
}

/** A verdict as the API shows it. */
export function verificationJson(v: Verdict): z.input<typeof verificationResponse> {
  return {
    verified: v.verified,
    reasons: v.reasons.map((r) => ({ ...r })),
    disclosed: { ...v.disclosed },
    ...(v.linked === undefined ? {} : { linked: v.linked.map((l) => ({ ...l })) }),
    receiptId: v.receipt.id,
    policyId: v.receipt.policyId,
    challengeId: v.receipt.challengeId,
    root: v.receipt.root?.toString() ?? null,
    issuer: v.receipt.issuer,
    checkedAt: v.receipt.createdAt.toISOString(),
  };
}

/** A receipt as the API shows it. */
export function receiptJson(r: Receipt): z.input<typeof receiptResponse> {
  return {
    id: r.id,
    createdAt: r.createdAt.toISOString(),
    policyId: r.policyId,
    challengeId: r.challengeId,
    root: r.root?.toString() ?? null,
    issuer: r.issuer,
    verified: r.verified,
    reasons: r.reasons as z.input<typeof receiptResponse>["reasons"],
    ...(r.linked === undefined
      ? {}
      : { linked: r.linked.map((l) => ({ root: l.root.toString(), issuer: l.issuer })) }),
  };
}

/** A receipt with the outcome of each check behind it. */
export function receiptDetailJson(r: Receipt): z.input<typeof receiptDetailResponse> {
  return {
    ...receiptJson(r),
    checks: receiptChecks(r).map((c) => ({ ...c })),
  };
}

/** The registry's history as the API shows it. */
export function chainJson(v: RegistryView): z.input<typeof chainResponse> {
  return {
    chainId: v.chainId,
    registry: v.registry,
    block: v.block.toString(),
    issuers: v.issuers.map((i) => ({ ...i })),
    roots: v.roots.map((r) => ({
      root: r.root.toString(),
      issuer: r.issuer,
      schemaId: r.schemaId.toString(),
      anchoredAt: r.anchoredAt.toISOString(),
      replacedAt: r.replacedAt?.toISOString() ?? null,
      revokedAt: r.revokedAt?.toISOString() ?? null,
    })),
  };
}

/** A circuit release as the API lists it. */
export function circuitJson(r: CircuitRelease): z.input<typeof circuitResponse> {
  const m = r.manifest;
  return {
    name: r.name,
    template: m.template,
    params: m.params,
    constraints: m.constraints,
    nPublic: m.nPublic,
    publicSignals: m.publicSignals,
    setup: m.setup.kind,
    verificationKeySha256: m.files.verificationKey.sha256,
  };
}

/** An external circuit as the API shows it. */
export function externalCircuitJson(c: ExternalCircuit): z.input<typeof externalCircuitResponse> {
  return {
    name: c.name,
    version: c.version,
    kind: "external",
    nPublic: c.verificationKey.nPublic,
    keyHash: c.keyHash,
    createdAt: c.createdAt.toISOString(),
  };
}

/** A proof check as the API shows it. */
export function proofCheckJson(c: ProofCheck): z.input<typeof proofCheckResponse> {
  return { valid: c.valid, reasons: c.reasons.map((r) => ({ ...r })) };
}

/** An API key as the API lists it (never its secret). */
export function apiKeyJson(k: ApiKeyRecord): z.input<typeof apiKeyResponse> {
  return {
    id: k.id,
    name: k.name,
    role: k.role,
    createdAt: k.createdAt.toISOString(),
    revokedAt: k.revokedAt?.toISOString() ?? null,
  };
}
