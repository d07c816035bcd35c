/**
 * Starting and stopping the two services with everything they need, on the configuration of
 * `config.ts`: the verifier (store, keys, registry cache, verification pool) and the holder's
 * prover (vault, proving pool). `crossproof start`, `crossproof verifier serve`, `crossproof
 * prover serve` and the tests all start them through here.
 */
import type { ChainConnection } from "../chain/connect.js";
import { ReceiptLogContract } from "../chain/receipt-log.js";
import type { RootRegistry } from "../chain/registry.js";
import { RegistryHistory } from "../chain/registry-history.js";
import { RootCache } from "../chain/root-cache.js";
import { loadCircuitInstances } from "../circuits/instances.js";
import { CrossproofError, ErrorCode } from "../core/errors.js";
import { loadFastPoseidon } from "../core/poseidon.js";
import { type CircuitRelease, loadCircuitRelease } from "../infra/artifacts.js";
import type { CrossproofLogger } from "../infra/log.js";
import { vaultPath, verifierPaths } from "../infra/paths.js";
import { loadStoredSchemas } from "../infra/schema-store.js";
import { Vault } from "../issuer/vault.js";
import { ProverPool } from "../prover/pool.js";
import { ApiKeyAuth } from "../server/api-keys.js";
import type { ServiceConfig } from "../server/config.js";
import { listen, type RunningService } from "../server/http.js";
import { DEFAULT_BUREAU, vaultsByBureau } from "../server/presenter.js";
import { createProverApp, ProverMetrics, poolBackend } from "../server/prover-service.js";
import { ReceiptAnchorer } from "../server/receipt-anchorer.js";
import {
  loadVerifierAdminKey,
  openSharedLimiter,
  openVerifierStore,
} from "../server/shared-state.js";
import {
  createVerifierApp,
  type ReadinessChecks,
  VerifierMetrics,
} from "../server/verifier-service.js";
import { checkVerificationKey } from "../verifier/key-checks.js";
import { MicroBatcher } from "../verifier/micro-batch.js";
import { VerifierPool } from "../verifier/pool.js";
import type { VerifierStore } from "../verifier/store.js";
import { Verifier } from "../verifier/verifier.js";

/** How long after its expiry an unused challenge is kept, and how often they are purged. */
const PURGE_AFTER_MS = 3_600_000;
const PURGE_EVERY_MS = 600_000;

/** A running verifier service. */
export interface VerifierService {
  readonly url: string;
  readonly port: number;
  readonly verifier: Verifier;
  readonly store: VerifierStore;
  readonly auth: ApiKeyAuth;
  readonly roots: RootCache;
  /** Stops taking requests, lets those under way finish, then releases everything. */
  close(): Promise<void>;
}

/**
 * Every circuit with a committed release (the `query` circuit must have one), each checked on
 * load: manifest hashes (loadCircuitRelease), then its verification key (γ ≠ δ, IC count, every
 * point on its curve and in its subgroup). A development release is refused unless
 * `allowDevelopmentKeys` (`DEVELOPMENT_KEYS_REFUSED`).
 */
/** `DEVELOPMENT_KEYS_REFUSED` for a development release unless they are allowed. */
function refuseDevelopment(release: CircuitRelease, allowDevelopmentKeys: boolean): void {
  if (release.manifest.setup.kind === "development" && !allowDevelopmentKeys) {
    throw new CrossproofError(
      ErrorCode.DEVELOPMENT_KEYS_REFUSED,
      `circuit ${release.name} has development keys (public toxic waste: anyone can forge proofs); set CROSSPROOF_ALLOW_DEVELOPMENT_KEYS=1 for local use only, or install a production release (crossproof ceremony release)`,
      { details: { circuit: release.name } },
    );
  }
}

async function loadReleases(allowDevelopmentKeys: boolean): Promise<Map<string, CircuitRelease>> {
  const releases = new Map<string, CircuitRelease>();
  for (const instance of loadCircuitInstances()) {
    let release: CircuitRelease;
    try {
      release = await loadCircuitRelease(instance.name);
    } catch (err) {
      // A missing benchmark variant is fine; a broken or missing `query` release is not.
      if (instance.name === "query" || !(err instanceof CrossproofError)) throw err;
      if (err.code !== ErrorCode.ARTIFACT_MISSING) throw err;
      continue;
    }
    await checkVerificationKey(release.verificationKey, release.name, release.manifest.nPublic);
    refuseDevelopment(release, allowDevelopmentKeys);
    releases.set(instance.name, release);
  }
  return releases;
}

