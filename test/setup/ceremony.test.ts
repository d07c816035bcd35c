/**
 * A three-participant phase-2 ceremony on the `commitment` circuit, end to end: a small ptau made
 * with the development pipeline (power 10, committed under test/fixtures/ptau: an unknown file,
 * allowed explicitly), init, three contributions (the third through the command line, with typed entropy on stdin),
 * the coordinator's verification of each, the beacon, the release. snarkjs's own `zkey verify`
 * must agree with `crossproof ceremony verify`; a proof made with the released key verifies
 * through the batched verifier; every wrong or tampered input is refused with a stable code; and
 * no entropy is left on disk or in the log.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync } from "node:fs";
import {
  copyFile,
  cp,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as snarkjs from "snarkjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CircuitInstance } from "../../circuits/instances.js";
import { computeLeaf } from "../../core/commitment.js";
import { ErrorCode } from "../../core/errors.js";
import { loadCircuitRelease, type VerificationKey } from "../../infra/artifacts.js";
import { sha256File } from "../../infra/files.js";
import { circuitArtifactPaths, PROJECT_ROOT } from "../../infra/paths.js";
import { releaseSnarkjsCurve } from "../../infra/snarkjs-runtime.js";
import { assertZkeyMatchesKey, readZkey } from "../../infra/zkey-file.js";
import {
  acceptContribution,
  contribute,
  finalizeCeremony,
  initCeremony,
  latestZkey,
  readTranscript,
  releaseCeremony,
  verifyCeremonyZkey,
} from "../../setup/ceremony.js";
import { importPtau } from "../../setup/ptau-import.js";
import { PreparedKey, verifyBatch } from "../../verifier/batch-verify.js";
import { checkVerificationKey } from "../../verifier/key-checks.js";
import { compileForTest } from "../helpers/circuit.js";
import { crossproof } from "../helpers/cli.js";
import { caught } from "../helpers/errors.js";
import { commit } from "../helpers/fixtures.js";

/** A circuit that is not `commitment`, for a contribution on the wrong r1cs. */
const OTHER: CircuitInstance = {
  name: "ceremony_other",
  file: "select",
  template: "Select16",
  params: [],
  publicInputs: ["bits"],
  ptauPower: 8,
  release: false,
  description: "test only",
};

const BEACON = "5e".repeat(32);
let work: string;
let dir: string;
let ptau: string;
let logPath: string;
let outDir: string;
const hashes: string[] = [];
/** The second participant's CSPRNG bytes and everyone's typed entropy: none may be left anywhere. */
let secretRandom: Buffer;
const typedSecrets = [
  `typed-${randomBytes(12).toString("hex")}`,
  `cli-${randomBytes(12).toString("hex")}`,
];
let cliOutput = "";

/** Runs the command line with `input` on its standard input. */
function crossproofWithInput(
  input: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(PROJECT_ROOT, "cli", "bin.js"), ...args], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(`${input}\n`);
  });
}

/** The committed fixtures (test/fixtures/ptau/README.md says how they were made) and their sha256. */
const PTAU_FIXTURES = {
  dev: [
    "crossproof-dev-10.ptau",
    "2b7b0a1c024155da7e474f8def05ab06a30b9a0c8608200a18f90e932be1b73f",
  ],
  other: [
    "other-beacon-10.ptau",
    "3cb5d6a3acddede52ecdfe74c28fe9a9cf034377391d78518119062dc3585c1f",
  ],
} as const;

/**
 * A copy, in the test's folder, of a committed prepared power-10 ptau: the development one, or
 * one with other toxic waste (another beacon). Checked against its recorded sha256 first.
 */
