/**
 * The security review, as checks that run: on `crossproof start` in a child process, after a
 * genuine verification and a round of refused requests, it checks that API keys are stored only
 * as hashes, that every operation of the OpenAPI document refuses the key roles it does not name
 * (a client key, and an auditor key it makes) and lets in those it does, that every
 * route answers with the security headers, that secrets and database files are readable by their
 * owner only, that no key or record data reaches the log, and that the production dependencies
 * have no high or critical advisory (`npm audit`, where the registry answers it).
 */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { promisify } from "node:util";
import { ProverClient, subjectHash, VerifierClient } from "../client/index.js";
import { SAMPLE_POLICY_ID } from "../deploy/local.js";
import { PROJECT_ROOT } from "../infra/paths.js";
import { scanLog } from "../support/log-scan.js";
import { type ServiceProcess, startServiceProcess } from "../support/start-process.js";
import { SuiteRecorder, type SuiteReport } from "./report.js";

/** Options of {@link runSecurityReview}. */
export interface SecurityOptions {
  /** Synthetic records the child imports. */
  readonly records: number;
  /** Whether to ask the registry for `npm audit` (it needs the registry's audit endpoint). */
  readonly audit: boolean;
}

/** What `npm test` runs: no registry call (CI must not depend on the audit endpoint). */
export const short: SecurityOptions = { records: 32, audit: false };

/** What `npm run soak` runs: the same review, and `npm audit`. */
export const long: SecurityOptions = { records: 32, audit: true };

/** The headers every answer must carry, and what each must say. */
const REQUIRED_HEADERS: readonly [string, RegExp][] = [
  ["x-content-type-options", /^nosniff$/],
  ["content-security-policy", /default-src 'none'|frame-ancestors 'none'/],
  ["x-frame-options", /^DENY$/i],
  ["referrer-policy", /^no-referrer$/],
  ["cache-control", /no-store/],
  ["strict-transport-security", /max-age=\d+/],
];

/** Runs the review on a fresh data folder. */
export async function runSecurityReview(options: SecurityOptions): Promise<SuiteReport> {
  const recorder = new SuiteRecorder("security");
  const dataDir = await mkdtemp(join(tmpdir(), "crossproof-security-"));
  let service: ServiceProcess | undefined;
  try {
    service = await startServiceProcess({ dataDir, records: options.records });
    await review(service, recorder);
    await service.stop();
    await reviewAtRest(service, recorder);
  } finally {
    await service?.kill();
    await rm(dataDir, { recursive: true, force: true });
  }
  if (options.audit) await npmAudit(recorder);
  else recorder.skip("npm audit of production dependencies", "not run by the short preset");
  return recorder.report();
}

