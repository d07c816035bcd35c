/**
 * `crossproof audit …`: the auditor's side of the receipt log, remotely, with an auditor (or
 * admin) API key. `export` pages through `GET /v1/audit/log` and writes JSON Lines; `verify`
 * checks an export against the `LogAnchored` events on chain (`core/receipt-log.ts`) and names
 * every problem. The verifier is asked only for the contract's and anchorer's addresses when
 * they are not given, never for the anchors: those come from the chain.
 */
import { readFile, rm } from "node:fs/promises";
import { parseArgs } from "node:util";
import { type Address, getAddress, isAddress } from "viem";
import { ReceiptLogContract } from "../../chain/receipt-log.js";
import { CrossproofError, ErrorCode } from "../../core/errors.js";
import { checkLog, type LogCheck, parseLog } from "../../core/receipt-log.js";
import { fileExists, writeFileAtomic } from "../../infra/files.js";
import { verifierPaths } from "../../infra/paths.js";
import { printJson, usageError } from "../output.js";

/** Entries per page of an export. */
const PAGE = 10_000;

interface Remote {
  readonly url: string;
  readonly key: string;
}

async function remote(values: { url?: string; "key-file"?: string }): Promise<Remote> {
  const url = values.url ?? process.env.CROSSPROOF_VERIFIER_URL;
  if (!url) usageError("give the verifier's address: --url URL (or CROSSPROOF_VERIFIER_URL)");
  let key = process.env.CROSSPROOF_API_KEY || undefined;
  const file = values["key-file"] ?? (key ? undefined : verifierPaths().auditorKey);
  if (file !== undefined) {
    if (!(await fileExists(file))) usageError(`no key file ${file}: give --key-file FILE`);
    key = (await readFile(file, "utf8")).trim();
  }
  if (!key) usageError("give an auditor API key: --key-file FILE (or CROSSPROOF_API_KEY)");
  return { url: url.replace(/\/+$/, ""), key };
}

async function get(r: Remote, path: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(`${r.url}${path}`, { headers: { authorization: `Bearer ${r.key}` } });
  } catch (err) {
    throw new CrossproofError(
      ErrorCode.SERVICE_UNAVAILABLE,
      `the verifier at ${r.url} cannot be reached`,
      {
        cause: err,
      },
    );
  }
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as {
      error?: { code?: string; message?: string };
    };
    const code = body.error?.code ?? "";
    throw new CrossproofError(
      code in ErrorCode ? (code as ErrorCode) : ErrorCode.SERVICE_UNAVAILABLE,
      `the verifier answered ${response.status} to ${path}: ${body.error?.message ?? response.statusText}`,
    );
  }
  return response;
}

function seq(text: string | undefined, name: string): number {
  if (text === undefined) return 0;
  if (!/^[0-9]{1,15}$/.test(text)) usageError(`${name} must be a non-negative integer`);
  return Number(text);
}

function address(text: string, name: string): Address {
  if (!isAddress(text, { strict: false })) usageError(`${name} is not an EVM address`);
  return getAddress(text);
}

async function exportLog(args: string[], json: boolean): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      url: { type: "string" },
      "key-file": { type: "string" },
      out: { type: "string" },
      after: { type: "string" },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 0) usageError("audit export takes no arguments");
  const r = await remote(values);
  let after = seq(values.after, "--after");
  const chunks: string[] = [];
  let entries = 0;
  for (;;) {
    const text = await (await get(r, `/v1/audit/log?after=${after}&limit=${PAGE}`)).text();
    const lines = text.split("\n").filter((l) => l !== "");
    if (lines.length === 0) break;
    chunks.push(`${lines.join("\n")}\n`);
    entries += lines.length;
    const last = JSON.parse(lines[lines.length - 1] as string) as { seq: number };
    after = last.seq;
    if (lines.length < PAGE) break;
  }
  const body = chunks.join("");
  if (values.out !== undefined) {
    await rm(values.out, { force: true });
    await writeFileAtomic(values.out, body);
  } else if (!json) process.stdout.write(body);
  if (json) printJson({ entries, lastSeq: after, ...(values.out ? { out: values.out } : {}) });
  else if (values.out !== undefined) {
    process.stderr.write(`${entries} entries written to ${values.out} (last seq ${after})\n`);
  }
}

