/**
 * The phase-2 ceremony that makes production keys: a coordinator and any number of participants
 * who never share a machine, over snarkjs's own zkey functions.
 *
 * The coordinator's ceremony folder is public and self-contained: the compiled circuit
 * (`<circuit>.r1cs`, `.wasm`, `.sym`), the Powers of Tau (`ptau/<file>`), every accepted zkey
 * (`<circuit>_0000.zkey`, `_0001`, …, `_final`) and `transcript.json`, which records each file's
 * sha256, the ptau's identity, every contribution hash and name, and the beacon. Anyone can
 * re-run `verify` on it.
 *
 * 1. `initCeremony` compiles the circuit, checks the ptau (setup/ptau-import.ts) and writes the
 *    initial zkey (no contribution: γ = δ, unusable until contributed to);
 * 2. each participant runs `contribute` on the latest zkey, alone, and publishes the hash it
 *    prints; the entropy comes from the OS CSPRNG (optionally mixed with typed text) and is
 *    never written anywhere;
 * 3. the coordinator checks each returned zkey with `verifyCeremonyZkey` and records it with
 *    `acceptContribution`;
 * 4. `finalizeCeremony` applies a public random beacon named in advance;
 * 5. `releaseCeremony` writes `artifacts/<circuit>/` with `kind: production`.
 *
 * Every refusal is a `CrossproofError` (`CEREMONY_INVALID`, `PTAU_UNKNOWN`, `PTAU_INVALID`,
 * `KEY_INVALID`, `USAGE`) whose message names the file and the reason.
 */
