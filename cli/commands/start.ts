/**
 * `crossproof start` (`npm start`): the whole cross-boundary flow on embedded defaults: the
 * local chain node, two bureaus (the mainland issuer with synthetic credit reports, a Hong Kong
 * one with residency attestations about some of the same people), each anchored on first start,
 * the verifier service with the sample policies (creditworthiness, set membership, and linked
 * across the two bureaus), and the holder's prover service. Prints the URLs (the web console's
 * too, and which key signs in to it) and a ready-to-paste `curl` walk-through, then serves until
 * Ctrl-C.
 *
 * `crossproof demo` plays the scenario over HTTP: against the running services when the
 * verifier answers on its configured port, or on a stack of its own (free ports) otherwise.
 * `crossproof verifier serve` runs the verifier service alone.
 */
import { chmod, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { openChain } from "../../chain/connect.js";
import { ApiError, subjectHash, VerifierClient } from "../../client/index.js";
import { CrossproofError, ErrorCode } from "../../core/errors.js";
import { policyDefinitionOf } from "../../core/wire/policy.js";
import { describeBureau, HK_BUREAU, MAINLAND_BUREAU } from "../../deploy/bureaus.js";
import { pickLinkedApplicants } from "../../deploy/linked-applicants.js";
import {
  LINKED_POLICY_ID,
  pickApplicants,
  SAMPLE_POLICY_ID,
  SET_POLICY_ID,
  type Stack,
  startStack,
} from "../../deploy/local.js";
import { receiptLogOf, startVerifierService } from "../../deploy/services.js";
import { writeFileAtomic } from "../../infra/files.js";
import { createLogger } from "../../infra/log.js";
import { verifierPaths } from "../../infra/paths.js";
import { type ServiceConfig, serviceConfigFromEnv } from "../../server/config.js";
import { parsePolicyDefinition } from "../../verifier/policy.js";
import { printJson, untilStopSignal, usageError } from "../output.js";
import { type DemoResult, runDemo } from "./demo.js";
import { allowDevelopmentKeysLocally, DEVELOPMENT_KEYS_NOTICE } from "./development-keys.js";
import {
  isClusterInstance,
  leaveCluster,
  reportListening,
  runVerifierCluster,
} from "./verifier-cluster.js";

function stackArgs(args: string[]): { records: number; seed: number } {
  const { values } = parseArgs({
    args,
    options: {
      records: { type: "string", default: "1000" },
      seed: { type: "string", default: "1" },
    },
    strict: true,
  });
  const records = Number(values.records);
  const seed = Number(values.seed);
  if (!Number.isInteger(records) || records < 16 || records > 1_000_000)
    usageError("--records must be an integer in [16, 1000000]");
  if (!Number.isSafeInteger(seed)) usageError("--seed must be an integer");
  return { records, seed };
}

const shell = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith("..") ? path : rel;
}

/** Where `crossproof start` writes the walk-through's values (URLs, key file, applicant). */
export function walkThroughEnvPath(dataDir: string): string {
  return join(dataDir, "walkthrough.env");
}

/** The record id of `bureau` among a linked applicant's records. */
function recordIn(records: readonly { bureau: string; recordId: string }[], bureau: string) {
  return records.find((r) => r.bureau === bureau)?.recordId ?? "";
}

/**
 * The values the walk-through reads: the services' URLs, the client key's file, the policy and
 * the eligible applicant (its subject hash, as the bank sends it, and its record id, which only
 * the holder's prover uses); and for the linked policy across the two bureaus, its applicant's
 * hash and records in each bureau, and another person's Hong Kong record. Written on every
 * start, since free ports change.
 */