async function chainIdOf(rpcUrl: string): Promise<number> {
  try {
    const response = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
    });
    const body = (await response.json()) as { result?: string };
    if (typeof body.result !== "string") throw new Error("no chain id");
    return Number(BigInt(body.result));
  } catch (err) {
    throw new CrossproofError(ErrorCode.REGISTRY_UNAVAILABLE, "the chain node cannot be reached", {
      cause: err,
    });
  }
}

/** `crossproof audit verify`'s report: the check, and the problems as lines. */
function report(check: LogCheck): string[] {
  const lines = [
    `entries ${check.entries}, head ${check.head.count} ${check.head.head}`,
    check.lastAnchor
      ? `last anchor: count ${check.lastAnchor.count}${check.lastAnchor.blockNumber ? ` (block ${check.lastAnchor.blockNumber})` : ""}`
      : "no anchor on chain yet",
    `verified up to seq ${check.verifiedUpTo}`,
  ];
  if (check.unanchored) {
    lines.push(
      `not yet anchored: seqs ${check.unanchored.from}–${check.unanchored.to} (intact as a chain, not provable until the next anchor)`,
    );
  }
  for (const p of check.problems) lines.push(`${p.kind.toUpperCase()}: ${p.message}`);
  lines.push(check.ok ? "OK: the export matches the chain's anchors" : "TAMPERED");
  return lines;
}

async function verifyLog(args: string[], json: boolean): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      rpc: { type: "string" },
      contract: { type: "string" },
      anchorer: { type: "string" },
      url: { type: "string" },
      "key-file": { type: "string" },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) usageError("audit verify takes one export FILE");
  const file = positionals[0] as string;
  const rpcUrl = values.rpc ?? process.env.CROSSPROOF_RPC_URL;
  if (!rpcUrl) usageError("give the chain's node: --rpc URL (or CROSSPROOF_RPC_URL)");
  let contract = values.contract === undefined ? undefined : address(values.contract, "--contract");
  let anchorer = values.anchorer === undefined ? undefined : address(values.anchorer, "--anchorer");
  if (contract === undefined || anchorer === undefined) {
    // Only the addresses come from the verifier; the anchors are read from the chain.
    const status = (await (await get(await remote(values), "/v1/audit/status")).json()) as {
      contract: string | null;
      anchorer: string | null;
    };
    if (!status.contract || !status.anchorer) {
      throw new CrossproofError(
        ErrorCode.CHAIN_CONFIG,
        "the verifier does not anchor its receipt log (no contract): give --contract and --anchorer",
      );
    }
    contract ??= address(status.contract, "the verifier's contract");
    anchorer ??= address(status.anchorer, "the verifier's anchorer");
  }
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new CrossproofError(ErrorCode.USAGE, `cannot read ${file}`, { cause: err });
  }
  const log = new ReceiptLogContract({
    rpcUrl,
    chainId: await chainIdOf(rpcUrl),
    address: contract,
  });
  const anchors = await log.anchors(anchorer);
  const parsed = parseLog(text);
  const check = checkLog(parsed.entries, anchors, parsed.problems);
  if (json) printJson({ file, contract, anchorer, ...check });
  else for (const line of report(check)) process.stdout.write(`${line}\n`);
  if (!check.ok) {
    if (json) process.exitCode = AUDIT_TAMPERED_EXIT;
    else {
      const error = new CrossproofError(
        ErrorCode.LOG_TAMPERED,
        `${file}: ${check.problems.length} problem(s): ${[...new Set(check.problems.map((p) => p.kind))].join(", ")}`,
        { details: { problems: check.problems.length } },
      );
      process.stderr.write(`error ${error.code}: ${error.message}\n`);
      process.exitCode = AUDIT_TAMPERED_EXIT;
    }
  }
}

/** The exit code of `audit verify` on a tampered export (sysexits' EX_DATAERR). */
export const AUDIT_TAMPERED_EXIT = 65;

/** `crossproof audit export|verify`. */
export async function runAudit(args: string[], json: boolean): Promise<void> {
  const [sub, ...rest] = args;
  switch (sub) {
    case "export":
      return exportLog(rest, json);
    case "verify":
      return verifyLog(rest, json);
    default:
      usageError(`unknown audit command "${sub ?? ""}"; one of: export, verify`);
  }
}
