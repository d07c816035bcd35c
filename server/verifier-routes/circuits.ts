/** The circuits this verifier checks, their keys, and checks of any Groth16 proof against them. */
import { MAX_BATCH, parseBody } from "../../core/wire/common.js";
import { batchProofCheckRequest } from "../../core/wire/verifier.js";
import { circuitJson, proofCheckJson } from "../verifier-api.js";
import { type VerifierRoute, verifierRoute } from "./context.js";

export const CIRCUIT_ROUTES: VerifierRoute[] = [
  verifierRoute(
    "get",
    "/v1/circuits",
    {
      summary: "List the circuits this verifier checks",
      tag: "circuits",
      ok: ["200", "CircuitList", "The circuits"],
    },
    ({ verifier }) =>
      (ctx) => {
        ctx.body = { circuits: [...verifier.circuits.values()].map(circuitJson) };
      },
  ),
  verifierRoute(
    "get",
    "/v1/circuits/{name}",
    {
      summary: "A circuit and its release manifest",
      tag: "circuits",
      ok: ["200", "Circuit", "The circuit"],
      errors: { "404": "No such circuit (NOT_FOUND)" },
    },
    ({ verifier }) =>
      (ctx) => {
        const release = verifier.circuit(ctx.params.name as string);
        ctx.body = { ...circuitJson(release), manifest: release.manifest };
      },
  ),
  verifierRoute(
    "get",
    "/v1/circuits/{name}/verification-key",
    {
      summary: "A circuit's Groth16 verification key (snarkjs JSON)",
      tag: "circuits",
      ok: ["200", "VerificationKey", "The key"],
      errors: { "404": "No such circuit (NOT_FOUND)" },
    },
    ({ verifier }) =>
      (ctx) => {
        ctx.body = verifier.circuit(ctx.params.name as string).verificationKey;
      },
  ),
  verifierRoute(
    "post",
    "/v1/circuits/{name}/verify",
    {
      summary: "Check any Groth16 proof against a circuit's key",
      description:
        "Shape, ranges, curve and subgroup checks and the pairing check; no policy, challenge or root.",
      tag: "circuits",
      body: "ProofCheckRequest",
      ok: ["200", "ProofCheck", "Whether the proof is valid"],
      errors: { "404": "No such circuit (NOT_FOUND)" },
    },
    ({ verifier }) =>
      async (ctx) => {
        ctx.body = proofCheckJson(
          await verifier.checkProof(ctx.params.name as string, ctx.request.body),
        );
      },
  ),
  verifierRoute(
    "post",
    "/v1/circuits/{name}/verify/batch",
    {
      summary: `Check up to ${MAX_BATCH} Groth16 proofs against a circuit's key, in one batch`,
      description:
        "Each item is checked as by /verify; the well-formed ones share one pairing product " +
        "(bad ones are found by bisection). Results in the order of the items.",
      tag: "circuits",
      body: "BatchProofCheckRequest",
      ok: ["200", "BatchProofCheck", "One result per item"],
      errors: { "404": "No such circuit (NOT_FOUND)" },
    },
    ({ verifier }) =>
      async (ctx) => {
        const name = ctx.params.name as string;
        verifier.circuit(name); // 404 before the body is read for an unknown circuit
        const body = parseBody(batchProofCheckRequest, ctx.request.body);
        ctx.body = {
          results: (await verifier.checkProofs(name, body.items)).map(proofCheckJson),
        };
      },
  ),
];
