/**
 * `npm run bench:linked`: verification throughput of linked presentations (issue 19), side by
 * side with single-record ones, through the verifier's own code path: the `Verifier` as the
 * service runs it (SQLite store in a temporary folder, receipts chained, the worker pool behind
 * the micro-batcher), with an in-memory registry in place of the chain (lookups are cached in the
 * service too, so the chain is not what is measured). Three kinds of presentation:
 *
 * - single-record `query` (the pilot's policy: subject, score, debt/income, disclosure);
 * - single-record `query_v2` (the same, plus an `IN` over jurisdictions);
 * - linked `query_v2`: that credit report and a residency record of another bureau about the
 *   same subject, two proofs with one link nonce.
 *
 * Every presentation is genuine and made before the clock starts (native engine where built, else
 * snarkjs); each verdict must be `verified` or the run fails. The kinds take turns, `--rounds`
 * rounds of `--presentations / rounds` each, with `--concurrency` verifications in flight; each
 * figure is the median over rounds (the machine's speed drifts). Prints a table and writes
 * bench/results/linked.json.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import pLimit from "p-limit";
import * as snarkjs from "snarkjs";
import type { ReleaseStatus, RootStatus } from "../chain/registry.js";
import { type KeyHash, verificationKeyHash } from "../core/circuit-release.js";
import { computeLeaf } from "../core/commitment.js";
import type { ProofBundle } from "../core/proof.js";
import { type Predicate, padPredicates } from "../core/query.js";
import {
  evaluatePredicateV2,
  newLinkNonce,
  type PredicateV2,
  padPredicatesV2,
} from "../core/query-v2.js";
import { encodeRecord, type RecordInput } from "../core/record.js";
import { getSchema, type Schema } from "../core/schema.js";
import { CommitmentTree } from "../core/tree.js";
import { type CircuitRelease, loadCircuitRelease } from "../infra/artifacts.js";
import { syntheticCreditReports, syntheticResidency } from "../issuer/synthetic.js";
import { loadNativeAddon, NativeProver } from "../prover/native/index.js";
import { buildQueryInput, type CircuitInput } from "../prover/query-input.js";
import { buildQueryV2Input } from "../prover/query-v2-input.js";
import { MicroBatcher } from "../verifier/micro-batch.js";
import { VerifierPool } from "../verifier/pool.js";
import { SqliteVerifierStore } from "../verifier/sqlite-store.js";
import type { ChallengeRecord } from "../verifier/store.js";
import { Verifier } from "../verifier/verifier.js";
import { type Figure, figure, median, printTable, writeResults } from "./report.js";

const { values } = parseArgs({
  options: {
    presentations: { type: "string", default: "32" },
    rounds: { type: "string", default: "4" },
    concurrency: { type: "string", default: "16" },
    workers: { type: "string", default: "2" },
  },
});
const presentations = Number(values.presentations);
const rounds = Number(values.rounds);
const concurrency = Number(values.concurrency);
const workers = Number(values.workers);
if (![presentations, rounds, concurrency, workers].every((n) => Number.isInteger(n) && n > 0)) {
  throw new Error("--presentations, --rounds, --concurrency and --workers take positive integers");
}
const perRound = Math.max(1, Math.floor(presentations / rounds));
const command =
  `npm run bench:linked -- --presentations ${presentations} --rounds ${rounds} ` +
  `--concurrency ${concurrency} --workers ${workers}`;

const MAINLAND = "0x1111111111111111111111111111111111111111";
const HONG_KONG = "0x2222222222222222222222222222222222222222";
const CLIENT = "bench";
const DEPTH = 20;
const TODAY = new Date();

/** A bureau's committed records (one tree) and a record's Merkle path by index. */
interface Bureau {
  readonly schema: Schema;
  readonly slots: bigint[][];
  readonly salts: bigint[];
  readonly tree: CommitmentTree;
}

function bureau(schemaId: string, records: readonly RecordInput[]): Bureau {
  const schema = getSchema(schemaId);
  const slots = records.map((r) => [...encodeRecord(schema, r)]);
  const salts = slots.map((_, i) => 0xb0b0n * 0x10000n + BigInt(i));
  const tree = new CommitmentTree(
    slots.map((s, i) => computeLeaf(schema.schemaId, s, salts[i] as bigint)),
  );
  return { schema, slots, salts, tree };
}

const credit = syntheticCreditReports({ count: 64, seed: 19, asOf: TODAY });
const mainland = bureau("credit-report-v1", credit);
// The Hong Kong bureau knows the same subjects: residency records carrying their ids.
const hongKong = bureau(
  "residency-v1",
  syntheticResidency({ count: 64, seed: 19, asOf: TODAY }).map((r, i) => ({
    ...r,
    subjectId: credit[i]?.subjectId as string,
  })),
);