/**
 * The further `query` releases of `CROSSPROOF_EXTRA_RELEASES` (a rotation's other release),
 * checked exactly as the loaded one.
 */
async function loadExtraQueryReleases(
  dirs: readonly string[],
  allowDevelopmentKeys: boolean,
): Promise<CircuitRelease[]> {
  const out: CircuitRelease[] = [];
  for (const dir of dirs) {
    const release = await loadCircuitRelease("query", dir);
    await checkVerificationKey(release.verificationKey, release.name, release.manifest.nPublic);
    refuseDevelopment(release, allowDevelopmentKeys);
    out.push(release);
  }
  return out;
}

/** Something started that must be closed when the service stops (or fails to start). */
interface Closable {
  close(): Promise<void>;
}

/** The registry's event watch and root cache, started; registry poll failures are logged. */
function startRootWatch(
  registry: RootRegistry,
  config: ServiceConfig,
  logger: CrossproofLogger,
  started: Closable[],
): RootCache {
  const roots = new RootCache(registry, {
    pollingIntervalMs: config.rootPollMs,
    onError: (error) =>
      logger.warn({ event: "registry-poll-failed", code: error.code }, "registry"),
  });
  roots.start();
  started.push({ close: async () => roots.stop() });
  return roots;
}

/**
 * The receipt log's contract on `chain`, signing with its anchoring key; undefined (the log is
 * then kept but not anchored) when the chain has no `ReceiptLog` or no key to anchor with.
 */
export async function receiptLogOf(
  chain: ChainConnection,
): Promise<ReceiptLogContract | undefined> {
  const key = await chain.anchorer();
  if (!chain.receiptLogAddress || !key) return undefined;
  const node = chain.node;
  return new ReceiptLogContract({
    rpcUrl: chain.rpcUrl,
    chainId: chain.chainId,
    address: chain.receiptLogAddress,
    account: key.account,
    ...(chain.config.mode === "remote" ? { transactionType: chain.config.transactionType } : {}),
    ...(node ? { afterWrite: () => node.persist() } : {}),
  });
}

/** The receipt log's anchorer, started; its attempts counted in the metrics. */
function startAnchorer(
  store: VerifierStore,
  contract: ReceiptLogContract,
  config: ServiceConfig,
  metrics: VerifierMetrics,
  logger: CrossproofLogger,
  started: Closable[],
): ReceiptAnchorer {
  const anchorer = new ReceiptAnchorer({
    store,
    contract,
    chainId: contract.client.chain.id,
    every: config.anchorEvery,
    seconds: config.anchorSeconds,
    logger,
    onAnchor: (a) => {
      metrics.receiptLogAnchors.inc({ outcome: "written" });
      metrics.receiptLogAnchored.set(a.count);
      metrics.receiptLogAnchorGas.set(Number(a.gasUsed));
    },
    onFailure: () => metrics.receiptLogAnchors.inc({ outcome: "failed" }),
  });
  anchorer.start();
  started.push({ close: () => anchorer.stop() });
  return anchorer;
}

/**
 * Challenges nobody used are dropped an hour after they expired, every ten minutes, so that
 * issuing challenges cannot grow the database without bound.
 */
function startChallengePurge(
  store: VerifierStore,
  logger: CrossproofLogger,
  started: Closable[],
): void {
  const purge = setInterval(() => {
    store.purgeExpiredChallenges(new Date(Date.now() - PURGE_AFTER_MS)).then(
      (count) => {
        if (count > 0) logger.info({ event: "challenges-purged", count }, "store");
      },
      (err: unknown) =>
        logger.warn({ event: "purge-failed", code: (err as CrossproofError).code }, "store"),
    );
  }, PURGE_EVERY_MS);
  purge.unref();
  started.push({ close: async () => clearInterval(purge) });
}

