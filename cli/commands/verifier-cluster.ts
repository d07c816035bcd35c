/**
 * `crossproof verifier serve --instances N`: N verifier instances behind one address on one
 * machine, on node's cluster module (the primary process holds the listening socket and hands
 * connections to the instances in turn). It is a local demonstration of the shared mode: the
 * instances share nothing but PostgreSQL (`CROSSPROOF_DATABASE_URL`, required), Redis
 * (`CROSSPROOF_REDIS_URL`) and the chain (`CROSSPROOF_RPC_URL`, required: a local node belongs to
 * one process). A real deployment runs instances on several hosts behind a load balancer
 * (docs/deployment.md) instead.
 *
 * The primary restarts an instance that dies (at most once a second), passes SIGTERM and SIGINT
 * on, and exits once every instance has stopped.
 */
import cluster, { type Worker } from "node:cluster";
import { availableParallelism } from "node:os";
import { CrossproofError, ErrorCode } from "../../core/errors.js";

/** What an instance tells the primary once it listens. */
interface ListeningMessage {
  readonly crossproof: "listening";
  readonly url: string;
}

function isListening(message: unknown): message is ListeningMessage {
  return (
    typeof message === "object" &&
    message !== null &&
    (message as { crossproof?: unknown }).crossproof === "listening" &&
    typeof (message as { url?: unknown }).url === "string"
  );
}

/** Whether this process is an instance started by {@link runVerifierCluster}. */
export function isClusterInstance(): boolean {
  return cluster.isWorker;
}

/** In an instance: tells the primary where it listens. */
export function reportListening(url: string): void {
  if (cluster.isWorker && process.send) {
    process.send({ crossproof: "listening", url } satisfies ListeningMessage);
  }
}

/**
 * In an instance that has stopped serving: lets go of the primary (the IPC channel would keep
 * the process alive otherwise).
 */
export function leaveCluster(): void {
  if (cluster.isWorker) process.disconnect?.();
}

/** Refuses `--instances N > 1` without the shared state the instances need. */
export function checkClusterEnv(env: NodeJS.ProcessEnv): void {
  for (const variable of ["CROSSPROOF_DATABASE_URL", "CROSSPROOF_RPC_URL"] as const) {
    if (!env[variable]) {
      throw new CrossproofError(
        ErrorCode.CONFIG_INVALID,
        `${variable}: --instances needs it: instances share ${variable === "CROSSPROOF_DATABASE_URL" ? "their state in PostgreSQL" : "one chain node over JSON-RPC"}`,
        { details: { variable } },
      );
    }
  }
}

/**
 * Runs `instances` instances of `crossproof verifier serve` (this process's own arguments) and
 * resolves with the shared address once every one listens; `stopped` resolves when all exited.
 */
export async function runVerifierCluster(
  instances: number,
  env: NodeJS.ProcessEnv,
  stopSignal: Promise<unknown>,
): Promise<{ url: string; stopped: Promise<void> }> {
  checkClusterEnv(env);
  // Cores split between the instances unless configured.
  const workerEnv = env.CROSSPROOF_VERIFY_WORKERS
    ? {}
    : {
        CROSSPROOF_VERIFY_WORKERS: String(
          Math.max(1, Math.floor(availableParallelism() / instances)),
        ),
      };
  let stopping = false;
  const live = new Set<Worker>();
  let lastRestart = 0;
  let resolveUrl: (url: string) => void = () => undefined;
  let rejectStart: (err: Error) => void = () => undefined;
  const firstUrl = new Promise<string>((resolve, reject) => {
    resolveUrl = resolve;
    rejectStart = reject;
  });
  let listening = 0;
  let resolveStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve;
  });

  const fork = (): void => {
    const worker = cluster.fork(workerEnv);
    live.add(worker);
    let reported = false;
    worker.on("message", (message: unknown) => {
      if (!isListening(message) || reported) return;
      reported = true;
      listening += 1;
      if (listening === instances) resolveUrl(message.url);
    });
    worker.on("exit", (code, signal) => {
      live.delete(worker);
      if (stopping) {
        if (live.size === 0) resolveStopped();
        return;
      }
      if (listening < instances && !reported) {
        rejectStart(new Error(`a verifier instance exited before it listened (${signal ?? code})`));
        return;
      }
      // An instance died: start another, no more than once a second.
      const wait = Math.max(0, lastRestart + 1_000 - Date.now());
      lastRestart = Date.now() + wait;
      setTimeout(() => {
        if (!stopping) fork();
      }, wait);
    });
  };
  for (let i = 0; i < instances; i++) fork();
  void stopSignal.then(() => {
    stopping = true;
    if (live.size === 0) resolveStopped();
    for (const worker of live) worker.process.kill("SIGTERM");
  });
  try {
    return { url: await firstUrl, stopped };
  } catch (err) {
    stopping = true;
    for (const worker of live) worker.process.kill("SIGTERM");
    throw err;
  }
}