const SINGLE = {
  id: "single-query",
  schema: "credit-report-v1",
  issuers: [MAINLAND],
  subject: { field: "subjectId" },
  predicates: [
    { op: "GTE", field: "creditScore", value: 300 },
    { op: "RATIO_LTE", field: "totalDebt", per: "annualIncome", numerator: 100, denominator: 100 },
  ],
  disclose: ["jurisdiction"],
};
const SINGLE_V2 = {
  ...SINGLE,
  id: "single-query-v2",
  predicates: [
    ...SINGLE.predicates,
    { op: "IN", field: "jurisdiction", values: ["CN", "HK", "MO"] },
  ],
};
const LINKED = {
  ...SINGLE_V2,
  id: "linked-query-v2",
  link: { field: "subjectId" },
  linked: [
    {
      schema: "residency-v1",
      issuers: [HONG_KONG],
      link: { field: "subjectId" },
      predicates: [
        {
          op: "IN",
          field: "residencyStatus",
          values: ["visitor", "student", "dependant", "work-permit", "talent-scheme", "permanent"],
        },
      ],
      disclose: ["employmentStatus"],
    },
  ],
};

const dir = await mkdtemp(join(tmpdir(), "crossproof-bench-linked-"));
const store = SqliteVerifierStore.open(join(dir, "verifier.sqlite"));
const pool = await VerifierPool.start({ workers });
const releases = {
  query: await loadCircuitRelease("query"),
  query_v2: await loadCircuitRelease("query_v2"),
};
const keyHashes = new Map<KeyHash, string>(
  Object.entries(releases).map(([name, r]) => [verificationKeyHash(r.verificationKey), name]),
);
const roots = new Map<bigint, RootStatus>(
  [
    [mainland, MAINLAND],
    [hongKong, HONG_KONG],
  ].map(([b, issuer]) => {
    const { tree, schema } = b as Bureau;
    return [
      tree.root,
      {
        root: tree.root,
        issuer: issuer as RootStatus["issuer"],
        schemaId: schema.schemaId,
        anchoredAt: TODAY,
        replacedAt: null,
        revokedAt: null,
        issuerActive: true,
      },
    ];
  }),
);
const lookup = {
  lookupRoot: async (root: bigint) => roots.get(root) ?? null,
  lookupRelease: async (hash: KeyHash): Promise<ReleaseStatus | null> => {
    const name = keyHashes.get(hash);
    return name === undefined
      ? null
      : {
          keyHash: hash,
          name,
          version: "1.0.0",
          kind: "development",
          registeredAt: TODAY,
          retiredAt: null,
          graceSeconds: 0,
          acceptedUntil: null,
        };
  },
  releaseKey: async () => null,
};
const verifier = new Verifier({
  store,
  roots: lookup,
  releases: lookup,
  checker: new MicroBatcher(pool, { maxDelayMs: 2, maxBatch: 64 }),
  circuits: new Map<string, CircuitRelease>(Object.entries(releases)),
});
for (const policy of [SINGLE, SINGLE_V2, LINKED]) await verifier.createPolicy(policy);

const engine = loadNativeAddon().available ? "native" : "snarkjs";
const natives = new Map<CircuitRelease, NativeProver>();
if (engine === "native") {
  for (const r of Object.values(releases)) {
    natives.set(
      r,
      await NativeProver.open({
        wasm: await readFile(r.paths.wasm),
        zkey: await readFile(r.paths.zkey),
      }),
    );
  }
}

async function proveInput(release: CircuitRelease, input: CircuitInput): Promise<ProofBundle> {
  const native = natives.get(release);
  if (native) return (await native.prove(input, 2)).bundle;
  const { proof, publicSignals } = await snarkjs.groth16.fullProve(
    input,
    release.paths.wasm,
    release.paths.zkey,
  );
  return { proof: proof as unknown as ProofBundle["proof"], publicSignals };
}

/** Record `index` of `b` meets the part (else the synthetic data moved: the bench says so). */
function assertMeets(
  b: Bureau,
  index: number,
  predicates: readonly PredicateV2[],
  table: readonly bigint[],
) {
  const slots = b.slots[index] as bigint[];
  if (!predicates.every((p) => evaluatePredicateV2(p, slots, table))) {
    throw new Error(`synthetic ${b.schema.id} record ${index} does not meet the bench policy`);
  }
}

