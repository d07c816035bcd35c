/**
 * `crossproof start` (`npm start`): the whole cross-boundary flow on embedded defaults: the
 * local chain node, an issuer with synthetic credit reports anchored on first start, the
 * verifier service with a sample creditworthiness policy, and the holder's prover service. Prints
 * the URLs and a ready-to-paste `curl` walk-through, then serves until Ctrl-C.
 *
 * `crossproof demo` plays the scenario over HTTP: against the running services when the
 * verifier answers on its configured port, or on a stack of its own (free ports) otherwise.
 * `crossproof verifier serve` runs the verifier service alone.
 */
import { readFile } from "node:fs/promises";
import { relative } from "node:path";
import { parseArgs } from "node:util";
import { openChain } from "../../chain/connect.js";
import { subjectHash, VerifierClient } from "../../client/index.js";
import { CrossproofError, ErrorCode } from "../../core/errors.js";
import { createLogger } from "../../core/log.js";
import { verifierPaths } from "../../core/paths.js";
import { type ServiceConfig, serviceConfigFromEnv } from "../../server/config.js";
import { startVerifierService } from "../../server/services.js";
import { parsePolicyDefinition } from "../../verifier/policy.js";
import { printJson, untilStopSignal, usageError } from "../output.js";
import { type DemoResult, runDemo } from "./demo.js";
import { pickApplicants, SAMPLE_POLICY_ID, type Stack, startStack } from "./stack.js";
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

/** The curl walk-through for a running stack. */
export function walkThrough(stack: Stack): string[] {
  const { eligible } = stack.applicants;
  const hash = subjectHash("credit-report-v1", "subjectId", eligible.subjectId);
  const json = "-H 'content-type: application/json'";
  return [
    `KEY=$(cat ${shell(shown(stack.clientKeyPath))})`,
    `V=${stack.verifier.url}; P=${stack.prover.url}`,
    "",
    "# 1. The bank reads its policy",
    `curl -s -w '\\n' -H "authorization: Bearer $KEY" $V/v1/policies/${SAMPLE_POLICY_ID}`,
    "",
    `# 2. ... and asks for a one-time challenge about its applicant ${eligible.subjectId}`,
    "#    (it sends only the hash of the applicant's id: `subjectHash` in the client SDK)",
    `curl -s -H "authorization: Bearer $KEY" ${json} \\`,
    `  -d '{"policyId":"${SAMPLE_POLICY_ID}","subjectHash":"${hash}"}' $V/v1/challenges > challenge.json`,
    "",
    "# 3. The institution holding the applicant's report proves it meets the challenge",
    `curl -s ${json} -d "{\\"recordId\\":\\"${eligible.recordId}\\",\\"challenge\\":$(cat challenge.json)}" \\`,
    "  $P/v1/presentations > presentation.json",
    "",
    "# 4. The bank verifies it: verified, the disclosed jurisdiction, a receipt id",
    `curl -s -w '\\n' -H "authorization: Bearer $KEY" ${json} \\`,
    `  -d "{\\"policyId\\":\\"${SAMPLE_POLICY_ID}\\",\\"presentation\\":$(cat presentation.json)}" $V/v1/verifications`,
    "",
    "# 5. Send it again: refused, CHALLENGE_CONSUMED",
    "",
    `# The API: $V/docs (and $V/openapi.json). Admin key: ${shown(stack.adminKeyPath)}`,
  ];
}

/** `crossproof start`: runs the stack until SIGINT or SIGTERM. */
export async function runStartCommand(args: string[], json: boolean): Promise<void> {
  const { records, seed } = stackArgs(args);
  const config = serviceConfigFromEnv(process.env);
  // If whoever reads our output goes away (`npm start | head`), keep serving and stop cleanly.
  process.stdout.on("error", () => undefined);
  const print = json ? () => {} : (line: string) => process.stdout.write(`${line}\n`);
  print(
    "crossproof — the cross-boundary flow on this machine (development keys: not for production)\n",
  );
  // Listen for Ctrl-C / SIGTERM from the start: one during start-up ends it cleanly once the
  // services are up (Node's default would kill the process and leave the chain node running).
  const stopped = untilStopSignal();
  const stack = await startStack({
    config,
    env: process.env,
    logger: createLogger("crossproof"),
    records,
    seed,
    print,
  });
  if (json) {
    printJson({
      verifier: stack.verifier.url,
      prover: stack.prover.url,
      rpcUrl: stack.chain.node ? stack.chain.rpcUrl : undefined,
      chainId: stack.chain.chainId,
      registry: stack.chain.registryAddress,
      policyId: SAMPLE_POLICY_ID,
      clientKeyFile: stack.clientKeyPath,
      adminKeyFile: stack.adminKeyPath,
    });
  } else {
    print("");
    print(`verifier  ${stack.verifier.url}   (API: ${stack.verifier.url}/docs)`);
    print(`prover    ${stack.prover.url}   (the holder's side: keep it inside its network)`);
    if (stack.chain.node)
      print(`chain     ${stack.chain.rpcUrl}   (local node, chain id ${stack.chain.chainId})`);
    print(`registry  ${stack.chain.registryAddress}`);
    print(`policy    ${SAMPLE_POLICY_ID}\n`);
    print("Walk-through (paste into another terminal in this folder):\n");
    for (const line of walkThrough(stack)) print(line ? `  ${line}` : "");
    print("\nOr let `npx crossproof demo` play the whole scenario. Ctrl-C stops everything.");
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
    const stack = await startStack({
      config,
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
  const { createdAt: _, ...definition } = await client.policy(SAMPLE_POLICY_ID);
  const k = (await client.circuit("query")).publicSignals.length - 4;
  const applicants = await pickApplicants(config.dataDir, parsePolicyDefinition(definition, k), k);
  return runDemo({ verifierUrl, proverUrl, apiKey, policyId: SAMPLE_POLICY_ID, applicants }, print);
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
    const service = await startVerifierService({
      config,
      env: process.env,
      registry: chain.registry,
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
