/**
 * The holder's commands: `crossproof prover serve` (the prover service) and
 * `crossproof prove --batch FILE` (many presentations from a file, with a progress bar).
 */
import { createWriteStream } from "node:fs";
import { parseArgs } from "node:util";
import pLimit from "p-limit";
import { CrossproofError, ErrorCode } from "../../core/errors.js";
import { parseProofRequest } from "../../core/proof-request.js";
import { startProverService } from "../../deploy/services.js";
import { MALFORMED_JSON, readJsonLines } from "../../infra/files.js";
import { createLogger } from "../../infra/log.js";
import { vaultPath } from "../../infra/paths.js";
import { Vault } from "../../issuer/vault.js";
import { ProverPool } from "../../prover/pool.js";
import { presentRecord } from "../../prover/present-record.js";
import { queryShape } from "../../prover/prove-query.js";
import { proverEngineFromEnv, serviceConfigFromEnv } from "../../server/config.js";
import { progressBar, untilStopSignal, usageError } from "../output.js";

function positive(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256)
    usageError(`--${name} must be an integer in [1, 256]`);
  return n;
}

/**
 * `crossproof prover serve [--port N] [--workers N]`: the holder's prover service on the
 * configured port (`CROSSPROOF_PROVER_PORT`, default 8081) until SIGINT or SIGTERM.
 */
export async function runProverServe(args: string[], json: boolean): Promise<void> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { port: { type: "string" }, workers: { type: "string" } },
    strict: true,
  });
  if (positionals[0] !== "serve" || positionals.length !== 1)
    usageError("crossproof prover serve [--port N] [--workers N]");
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      usageError("--port must be a port number");
  }
  const workers = positive(values.workers, "workers");
  const config = serviceConfigFromEnv(process.env);
  const service = await startProverService({
    config: workers ? { ...config, proverWorkers: workers } : config,
    logger: createLogger("prover"),
    ...(port === undefined ? {} : { port }),
  });
  const engine = service.pool.engine;
  if (json) process.stdout.write(`${JSON.stringify({ url: service.url, engine })}\n`);
  else
    process.stdout.write(
      `prover service at ${service.url} (${engine} engine; keep it inside the holder's network); Ctrl-C stops it\n`,
    );
  await untilStopSignal();
  await service.close();
}

/**
 * `crossproof prove --batch FILE [--out FILE] [--workers N]`: FILE holds one
 * `{"recordId": …, "challenge": {…}}` per line; the output one `{"recordId", "presentation"}`
 * or `{"recordId", "error"}` per line, in the input's order.
 */
export async function runProveBatch(args: string[], json: boolean): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { batch: { type: "string" }, out: { type: "string" }, workers: { type: "string" } },
    strict: true,
  });
  if (!values.batch) usageError("crossproof prove --batch FILE [--out FILE] [--workers N]");
  const workers = positive(values.workers, "workers");
  const lines: { line: number; value: unknown }[] = [];
  try {
    for await (const { line, value } of readJsonLines(values.batch)) {
      if (value === MALFORMED_JSON) usageError(`${values.batch}: line ${line} is not valid JSON`);
      lines.push({ line, value });
    }
  } catch (err) {
    if (err instanceof CrossproofError) throw err;
    usageError(`cannot read ${values.batch}`);
  }
  const engine = proverEngineFromEnv(process.env);
  const vault = await Vault.open(vaultPath());
  const pool = await ProverPool.start({
    ...(workers ? { workers } : {}),
    ...(engine === undefined ? {} : { engine }),
  });
  // Standard error, as the progress bar: standard output (or --out) holds only the results.
  if (!json) process.stderr.write(`proving with the ${pool.engine} engine\n`);
  const { k } = queryShape(pool.release);
  const sink = values.out ? createWriteStream(values.out) : process.stdout;
  const bar = progressBar("proving", lines.length, json, 2);
  // Never more in flight than the pool accepts: workers plus its queue.
  const limit = pLimit(pool.stats.workers * 3);
  let failed = 0;
  try {
    const results = await Promise.all(
      lines.map(({ line, value }) =>
        limit(async () => {
          const body = value as { recordId?: unknown; challenge?: unknown };
          const recordId = typeof body?.recordId === "string" ? body.recordId : null;
          try {
            if (recordId === null)
              throw new CrossproofError(
                ErrorCode.INVALID_REQUEST,
                `line ${line}: recordId must be a string`,
              );
            const request = parseProofRequest(body.challenge, k);
            const presentation = await presentRecord(
              vault,
              (w) => pool.prove(w),
              recordId,
              request,
              k,
            );
            return { recordId, presentation };
          } catch (err) {
            failed++;
            const error =
              err instanceof CrossproofError
                ? err.toJSON()
                : { code: ErrorCode.INTERNAL, message: "internal error", details: {} };
            return { recordId, line, error };
          } finally {
            bar.increment();
          }
        }),
      ),
    );
    for (const r of results) sink.write(`${JSON.stringify(r)}\n`);
  } finally {
    bar.stop();
    await pool.close({ drain: true });
    vault.close();
    if (values.out)
      await new Promise<void>((resolve) => (sink as NodeJS.WritableStream).end(resolve));
  }
  if (failed > 0) {
    process.stderr.write(`${failed} of ${lines.length} requests failed (see their "error")\n`);
    process.exitCode = 1;
  }
}