async function fixturePtau(which: keyof typeof PTAU_FIXTURES): Promise<string> {
  const [file, sha256] = PTAU_FIXTURES[which];
  const source = join(PROJECT_ROOT, "test", "fixtures", "ptau", file);
  expect(await sha256File(source), `${source} is not the committed fixture`).toBe(sha256);
  const copy = join(work, file);
  await copyFile(source, copy);
  return copy;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "crossproof-ceremony-"));
  dir = join(work, "ceremony");
  outDir = join(work, "artifacts");
  logPath = join(work, "ceremony.log");
  const log = (line: string) => appendFileSync(logPath, `${line}\n`);
  ptau = await fixturePtau("dev");
  await initCeremony({ circuit: "commitment", ptau, dir, allowUnknownPtau: true, progress: log });
  for (let i = 1; i <= 3; i++) {
    const input = await latestZkey(dir);
    const output = join(work, `participant-${i}.zkey`);
    if (i === 3) {
      // Through the command line, with typed entropy on standard input.
      const r = await crossproofWithInput(
        typedSecrets[1] as string,
        "ceremony",
        "contribute",
        input,
        output,
        "--name",
        "participant 3",
        "--typed-entropy",
        "--json",
      );
      cliOutput = r.stdout + r.stderr;
      expect(r.code, r.stderr).toBe(0);
      hashes.push((JSON.parse(r.stdout) as { hash: string }).hash);
    } else {
      const result = await contribute({
        input,
        output,
        name: `participant ${i}`,
        progress: log,
        ...(i === 2
          ? {
              typedEntropy: typedSecrets[0] as string,
              randomBytes: (n: number) => {
                secretRandom = randomBytes(n);
                return Buffer.from(secretRandom); // contribute wipes its copy
              },
            }
          : {}),
      });
      hashes.push(result.hash);
    }
    await acceptContribution({ dir, zkey: output, progress: log });
  }
  await finalizeCeremony({ dir, beacon: BEACON, iterationsExp: 10, progress: log });
  await releaseCeremony({ dir, outDir, progress: log });
  // Acceptance and finalize check against the initial zkey; the release runs one full
  // `zkey verify` from the r1cs.
}, 900_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
  await releaseSnarkjsCurve();
});