/** Checks against the running service. */
async function review(service: ServiceProcess, recorder: SuiteRecorder): Promise<void> {
  const client = new VerifierClient({ url: service.verifierUrl, apiKey: service.clientKey });
  const { eligible } = service.applicants;
  // One genuine verification, so that the log and the database hold what a real day leaves.
  const challenge = await client.issueChallenge(
    SAMPLE_POLICY_ID,
    subjectHash("credit-report-v1", "subjectId", eligible.subjectId),
  );
  const presentation = await new ProverClient({ url: service.proverUrl }).present(
    eligible.recordId,
    challenge,
  );
  const verdict = await client.verify(SAMPLE_POLICY_ID, presentation);
  recorder.check(
    "a genuine presentation verifies (the review runs on a working service)",
    verdict.verified,
  );

  // Every operation of the published document, with the client key, the admin key and none.
  const document = (await client.openApi()) as {
    paths: Record<
      string,
      Record<string, { responses: Record<string, unknown>; "x-roles"?: string[] }>
    >;
  };
  // An auditor key, made as an operator makes one: refused wherever its role is not named.
  const auditorKey = (
    await new VerifierClient({ url: service.verifierUrl, apiKey: service.adminKey }).createApiKey(
      "security review",
      "auditor",
    )
  ).key;
  /** Answers that repeat the key they were sent with (an error body must never echo it). */
  const echoed: string[] = [];
  const request = async (method: string, path: string, key: string | undefined) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (key) headers.authorization = `Bearer ${key}`;
    const hasBody = method === "post" || method === "put";
    let response: Response;
    for (let attempt = 1; ; attempt++) {
      response = await fetch(`${service.verifierUrl}${path}`, {
        method: method.toUpperCase(),
        headers,
        ...(hasBody ? { body: "{}" } : {}),
        signal: AbortSignal.timeout(30_000),
      });
      // Requests without a key count against the address's failed-check limit: past it, wait
      // as told and ask again, so each operation's own answer is seen.
      if (key !== undefined || response.status !== 429 || attempt === 5) break;
      await response.text();
      await delay(1_000 * Number(response.headers.get("retry-after") ?? "1"));
    }
    const text = await response.text();
    const secret = key?.split(".").at(-1) ?? "";
    if (key && (text.includes(key) || (secret.length >= 16 && text.includes(secret)))) {
      echoed.push(`${method.toUpperCase()} ${path} → ${response.status}`);
    }
    return response;
  };
  const adminOps: string[] = [];
  const clientAllowed: string[] = [];
  const auditorAllowed: string[] = [];
  const auditorRefused: string[] = [];
  let auditorOps = 0;
  const unauthenticated: string[] = [];
  const missingHeaders: string[] = [];
  let operations = 0;
  const checkHeaders = (what: string, response: Response) => {
    for (const [name, pattern] of REQUIRED_HEADERS) {
      const value = response.headers.get(name);
      if (value === null || !pattern.test(value)) missingHeaders.push(`${what}: ${name}=${value}`);
    }
    if (response.headers.get("x-powered-by") !== null) missingHeaders.push(`${what}: x-powered-by`);
  };
  for (const [template, methods] of Object.entries(document.paths)) {
    // Path parameters get a value no resource has: the answer is about the route, not the data.
    const path = template.replace(/\{[^}]+\}/g, "nothing-here");
    for (const [method, op] of Object.entries(methods)) {
      operations++;
      const what = `${method.toUpperCase()} ${template}`;
      const isPublic = !("401" in op.responses);
      // The roles the document names for the operation (every keyed one names them).
      const roles = op["x-roles"] ?? [];
      const asClient = await request(method, path, service.clientKey);
      checkHeaders(what, asClient);
      if (!isPublic && !roles.includes("client")) {
        adminOps.push(what);
        if (asClient.status !== 403) clientAllowed.push(`${what} → ${asClient.status}`);
      }
      if (!isPublic) {
        const asAuditor = await request(method, path, auditorKey);
        if (roles.includes("auditor")) {
          auditorOps++;
          if (asAuditor.status === 403) auditorRefused.push(what);
        } else if (asAuditor.status !== 403) {
          auditorAllowed.push(`${what} → ${asAuditor.status}`);
        }
      }
      if (!isPublic) {
        const anonymous = await request(method, path, undefined);
        checkHeaders(`${what} (no key)`, anonymous);
        if (anonymous.status !== 401) unauthenticated.push(`${what} → ${anonymous.status}`);
      }
    }
  }
  checkHeaders("an unknown route", await request("get", "/v1/nothing-here", service.clientKey));
  recorder.figure("operations", operations);
  recorder.figure("adminOperations", adminOps.length);
  recorder.check(
    `every operation whose roles exclude the client (${adminOps.length}) refuses the client key with 403`,
    adminOps.length > 0 && clientAllowed.length === 0,
    clientAllowed.join("; "),
  );
  recorder.figure("auditorOperations", auditorOps);
  recorder.check(
    `an auditor key is refused with 403 by every operation that does not name its role, and let into the ${auditorOps} that do`,
    auditorOps > 0 && auditorAllowed.length === 0 && auditorRefused.length === 0,
    [...auditorAllowed, ...auditorRefused.map((w) => `${w} → 403`)].join("; "),
  );
  recorder.checkNone(
    "every operation that needs a key refuses a request without one with 401",
    unauthenticated,
  );
  recorder.checkNone(
    "every answer carries the security headers (nosniff, CSP, DENY, no-referrer, no-store, HSTS; no x-powered-by)",
    missingHeaders,
  );

  // Failed key checks are limited per address: a burst of wrong keys ends in 429.
  const statuses: number[] = [];
  for (let i = 0; i < 40; i++) {
    statuses.push((await request("get", "/v1/policies", `cpk.guess${i}.0000`)).status);
  }
  recorder.check(
    "a burst of 40 wrong keys is answered 401 and then 429 (failed key checks are rate-limited)",
    statuses.every((s) => s === 401 || s === 429) && statuses.includes(429),
    `${statuses.filter((s) => s === 429).length} of 40 limited`,
  );
  recorder.checkNone("no answer, error or not, repeats the API key it was sent with", echoed);
  recorder.check(
    "the services listen on loopback only",
    new URL(service.verifierUrl).hostname === "127.0.0.1" &&
      new URL(service.proverUrl).hostname === "127.0.0.1",
  );
}