export async function writeWalkThroughEnv(stack: Stack, dataDir: string): Promise<string> {
  const { eligible } = stack.applicants;
  const hashOf = (id: string) => subjectHash("credit-report-v1", "subjectId", id).toString();
  const values: Record<string, string> = {
    V: stack.verifier.url,
    P: stack.prover.url,
    KEY_FILE: stack.clientKeyPath,
    POLICY: SAMPLE_POLICY_ID,
    SUBJECT_HASH: hashOf(eligible.subjectId),
    RECORD_ID: eligible.recordId,
  };
  const linked = stack.linkedApplicants;
  if (linked) {
    values.LINKED_POLICY = LINKED_POLICY_ID;
    values.LINKED_SUBJECT_HASH = hashOf(linked.eligible.subjectId);
    values.LINKED_RECORD_ID = recordIn(linked.eligible.records, MAINLAND_BUREAU);
    values.HK_RECORD_ID = recordIn(linked.eligible.records, HK_BUREAU);
    values.OTHER_HK_RECORD_ID = recordIn(linked.otherHongKong.records, HK_BUREAU);
  }
  const path = walkThroughEnvPath(dataDir);
  const text = Object.entries(values)
    .map(([name, value]) => `${name}=${shell(value)}\n`)
    .join("");
  await writeFileAtomic(path, text);
  await chmod(path, 0o600);
  return path;
}

/**
 * The curl walk-through, the same text every time (the README shows it verbatim): it reads the
 * running stack's values from the data folder, writes its files under a temporary folder, shows
 * each step's HTTP status, and stops at the first step that fails, saying why.
 */
export function walkThrough(): string[] {
  const json = "-H 'content-type: application/json'";
  const auth = `-H "authorization: Bearer $KEY"`;
  return [
    `. "\${CROSSPROOF_DATA_DIR:-data}/walkthrough.env"; KEY=$(cat "$KEY_FILE"); W=$(mktemp -d)`,
    `step() { f=$1; shift; c=$(curl -sS -o "$W/$f" -w '%{http_code}' "$@") || c=000; echo "HTTP $c  $f"; case $c in 2??) ;; *) echo "step failed: $(cat "$W/$f" 2>/dev/null)"; return 1;; esac; }`,
    "",
    "# 1. The bank reads its policy",
    `step policy.json ${auth} "$V/v1/policies/$POLICY" &&`,
    "# 2. ... and asks for a one-time challenge about its applicant (it sends only the hash of the id)",
    `step challenge.json ${auth} ${json} -d "{\\"policyId\\":\\"$POLICY\\",\\"subjectHash\\":\\"$SUBJECT_HASH\\"}" "$V/v1/challenges" &&`,
    "# 3. The institution holding the applicant's report proves it meets the challenge",
    `step presentation.json ${json} -d "{\\"recordId\\":\\"$RECORD_ID\\",\\"challenge\\":$(cat "$W/challenge.json")}" "$P/v1/presentations" &&`,
    "# 4. The bank verifies it: verified, the disclosed jurisdiction, a receipt id",
    `step verdict.json ${auth} ${json} -d "{\\"policyId\\":\\"$POLICY\\",\\"presentation\\":$(cat "$W/presentation.json")}" "$V/v1/verifications" &&`,
    `cat "$W/verdict.json" && echo`,
    "",
    "# 5. The same presentation again: refused (verified: false, CHALLENGE_CONSUMED)",
    `step replay.json ${auth} ${json} -d "{\\"policyId\\":\\"$POLICY\\",\\"presentation\\":$(cat "$W/presentation.json")}" "$V/v1/verifications" && cat "$W/replay.json" && echo`,
    "",
    "# 6. Across two bureaus: the bank's linked policy, a challenge about an applicant",
    `step linked-challenge.json ${auth} ${json} -d "{\\"policyId\\":\\"$LINKED_POLICY\\",\\"subjectHash\\":\\"$LINKED_SUBJECT_HASH\\"}" "$V/v1/challenges" &&`,
    "# 7. The holder proves the mainland bureau's credit report and the Hong Kong bureau's residency record, linked on the applicant's id (never shown)",
    `step linked-presentation.json ${json} -d "{\\"challenge\\":$(cat "$W/linked-challenge.json"),\\"records\\":[{\\"recordId\\":\\"$LINKED_RECORD_ID\\",\\"bureau\\":\\"mainland\\"},{\\"recordId\\":\\"$HK_RECORD_ID\\",\\"bureau\\":\\"hk\\"}]}" "$P/v1/presentations/linked" &&`,
    "# 8. The bank verifies both proofs, both bureaus' roots and the link: verified, what each record discloses",
    `step linked-verdict.json ${auth} ${json} -d "{\\"policyId\\":\\"$LINKED_POLICY\\",\\"presentation\\":$(cat "$W/linked-presentation.json")}" "$V/v1/verifications" &&`,
    `cat "$W/linked-verdict.json" && echo`,
    "",
    "# 9. Someone else's Hong Kong record beside the applicant's report: refused (verified: false, LINK_MISMATCH)",
    `step mismatch-challenge.json ${auth} ${json} -d "{\\"policyId\\":\\"$LINKED_POLICY\\",\\"subjectHash\\":\\"$LINKED_SUBJECT_HASH\\"}" "$V/v1/challenges" &&`,
    `step mismatch-presentation.json ${json} -d "{\\"challenge\\":$(cat "$W/mismatch-challenge.json"),\\"records\\":[{\\"recordId\\":\\"$LINKED_RECORD_ID\\",\\"bureau\\":\\"mainland\\"},{\\"recordId\\":\\"$OTHER_HK_RECORD_ID\\",\\"bureau\\":\\"hk\\"}]}" "$P/v1/presentations/linked" &&`,
    `step mismatch.json ${auth} ${json} -d "{\\"policyId\\":\\"$LINKED_POLICY\\",\\"presentation\\":$(cat "$W/mismatch-presentation.json")}" "$V/v1/verifications" && cat "$W/mismatch.json" && echo`,
  ];
}

