/**
 * Reading a snarkjs Groth16 `.zkey` without building a curve: its verification key (header and
 * IC sections) and its phase-2 contribution list (the MPC section), in plain bigint arithmetic.
 *
 * Why not snarkjs's own `exportVerificationKey`: it builds the threaded BN254 curve and computes a
 * pairing, a second or more for a check made at every start; and snarkjs exposes no function that
 * lists a zkey's contributions (its `zkey verify` only logs them). The file format is
 * @iden3/binfileutils's: the magic "zkey", a version, a section count, then sections of
 * `(type u32, size u64, bytes)`. Field elements are 32-byte little-endian Montgomery forms
 * (x·2^256 mod q). Tests compare everything here with snarkjs's own export and contribution hashes.
 */
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import { ArtifactError, ErrorCode } from "../core/errors.js";
import { BASE_FIELD_MODULUS } from "../core/proof.js";
import type { VerificationKey } from "./artifacts.js";

const Q = BASE_FIELD_MODULUS;
const N8 = 32;
const GROTH16_PROTOCOL_ID = 1;

/** Section numbers of a Groth16 zkey (snarkjs `zkey_utils.js`). */
const SECTION = { header: 1, groth16Header: 2, ic: 3, mpc: 10 } as const;

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
}

/** 2^-256 mod q: multiplying a Montgomery form by it gives the element. */
const R_INV = modPow(modPow(2n, 256n, Q), Q - 2n, Q);

function leBigInt(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i] as number);
  return v;
}

