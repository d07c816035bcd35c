/**
 * `npm start` as a user runs it: `crossproof start` in a child process on a fresh data folder,
 * then the printed curl walk-through pasted into a shell, then `crossproof demo` against the
 * running services, then Ctrl-C (SIGTERM). And `crossproof demo` on its own, and a start that
 * must not happen (a bad variable, a port in use).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../infra/paths.js";
import { BIN, cliEnv, crossproof } from "../helpers/cli.js";

const hasCurl = await promisify(execFile)("curl", ["--version"]).then(
  () => true,
  () => false,
);

/** A running `crossproof start` and what it printed so far. */
interface Started {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
}

/** Starts `crossproof start`, resolving once it printed `until` (or failing if it exits). */
async function start(env: NodeJS.ProcessEnv, until: RegExp, ...args: string[]): Promise<Started> {
  const child = spawn(process.execPath, [BIN, "start", ...args], {
    cwd: PROJECT_ROOT,
    env: cliEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      if (until.test(out)) resolve();
    });
    child.once("exit", (code) =>
      reject(new Error(`start exited with ${code}: ${err.slice(-2000)}`)),
    );
  });
  return { child, stdout: () => out, stderr: () => err };
}

async function stop(started: Started): Promise<number | null> {
  if (started.child.exitCode !== null) return started.child.exitCode;
  started.child.kill("SIGTERM");
  const [code] = (await once(started.child, "exit")) as [number | null];
  return code;
}