/** Every regular file below `dir`. */
async function filesBelow(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesBelow(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** Checks of what the stopped service left on disk. */
async function reviewAtRest(service: ServiceProcess, recorder: SuiteRecorder): Promise<void> {
  const files = await filesBelow(service.dataDir);
  const keyFiles = files.filter((f) => f.endsWith(".key"));
  const secrets = await Promise.all(keyFiles.map(async (f) => (await readFile(f, "utf8")).trim()));
  // The part of a client key that is secret: `cpk.<id>.<secret>`.
  const secretParts = secrets.map((s) => s.split(".").at(-1) ?? s);
  const databases = files.filter((f) => /\.sqlite(-wal|-shm|-journal)?$/.test(f));
  recorder.figure("keyFiles", keyFiles.length);
  recorder.figure("databaseFiles", databases.length);

  const loose: string[] = [];
  for (const f of [...keyFiles, ...databases]) {
    const mode = (await stat(f)).mode & 0o777;
    if (mode !== 0o600) loose.push(`${f.slice(service.dataDir.length)} ${mode.toString(8)}`);
  }
  recorder.check(
    "key files and databases are readable by their owner only (0600)",
    keyFiles.length >= 4 && loose.length === 0,
    loose.join("; "),
  );

  const verifierDb = databases.filter((f) => f.includes("verifier"));
  let stored = "";
  for (const f of verifierDb) stored += (await readFile(f)).toString("latin1");
  const inDb = secretParts.filter((s) => s.length >= 16 && stored.includes(s));
  recorder.check(
    "the verifier's database holds no API key or other secret, only hashes",
    verifierDb.length > 0 && stored.includes("secret_hash") && inDb.length === 0,
    `${inDb.length} secrets found`,
  );

  const log = await readFile(service.logFile, "utf8");
  const leaked = secretParts.filter((s) => s.length >= 16 && log.includes(s));
  recorder.figure("logLines", log.split("\n").filter(Boolean).length);
  recorder.check("no key or secret in the service's log", log.length > 0 && leaked.length === 0);
  const problems = scanLog(log);
  recorder.checkNone("no record field, salt, path or body in the service's log", problems);
}

/** `npm audit` of the production dependencies; skipped when the registry does not answer it. */
async function npmAudit(recorder: SuiteRecorder): Promise<void> {
  const name = "npm audit: no high or critical advisory in production dependencies";
  let stdout = "";
  let stderr = "";
  try {
    ({ stdout, stderr } = await promisify(execFile)("npm", ["audit", "--omit=dev", "--json"], {
      cwd: PROJECT_ROOT,
      timeout: 120_000,
      maxBuffer: 64 * 1024 * 1024,
    }));
  } catch (err) {
    // npm audit exits 1 when it finds advisories, and when it cannot ask the registry.
    ({ stdout = "", stderr = "" } = err as { stdout?: string; stderr?: string });
  }
  let found: { metadata?: { vulnerabilities?: Record<string, number> } } | undefined;
  try {
    found = JSON.parse(stdout) as typeof found;
  } catch {
    found = undefined;
  }
  const counts = found?.metadata?.vulnerabilities;
  if (!counts) {
    const why = stderr.split("\n").find((l) => /error|audit/i.test(l)) ?? "no answer";
    // The reason without the registry's address (it names a host; the status says enough).
    const reason = why.replace(/https?:\/\/\S+/g, "(the audit endpoint)").trim();
    recorder.skip(name, `the registry did not answer the audit: ${reason}`);
    return;
  }
  recorder.figure("advisories", JSON.stringify(counts));
  recorder.check(name, (counts.high ?? 0) + (counts.critical ?? 0) === 0, JSON.stringify(counts));
}