/** Where `crossproof start` and `demo` write their logs unless `CROSSPROOF_LOG_FILE` says. */
function logFileFor(config: ServiceConfig): string {
  return process.env.CROSSPROOF_LOG_FILE || join(config.dataDir, "logs", "crossproof.log");
}

/** `crossproof start`: runs the stack until SIGINT or SIGTERM. */
export async function runStartCommand(args: string[], json: boolean): Promise<void> {
  const started = performance.now();
  const { records, seed } = stackArgs(args);
  const config = serviceConfigFromEnv(allowDevelopmentKeysLocally(process.env)); // (ceremony branch)
  // If whoever reads our output goes away (`npm start | head`), keep serving and stop cleanly.
  process.stdout.on("error", () => undefined);
  const print = json ? () => {} : (line: string) => process.stdout.write(`${line}\n`);
  // The terminal is for people: the services' JSON logs go to a file.
  const logFile = logFileFor(config);
  print("crossproof — the cross-boundary flow on this machine\n");
  print(`logs      ${shown(logFile)}`);
  if (config.allowDevelopmentKeys) print(`${DEVELOPMENT_KEYS_NOTICE}\n`);
  // Listen for Ctrl-C / SIGTERM from the start: one during start-up ends it cleanly once the
  // services are up (Node's default would kill the process and leave the chain node running).
  const stopped = untilStopSignal();
  const stack = await startStack({
    config,
    env: process.env,
    logger: createLogger("crossproof", { ...process.env, CROSSPROOF_LOG_FILE: logFile }),
    records,
    seed,
    print,
  });
  const envFile = await writeWalkThroughEnv(stack, config.dataDir);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (json) {
    printJson({
      ready: true,
      verifier: stack.verifier.url,
      console: `${stack.verifier.url}/console`,
      prover: stack.prover.url,
      rpcUrl: stack.chain.node ? stack.chain.rpcUrl : undefined,
      chainId: stack.chain.chainId,
      registry: stack.chain.registryAddress,
      bureaus: stack.bureaus.map((b) => ({
        name: b.name,
        issuer: b.issuer,
        schema: b.schema,
        records: b.vault.recordIds({ schema: b.schema }).length,
      })),
      policyId: SAMPLE_POLICY_ID,
      ...(stack.bureaus.length > 1
        ? { setPolicyId: SET_POLICY_ID, linkedPolicyId: LINKED_POLICY_ID }
        : {}),
      clientKeyFile: stack.clientKeyPath,
      adminKeyFile: stack.adminKeyPath,
      auditorKeyFile: stack.auditorKeyPath,
      walkThroughEnv: envFile,
      logFile,
    });
  } else {
    print("");
    print(`verifier  ${stack.verifier.url}   (API: ${stack.verifier.url}/docs)`);
    print(
      `console   ${stack.verifier.url}/console   (sign in with an API key: the admin key is in ${shown(stack.adminKeyPath)}, e.g. \`cat ${shell(shown(stack.adminKeyPath))}\`; the auditor's in ${shown(stack.auditorKeyPath)})`,
    );
    print(
      `prover    ${stack.prover.url}   (the holder's side: keep it inside its network; API: ${stack.prover.url}/docs)`,
    );
    if (stack.chain.node)
      print(`chain     ${stack.chain.rpcUrl}   (local node, chain id ${stack.chain.chainId})`);
    print(`registry  ${stack.chain.registryAddress}`);
    stack.bureaus.forEach((bureau, n) => {
      print(`${n === 0 ? "bureaus" : ""}`.padEnd(10) + describeBureau(bureau));
    });
    print(`policy    ${SAMPLE_POLICY_ID}`);
    if (stack.bureaus.length > 1) {
      print(
        `          ${SET_POLICY_ID} (IN / NIN), ${LINKED_POLICY_ID} (linked across the bureaus)`,
      );
    }
    print(`keys      client ${shown(stack.clientKeyPath)}, admin ${shown(stack.adminKeyPath)}`);
    print(
      `          auditor ${shown(stack.auditorKeyPath)} (flows, the receipt log: npx crossproof audit export | verify)`,
    );
    print("");
    print("Walk-through (paste into another terminal in this folder):\n");
    for (const line of walkThrough()) print(line ? `  ${line}` : "");
    print("\nOr let `npx crossproof demo` play the whole scenario. Ctrl-C stops everything.\n");
    print(
      `READY  crossproof is up in ${seconds} s: verifier ${stack.verifier.url}, prover ${stack.prover.url}`,
    );
  }
  await stopped;
  print("\nstopping: finishing requests under way…");
  await stack.close();
  print("stopped");
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) });
    return response.ok;
  } catch {
    return false;
  }
}