/** A warning per circuit served with a development setup, in the log as well as on /readyz. */
function warnDevelopmentKeys(
  circuits: ReadonlyMap<string, CircuitRelease>,
  logger: CrossproofLogger,
): void {
  for (const release of circuits.values()) {
    if (release.manifest.setup.kind === "development") {
      logger.warn(
        { event: "development-setup", circuit: release.name },
        "serving a circuit with a development trusted setup, allowed by CROSSPROOF_ALLOW_DEVELOPMENT_KEYS=1: anyone can forge its proofs; not for production",
      );
    }
  }
}

/** Options of {@link startVerifierService}. */
export interface VerifierServiceOptions {
  readonly config: ServiceConfig;
  readonly env: NodeJS.ProcessEnv;
  readonly registry: RootRegistry;
  readonly logger: CrossproofLogger;
  readonly port?: number;
  /**
   * The registry signing as the chain's admin, for registering external circuits through the
   * API (`POST /v1/circuits`); without it that operation answers `CHAIN_CONFIG`.
   */
  readonly registrar?: () => Promise<RootRegistry>;
  /**
   * Checks of the deployment around the service that `/readyz` adds to its own (the local
   * deployment: its prover and its sample policy), so that ready means ready to use.
   */
  readonly readiness?: ReadinessChecks;
  /**
   * The receipt log's contract with the anchoring key: the service anchors its log's head there
   * (`CROSSPROOF_AUDIT_ANCHOR_EVERY` receipts or `CROSSPROOF_AUDIT_ANCHOR_SECONDS`); without it the
   * log is kept but not anchored.
   */
  readonly receiptLog?: ReceiptLogContract;
}

/** Starts the verifier service on `config` (port: `config.verifierPort` unless given). */
export async function startVerifierService(
  options: VerifierServiceOptions,
): Promise<VerifierService> {
  const { config, env, registry, logger } = options;
  const paths = verifierPaths(config.dataDir);
  // Policies may name the operator's own schemas (`crossproof schemas add`).
  await loadStoredSchemas(config.dataDir);
  const circuits = await loadReleases(config.allowDevelopmentKeys);
  const queryReleases = await loadExtraQueryReleases(
    config.extraReleaseDirs,
    config.allowDevelopmentKeys,
  );
  await loadFastPoseidon(); // queryHash per challenge, several times faster than poseidon-lite
  // SQLite in the data folder, or PostgreSQL with CROSSPROOF_DATABASE_URL (shared-state.ts).
  const store = await openVerifierStore(config, paths.database);
  const started: Closable[] = [store];
  try {
    const auth = new ApiKeyAuth(store, await loadVerifierAdminKey(config, env, paths.adminKey));
    const roots = startRootWatch(registry, config, logger, started);
    startChallengePurge(store, logger, started);
    const metrics = new VerifierMetrics();
    // Per-key rate limits in Redis with CROSSPROOF_REDIS_URL, else in this process's memory.
    const limiter = await openSharedLimiter(config, logger, (shared) =>
      metrics.rateLimitShared.set(shared ? 1 : 0),
    );
    if (limiter) started.push(limiter);
    const anchorer = options.receiptLog
      ? startAnchorer(store, options.receiptLog, config, metrics, logger, started)
      : undefined;
    const pool = await VerifierPool.start({
      workers: config.verifyWorkers,
      onBatch: metrics.observeBatch,
    });
    started.push(pool);
    const verifier = new Verifier({
      store,
      roots,
      releases: roots,
      queryReleases,
      ...(options.registrar ? { registrar: options.registrar } : {}),
      checker: new MicroBatcher(pool, {
        maxDelayMs: config.batchMaxDelayMs,
        maxBatch: config.batchMaxSize,
      }),
      circuits,
      onVerdict: metrics.observe,
    });
    let stopping = false;
    const app = createVerifierApp({
      verifier,
      store,
      auth,
      roots,
      history: new RegistryHistory(registry),
      pool,
      metrics,
      logger,
      rateLimit: config.rateLimit,
      ...(limiter ? { limiter } : {}),
      bodyLimitKb: config.bodyLimitKb,
      requestTimeoutMs: config.requestTimeoutMs,
      stopping: () => stopping,
      ...(options.readiness ? { readiness: options.readiness } : {}),
      ...(anchorer ? { anchorer } : {}),
    });
    const service: RunningService = await listen(app, {
      host: config.host,
      port: options.port ?? config.verifierPort,
      requestTimeoutMs: config.requestTimeoutMs,
      portVariable: "CROSSPROOF_VERIFIER_PORT",
    });
    warnDevelopmentKeys(circuits, logger);
    logger.info(
      { event: "listening", port: service.port, workers: config.verifyWorkers },
      "verifier service",
    );
    let closing: Promise<void> | undefined;
    const close = () => {
      closing ??= (async () => {
        stopping = true;
        await service.close();
        for (const part of started.reverse()) await part.close();
        logger.info({ event: "stopped" }, "verifier service");
      })();
      return closing;
    };
    return { url: service.url, port: service.port, verifier, store, auth, roots, close };
  } catch (err) {
    for (const part of started.reverse()) await part.close().catch(() => undefined);
    throw err;
  }
}