describe("a three-participant ceremony", () => {
  it("releases a production key with every contribution, the beacon and the ptau's identity", async () => {
    const release = await loadCircuitRelease("commitment", outDir);
    const { manifest } = release;
    expect(manifest.setup.kind).toBe("production");
    expect(manifest.setup.contributions?.map((c) => [c.name, c.type, c.hash])).toEqual([
      ["participant 1", "contribution", hashes[0]],
      ["participant 2", "contribution", hashes[1]],
      ["participant 3", "contribution", hashes[2]],
      ["final beacon", "beacon", expect.stringMatching(/^[0-9a-f]{128}$/)],
    ]);
    expect(manifest.setup.beacon).toEqual({ hash: BEACON, iterationsExp: 10 });
    // A development ptau is no published ceremony file: allowed explicitly, and recorded.
    expect(manifest.ptau).toMatchObject({ power: 10, published: null, unknownAllowed: true });
    expect(manifest.setup.note).toContain("NOT a published ceremony file");
    const transcript = JSON.parse(await readFile(release.paths.transcript, "utf8"));
    expect(transcript).toEqual(await readTranscript(dir));
    expect(transcript.zkeys.map((z: { file: string }) => z.file)).toEqual([
      "commitment_0000.zkey",
      "commitment_0001.zkey",
      "commitment_0002.zkey",
      "commitment_0003.zkey",
      "commitment_final.zkey",
    ]);
    await checkVerificationKey(release.verificationKey, "commitment", 3);
    await assertZkeyMatchesKey(release.paths.zkey, release.verificationKey, "commitment");
    // The staging folder is gone once the release is in place.
    expect((await readdir(outDir)).sort()).toEqual(["commitment"]);
  });

  it("`snarkjs zkey verify` agrees with `crossproof ceremony verify`, which lists every hash and name", async () => {
    const transcript = await readTranscript(dir);
    const finalZkey = await latestZkey(dir);
    const r1cs = join(dir, transcript.r1cs.file);
    const ptauCopy = join(dir, "ptau", transcript.ptau.file);
    expect(await snarkjs.zKey.verifyFromR1cs(r1cs, ptauCopy, finalZkey)).toBe(true);
    const cli = await crossproof({}, "ceremony", "verify", finalZkey, "--dir", dir, "--json");
    expect(cli.code, cli.stderr).toBe(0);
    const listed = JSON.parse(cli.stdout) as { contributions: { name: string; hash: string }[] };
    expect(listed.contributions.map((c) => c.name)).toEqual([
      "participant 1",
      "participant 2",
      "participant 3",
      "final beacon",
    ]);
    expect(listed.contributions.slice(0, 3).map((c) => c.hash)).toEqual(hashes);
    expect(listed.contributions.map((c) => c.hash)).toEqual(
      transcript.contributions.map((c) => c.hash),
    );
  });

  it("makes proofs that verify through the batched verifier, and not under another key", async () => {
    const release = await loadCircuitRelease("commitment", outDir);
    const good = commit();
    const input = {
      leaf: computeLeaf(good.schema.schemaId, good.slots, good.salt).toString(),
      schemaId: good.schema.schemaId.toString(),
      challenge: "12345",
      slots: good.slots.map(String),
      salt: good.salt.toString(),
    };
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(
      input,
      release.paths.wasm,
      release.paths.zkey,
    );
    const bundle = { proof, publicSignals };
    const key = await PreparedKey.from(release.verificationKey);
    const tampered = { proof, publicSignals: [publicSignals[0], publicSignals[1], "12346"] };
    expect(verifyBatch(key, [bundle, tampered]).outcomes).toEqual([
      { valid: true },
      { valid: false },
    ]);
    const development = await loadCircuitRelease("commitment");
    const devKey = await PreparedKey.from(development.verificationKey);
    expect(verifyBatch(devKey, [bundle]).outcomes).toEqual([{ valid: false }]);
  });

  it("leaves no entropy on disk or in the log", async () => {
    const needles: [string, Buffer][] = [
      ["the CSPRNG bytes", secretRandom],
      ["their hex", Buffer.from(secretRandom.toString("hex"))],
      ["their base64", Buffer.from(secretRandom.toString("base64"))],
      ...typedSecrets.map((t, i): [string, Buffer] => [`typed entropy ${i + 1}`, Buffer.from(t)]),
    ];
    const files: string[] = [];
    const walk = async (folder: string): Promise<void> => {
      for (const entry of await readdir(folder, { withFileTypes: true })) {
        const path = join(folder, entry.name);
        if (entry.isDirectory()) await walk(path);
        else files.push(path);
      }
    };
    await walk(work);
    expect(files).toContain(logPath);
    expect((await stat(logPath)).size).toBeGreaterThan(0);
    for (const file of files) {
      const bytes = await readFile(file);
      for (const [what, needle] of needles) {
        expect(bytes.includes(needle), `${what} in ${file}`).toBe(false);
      }
    }
    for (const [what, needle] of needles) {
      expect(cliOutput.includes(needle.toString()), `${what} in the command's output`).toBe(false);
    }
    const suiteLog = process.env.CROSSPROOF_LOG_FILE;
    if (suiteLog) {
      const text = await readFile(suiteLog).catch(() => Buffer.alloc(0));
      for (const [what, needle] of needles) {
        expect(text.includes(needle), `${what} in the suite log`).toBe(false);
      }
    }
  });
});