/** `crossproof demo [--verifier URL --prover URL] [--api-key-file F]`. */
export async function runDemoCommand(args: string[], json: boolean): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      verifier: { type: "string" },
      prover: { type: "string" },
      "api-key-file": { type: "string" },
      records: { type: "string", default: "1000" },
      seed: { type: "string", default: "1" },
    },
    strict: true,
  });
  if ((values.verifier === undefined) !== (values.prover === undefined))
    usageError("give both --verifier and --prover, or neither");
  const config = serviceConfigFromEnv(process.env);
  const print = json ? () => {} : (line: string) => process.stdout.write(`${line}\n`);
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  let verifierUrl = values.verifier;
  let proverUrl = values.prover;
  if (verifierUrl === undefined && config.verifierPort !== 0) {
    const url = `http://${host}:${config.verifierPort}`;
    if (await answers(url)) {
      verifierUrl = url;
      proverUrl = `http://${host}:${config.proverPort}`;
    }
  }
  let result: DemoResult;
  if (verifierUrl !== undefined && proverUrl !== undefined) {
    result = await demoAgainst(config, verifierUrl, proverUrl, values["api-key-file"], print);
  } else {
    // Nothing running: a stack of our own, on free ports, for the length of the demo.
    print("(no verifier running: starting one for the demo)\n");
    // (ceremony branch) the demo's own local stack runs on the development keys.
    allowDevelopmentKeysLocally(process.env);
    if (process.env.CROSSPROOF_ALLOW_DEVELOPMENT_KEYS === "1")
      print(`${DEVELOPMENT_KEYS_NOTICE}\n`);
    const stack = await startStack({
      config: serviceConfigFromEnv(process.env),
      env: process.env,
      logger: createLogger("crossproof"),
      ...stackArgs(["--records", values.records, "--seed", values.seed]),
      print,
      verifierPort: 0,
      proverPort: 0,
    });
    try {
      const apiKey = (await readFile(stack.clientKeyPath, "utf8")).trim();
      result = await runDemo(
        {
          verifierUrl: stack.verifier.url,
          proverUrl: stack.prover.url,
          apiKey,
          policyId: SAMPLE_POLICY_ID,
          applicants: stack.applicants,
          ...(stack.linkedApplicants
            ? { linked: { policyId: LINKED_POLICY_ID, applicants: stack.linkedApplicants } }
            : {}),
        },
        print,
      );
    } finally {
      await stack.close();
    }
  }
  if (json) printJson(result);
  if (!result.verified) process.exitCode = 1;
}