import { randomBytes as osRandomBytes } from "node:crypto";
import { copyFile, link, mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import * as snarkjs from "snarkjs";
import { z } from "zod";
import { circomVersion, compileCircuit } from "../circuits/compile.js";
import { type CircuitInstance, getCircuitInstance } from "../circuits/instances.js";
import { publicSignalNames } from "../circuits/symbols.js";
import { ArtifactError, CrossproofError, ErrorCode } from "../core/errors.js";
import type { ArtifactManifest, VerificationKey } from "../infra/artifacts.js";
import { fileExists, sha256File, writeFileAtomic } from "../infra/files.js";
import { ARTIFACTS_DIR, BUILD_DIR, circuitArtifactPaths, packageRoot } from "../infra/paths.js";
import { readZkey, type ZkeyContribution } from "../infra/zkey-file.js";
import { checkVerificationKey } from "../verifier/key-checks.js";
import { snarkjsVersion } from "./dev.js";
import { type ProgressSink, type SnarkjsLogger, silentProgress, stepLogger } from "./logger.js";
import { importPtau, type PtauIdentity, type VerifyProgress } from "./ptau-import.js";

/** The transcript file's name in a ceremony folder and in a release. */
export const TRANSCRIPT_FILE = "transcript.json";

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
const hash512 = z.string().regex(/^[0-9a-f]{128}$/);
const fileRecord = z.strictObject({
  file: z.string().regex(/^[A-Za-z0-9_.-]+$/),
  sha256: sha256Hex,
});

const transcriptSchema = z.strictObject({
  version: z.literal(1),
  circuit: z.string(),
  template: z.string(),
  params: z.array(z.number().int()),
  constraints: z.number().int().positive(),
  wires: z.number().int().positive(),
  nPublic: z.number().int().nonnegative(),
  nOutputs: z.number().int().nonnegative(),
  publicSignals: z.array(z.string()),
  /** snarkjs's circuit hash (blake2b-512 over the r1cs and the ptau), as every zkey records it. */
  circuitHash: hash512,
  r1cs: fileRecord,
  wasm: fileRecord,
  sym: fileRecord,
  ptau: z.strictObject({
    file: z.string().regex(/^[A-Za-z0-9_.-]+$/),
    power: z.number().int(),
    sha256: sha256Hex,
    blake2b: hash512,
    published: z.string().nullable(),
    unknownAllowed: z.boolean(),
  }),
  /** Accepted zkeys in order: the initial one, one per accepted contribution, the final one. */
  zkeys: z.array(fileRecord.extend({ contributions: z.number().int().nonnegative() })),
  contributions: z.array(
    z.strictObject({
      index: z.number().int().positive(),
      name: z.string(),
      type: z.enum(["contribution", "beacon"]),
      hash: hash512,
      acceptedAt: z.string(),
    }),
  ),
  beacon: z
    .strictObject({ hash: z.string().regex(/^[0-9a-f]+$/), iterationsExp: z.number().int() })
    .nullable(),
  tools: z.record(z.string(), z.string()),
  startedAt: z.string(),
  finalizedAt: z.string().nullable(),
});

/** A ceremony's public record (`transcript.json`). */
export type CeremonyTranscript = z.infer<typeof transcriptSchema>;

function invalid(file: string, reason: string, details: Record<string, unknown> = {}): never {
  throw new ArtifactError(ErrorCode.CEREMONY_INVALID, `${file}: ${reason}`, {
    details: { file, reason, ...details },
  });
}

/** Read and check a ceremony folder's transcript. */
export async function readTranscript(dir: string): Promise<CeremonyTranscript> {
  const path = join(dir, TRANSCRIPT_FILE);
  let raw: string;
  try {
    raw = await readFile(path, "utf8");
  } catch {
    invalid(path, "no ceremony transcript here (run `crossproof ceremony init` first)");
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    invalid(path, "the transcript is not JSON");
  }
  const parsed = transcriptSchema.safeParse(json);
  if (!parsed.success) {
    invalid(path, "the transcript is malformed", {
      issues: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`),
    });
  }
  return parsed.data;
}

async function writeTranscript(dir: string, transcript: CeremonyTranscript): Promise<void> {
  await writeFileAtomic(join(dir, TRANSCRIPT_FILE), `${JSON.stringify(transcript, null, 2)}\n`);
}

/** The path of a file the transcript records, after checking its sha256 (a tampered folder). */
async function checkedFile(dir: string, record: { file: string; sha256: string }): Promise<string> {
  const path = join(dir, record.file);
  if (!(await fileExists(path))) invalid(path, "missing from the ceremony folder");
  const actual = await sha256File(path);
  if (actual !== record.sha256) {
    invalid(path, "its sha256 differs from the transcript's", {
      expected: record.sha256,
      actual,
    });
  }
  return path;
}

function zkeyName(circuit: string, index: number | "final"): string {
  return index === "final"
    ? `${circuit}_final.zkey`
    : `${circuit}_${String(index).padStart(4, "0")}.zkey`;
}

/** A snarkjs logger that keeps its error lines (to say why a check failed) and shows progress. */
function collectingLogger(
  step: string,
  progress: ProgressSink,
): SnarkjsLogger & { errors: string[] } {
  const errors: string[] = [];
  const shown = stepLogger(step, progress);
  return {
    errors,
    debug: shown.debug,
    info: shown.info,
    warn: shown.warn,
    error: (m) => {
      errors.push(m.trim());
      shown.error(m);
    },
  };
}

/** Options of {@link initCeremony}. */
export interface InitCeremonyOptions {
  /** The circuit, by name in circuits.json or as an instance. */
  readonly circuit: string | CircuitInstance;
  /** The Powers of Tau file (prepared for phase 2). */
  readonly ptau: string;
  /** The ceremony folder to create (must not hold a ceremony already). */
  readonly dir: string;
  /** Accept a ptau that is no published ceremony file (recorded in the transcript). */
  readonly allowUnknownPtau?: boolean;
  readonly progress?: ProgressSink;
  readonly onPtauProgress?: VerifyProgress;
}

/**
 * Start a ceremony: compile the circuit, check the ptau, write the initial zkey and the
 * transcript. The initial zkey has no contribution yet.
 */
export async function initCeremony(options: InitCeremonyOptions): Promise<CeremonyTranscript> {
  const progress = options.progress ?? silentProgress;
  const instance =
    typeof options.circuit === "string" ? getCircuitInstance(options.circuit) : options.circuit;
  const dir = options.dir;
  if (await fileExists(join(dir, TRANSCRIPT_FILE))) {
    invalid(join(dir, TRANSCRIPT_FILE), "a ceremony was already started in this folder");
  }
  progress(`${instance.name}: checking the Powers of Tau ${options.ptau}`);
  const ptau: PtauIdentity = await importPtau(options.ptau, {
    allowUnknown: options.allowUnknownPtau ?? false,
    ...(options.onPtauProgress ? { onProgress: options.onPtauProgress } : {}),
  });
  await mkdir(join(dir, "ptau"), { recursive: true });
  await mkdir(join(BUILD_DIR, "ceremony"), { recursive: true });
  const buildDir = await mkdtemp(join(BUILD_DIR, "ceremony", `${instance.name}-`));
  try {
    progress(`${instance.name}: compiling (circom --O2)`);
    const compiled = await compileCircuit(instance, buildDir);
    const info = await snarkjs.r1cs.info(compiled.r1cs);
    const nPublic = info.nOutputs + info.nPubInputs;
    if (2 ** ptau.power < info.nConstraints + nPublic + 1) {
      throw new ArtifactError(
        ErrorCode.PTAU_INVALID,
        `${options.ptau}: power ${ptau.power} is too small for ${instance.name} (${info.nConstraints} constraints)`,
        { details: { file: options.ptau, power: ptau.power, constraints: info.nConstraints } },
      );
    }
    const copies = { r1cs: compiled.r1cs, wasm: compiled.wasm, sym: compiled.sym };
    const records: Record<string, { file: string; sha256: string }> = {};
    for (const [kind, from] of Object.entries(copies)) {
      const file = `${instance.name}.${kind}`;
      await copyFile(from, join(dir, file));
      records[kind] = { file, sha256: await sha256File(join(dir, file)) };
    }
    const ptauCopy = join(dir, "ptau", ptau.file);
    await rm(ptauCopy, { force: true });
    // A hard link where the file system allows it: a large ptau is not copied twice.
    await link(options.ptau, ptauCopy).catch(() => copyFile(options.ptau, ptauCopy));
    progress(`${instance.name}: initial zkey (groth16 setup)`);
    const initial = zkeyName(instance.name, 0);
    await snarkjs.zKey.newZKey(
      join(dir, records.r1cs?.file as string),
      ptauCopy,
      join(dir, initial),
      stepLogger("zkey new", progress),
    );
    const summary = await readZkey(join(dir, initial));
    const transcript: CeremonyTranscript = {
      version: 1,
      circuit: instance.name,
      template: instance.template,
      params: [...instance.params],
      constraints: info.nConstraints,
      wires: info.nVars,
      nPublic,
      nOutputs: info.nOutputs,
      publicSignals: await publicSignalNames(compiled.sym, nPublic),
      circuitHash: summary.circuitHash,
      r1cs: records.r1cs as { file: string; sha256: string },
      wasm: records.wasm as { file: string; sha256: string },
      sym: records.sym as { file: string; sha256: string },
      ptau: {
        file: ptau.file,
        power: ptau.power,
        sha256: ptau.sha256,
        blake2b: ptau.blake2b,
        published: ptau.published,
        unknownAllowed: ptau.unknownAllowed,
      },
      zkeys: [{ file: initial, sha256: await sha256File(join(dir, initial)), contributions: 0 }],
      contributions: [],
      beacon: null,
      tools: {
        snarkjs: snarkjsVersion(),
        circom: (await circomVersion()).replace(/\s*\n\s*/g, "; "),
      },
      startedAt: new Date().toISOString(),
      finalizedAt: null,
    };
    await writeTranscript(dir, transcript);
    return transcript;
  } finally {
    await rm(buildDir, { recursive: true, force: true });
  }
}

/** Options of {@link contribute}. */
export interface ContributeOptions {
  /** The latest zkey of the ceremony, as the coordinator published it. */
  readonly input: string;
  /** Where the new zkey goes (must not exist). */
  readonly output: string;
  /** The participant's name, recorded in the zkey (snarkjs keeps 64 characters). */
  readonly name: string;
  /** Text the participant typed, mixed into the entropy (never stored). */
  readonly typedEntropy?: string;
  /** The CSPRNG (default: the OS's); tests pass a known one to check nothing leaks. */
  readonly randomBytes?: (size: number) => Buffer;
  readonly progress?: ProgressSink;
}

/** What a contribution made. */
export interface ContributionResult {
  /** The contribution hash to publish (128 hex digits). */
  readonly hash: string;
  /** Every contribution now in the zkey, the new one last. */
  readonly contributions: readonly ZkeyContribution[];
}

/**
 * Contribute to a phase-2 zkey: 64 fresh bytes from the OS CSPRNG (plus typed text, if any) go
 * to snarkjs's `zkey contribute`, which mixes 64 more of its own. The entropy lives only in
 * memory for the call; the zkey is written to a temporary file and renamed when complete.
 */
export async function contribute(options: ContributeOptions): Promise<ContributionResult> {
  const progress = options.progress ?? silentProgress;
  const name = options.name.trim();
  if (name === "" || name.length > 64) {
    throw new CrossproofError(ErrorCode.USAGE, "a contribution needs a name of 1 to 64 characters");
  }
  const before = await readZkey(options.input);
  if (before.contributions.at(-1)?.type === "beacon") {
    invalid(options.input, "this zkey was finalized with a beacon: it takes no more contributions");
  }
  if (await fileExists(options.output)) {
    throw new CrossproofError(ErrorCode.USAGE, `${options.output} exists: give a new file name`);
  }
  const tmp = `${options.output}.partial`;
  const random = (options.randomBytes ?? osRandomBytes)(64);
  let hash: string;
  try {
    // snarkjs hashes this text (UTF-8) with 64 random bytes of its own into a ChaCha seed.
    let entropy: string | undefined = random.toString("hex") + (options.typedEntropy ?? "");
    progress(`contributing to ${basename(options.input)} as "${name}"`);
    const digest = (await snarkjs.zKey.contribute(
      options.input,
      tmp,
      name,
      entropy,
      // snarkjs logs its progress and the hashes here, never the entropy.
      stepLogger("zkey contribute", progress),
    )) as Uint8Array;
    entropy = undefined;
    hash = Buffer.from(digest).toString("hex");
  } catch (err) {
    await rm(tmp, { force: true });
    if (err instanceof CrossproofError) throw err;
    invalid(options.input, `snarkjs could not contribute: ${(err as Error).message}`);
  } finally {
    random.fill(0);
  }
  const after = await readZkey(tmp).catch(async (err: unknown) => {
    await rm(tmp, { force: true });
    throw err;
  });
  if (after.contributions.at(-1)?.hash !== hash) {
    await rm(tmp, { force: true });
    invalid(options.output, "the new zkey does not record the contribution just made");
  }
  await rename(tmp, options.output);
  return { hash, contributions: after.contributions };
}

/** What {@link verifyCeremonyZkey} found. */
export interface CeremonyVerification {
  readonly circuit: string;
  /** Every contribution in the zkey, in order. */
  readonly contributions: readonly ZkeyContribution[];
  /** Those the transcript has not recorded yet. */
  readonly newContributions: readonly ZkeyContribution[];
}

/**
 * Check a zkey of the ceremony in `dir`: the folder's r1cs and ptau are the transcript's, the
 * zkey was made from them (snarkjs `zkey verify` recomputes the initial key and checks every
 * contribution's proof of knowledge and the final sections), and it extends the contributions
 * the transcript has accepted. `CEREMONY_INVALID` with the reason otherwise.
 *
 * `against: "initial"` checks the contributions against the ceremony's own initial zkey (its
 * sha256 is the transcript's) instead of recomputing it from the r1cs and ptau: the same
 * contribution and section checks (snarkjs `verifyFromInit`) without the groth16 setup, which is
 * most of the cost (9 s of 9.2 s for the `commitment` circuit on a power-10 ptau). The
 * coordinator's acceptance and finalize use it; `crossproof ceremony verify` and the release
 * recompute from the r1cs, so nothing ships on the initial file's word.
 */
export async function verifyCeremonyZkey(options: {
  readonly dir: string;
  readonly zkey: string;
  readonly progress?: ProgressSink;
  readonly against?: "r1cs" | "initial";
}): Promise<CeremonyVerification> {
  const progress = options.progress ?? silentProgress;
  const transcript = await readTranscript(options.dir);
  const r1cs = await checkedFile(options.dir, transcript.r1cs);
  const ptau = await checkedFile(options.dir, {
    file: join("ptau", transcript.ptau.file),
    sha256: transcript.ptau.sha256,
  });
  const summary = await readZkey(options.zkey);
  if (summary.circuitHash !== transcript.circuitHash) {
    invalid(
      options.zkey,
      `made for another circuit or Powers of Tau (circuit hash ${summary.circuitHash.slice(0, 16)}…, this ceremony's is ${transcript.circuitHash.slice(0, 16)}…)`,
    );
  }
  const logger = collectingLogger("zkey verify", progress);
  let ok: boolean;
  try {
    if (options.against === "initial") {
      const initial = transcript.zkeys[0];
      if (!initial) invalid(join(options.dir, TRANSCRIPT_FILE), "records no initial zkey");
      const initialZkey = await checkedFile(options.dir, initial);
      ok = await snarkjs.zKey.verifyFromInit(initialZkey, ptau, options.zkey, logger);
    } else {
      ok = await snarkjs.zKey.verifyFromR1cs(r1cs, ptau, options.zkey, logger);
    }
  } catch (err) {
    invalid(options.zkey, `cannot be verified: ${(err as Error).message}`);
  }
  if (!ok) {
    invalid(
      options.zkey,
      `fails \`zkey verify\` against ${basename(r1cs)} and ${basename(ptau)}: ${logger.errors[0] ?? "a contribution does not follow from the previous one"}`,
      { checks: logger.errors.slice(0, 5) },
    );
  }
  const accepted = transcript.contributions;
  accepted.forEach((c, i) => {
    const found = summary.contributions[i];
    if (!found || found.hash !== c.hash) {
      invalid(
        options.zkey,
        `does not extend the accepted contributions: #${i + 1} (${c.name}) is ${found ? "replaced" : "missing"}`,
      );
    }
  });
  return {
    circuit: transcript.circuit,
    contributions: summary.contributions,
    newContributions: summary.contributions.slice(accepted.length),
  };
}

/**
 * Record a participant's zkey as the ceremony's latest: it must verify and add exactly one
 * contribution (not a beacon) to the accepted chain. It is copied into the folder as the next
 * `<circuit>_NNNN.zkey`.
 */
export async function acceptContribution(options: {
  readonly dir: string;
  readonly zkey: string;
  readonly progress?: ProgressSink;
}): Promise<CeremonyVerification> {
  const result = await verifyCeremonyZkey({ ...options, against: "initial" });
  const transcript = await readTranscript(options.dir);
  if (transcript.beacon) invalid(options.dir, "the ceremony is finalized: no more contributions");
  const [added, ...more] = result.newContributions;
  if (!added || more.length > 0 || added.type !== "contribution") {
    invalid(
      options.zkey,
      added
        ? "must add exactly one contribution (not a beacon) to the latest accepted zkey"
        : "adds no contribution to the latest accepted zkey",
    );
  }
  const file = zkeyName(transcript.circuit, transcript.zkeys.length);
  const target = join(options.dir, file);
  await copyFile(options.zkey, `${target}.partial`);
  await rename(`${target}.partial`, target);
  const updated: CeremonyTranscript = {
    ...transcript,
    zkeys: [
      ...transcript.zkeys,
      { file, sha256: await sha256File(target), contributions: result.contributions.length },
    ],
    contributions: [
      ...transcript.contributions,
      { ...contributionRecord(added), acceptedAt: new Date().toISOString() },
    ],
  };
  await writeTranscript(options.dir, updated);
  return result;
}

function contributionRecord(c: ZkeyContribution) {
  return { index: c.index, name: c.name, type: c.type, hash: c.hash };
}

/** The latest accepted zkey of a ceremony folder (checked against the transcript). */
export async function latestZkey(dir: string): Promise<string> {
  const transcript = await readTranscript(dir);
  const last = transcript.zkeys.at(-1);
  if (!last) invalid(join(dir, TRANSCRIPT_FILE), "records no zkey");
  return checkedFile(dir, last);
}

/**
 * Finalize: apply the public random beacon (named in advance: e.g. a future block hash) to the
 * latest accepted zkey, verify the result and record it as `<circuit>_final.zkey`.
 */
export async function finalizeCeremony(options: {
  readonly dir: string;
  /** The beacon's value, hex (an even number of digits, at most 255 bytes). */
  readonly beacon: string;
  /** log2 of the number of sha256 iterations applied to the beacon, in [10, 63]. */
  readonly iterationsExp: number;
  readonly progress?: ProgressSink;
}): Promise<CeremonyTranscript> {
  const progress = options.progress ?? silentProgress;
  const beacon = options.beacon.toLowerCase().replace(/^0x/, "");
  if (!/^([0-9a-f]{2}){1,255}$/.test(beacon)) {
    throw new CrossproofError(ErrorCode.USAGE, "the beacon is an even number of hex digits");
  }
  if (
    !Number.isInteger(options.iterationsExp) ||
    options.iterationsExp < 10 ||
    options.iterationsExp > 63
  ) {
    throw new CrossproofError(ErrorCode.USAGE, "--iterations is log2 of the count, in [10, 63]");
  }
  const transcript = await readTranscript(options.dir);
  if (transcript.beacon) invalid(options.dir, "the ceremony is already finalized");
  if (!transcript.contributions.some((c) => c.type === "contribution")) {
    invalid(options.dir, "no contribution was accepted: a beacon alone makes a forgeable key");
  }
  const latest = await latestZkey(options.dir);
  const file = zkeyName(transcript.circuit, "final");
  const target = join(options.dir, file);
  progress(`${transcript.circuit}: applying the beacon (2^${options.iterationsExp} iterations)`);
  await rm(`${target}.partial`, { force: true });
  await snarkjs.zKey.beacon(
    latest,
    `${target}.partial`,
    "final beacon",
    beacon,
    options.iterationsExp,
    stepLogger("zkey beacon", progress),
  );
  await rename(`${target}.partial`, target);
  const result = await verifyCeremonyZkey({
    dir: options.dir,
    zkey: target,
    progress,
    against: "initial",
  });
  const [added] = result.newContributions;
  if (added?.type !== "beacon" || result.newContributions.length !== 1) {
    await rm(target, { force: true });
    invalid(target, "the beacon was not recorded as the last contribution");
  }
  const updated: CeremonyTranscript = {
    ...transcript,
    zkeys: [
      ...transcript.zkeys,
      { file, sha256: await sha256File(target), contributions: result.contributions.length },
    ],
    contributions: [
      ...transcript.contributions,
      { ...contributionRecord(added), acceptedAt: new Date().toISOString() },
    ],
    beacon: { hash: beacon, iterationsExp: options.iterationsExp },
    finalizedAt: new Date().toISOString(),
  };
  await writeTranscript(options.dir, updated);
  return updated;
}

/**
 * Write the finalized ceremony's release into `outDir/<circuit>/` (default `artifacts/`): the
 * final zkey verified once more, its verification key checked (γ ≠ δ, IC count, points), the
 * Solidity verifier, the wasm, the transcript, and a manifest with `kind: production`. The
 * release is assembled in a staging folder and swapped in only when complete.
 */
export async function releaseCeremony(options: {
  readonly dir: string;
  readonly outDir?: string;
  readonly progress?: ProgressSink;
}): Promise<ArtifactManifest> {
  const progress = options.progress ?? silentProgress;
  const outDir = options.outDir ?? ARTIFACTS_DIR;
  const transcript = await readTranscript(options.dir);
  if (!transcript.beacon) {
    invalid(
      join(options.dir, TRANSCRIPT_FILE),
      "not finalized: run `crossproof ceremony finalize`",
    );
  }
  const finalZkey = await latestZkey(options.dir);
  const wasm = await checkedFile(options.dir, transcript.wasm);
  const verified = await verifyCeremonyZkey({ dir: options.dir, zkey: finalZkey, progress });
  if (verified.newContributions.length > 0) {
    invalid(finalZkey, "holds contributions the transcript does not record");
  }
  const circuit = transcript.circuit;
  const final = circuitArtifactPaths(circuit, outDir);
  const staging = circuitArtifactPaths(`.${circuit}.staging`, outDir);
  const stagingFile = (path: string) => join(staging.dir, path.slice(final.dir.length + 1));
  await rm(staging.dir, { recursive: true, force: true });
  await mkdir(staging.dir, { recursive: true });
  try {
    await copyFile(finalZkey, stagingFile(final.zkey));
    await copyFile(wasm, stagingFile(final.wasm));
    await copyFile(join(options.dir, TRANSCRIPT_FILE), stagingFile(final.transcript));
    const vkey = (await snarkjs.zKey.exportVerificationKey(
      stagingFile(final.zkey),
    )) as VerificationKey;
    await checkVerificationKey(vkey, circuit, transcript.nPublic);
    await writeFile(stagingFile(final.verificationKey), `${JSON.stringify(vkey, null, 2)}\n`);
    const template = await readFile(
      join(packageRoot("snarkjs"), "templates", "verifier_groth16.sol.ejs"),
      "utf8",
    );
    const solidity: string = await snarkjs.zKey.exportSolidityVerifier(stagingFile(final.zkey), {
      groth16: template,
    });
    await writeFile(stagingFile(final.solidityVerifier), solidity);
    const entry = async (path: string) => ({
      path: path.slice(final.dir.length + 1),
      sha256: await sha256File(stagingFile(path)),
    });
    const beacon = transcript.beacon;
    const manifest: ArtifactManifest = {
      circuit,
      template: transcript.template,
      params: [...transcript.params],
      publicSignals: [...transcript.publicSignals],
      nPublic: transcript.nPublic,
      nOutputs: transcript.nOutputs,
      constraints: transcript.constraints,
      wires: transcript.wires,
      r1csSha256: transcript.r1cs.sha256,
      ptau: {
        power: transcript.ptau.power,
        sha256: transcript.ptau.sha256,
        blake2b: transcript.ptau.blake2b,
        published: transcript.ptau.published,
        unknownAllowed: transcript.ptau.unknownAllowed,
      },
      setup: {
        kind: "production",
        beacon: { hash: beacon.hash, iterationsExp: beacon.iterationsExp },
        contributions: verified.contributions.map(contributionRecord),
        note: `Multi-party phase-2 ceremony: ${verified.contributions.filter((c) => c.type === "contribution").length} contributions and a public beacon; sound if one contributor destroyed their entropy.${transcript.ptau.unknownAllowed ? " Phase 1 is NOT a published ceremony file (explicitly allowed)." : ""}`,
        tools: transcript.tools,
      },
      files: {
        wasm: await entry(final.wasm),
        zkey: await entry(final.zkey),
        verificationKey: await entry(final.verificationKey),
        solidityVerifier: await entry(final.solidityVerifier),
        transcript: await entry(final.transcript),
      },
    };
    await writeFile(stagingFile(final.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
    progress(`${circuit}: release assembled, swapping it into ${final.dir}`);
    await swapIntoPlace(staging.dir, final.dir);
    return manifest;
  } finally {
    await rm(staging.dir, { recursive: true, force: true });
  }
}

/** Replace `target` by the finished `staging` folder; the old one stays if the rename fails. */
async function swapIntoPlace(staging: string, target: string): Promise<void> {
  const previous = `${target}.previous`;
  await rm(previous, { recursive: true, force: true });
  await rename(target, previous).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== "ENOENT") throw err;
  });
  try {
    await rename(staging, target);
  } catch (err) {
    await rename(previous, target).catch(() => {});
    throw err;
  }
  await rm(previous, { recursive: true, force: true });
}