/** One genuine presentation of `policyId` about subject `index`. */
async function present(policyId: string, index: number): Promise<unknown> {
  const slots = mainland.slots[index] as bigint[];
  const subject = slots[mainland.schema.slotOf.get("subjectId") as number] as bigint;
  const challenge: ChallengeRecord = await verifier.issueChallenge(
    policyId,
    subject.toString(),
    CLIENT,
  );
  const witnessOf = (b: Bureau) => ({
    schemaId: b.schema.schemaId,
    slots: b.slots[index] as bigint[],
    salt: b.salts[index] as bigint,
    path: b.tree.path(index),
    challenge: challenge.nonce,
  });
  if (challenge.circuit === "query") {
    assertMeets(mainland, index, challenge.predicates, []);
    const input = buildQueryInput(
      {
        ...witnessOf(mainland),
        predicates: padPredicates(challenge.predicates as readonly Predicate[], 8),
        queryHash: challenge.queryHash,
      },
      DEPTH,
    );
    return { challengeId: challenge.id, ...(await proveInput(releases.query, input)) };
  }
  const nonce = newLinkNonce();
  const parts = [
    { bureau: mainland, ...challenge, table: challenge.table ?? [] },
    ...challenge.linked.map((p) => ({ bureau: hongKong, ...p })),
  ];
  const bundles: ProofBundle[] = [];
  for (const part of parts) {
    assertMeets(part.bureau, index, part.predicates, part.table);
    const input = buildQueryV2Input(
      {
        ...witnessOf(part.bureau),
        predicates: padPredicatesV2(part.predicates),
        table: part.table,
        link: part.link === null ? null : { index: part.link },
        linkNonce: nonce,
        queryHash: part.queryHash,
      },
      DEPTH,
    );
    bundles.push(await proveInput(releases.query_v2, input));
  }
  const [own, ...linked] = bundles as [ProofBundle, ...ProofBundle[]];
  return {
    challengeId: challenge.id,
    ...own,
    ...(linked.length === 0 ? {} : { linked: linked.map((b) => ({ ...b })) }),
  };
}

const kinds = [
  { name: "single record, query", policy: SINGLE.id, proofs: 1 },
  { name: "single record, query_v2 (IN)", policy: SINGLE_V2.id, proofs: 1 },
  { name: "two linked records, query_v2", policy: LINKED.id, proofs: 2 },
] as const;

process.stdout.write(
  `making ${perRound * rounds + 1} genuine presentations of each kind (${engine} engine)…\n`,
);
const made = new Map<string, unknown[]>();
const provingStarted = performance.now();
for (const kind of kinds) {
  const list: unknown[] = [];
  // One more than measured: the first warms the pool, the store and the caches up.
  for (let n = 0; n <= perRound * rounds; n++) list.push(await present(kind.policy, n % 64));
  made.set(kind.name, list);
}
process.stdout.write(
  `made in ${((performance.now() - provingStarted) / 1000).toFixed(1)} s; verifying…\n`,
);

for (const kind of kinds) {
  const [warm] = made.get(kind.name) as unknown[];
  if (!(await verifier.verify(kind.policy, warm, CLIENT)).verified) {
    throw new Error(`${kind.name}: the warm-up presentation was refused`);
  }
}
const rates = kinds.map(() => [] as number[]);
const limit = pLimit(concurrency);
for (let round = 0; round < rounds; round++) {
  for (const [k, kind] of kinds.entries()) {
    // Past the warm-up presentation (index 0), already used.
    const batch = (made.get(kind.name) as unknown[]).slice(
      1 + round * perRound,
      1 + (round + 1) * perRound,
    );
    const started = performance.now();
    const verdicts = await Promise.all(
      batch.map((p) => limit(() => verifier.verify(kind.policy, p, CLIENT))),
    );
    const seconds = (performance.now() - started) / 1000;
    const refused = verdicts.filter((v) => !v.verified);
    if (refused.length > 0) {
      throw new Error(
        `${kind.name}: ${refused.length} genuine presentation(s) refused: ${refused[0]?.reasons.map((r) => r.code).join(", ")}`,
      );
    }
    rates[k]?.push(batch.length / seconds);
    process.stdout.write(
      `round ${round + 1}: ${kind.name}: ${(batch.length / seconds).toFixed(1)} presentations/s\n`,
    );
  }
}

const medians = rates.map((r) => median(r));
const single = medians[0] as number;
const figures: Figure[] = [];
for (const [k, kind] of kinds.entries()) {
  const rate = medians[k] as number;
  figures.push(
    figure(`${kind.name}: presentations/s`, "/s", rate, command, k === 0 ? null : single),
    figure(`${kind.name}: proofs checked/s`, "/s", rate * kind.proofs, command),
  );
}
printTable(
  `verification throughput, linked against single-record presentations — ${perRound} per kind per round, ${rounds} rounds, ${concurrency} in flight, ${workers} verify worker(s); ratios against the single-record query presentation`,
  figures,
);
const path = await writeResults("linked", figures, {
  rows: kinds.map((kind, k) => ({
    kind: kind.name,
    proofsPerPresentation: kind.proofs,
    presentationsPerSecond: medians[k],
    rounds: rates[k],
  })),
});
process.stdout.write(`\nwrote ${path}\n`);
await pool.close();
await store.close();
await rm(dir, { recursive: true, force: true });
