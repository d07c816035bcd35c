/**
 * Witnesses and proofs for the benchmarks: distinct synthetic credit reports that meet a
 * pilot-like policy, committed in one tree of 200, each with its own subject-bound query (so
 * every proof is of a different statement).
 */

import { computeLeaf } from "../core/commitment.js";
import type { ProofBundle } from "../core/proof.js";
import { compileQuery } from "../core/query.js";
import { encodeRecord } from "../core/record.js";
import { getSchema } from "../core/schema.js";
import { CommitmentTree } from "../core/tree.js";
import type { CircuitRelease } from "../infra/artifacts.js";
import { syntheticCreditReports } from "../issuer/synthetic.js";
import { ProverPool } from "../prover/pool.js";
import { queryShape } from "../prover/prove-query.js";
import type { QueryWitness } from "../prover/query-input.js";
import { rerandomizeProof } from "../support/rerandomize.js";

/** `count` witnesses for a `query` circuit with `k` predicate slots (challenges 1000, 1001, …). */
export function eligibleWitnesses(count: number, k: number): QueryWitness[] {
  const schema = getSchema("credit-report-v1");
  const reports = syntheticCreditReports({
    count: 200,
    seed: 7,
    asOf: new Date("2026-11-21T00:00:00Z"),
  });
  const slots = reports.map((r) => encodeRecord(schema, r));
  const salts = reports.map((_, i) => 1_000_003n * BigInt(i + 1));
  const tree = new CommitmentTree(
    slots.map((s, i) => computeLeaf(schema.schemaId, s, salts[i] as bigint)),
  );
  const eligible = reports
    .map((r, index) => ({ r, index }))
    .filter(({ r }) => (r.creditScore as number) >= 600 && r.defaults24m === 0)
    .slice(0, count);
  if (eligible.length < count) throw new Error(`only ${eligible.length} eligible records`);
  return eligible.map(({ r, index }, n) => {
    const query = compileQuery(
      schema,
      [
        { op: "EQ", field: "subjectId", value: r.subjectId as string },
        { op: "GTE", field: "creditScore", value: 600 },
        { op: "EQ", field: "defaults24m", value: 0 },
        { op: "GTE", field: "reportDate", value: "2026-05-01" },
        { op: "DISCLOSE", field: "jurisdiction" },
      ],
      k,
    );
    return {
      schemaId: schema.schemaId,
      slots: slots[index] as bigint[],
      salt: salts[index] as bigint,
      path: tree.path(index),
      predicates: query.predicates,
      queryHash: query.queryHash,
      challenge: BigInt(1000 + n),
    };
  });
}

/**
 * `count` distinct valid `query` proofs: `genuine` proved by the prover pool (distinct
 * statements), re-randomised in turn (see verifier/rerandomize.ts) until there are `count`.
 */
export async function distinctValidProofs(
  release: CircuitRelease,
  genuine: number,
  count: number,
): Promise<ProofBundle[]> {
  process.stdout.write(`proving ${genuine} genuine query proofs…\n`);
  const prover = await ProverPool.start({ release, maxQueue: genuine });
  let proved: ProofBundle[];
  try {
    const { k } = queryShape(release);
    proved = await Promise.all(eligibleWitnesses(genuine, k).map((w) => prover.prove(w)));
  } finally {
    await prover.close();
  }
  const proofs: ProofBundle[] = [];
  for (let i = 0; i < count; i++) {
    proofs.push(
      await rerandomizeProof(release.verificationKey, proved[i % genuine] as ProofBundle),
    );
  }
  return proofs;
}
