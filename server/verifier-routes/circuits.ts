/** The circuits this verifier checks, their keys, and checks of any Groth16 proof against them. */
import { MAX_BATCH, parseBody } from "../../core/wire/common.js";
import { batchProofCheckRequest } from "../../core/wire/verifier.js";
import { circuitJson, externalCircuitJson, proofCheckJson } from "../verifier-api.js";
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
      async (ctx) => {
        ctx.body = {
          circuits: [...verifier.circuits.values()].map(circuitJson),
          external: (await verifier.externalCircuits()).map(externalCircuitJson),
        };
      },
  ),
  verifierRoute(
    "post",
    "/v1/circuits",
    {
      summary: "Register an external Groth16 circuit's verification key (admin)",
      description:
        "Another system's circom/snarkjs BN254 Groth16 circuit: the key is checked as crossproof's own are on load " +
        "(γ ≠ δ, IC count = nPublic + 1, every point on its curve and in its subgroup; KEY_INVALID naming the check), " +
        "its hash is registered on the verifier's chain as a release of kind external (the chain admin's key), " +
        "and its proofs can then be checked with /v1/circuits/{name}/verify. The same registration again answers 200.",
      tag: "circuits",
      roles: ["admin"],
      body: "ExternalCircuitRequest",
      ok: ["201", "ExternalCircuit", "The registered circuit"],
      errors: {
        "409": "The name is one of ours, or registered with another key (CIRCUIT_EXISTS)",
        "503":
          "No chain admin key configured (CHAIN_CONFIG), or the chain is unreachable (REGISTRY_UNAVAILABLE)",
      },
    },
    ({ verifier, logger }) =>
      async (ctx) => {
        const { circuit, created } = await verifier.registerExternalCircuit(ctx.request.body);
        logger.info(
          {
            event: created ? "circuit-registered" : "circuit-exists",
            requestId: ctx.state.requestId,
            circuit: circuit.name,
          },
          "circuit",
        );
        ctx.status = created ? 201 : 200;
        ctx.body = externalCircuitJson(circuit);
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
      async (ctx) => {
        ctx.body = (await verifier.checkableCircuit(ctx.params.name as string)).verificationKey;
      },
  ),
  verifierRoute(
    "post",
    "/v1/circuits/{name}/verify",
    {
      summary: "Check any Groth16 proof against a circuit's key",
      description:
        "Shape, ranges (as many public signals as the key's nPublic: MALFORMED otherwise), curve and subgroup checks " +
        "and the pairing check; no policy, challenge or root. For an external circuit, its release must also be " +
        "registered on chain and not retired (CIRCUIT_UNREGISTERED, CIRCUIT_RETIRED).",
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
        await verifier.checkableCircuit(name); // 404 before the body is read for an unknown circuit
        const body = parseBody(batchProofCheckRequest, ctx.request.body);
        ctx.body = {
          results: (await verifier.checkProofs(name, body.items)).map(proofCheckJson),
        };
      },
  ),
];