describe("refusals", () => {
  it("refuses a tampered contribution, as snarkjs does", async () => {
    const tampered = join(work, "tampered.zkey");
    await copyFile(join(work, "participant-1.zkey"), tampered);
    const bytes = await readFile(tampered);
    // Well inside the L and H sections, which the contribution must have rescaled by 1/δ.
    const at = Math.floor(bytes.length * 0.75);
    bytes[at] = (bytes[at] as number) ^ 0x01;
    await writeFile(tampered, bytes);
    // The coordinator's acceptance checks against the initial zkey, the public verify against the
    // r1cs (the default) is snarkjs's own check, run below.
    const err = await caught(verifyCeremonyZkey({ dir, zkey: tampered, against: "initial" }));
    expect(err.code).toBe(ErrorCode.CEREMONY_INVALID);
    expect(err.message).toContain(tampered);
    expect(err.message).toMatch(/fails `zkey verify`/);
    const accepted = (await readTranscript(dir)).zkeys.length;
    expect((await caught(acceptContribution({ dir, zkey: tampered }))).code).toBe(
      ErrorCode.CEREMONY_INVALID,
    );
    expect((await readTranscript(dir)).zkeys).toHaveLength(accepted);
    const transcript = await readTranscript(dir);
    expect(
      await snarkjs.zKey.verifyFromR1cs(
        join(dir, transcript.r1cs.file),
        join(dir, "ptau", transcript.ptau.file),
        tampered,
      ),
    ).toBe(false);
  });

  it("refuses a contribution made on another circuit's r1cs", async () => {
    const other = await compileForTest(OTHER);
    const initial = join(work, "other_0000.zkey");
    await snarkjs.zKey.newZKey(other.r1cs, ptau, initial);
    const contributed = join(work, "other_0001.zkey");
    await contribute({ input: initial, output: contributed, name: "lost participant" });
    const err = await caught(acceptContribution({ dir, zkey: contributed }));
    expect(err.code).toBe(ErrorCode.CEREMONY_INVALID);
    expect(err.message).toContain(contributed);
    expect(err.message).toContain("made for another circuit or Powers of Tau");
  });

  it("refuses a zkey that does not extend the accepted contributions", async () => {
    // The committed development zkey: the same r1cs, and (the development ptaus all share one
    // beacon) the same toxic waste, so snarkjs's check passes; its chain is not this ceremony's.
    const devZkey = circuitArtifactPaths("commitment").zkey;
    const err = await caught(verifyCeremonyZkey({ dir, zkey: devZkey, against: "initial" }));
    expect(err.code).toBe(ErrorCode.CEREMONY_INVALID);
    expect(err.message).toContain("does not extend the accepted contributions");
  });

  it("refuses a zkey made with another Powers of Tau, and a ceremony folder whose ptau was swapped", async () => {
    const transcript = await readTranscript(dir);
    const wrongPtau = await fixturePtau("other");
    const wrongZkey = join(work, "wrong-ptau_0000.zkey");
    await snarkjs.zKey.newZKey(join(dir, transcript.r1cs.file), wrongPtau, wrongZkey);
    const err = await caught(verifyCeremonyZkey({ dir, zkey: wrongZkey }));
    expect(err.code).toBe(ErrorCode.CEREMONY_INVALID);
    expect(err.message).toContain(wrongZkey);
    expect(err.message).toContain("made for another circuit or Powers of Tau");
    // snarkjs's own check agrees.
    expect(
      await snarkjs.zKey.verifyFromR1cs(
        join(dir, transcript.r1cs.file),
        join(dir, "ptau", transcript.ptau.file),
        wrongZkey,
      ),
    ).toBe(false);

    const copy = join(work, "swapped");
    await cp(dir, copy, { recursive: true });
    const swappedPtau = join(copy, "ptau", transcript.ptau.file);
    const bytes = await readFile(swappedPtau);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0x01;
    await rm(swappedPtau);
    await writeFile(swappedPtau, bytes);
    const swapped = await caught(verifyCeremonyZkey({ dir: copy, zkey: await latestZkey(dir) }));
    expect(swapped.code).toBe(ErrorCode.CEREMONY_INVALID);
    expect(swapped.message).toContain(join(copy, "ptau", transcript.ptau.file));
    expect(swapped.message).toContain("sha256 differs from the transcript's");

    // The acceptance's check takes the initial zkey on the transcript's word: a swapped one is
    // refused the same way.
    await writeFile(swappedPtau, await readFile(join(dir, "ptau", transcript.ptau.file)));
    const initialCopy = join(copy, "commitment_0000.zkey");
    const initialBytes = await readFile(initialCopy);
    initialBytes[initialBytes.length - 1] =
      (initialBytes[initialBytes.length - 1] as number) ^ 0x01;
    await writeFile(initialCopy, initialBytes);
    const swappedInitial = await caught(
      verifyCeremonyZkey({ dir: copy, zkey: await latestZkey(dir), against: "initial" }),
    );
    expect(swappedInitial.code).toBe(ErrorCode.CEREMONY_INVALID);
    expect(swappedInitial.message).toContain(initialCopy);
    expect(swappedInitial.message).toContain("sha256 differs from the transcript's");
  });

  it("refuses an unknown ptau unless it is allowed explicitly", async () => {
    const err = await caught(
      initCeremony({ circuit: "commitment", ptau, dir: join(work, "never") }),
    );
    expect(err.code).toBe(ErrorCode.PTAU_UNKNOWN);
    expect(err.message).toContain(ptau);
    expect(err.message).toContain("powersOfTau28_hez_final_10.ptau");
    const cli = await crossproof({}, "setup", "ptau", "import", ptau, "--json");
    expect(cli.code).toBe(1);
    expect(JSON.parse(cli.stdout).error.code).toBe(ErrorCode.PTAU_UNKNOWN);
    const identity = await importPtau(ptau, { allowUnknown: true });
    expect(identity).toMatchObject({ power: 10, published: null, unknownAllowed: true });
  });

  it("refuses a file that is not a Powers of Tau", async () => {
    const err = await caught(importPtau(join(dir, "commitment_0000.zkey"), { allowUnknown: true }));
    expect(err.code).toBe(ErrorCode.PTAU_INVALID);
  });

  it("refuses at load a key with no contribution (γ = δ)", async () => {
    const initial = await readZkey(join(dir, "commitment_0000.zkey"));
    expect(initial.contributions).toEqual([]);
    const err = await caught(checkVerificationKey(initial.verificationKey, "commitment", 3));
    expect(err.code).toBe(ErrorCode.KEY_INVALID);
    expect(err.details).toMatchObject({ check: "gamma-equals-delta" });
  });

  it("refuses a release whose files differ from its manifest", async () => {
    const copy = join(work, "mismatch");
    await cp(outDir, copy, { recursive: true });
    const paths = circuitArtifactPaths("commitment", copy);
    const vk = JSON.parse(await readFile(paths.verificationKey, "utf8")) as VerificationKey;
    await writeFile(paths.verificationKey, JSON.stringify({ ...vk, nPublic: 3 }, null, 1));
    const err = await caught(loadCircuitRelease("commitment", copy));
    expect(err.code).toBe(ErrorCode.ARTIFACT_MISMATCH);
    expect(err.details).toMatchObject({ file: "verification_key.json" });
  });

  it("refuses a key with the wrong number of IC points, or one that is not its zkey's", async () => {
    const release = await loadCircuitRelease("commitment", outDir);
    const vk = release.verificationKey;
    const short = { ...vk, IC: vk.IC.slice(0, 3) };
    const err = await caught(checkVerificationKey(short, "commitment", 3));
    expect(err.code).toBe(ErrorCode.KEY_INVALID);
    expect(err.details).toMatchObject({ check: "ic-count" });
    const development = await loadCircuitRelease("commitment");
    const mismatch = await caught(
      assertZkeyMatchesKey(release.paths.zkey, development.verificationKey, "commitment"),
    );
    expect(mismatch.code).toBe(ErrorCode.KEY_INVALID);
    expect(mismatch.details).toMatchObject({ check: "zkey-mismatch" });
  });

  it("refuses to contribute to a finalized zkey, a nameless contribution, and a second finalize", async () => {
    const finalZkey = await latestZkey(dir);
    const late = await caught(
      contribute({ input: finalZkey, output: join(work, "late.zkey"), name: "late" }),
    );
    expect(late.code).toBe(ErrorCode.CEREMONY_INVALID);
    expect(late.message).toContain("finalized");
    const again = await caught(finalizeCeremony({ dir, beacon: BEACON, iterationsExp: 10 }));
    expect(again.code).toBe(ErrorCode.CEREMONY_INVALID);
    const noName = await caught(
      contribute({ input: finalZkey, output: join(work, "x.zkey"), name: " " }),
    );
    expect(noName.code).toBe(ErrorCode.USAGE);
  });

  it("refuses a zkey that is not one", async () => {
    const junk = join(work, "junk.zkey");
    await mkdir(work, { recursive: true });
    await writeFile(junk, "not a zkey");
    const err = await caught(readZkey(junk));
    expect(err.code).toBe(ErrorCode.CEREMONY_INVALID);
    expect(err.details).toMatchObject({ file: junk });
  });
});