describe("npm start: the whole flow as services", () => {
  let dataDir: string;
  let workDir: string;
  let env: NodeJS.ProcessEnv;
  let started: Started | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "crossproof-start-"));
    workDir = await mkdtemp(join(tmpdir(), "crossproof-walk-"));
    env = {
      CROSSPROOF_DATA_DIR: dataDir,
      CROSSPROOF_VERIFIER_PORT: "0",
      CROSSPROOF_PROVER_PORT: "0",
      CROSSPROOF_LOG_FILE: process.env.CROSSPROOF_LOG_FILE,
    };
    started = await start(env, /^READY /m, "--records", "64", "--seed", "3");
  }, 180_000);

  afterAll(async () => {
    if (started) await stop(started);
    await rm(dataDir, { recursive: true, force: true });
    await rm(workDir, { recursive: true, force: true });
  });

  const url = (name: string) =>
    new RegExp(`^${name}\\s+(http://127\\.0\\.0\\.1:\\d+)`, "m").exec(
      started?.stdout() ?? "",
    )?.[1] as string;

  it("prints human lines only, one READY line, and the README's walk-through verbatim; run verbatim, it verifies, refuses the replay, and leaves the project tree as it was", async () => {
    const out = started?.stdout() ?? "";
    expect(url("verifier")).toMatch(/^http:/);
    expect(url("prover")).toMatch(/^http:/);
    // The web console: its URL, the key that signs in to it, and its page.
    expect(out).toMatch(
      new RegExp(
        `^console\\s+${url("verifier")}/console\\s+\\(sign in with an API key: the admin key is in `,
        "m",
      ),
    );
    const page = await fetch(`${url("verifier")}/console`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toMatch(/script-src 'self'/);
    expect(out).toContain("issuer: 64 synthetic credit reports committed");
    expect(out).toMatch(/root \d+ \(64 records\) anchored/);
    // The second bureau, with its own key, vault and root; a line for each bureau.
    expect(out).toMatch(
      /^hk bureau: \d+ synthetic residency attestations committed, \d+ about people in the mainland's reports/m,
    );
    expect(out).toMatch(/^hk bureau: root \d+ \(\d+ records\) anchored/m);
    expect(out).toMatch(
      /^bureaus {3}mainland 0x[0-9a-fA-F]{40} credit-report-v1: 64 records, root \d+… anchored$/m,
    );
    expect(out).toMatch(
      /^ {10}hk 0x[0-9a-fA-F]{40} residency-v1: \d+ records, root \d+… anchored$/m,
    );
    // People read the terminal: no JSON log line on it, and the ready line comes once, last.
    for (const line of `${out}\n${started?.stderr() ?? ""}`.split("\n")) {
      expect(line).not.toMatch(/^\s*\{"/);
    }
    expect(out.match(/^READY /gm)).toHaveLength(1);
    expect(out.trimEnd().split("\n").at(-1)).toMatch(/^READY {2}crossproof is up in [\d.]+ s/);
    // The local deployment allows development keys, and says so plainly.
    expect(out).toContain("CROSSPROOF_ALLOW_DEVELOPMENT_KEYS=1 is set for this local deployment");
    const ready = await fetch(`${url("verifier")}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { checks: Record<string, unknown> }).checks).toMatchObject({
      prover: { ok: true },
      samplePolicy: { ok: true },
    });

    const readme = await readFile(join(PROJECT_ROOT, "README.md"), "utf8");
    const block = /<!-- walkthrough:start -->\n```sh\n([\s\S]*?)```\n<!-- walkthrough:end -->/.exec(
      readme,
    )?.[1];
    expect(block, "the README's walk-through block").toBeDefined();
    const printed = out.slice(out.indexOf("Walk-through")).split("\n").slice(2);
    const script = printed
      .slice(0, printed.findIndex((l) => l.startsWith("Or let")) - 1)
      .map((l) => l.replace(/^ {2}/, ""))
      .join("\n");
    expect(`${script}\n`).toBe(block);
    if (!hasCurl) {
      console.warn("SKIPPED: curl is not installed, so the walk-through was not run");
      return;
    }
    const git = async () =>
      (await promisify(execFile)("git", ["status", "--porcelain"], { cwd: PROJECT_ROOT })).stdout;
    const before = await git();
    const run = await promisify(execFile)("bash", ["-c", block as string], {
      cwd: PROJECT_ROOT,
      env: cliEnv({ CROSSPROOF_DATA_DIR: dataDir }),
    });
    const lines = run.stdout.trim().split("\n");
    expect(lines.filter((l) => l.startsWith("HTTP "))).toEqual([
      "HTTP 200  policy.json",
      "HTTP 201  challenge.json",
      "HTTP 200  presentation.json",
      "HTTP 200  verdict.json",
      "HTTP 200  replay.json",
      "HTTP 201  linked-challenge.json",
      "HTTP 200  linked-presentation.json",
      "HTTP 200  linked-verdict.json",
      "HTTP 201  mismatch-challenge.json",
      "HTTP 200  mismatch-presentation.json",
      "HTTP 200  mismatch.json",
    ]);
    const [first, second, linked, mismatch] = lines
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l));
    expect(first).toMatchObject({ verified: true, reasons: [] });
    expect(Object.keys(first.disclosed)).toEqual(["jurisdiction"]);
    expect(second).toMatchObject({ verified: false, reasons: [{ code: "CHALLENGE_CONSUMED" }] });
    // Across the two bureaus: both records proved and linked; another's Hong Kong record is not.
    expect(linked).toMatchObject({ verified: true, reasons: [] });
    expect(Object.keys(linked.disclosed)).toEqual(["jurisdiction"]);
    expect(linked.linked).toEqual([
      { schema: "residency-v1", disclosed: { residencyStatus: expect.any(String) } },
    ]);
    expect(mismatch).toMatchObject({ verified: false, reasons: [{ code: "LINK_MISMATCH" }] });
    expect(await git()).toBe(before);
  });

  it("stops the walk-through at the first failing step, saying why", async () => {
    const readme = await readFile(join(PROJECT_ROOT, "README.md"), "utf8");
    const block = /```sh\n(\. "\$\{CROSSPROOF_DATA_DIR[\s\S]*?)```/.exec(readme)?.[1] as string;
    if (!hasCurl) {
      console.warn("SKIPPED: curl is not installed, so the walk-through was not run");
      return;
    }
    // A policy that does not exist: step 1 fails, and nothing after it in the chain runs.
    const run = await promisify(execFile)(
      "bash",
      ["-c", block.replace("KEY=$(", "POLICY=none; KEY=$(")],
      { cwd: PROJECT_ROOT, env: cliEnv({ CROSSPROOF_DATA_DIR: dataDir }) },
    ).catch((err: { code: number; stdout: string }) => {
      expect(err.code).not.toBe(0); // when the script ends on a failed step, its status says so
      return err;
    });
    const lines = run.stdout.trim().split("\n");
    expect(lines[0]).toBe("HTTP 404  policy.json");
    expect(lines[1]).toMatch(/^step failed: .*"NOT_FOUND"/);
    expect(lines.some((l) => l.endsWith("  challenge.json"))).toBe(false);
  });

  it("plays the demo over HTTP against the running services", async () => {
    const result = await crossproof(
      { CROSSPROOF_DATA_DIR: dataDir },
      ...["demo", "--verifier", url("verifier"), "--prover", url("prover"), "--json"],
    );
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      verified: true,
      refusals: {
        replay: "CHALLENGE_CONSUMED",
        otherSubject: "QUERY_MISMATCH",
        tampered: "PROOF_INVALID",
        ineligible: "PREDICATE_UNSATISFIED",
      },
      linked: {
        verified: true,
        refusals: { otherHongKong: "LINK_MISMATCH" },
      },
    });
  });

  it("prints no salt, fingerprint or other applicant's identifier; the keys stay in files", async () => {
    const out = started?.stdout() ?? "";
    // Both bureaus' records: the mainland's credit reports and the Hong Kong residency records.
    const rows: Record<string, string>[] = [];
    for (const file of [
      "issuer/synthetic-credit-reports.jsonl",
      "issuer-hk/synthetic-residency.jsonl",
    ]) {
      for (const line of (await readFile(join(dataDir, file), "utf8")).trim().split("\n")) {
        rows.push(JSON.parse(line) as Record<string, string>);
      }
    }
    // The walk-through reads the applicant's hash from a file: no identifier is printed.
    expect(rows.filter((r) => out.includes(r.subjectId as string))).toEqual([]);
    for (const r of rows) expect(out).not.toContain(r.documentFingerprint);
    const clientKey = (await readFile(join(dataDir, "verifier", "client-api.key"), "utf8")).trim();
    const adminKey = (await readFile(join(dataDir, "verifier", "admin-api.key"), "utf8")).trim();
    expect(out).not.toContain(clientKey);
    expect(out).not.toContain(adminKey);
    expect(started?.stderr() ?? "").not.toContain(clientKey);
  });

  it("stops on SIGTERM, finishing what is under way, with exit code 0", async () => {
    const code = await stop(started as Started);
    expect(code).toBe(0);
    expect(started?.stdout()).toContain("stopped");
    started = undefined;
  });
});

describe("crossproof demo and start refusals", () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "crossproof-demo-"));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it("plays the whole scenario on a stack of its own when nothing is running", async () => {
    const result = await crossproof(
      { CROSSPROOF_DATA_DIR: dataDir, CROSSPROOF_VERIFIER_PORT: "0", CROSSPROOF_PROVER_PORT: "0" },
      ...["demo", "--records", "64"],
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("no verifier running: starting one for the demo");
    expect(result.stdout).toContain("CROSSPROOF_ALLOW_DEVELOPMENT_KEYS=1 is set");
    expect(result.stdout).toMatch(/verified: true; disclosed: \{"jurisdiction":"(HK|CN)"\}/);
    expect(result.stdout).toContain("Done: the bank learned the policy holds");
    // and across the two bureaus, with what must fail there
    expect(result.stdout).toContain("Across two bureaus: the bank's linked policy");
    expect(result.stdout).toMatch(/verified: true; disclosed: /);
    expect(result.stdout).toContain("refused: LINK_MISMATCH");
  });

  it("stops cleanly on a SIGTERM during start-up: exit code 0, no chain node left behind", async () => {
    const folder = await mkdtemp(join(tmpdir(), "crossproof-early-stop-"));
    try {
      const early = await start(
        { CROSSPROOF_DATA_DIR: folder, CROSSPROOF_VERIFIER_PORT: "0", CROSSPROOF_PROVER_PORT: "0" },
        /cross-boundary flow/,
        "--records",
        "64",
      );
      // Wait for the chain node (anvil, a child of crossproof) to be up, then stop mid-start.
      let anvil: number | undefined;
      for (let i = 0; i < 200 && anvil === undefined; i++) {
        const { stdout } = await promisify(execFile)("ps", ["-eo", "pid=,ppid=,args="]);
        anvil = stdout
          .split("\n")
          .map((line) => line.trim().split(/\s+/))
          .find(([, ppid, args]) => Number(ppid) === early.child.pid && /anvil/.test(args ?? ""))
          ?.map(Number)[0];
        if (anvil === undefined) await new Promise((r) => setTimeout(r, 50));
      }
      expect(anvil).toBeDefined();
      expect(await stop(early)).toBe(0);
      const alive = (pid: number) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      expect(alive(anvil as number)).toBe(false);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it("refuses a bad variable with CONFIG_INVALID naming it, exit code 78", async () => {
    const result = await crossproof(
      { CROSSPROOF_DATA_DIR: dataDir, CROSSPROOF_VERIFIER_PORT: "eighty" },
      "start",
    );
    expect(result.code).toBe(78);
    expect(result.stderr).toContain("error CONFIG_INVALID: CROSSPROOF_VERIFIER_PORT");
  });

  it("refuses a port in use, naming the variable", async () => {
    const blocker = createServer();
    blocker.listen(0, "127.0.0.1");
    await once(blocker, "listening");
    const port = (blocker.address() as { port: number }).port;
    try {
      const result = await crossproof(
        {
          CROSSPROOF_DATA_DIR: dataDir,
          CROSSPROOF_VERIFIER_PORT: String(port),
          CROSSPROOF_PROVER_PORT: "0",
        },
        "start",
      );
      expect(result.code).toBe(78);
      expect(result.stderr).toContain("CROSSPROOF_VERIFIER_PORT");
    } finally {
      blocker.close();
    }
  });
});