function beBytes(v: bigint): Uint8Array {
  const out = new Uint8Array(N8);
  let x = v;
  for (let i = N8 - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/** A G1 point in affine coordinates; `undefined` is the point at infinity. */
type G1 = readonly [bigint, bigint] | undefined;
/** A G2 point: `[[x.c0, x.c1], [y.c0, y.c1]]`; `undefined` is the point at infinity. */
type G2 = readonly [readonly [bigint, bigint], readonly [bigint, bigint]] | undefined;

/** A phase-2 contribution as the zkey records it. */
export interface ZkeyContribution {
  /** 1-based position in the chain. */
  readonly index: number;
  /** The contributor's name (snarkjs keeps at most 64 characters), or "" when none was given. */
  readonly name: string;
  /** `contribution` (secret entropy) or `beacon` (a public random beacon). */
  readonly type: "contribution" | "beacon";
  /**
   * The contribution hash, 128 hex digits: blake2b-512 of the contribution's public key and
   * transcript, exactly what `snarkjs zkey contribute` prints and `zkey verify` lists.
   */
  readonly hash: string;
  /** For a beacon: its hash (hex) and log2 of its iteration count. */
  readonly beacon?: { readonly hash: string; readonly iterationsExp: number };
}

/** What a zkey says about itself. */
export interface ZkeySummary {
  readonly nPublic: number;
  readonly nVars: number;
  readonly domainSize: number;
  /** The circuit hash (blake2b-512 of the r1cs and ptau section the key was made from), hex. */
  readonly circuitHash: string;
  /** The verification key, in snarkjs's JSON form (without `vk_alphabeta_12`). */
  readonly verificationKey: VerificationKey;
  readonly contributions: readonly ZkeyContribution[];
}

class Reader {
  #offset = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {}
  get remaining(): number {
    return this.bytes.length - this.#offset;
  }
  take(n: number): Uint8Array {
    if (n > this.remaining) throw new Error(`${this.what} ends early`);
    const out = this.bytes.subarray(this.#offset, this.#offset + n);
    this.#offset += n;
    return out;
  }
  u32(): number {
    const b = this.take(4);
    return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
  }
  fq(): bigint {
    const raw = leBigInt(this.take(N8));
    if (raw >= Q) throw new Error(`${this.what} holds a coordinate not below q`);
    return (raw * R_INV) % Q;
  }
  g1(): G1 {
    const x = this.fq();
    const y = this.fq();
    return x === 0n && y === 0n ? undefined : [x, y];
  }
  g2(): G2 {
    const x0 = this.fq();
    const x1 = this.fq();
    const y0 = this.fq();
    const y1 = this.fq();
    return x0 === 0n && x1 === 0n && y0 === 0n && y1 === 0n
      ? undefined
      : [
          [x0, x1],
          [y0, y1],
        ];
  }
}

function g1Json(p: G1): string[] {
  return p ? [p[0].toString(), p[1].toString(), "1"] : ["0", "1", "0"];
}

function g2Json(p: G2): string[][] {
  return p
    ? [
        [p[0][0].toString(), p[0][1].toString()],
        [p[1][0].toString(), p[1][1].toString()],
        ["1", "0"],
      ]
    : [
        ["0", "0"],
        ["1", "0"],
        ["0", "0"],
      ];
}

/** snarkjs's uncompressed big-endian form of a point, as its transcript hashes it. */
function hashG1(hash: ReturnType<typeof createHash>, p: G1): void {
  if (!p) throw new Error("a contribution holds the point at infinity");
  hash.update(beBytes(p[0])).update(beBytes(p[1]));
}

function hashG2(hash: ReturnType<typeof createHash>, p: G2): void {
  if (!p) throw new Error("a contribution holds the point at infinity");
  // Fp2 elements are written c1 first in big-endian form.
  hash.update(beBytes(p[0][1])).update(beBytes(p[0][0]));
  hash.update(beBytes(p[1][1])).update(beBytes(p[1][0]));
}

async function readSections(path: string): Promise<Map<number, Uint8Array>> {
  const file = await open(path, "r");
  try {
    const head = Buffer.alloc(12);
    const { bytesRead } = await file.read(head, 0, 12, 0);
    if (bytesRead < 12 || head.toString("latin1", 0, 4) !== "zkey") {
      throw new Error("not a zkey file (no `zkey` magic)");
    }
    const count = head.readUInt32LE(8);
    const size = (await file.stat()).size;
    const wanted = new Set<number>(Object.values(SECTION));
    const sections = new Map<number, Uint8Array>();
    let position = 12;
    for (let i = 0; i < count; i++) {
      const sectionHead = Buffer.alloc(12);
      const read = await file.read(sectionHead, 0, 12, position);
      if (read.bytesRead < 12) throw new Error("the section table ends early");
      const type = sectionHead.readUInt32LE(0);
      const length = Number(sectionHead.readBigUInt64LE(4));
      position += 12;
      if (position + length > size) throw new Error(`section ${type} runs past the end`);
      if (wanted.has(type)) {
        if (sections.has(type)) throw new Error(`section ${type} appears twice`);
        const body = Buffer.alloc(length);
        await file.read(body, 0, length, position);
        sections.set(type, body);
      }
      position += length;
    }
    if (position !== size) throw new Error("bytes follow the last section");
    return sections;
  } finally {
    await file.close();
  }
}

function section(sections: Map<number, Uint8Array>, type: number): Uint8Array {
  const body = sections.get(type);
  if (!body) throw new Error(`section ${type} is missing`);
  return body;
}

function readContributions(body: Uint8Array): {
  circuitHash: string;
  contributions: ZkeyContribution[];
} {
  const r = new Reader(body, "the contributions section");
  const circuitHash = Buffer.from(r.take(64)).toString("hex");
  const n = r.u32();
  const contributions: ZkeyContribution[] = [];
  for (let i = 0; i < n; i++) {
    const deltaAfter = r.g1();
    const g1S = r.g1();
    const g1Sx = r.g1();
    const g2Spx = r.g2();
    const transcript = r.take(64);
    const type = r.u32();
    const paramsLength = r.u32();
    const params = new Reader(r.take(paramsLength), "a contribution's parameters");
    let name = "";
    let beaconHash: string | undefined;
    let iterationsExp: number | undefined;
    let last = 0;
    while (params.remaining > 0) {
      const key = params.take(1)[0] as number;
      if (key <= last) throw new Error("a contribution's parameters are out of order");
      last = key;
      if (key === 1) name = new TextDecoder().decode(params.take(params.take(1)[0] as number));
      else if (key === 2) iterationsExp = params.take(1)[0] as number;
      else if (key === 3)
        beaconHash = Buffer.from(params.take(params.take(1)[0] as number)).toString("hex");
      else throw new Error(`a contribution has an unknown parameter ${key}`);
    }
    const hash = createHash("blake2b512");
    hashG1(hash, deltaAfter);
    hashG1(hash, g1S);
    hashG1(hash, g1Sx);
    hashG2(hash, g2Spx);
    hash.update(transcript);
    if (type !== 0 && type !== 1) throw new Error(`a contribution has an unknown type ${type}`);
    const entry: ZkeyContribution = {
      index: i + 1,
      name,
      type: type === 1 ? "beacon" : "contribution",
      hash: hash.digest("hex"),
      ...(type === 1 && beaconHash !== undefined && iterationsExp !== undefined
        ? { beacon: { hash: beaconHash, iterationsExp } }
        : {}),
    };
    if (type === 1 && !entry.beacon) throw new Error("a beacon contribution lacks its parameters");
    contributions.push(entry);
  }
  if (r.remaining !== 0) throw new Error("the contributions section has trailing bytes");
  return { circuitHash, contributions };
}

/**
 * Read a Groth16 zkey's verification key and contributions. A file that is not a well-formed
 * BN254 Groth16 zkey is refused with `CEREMONY_INVALID`, naming the file and the reason.
 */
export async function readZkey(path: string): Promise<ZkeySummary> {
  try {
    const sections = await readSections(path);
    const header = new Reader(section(sections, SECTION.header), "the header section");
    if (header.u32() !== GROTH16_PROTOCOL_ID) throw new Error("not a Groth16 zkey");
    const g = new Reader(section(sections, SECTION.groth16Header), "the Groth16 header");
    const n8q = g.u32();
    if (n8q !== N8 || leBigInt(g.take(n8q)) !== Q) throw new Error("not a BN254 zkey");
    const n8r = g.u32();
    g.take(n8r);
    const nVars = g.u32();
    const nPublic = g.u32();
    const domainSize = g.u32();
    const alpha1 = g.g1();
    g.g1(); // β in G1: a proving key element only
    const beta2 = g.g2();
    const gamma2 = g.g2();
    g.g1(); // δ in G1: a proving key element only
    const delta2 = g.g2();
    const icBody = section(sections, SECTION.ic);
    if (icBody.length !== (nPublic + 1) * 2 * N8) {
      throw new Error(`the IC section holds ${icBody.length} bytes, not ${nPublic + 1} points`);
    }
    const ic = new Reader(icBody, "the IC section");
    const IC = Array.from({ length: nPublic + 1 }, () => g1Json(ic.g1()));
    const { circuitHash, contributions } = readContributions(section(sections, SECTION.mpc));
    return {
      nPublic,
      nVars,
      domainSize,
      circuitHash,
      contributions,
      verificationKey: {
        protocol: "groth16",
        curve: "bn128",
        nPublic,
        vk_alpha_1: g1Json(alpha1),
        vk_beta_2: g2Json(beta2),
        vk_gamma_2: g2Json(gamma2),
        vk_delta_2: g2Json(delta2),
        IC,
      },
    };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ArtifactError(ErrorCode.CEREMONY_INVALID, `${path} is not a usable zkey: ${reason}`, {
      details: { file: path, reason },
      cause: err,
    });
  }
}

/** The parts of a verification key that decide what verifies (not snarkjs's cached pairing). */
const KEY_FIELDS = [
  "protocol",
  "curve",
  "nPublic",
  "vk_alpha_1",
  "vk_beta_2",
  "vk_gamma_2",
  "vk_delta_2",
  "IC",
] as const;

/**
 * The prover side's check on load: the verification key a release ships is the one in its zkey.
 * A release whose zkey and key disagree would make proofs nobody accepts (or accept proofs made
 * for another key): `KEY_INVALID` with `details.check = "zkey-mismatch"`.
 */
export async function assertZkeyMatchesKey(
  zkeyPath: string,
  key: VerificationKey,
  circuit: string,
): Promise<void> {
  const fromZkey = (await readZkey(zkeyPath)).verificationKey;
  for (const field of KEY_FIELDS) {
    if (JSON.stringify(fromZkey[field]) !== JSON.stringify(key[field])) {
      throw new ArtifactError(
        ErrorCode.KEY_INVALID,
        `the verification key of ${circuit} differs from its zkey's (${field})`,
        { details: { circuit, check: "zkey-mismatch", field } },
      );
    }
  }
}
