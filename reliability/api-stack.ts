/**
 * The stack the API suites (fuzz, replay) attack: `npm start`'s whole set-up (`startStack`: a
 * local chain node, an issuer with synthetic records anchored, the verifier and prover services)
 * in a temporary data folder on free 127.0.0.1 ports, its logs in a file of that folder so a
 * suite can scan them, and raw HTTP helpers that record every answer. Everything it starts is
 * stopped and the folder removed by `close()`.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import {
  type Challenge,
  type Presentation,
  ProverClient,
  subjectHash,
  VerifierClient,
} from "../client/index.js";
import { SAMPLE_POLICY_ID, type Stack, startStack } from "../deploy/local.js";
import { createLogger } from "../infra/log.js";
import { verifierPaths } from "../infra/paths.js";
import { serviceConfigFromEnv } from "../server/config.js";

/** Options of {@link startApiStack}. */
export interface ApiStackOptions {
  /** Synthetic records the issuer imports (a few hundred start in seconds). */
  readonly records?: number;
  /** Extra `CROSSPROOF_*` variables (rate limits, worker counts). */
  readonly env?: Readonly<Record<string, string>>;
}

/** One HTTP answer, as the suites record it. */
export interface RawAnswer {
  readonly status: number;
  /** The parsed JSON body, or the text when it is not JSON. */
  readonly body: unknown;
  readonly text: string;
  readonly contentType: string;
}

/** A raw request: any method, path, body text, content type and key. */
export interface RawRequest {
  readonly method: string;
  readonly path: string;
  readonly body?: string | Uint8Array | undefined;
  /** Defaults to `application/json` when there is a body; `null` sends none. */
  readonly contentType?: string | null | undefined;
  /** `authorization: Bearer <key>`; none when undefined. */
  readonly key?: string | undefined;
}

/** A running stack with keys, clients and raw HTTP. */
export interface ApiStack {
  readonly stack: Stack;
  readonly clientKey: string;
  /** A second client's key: the challenges `clientKey` issues are not this client's to use. */
  readonly otherClientKey: string;
  readonly adminKey: string;
  readonly client: VerifierClient;
  readonly admin: VerifierClient;
  readonly prover: ProverClient;
  /** The log file every service of the stack writes to. */
  readonly logPath: string;
  /** The sample policy's subject hash for the eligible applicant. */
  readonly eligibleSubjectHash: bigint;
  /** A fresh challenge of the sample policy for the eligible applicant, and its presentation. */
  freshPresentation(): Promise<{ challenge: Challenge; presentation: Presentation }>;
  /** A fresh challenge of the sample policy for the eligible applicant (no proof). */
  freshChallenge(): Promise<Challenge>;
  /** Sends a raw request to the verifier (`service: "verifier"`) or the prover. */
  raw(service: "verifier" | "prover", request: RawRequest): Promise<RawAnswer>;
  /** The services' log lines so far. */
  log(): Promise<string>;
  /** The audit log of one challenge, read from the verifier's database (read-only). */
  receiptsOf(challengeId: string): { total: number; verified: number; ids: string[] };
  /** Stops everything and removes the data folder. */
  close(): Promise<void>;
}

/** Starts the stack in a fresh temporary folder. */
export async function startApiStack(options: ApiStackOptions = {}): Promise<ApiStack> {
  const dataDir = await mkdtemp(join(tmpdir(), "crossproof-reliability-"));
  const logPath = join(dataDir, "services.log");
  const env: NodeJS.ProcessEnv = {
    CROSSPROOF_DATA_DIR: dataDir,
    CROSSPROOF_ROOT_POLL_MS: "100",
    CROSSPROOF_LOG_FILE: logPath,
    CROSSPROOF_ALLOW_DEVELOPMENT_KEYS: "1", // the committed keys are development keys
    ...options.env,
  };
  let stack: Stack | undefined;
  try {
    stack = await startStack({
      config: serviceConfigFromEnv(env),
      env,
      logger: createLogger("crossproof", env),
      records: options.records ?? 200,
      seed: 5,
      print: () => {},
      verifierPort: 0,
      proverPort: 0,
    });
    const running = stack;
    const clientKey = (await readFile(running.clientKeyPath, "utf8")).trim();
    const adminKey = (await readFile(running.adminKeyPath, "utf8")).trim();
    const client = new VerifierClient({ url: running.verifier.url, apiKey: clientKey });
    const admin = new VerifierClient({ url: running.verifier.url, apiKey: adminKey });
    const otherClientKey = (await admin.createApiKey("second client")).key;
    const prover = new ProverClient({ url: running.prover.url });
    const eligibleSubjectHash = subjectHash(
      "credit-report-v1",
      "subjectId",
      running.applicants.eligible.subjectId,
    );
    const freshChallenge = () => client.issueChallenge(SAMPLE_POLICY_ID, eligibleSubjectHash);
    return {
      stack: running,
      clientKey,
      otherClientKey,
      adminKey,
      client,
      admin,
      prover,
      logPath,
      eligibleSubjectHash,
      freshChallenge,
      async freshPresentation() {
        const challenge = await freshChallenge();
        const presentation = await prover.present(running.applicants.eligible.recordId, challenge);
        return { challenge, presentation };
      },
      raw: (service, request) =>
        rawRequest(service === "verifier" ? running.verifier.url : running.prover.url, request),
      log: () => readFile(logPath, "utf8").catch(() => ""),
      receiptsOf: (challengeId) => readReceipts(dataDir, challengeId),
      async close() {
        await running.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await stack?.close().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
}

/** Sends one request and reads the whole answer. */
async function rawRequest(base: string, request: RawRequest): Promise<RawAnswer> {
  const headers: Record<string, string> = {};
  if (request.key !== undefined) headers.authorization = `Bearer ${request.key}`;
  if (request.body !== undefined && request.contentType !== null) {
    headers["content-type"] = request.contentType ?? "application/json";
  }
  const response = await fetch(`${base}${request.path}`, {
    method: request.method,
    headers,
    ...(request.body === undefined ? {} : { body: request.body }),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON (metrics, docs)
  }
  return {
    status: response.status,
    body,
    text,
    contentType: response.headers.get("content-type") ?? "",
  };
}

/** Every receipt of `challengeId` in the verifier's SQLite store (opened read-only, then closed). */
function readReceipts(
  dataDir: string,
  challengeId: string,
): { total: number; verified: number; ids: string[] } {
  const db = new Database(verifierPaths(dataDir).database, { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare("SELECT id, verified FROM receipts WHERE challenge_id = ?")
      .all(challengeId) as { id: string; verified: number }[];
    return {
      total: rows.length,
      verified: rows.filter((r) => r.verified === 1).length,
      ids: rows.filter((r) => r.verified === 1).map((r) => r.id),
    };
  } finally {
    db.close();
  }
}
