/**
 * `npm run bench:audit`: what the receipt log's anchoring costs the verifier, side by side in one
 * run on the same proofs. Each verification is what the service does for a batch: the verifier
 * pool checks the proofs (2 workers, batches of 64), then each verdict's receipt is stored with
 * its challenge consumed (SQLite, `consumeChallenge`: the receipt chained into the log in that
 * transaction). Modes, run in turn for `--rounds` rounds (median of rounds):
 *
 * - anchoring off: no anchorer (the log is still chained: it is part of storing a receipt);
 * - anchoring on, defaults: the anchorer running at the default interval (every 1,000 receipts
 *   or 300 s), checking the head every second, on a local anvil chain;
 * - anchoring on, every 64: the anchorer writing an anchor every 64 receipts (a worst case, far
 *   more often than the default), so its chain writes and its re-checking of the log fall inside
 *   the timed run.
 *
 * Also: gas per anchor (from the transactions' receipts), and anchors per hour at the default
 * interval (12 an hour while under 1,000 receipts per 300 s; at the measured rate, the count
 * bound), and the share of a receipt's storing that is the chain's hash (sha256 of its canonical
 * JSON), measured on its own.
 *
 * Writes bench/results/audit-anchoring.json.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { deployReceiptLog } from "../chain/deployment.js";
import { LocalNode } from "../chain/local-node.js";
import { ReceiptLogContract } from "../chain/receipt-log.js";
import type { ProofBundle } from "../core/proof.js";
import { Op } from "../core/query.js";
import { EMPTY_LOG_HEAD, nextEntry } from "../core/receipt-log.js";
import { getSchema } from "../core/schema.js";
import { loadCircuitRelease } from "../infra/artifacts.js";
import { ANCHOR_DEFAULTS, ReceiptAnchorer } from "../server/receipt-anchorer.js";
import { MicroBatcher } from "../verifier/micro-batch.js";
import { parsePolicyDefinition } from "../verifier/policy.js";
import { VerifierPool } from "../verifier/pool.js";
import { SqliteVerifierStore } from "../verifier/sqlite-store.js";
import { type ChallengeRecord, logReceipt, type Receipt } from "../verifier/store.js";
import { type Figure, figure, median, printTable, writeResults } from "./report.js";
import { distinctValidProofs } from "./witnesses.js";

const { values } = parseArgs({
  options: {
    genuine: { type: "string", default: "8" },
    proofs: { type: "string", default: "1024" },
    rounds: { type: "string", default: "3" },
  },
});
const genuineCount = Number(values.genuine);
const proofCount = Number(values.proofs);
const rounds = Number(values.rounds);
const command = `npm run bench:audit -- --genuine ${genuineCount} --proofs ${proofCount} --rounds ${rounds}`;
const WORKERS = 2;
const ISSUER = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";

const policy = parsePolicyDefinition(
  {
    id: "p-main",
    description: "the benchmark's policy",
    schema: "credit-report-v1",
    issuers: [ISSUER],
    predicates: [{ op: "GTE", field: "creditScore", value: 650 }],
  },
  8,
);

/** A challenge as the service stores one (the proofs are checked by the pool, not against it). */
function challenge(id: string, at: number): ChallengeRecord {
  return {
    id,
    policyId: "p-main",
    nonce: 2n ** 200n + BigInt(at),
    schemaId: getSchema("credit-report-v1").schemaId,
    queryHash: 12_345n,
    predicates: [{ op: Op.GTE, i: 2, j: 0, a: 650n, b: 0n }],
    query: [{ op: "GTE", field: "creditScore", value: 650 }],
    issuedAt: new Date(at),
    expiresAt: new Date(at + 3_600_000),
    clientId: "bench-client",
    consumedAt: null,
    circuit: "query",
    table: null,
    link: null,
    linked: [],
    receiptId: null,
  };
}

function receipt(id: string, challengeId: string, at: number): Receipt {
  return {
    id,
    createdAt: new Date(at),
    policyId: "p-main",
    challengeId,
    root: 2n ** 250n + 7n,
    issuer: ISSUER,
    verified: true,
    reasons: [],
    clientId: "bench-client",
  };
}

const release = await loadCircuitRelease("query");
const vk = release.verificationKey;
const proofs = await distinctValidProofs(release, genuineCount, proofCount);

const dir = await mkdtemp(join(tmpdir(), "crossproof-bench-audit-"));
const node = await LocalNode.start({ dataDir: dir, saveIntervalMs: 0 });
const deployer = privateKeyToAccount(generatePrivateKey());
await node.fund(deployer.address);
const address = await deployReceiptLog({
  rpcUrl: node.rpcUrl,
  chainId: node.chainId,
  admin: deployer,
});

/** The contract with an anchoring key of its own (each run's log starts at 0: a new anchorer). */
async function freshAnchorKey(): Promise<ReceiptLogContract> {
  const key = privateKeyToAccount(generatePrivateKey());
  await node.fund(key.address);
  return new ReceiptLogContract({
    rpcUrl: node.rpcUrl,
    chainId: node.chainId,
    address,
    account: key,
  });
}
const pool = await VerifierPool.start({ workers: WORKERS });
const batcher = new MicroBatcher(pool, { maxBatch: 64 });
await batcher.checkMany(vk, proofs.slice(0, 2 * WORKERS)); // warm: each worker prepares the key

/** Gas of each anchor: the first of a key (new storage) and the later ones. */
const gas: { first: bigint[]; later: bigint[] } = { first: [], later: [] };
let run = 0;

/** Anchors written during the timed runs, by mode (its interval). */
const anchorsByMode = new Map<number | null, number>();