/** A running prover service. */
export interface ProverService {
  readonly url: string;
  readonly port: number;
  /** Its default vault (the first of `vaults`). */
  readonly vault: Vault;
  /** Its vaults by bureau name, in order (one, `default`, unless `vaults` was given). */
  readonly vaults: ReadonlyMap<string, Vault>;
  readonly pool: ProverPool;
  close(): Promise<void>;
}

/**
 * Starts the holder's prover service on `config` (port: `config.proverPort` unless given), with
 * one vault (`vault`, default: the data folder's) or several by bureau name (`vaults`, the first
 * the default). Vaults given are the caller's to close.
 */
export async function startProverService(options: {
  readonly config: ServiceConfig;
  readonly logger: CrossproofLogger;
  readonly port?: number;
  readonly vault?: Vault;
  readonly vaults?: ReadonlyMap<string, Vault> | Readonly<Record<string, Vault>>;
}): Promise<ProverService> {
  const { config, logger } = options;
  if (options.vault && options.vaults) {
    throw new RangeError("give startProverService one vault or several vaults, not both");
  }
  const given = options.vaults === undefined ? undefined : vaultsByBureau(options.vaults);
  // The vault may hold records of the operator's own schemas (`crossproof schemas add`).
  await loadStoredSchemas(config.dataDir);
  const opened = options.vault === undefined && given === undefined;
  const vaults =
    given ??
    new Map([[DEFAULT_BUREAU, options.vault ?? (await Vault.open(vaultPath(config.dataDir)))]]);
  const vault = [...vaults.values()][0] as Vault;
  const metrics = new ProverMetrics();
  const pool = await ProverPool.start({
    workers: config.proverWorkers,
    onJob: metrics.observeJob,
    nativeTables: config.nativeTables,
    ...(config.proverEngine === undefined ? {} : { engine: config.proverEngine }),
  });
  let service: RunningService;
  try {
    const app = createProverApp({
      vaults,
      backend: poolBackend(pool),
      metrics,
      logger,
      bodyLimitKb: config.bodyLimitKb,
      requestTimeoutMs: config.proverRequestTimeoutMs,
    });
    service = await listen(app, {
      host: config.host,
      port: options.port ?? config.proverPort,
      requestTimeoutMs: config.proverRequestTimeoutMs,
      portVariable: "CROSSPROOF_PROVER_PORT",
    });
  } catch (err) {
    await pool.close();
    if (opened) vault.close();
    throw err;
  }
  logger.info(
    { event: "listening", port: service.port, workers: pool.stats.workers },
    `prover service (${pool.engine} engine)`,
  );
  let closing: Promise<void> | undefined;
  return {
    url: service.url,
    port: service.port,
    vault,
    vaults,
    pool,
    close: () => {
      // Graceful: stop taking requests, let accepted proofs finish, then release everything.
      closing ??= (async () => {
        await service.close();
        await pool.close({ drain: true });
        if (opened) vault.close();
        logger.info({ event: "stopped" }, "prover service");
      })();
      return closing;
    },
  };
}