async function demoAgainst(
  config: ServiceConfig,
  verifierUrl: string,
  proverUrl: string,
  keyFile: string | undefined,
  print: (line: string) => void,
): Promise<DemoResult> {
  const path = keyFile ?? verifierPaths(config.dataDir).clientKey;
  let apiKey: string;
  try {
    apiKey = (await readFile(path, "utf8")).trim();
  } catch (err) {
    throw new CrossproofError(ErrorCode.USAGE, `cannot read the client API key ${path}`, {
      cause: err,
    });
  }
  const client = new VerifierClient({ url: verifierUrl, apiKey });
  const definition = policyDefinitionOf(await client.policy(SAMPLE_POLICY_ID));
  const k = (await client.circuit("query")).publicSignals.length - 4;
  const applicants = await pickApplicants(config.dataDir, parsePolicyDefinition(definition, k), k);
  // The linked part runs when the deployment has the linked policy (it runs two bureaus).
  const linkedPolicy = await client.policy(LINKED_POLICY_ID).catch((err: unknown) => {
    if (err instanceof ApiError && err.status === 404) return undefined;
    throw err;
  });
  const linked = linkedPolicy
    ? {
        policyId: LINKED_POLICY_ID,
        applicants: await pickLinkedApplicants(
          config.dataDir,
          parsePolicyDefinition(policyDefinitionOf(linkedPolicy), k),
          k,
        ),
      }
    : undefined;
  return runDemo(
    {
      verifierUrl,
      proverUrl,
      apiKey,
      policyId: SAMPLE_POLICY_ID,
      applicants,
      ...(linked ? { linked } : {}),
    },
    print,
  );
}

/**
 * `crossproof verifier serve [--port N] [--instances N]`: the verifier service alone, until
 * Ctrl-C; with `--instances`, N instances behind one address (`verifier-cluster.ts`).
 */
export async function runVerifierServe(args: string[], json: boolean): Promise<void> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { port: { type: "string" }, instances: { type: "string" } },
    strict: true,
  });
  if (positionals[0] !== "serve" || positionals.length !== 1)
    usageError("crossproof verifier serve [--port N] [--instances N]");
  const instances = Number(values.instances ?? "1");
  if (!Number.isInteger(instances) || instances < 1 || instances > 64)
    usageError("--instances must be an integer in [1, 64]");
  const config = serviceConfigFromEnv(process.env);
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      usageError("--port must be a port number");
  }
  if (instances > 1 && !isClusterInstance()) {
    const cluster = await runVerifierCluster(instances, process.env, untilStopSignal());
    if (json) printJson({ url: cluster.url, instances });
    else
      process.stdout.write(
        `${instances} verifier instances at ${cluster.url}; Ctrl-C stops them\n`,
      );
    await cluster.stopped;
    return;
  }
  const logger = createLogger("verifier");
  const stopped = untilStopSignal(); // from the start: see runStartCommand
  const chain = await openChain({ env: process.env });
  try {
    const receiptLog = await receiptLogOf(chain);
    const service = await startVerifierService({
      config,
      env: process.env,
      registry: chain.registry,
      ...(receiptLog ? { receiptLog } : {}),
      // External circuits registered through the API go on chain under the admin's key, when
      // this verifier has it (CROSSPROOF_ADMIN_KEY; the local chain's own admin key).
      registrar: () => chain.admin(),
      logger,
      ...(port === undefined ? {} : { port }),
    });
    // One of several instances tells the primary, which prints the shared address.
    if (isClusterInstance()) reportListening(service.url);
    else if (json) printJson({ url: service.url });
    else process.stdout.write(`verifier service at ${service.url}; Ctrl-C stops it\n`);
    await stopped;
    await service.close();
  } finally {
    await chain.close();
    leaveCluster();
  }
}