/** Verifies every proof and stores its receipt; answers verifications per second. */
async function verifyAndRecord(anchorEvery: number | null): Promise<number> {
  run += 1;
  const store = SqliteVerifierStore.open(join(dir, `run-${run}`, "verifier.sqlite"));
  await store.createPolicy(policy, new Date(0));
  const now = Date.now();
  for (let i = 0; i < proofs.length; i++) await store.insertChallenge(challenge(`ch-${i}`, now));
  const contract = anchorEvery === null ? undefined : await freshAnchorKey();
  let written = 0;
  const anchorer =
    contract === undefined || anchorEvery === null
      ? undefined
      : new ReceiptAnchorer({
          store,
          contract,
          chainId: node.chainId,
          every: anchorEvery,
          seconds: ANCHOR_DEFAULTS.seconds,
          checkMs: anchorEvery === ANCHOR_DEFAULTS.every ? 1_000 : 20,
          onAnchor: (a) => {
            (written === 0 ? gas.first : gas.later).push(a.gasUsed);
            written += 1;
            anchorsByMode.set(anchorEvery, (anchorsByMode.get(anchorEvery) ?? 0) + 1);
          },
        });
  anchorer?.start();
  try {
    const started = performance.now();
    const parts: Promise<void>[] = [];
    for (let start = 0; start < proofs.length; start += 64 * WORKERS) {
      const slice: readonly ProofBundle[] = proofs.slice(start, start + 64 * WORKERS);
      parts.push(
        batcher.checkMany(vk, slice).then(async (outcomes) => {
          for (let i = 0; i < outcomes.length; i++) {
            const o = outcomes[i];
            if (!(o && "valid" in o && o.valid)) throw new Error("a valid proof was not verified");
            const n = start + i;
            const outcome = await store.consumeChallenge(
              `ch-${n}`,
              receipt(`rc-${n}`, `ch-${n}`, Date.now()),
            );
            if (outcome !== "consumed") throw new Error(`challenge ch-${n}: ${outcome}`);
          }
        }),
      );
    }
    await Promise.all(parts);
    const seconds = (performance.now() - started) / 1000;
    if ((await store.logHead()).count !== proofs.length) throw new Error("receipts missing");
    return proofs.length / seconds;
  } finally {
    await anchorer?.stop();
    await store.close();
  }
}

/** Microseconds to hash one receipt into the chain, alone (median of 5 × 10,000). */
function chainHashMicros(): number {
  const r = logReceipt(receipt("rc-x", "ch-x", Date.now()));
  const runs: number[] = [];
  for (let k = 0; k < 5; k++) {
    const started = performance.now();
    let head = EMPTY_LOG_HEAD;
    for (let i = 0; i < 10_000; i++) {
      const e = nextEntry(head, r);
      head = { count: e.seq, head: e.hash };
    }
    runs.push(((performance.now() - started) * 1000) / 10_000);
  }
  return median(runs);
}

const modes = [
  { name: "verify + store receipts, anchoring off", every: null },
  {
    name: `verify + store receipts, anchoring on (every ${ANCHOR_DEFAULTS.every} or ${ANCHOR_DEFAULTS.seconds} s)`,
    every: ANCHOR_DEFAULTS.every,
  },
  { name: "verify + store receipts, anchoring on (every 64: worst case)", every: 64 },
] as const;
const samples: number[][] = modes.map(() => []);
try {
  for (let r = 0; r < rounds; r++) {
    for (const [i, m] of modes.entries()) {
      const rate = await verifyAndRecord(m.every);
      samples[i]?.push(rate);
      process.stdout.write(`round ${r + 1}: ${m.name}: ${rate.toFixed(1)} verifications/s\n`);
    }
  }
} finally {
  await pool.close();
  await node.stop();
  await rm(dir, { recursive: true, force: true });
}

const rates = samples.map(median);
const off = rates[0] as number;
/** Each mode against anchoring off in the same round (the machine's load drifts between rounds). */
const paired = samples.map((series) =>
  median(series.map((rate, r) => rate / (samples[0]?.[r] as number))),
);
const hashMicros = chainHashMicros();
const gasFirst = median(gas.first.map(Number));
const gasLater = median(gas.later.map(Number));
const byCount = (off * 3_600) / ANCHOR_DEFAULTS.every;
const figures: Figure[] = [
  ...modes.map((m, i) => figure(m.name, "verifications/s", rates[i] as number, command, off)),
  ...modes
    .slice(1)
    .map((m, i) =>
      figure(
        `${m.name}: against off in the same round (median)`,
        "×",
        paired[i + 1] as number,
        command,
      ),
    ),
  figure("gas per anchor (a key's first)", "gas", gasFirst, command),
  figure("gas per anchor (every later one)", "gas", gasLater, command),
  figure(
    "anchors per hour at the defaults, under 1,000 receipts per 300 s",
    "anchors/h",
    3_600 / ANCHOR_DEFAULTS.seconds,
    command,
  ),
  figure("anchors per hour at the defaults, at the measured rate", "anchors/h", byCount, command),
  figure("chain hash per receipt (sha256 of canonical JSON)", "µs", hashMicros, command),
  figure(
    "chain hash as a share of one verification's time at the measured rate",
    "%",
    (hashMicros / (1e6 / off)) * 100,
    command,
  ),
];
printTable("receipt log anchoring", figures);
await writeResults("audit-anchoring", figures, {
  proofs: proofCount,
  rounds,
  workers: WORKERS,
  anchorsWritten: gas.first.length + gas.later.length,
  anchorsByMode: Object.fromEntries(modes.map((m) => [m.name, anchorsByMode.get(m.every) ?? 0])),
  samples: Object.fromEntries(modes.map((m, i) => [m.name, samples[i]])),
});
