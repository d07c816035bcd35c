/**
 * `npm run bench:chain`: the chain's cost on this machine, against the local anvil node.
 * Start of the local node (first start: deploy and register; later starts: load the state),
 * anchoring latency and gas, root lookups straight from the chain against the event-invalidated
 * cache, circuit releases (gas of `registerRelease` and `retireRelease`, release lookups from
 * the chain and the cache), and the on-chain `query` proof check (latency and gas). Prints a table and writes
 * bench/results/chain.json.
 *
 * Options: `--runs N` (default 50).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { encodeFunctionData } from "viem";
import { queryVerifierAbi } from "../chain/abi.js";
import { openChain, RootCache, solidityProof } from "../chain/index.js";
import { type KeyHash, verificationKeyHash } from "../core/circuit-release.js";
import { computeLeaf } from "../core/commitment.js";
import { randomFieldElement } from "../core/field.js";
import { compileQuery } from "../core/query.js";
import { encodeRecord } from "../core/record.js";
import { getSchema } from "../core/schema.js";
import { CommitmentTree } from "../core/tree.js";
import { loadCircuitRelease } from "../infra/artifacts.js";
import { releaseSnarkjsCurve } from "../infra/snarkjs-runtime.js";
import { syntheticCreditReports } from "../issuer/synthetic.js";
import { proveQuery, queryShape } from "../prover/prove-query.js";
import { type Figure, figure, percentile, printTable, writeResults } from "./report.js";

const { values } = parseArgs({ options: { runs: { type: "string", default: "50" } } });
const runs = Number(values.runs);
const command = `npm run bench:chain -- --runs ${runs}`;

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work();
  return [result, performance.now() - started];
}

const dataDir = await mkdtemp(join(tmpdir(), "crossproof-bench-chain-"));
const env = { CROSSPROOF_DATA_DIR: dataDir };
const figures: Figure[] = [];
try {
  const [first, coldMs] = await timed(() => openChain({ env }));
  await first.close();
  const [chain, warmMs] = await timed(() => openChain({ env }));
  figures.push(
    figure(
      "local node first start (spawn, deploy, register issuer and shipped releases)",
      "ms",
      coldMs,
      command,
    ),
  );
  figures.push(
    figure("local node later start (spawn, load state, check contracts)", "ms", warmMs, command),
  );
  try {
    const schema = getSchema("credit-report-v1");

    // Anchoring: one transaction per root, the state saved after each (crash safety).
    const anchorMs: number[] = [];
    const roots: bigint[] = [];
    let gas = 0n;
    for (let i = 0; i < runs; i++) {
      const root = randomFieldElement();
      const [receipt, ms] = await timed(() => chain.registry.anchorRoot(schema.schemaId, root));
      anchorMs.push(ms);
      roots.push(root);
      if (i === runs - 1) {
        gas = (await chain.registry.client.getTransactionReceipt({ hash: receipt.transactionHash }))
          .gasUsed;
      }
    }
    figures.push(
      figure("anchorRoot, confirmed and state saved, p50", "ms", percentile(anchorMs, 50), command),
    );
    figures.push(
      figure("anchorRoot, confirmed and state saved, p95", "ms", percentile(anchorMs, 95), command),
    );
    figures.push(figure("anchorRoot gas (replacing a previous root)", "gas", Number(gas), command));

    // Lookups: straight from the chain, then through the cache once it is in sync.
    const directMs: number[] = [];
    for (const root of roots)
      directMs.push((await timed(() => chain.registry.lookupRoot(root)))[1]);
    const cache = new RootCache(chain.registry, { pollingIntervalMs: 100 });
    cache.start();
    while (!cache.inSync) await new Promise((r) => setTimeout(r, 20));
    for (const root of roots) await cache.lookupRoot(root); // fill
    const cachedMs: number[] = [];
    for (const root of roots) cachedMs.push((await timed(() => cache.lookupRoot(root)))[1]);
    cache.stop();
    const direct = percentile(directMs, 50);
    const cached = percentile(cachedMs, 50);
    figures.push(
      figure("root lookup from the chain (rootStatus call), p50", "µs", direct * 1000, command),
    );
    figures.push(figure("root lookup from the cache, p50", "µs", cached * 1000, command));
    figures.push(figure("root lookup: chain / cache (speed-up)", "×", direct / cached, command, 1));

    // Circuit releases: the admin's register and retire transactions, and what a verifier pays
    // to look one up (from the chain, then from the cache that the release events invalidate).
    const admin = await chain.admin();
    const gasOf = async (hash: `0x${string}`) =>
      Number((await chain.registry.client.getTransactionReceipt({ hash })).gasUsed);
    const registerGas: number[] = [];
    const retireGas: number[] = [];
    const keys: KeyHash[] = [];
    for (let i = 0; i < runs; i++) {
      const key = verificationKeyHash({ bench: i, at: Date.now() });
      keys.push(key);
      const registered = await admin.registerRelease("bench", `1.${i}.0`, key, "production");
      registerGas.push(await gasOf(registered.transactionHash));
    }
    for (let i = 0; i < runs; i++) {
      const retired = await admin.retireRelease("bench", `1.${i}.0`, 86_400);
      retireGas.push(await gasOf(retired.transactionHash));
    }
    figures.push(
      figure(
        'registerRelease gas, p50 ("bench", "1.N.0", kind production)',
        "gas",
        percentile(registerGas, 50),
        command,
      ),
    );
    figures.push(
      figure(
        "retireRelease gas, p50 (with a grace period)",
        "gas",
        percentile(retireGas, 50),
        command,
      ),
    );
    const releaseDirectMs: number[] = [];
    for (const key of keys)
      releaseDirectMs.push((await timed(() => chain.registry.lookupRelease(key)))[1]);
    const releaseCache = new RootCache(chain.registry, { pollingIntervalMs: 100 });
    releaseCache.start();
    while (!releaseCache.inSync) await new Promise((r) => setTimeout(r, 20));
    for (const key of keys) await releaseCache.lookupRelease(key); // fill
    const releaseCachedMs: number[] = [];
    for (const key of keys)
      releaseCachedMs.push((await timed(() => releaseCache.lookupRelease(key)))[1]);
    releaseCache.stop();
    figures.push(
      figure(
        "release lookup from the chain (releaseStatus call), p50",
        "µs",
        percentile(releaseDirectMs, 50) * 1000,
        command,
      ),
    );
    figures.push(
      figure(
        "release lookup from the cache, p50",
        "µs",
        percentile(releaseCachedMs, 50) * 1000,
        command,
      ),
    );

    // The on-chain proof check: a view call, and what it would cost in a transaction.
    const release = await loadCircuitRelease("query");
    const { k } = queryShape(release);
    const reports = syntheticCreditReports({
      count: 16,
      seed: 3,
      asOf: new Date("2026-11-21T00:00:00Z"),
    });
    const slots = reports.map((r) => encodeRecord(schema, r));
    const salt = 987654321n;
    const tree = new CommitmentTree(slots.map((s) => computeLeaf(schema.schemaId, s, salt)));
    const { predicates, queryHash } = compileQuery(
      schema,
      [{ op: "DISCLOSE", field: "jurisdiction" }],
      k,
    );
    const bundle = await proveQuery(release, {
      schemaId: schema.schemaId,
      slots: slots[0] as bigint[],
      salt,
      path: tree.path(0),
      predicates,
      queryHash,
      challenge: 42n,
    });
    const verifyMs: number[] = [];
    for (let i = 0; i < runs; i++) {
      const [ok, ms] = await timed(() => chain.verifyOnChain(bundle.proof, bundle.publicSignals));
      if (!ok) throw new Error("the on-chain verifier refused a valid proof");
      verifyMs.push(ms);
    }
    // The gas a transaction calling verifyProof needs. eth_estimateGas cannot tell: the verifier
    // answers `false` rather than reverting when the pairing precompile runs out of gas, so the
    // estimate is the gas for a `false`. Search for the least gas that still answers `true`.
    const { a, b, c } = solidityProof(bundle.proof);
    const data = encodeFunctionData({
      abi: queryVerifierAbi,
      functionName: "verifyProof",
      args: [a, b, c, bundle.publicSignals.map((s) => BigInt(s)) as never],
    });
    const answersTrue = async (gas: bigint): Promise<boolean> => {
      const to = chain.verifierAddress as `0x${string}`;
      const result = await chain.registry.client.call({ to, data, gas }).catch(() => undefined);
      return result?.data !== undefined && BigInt(result.data) === 1n;
    };
    let [low, high] = [21_000n, 2_000_000n];
    while (high - low > 100n) {
      const mid = (low + high) / 2n;
      if (await answersTrue(mid)) high = mid;
      else low = mid;
    }
    const verifyGas = high;
    figures.push(
      figure("on-chain verifyProof (eth_call), p50", "ms", percentile(verifyMs, 50), command),
    );
    figures.push(
      figure(
        "on-chain verifyProof gas, ±100 (12 public signals)",
        "gas",
        Number(verifyGas),
        command,
      ),
    );
  } finally {
    await chain.close();
  }
  printTable(`chain (local anvil node, ${runs} runs)`, figures);
  process.stdout.write(`\nwrote ${await writeResults("chain", figures)}\n`);
} finally {
  await releaseSnarkjsCurve();
  await rm(dataDir, { recursive: true, force: true });
}
