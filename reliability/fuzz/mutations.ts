/**
 * Mutations of a genuine presentation: each field (every public signal, every coordinate, extra
 * and missing fields) and bytes of its JSON (flip, delete, insert at chosen positions); and
 * whether a mutated text still means the genuine one.
 */
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { type Edit, Entries, edit, fromPlain, Q, R, Raw, type Value } from "./values.js";

/** Field-level mutations of a bundle `{proof, publicSignals}`, each labelled. */
export function fieldMutations(bundle: {
  proof: unknown;
  publicSignals: readonly string[];
}): { label: string; value: Value }[] {
  const base = fromPlain(bundle);
  const out: { label: string; value: Value }[] = [];
  const at = (label: string, path: (string | number)[], e: Edit) => {
    const value = edit(base, path, e);
    if (value !== undefined) out.push({ label, value });
  };
  const numeric = (s: string) => BigInt(s);
  bundle.publicSignals.forEach((s, i) => {
    const x = numeric(s);
    const p = ["publicSignals", i];
    for (const [label, w] of [
      ["+1", ((x + 1n) % R).toString()],
      ["-1", ((x - 1n + R) % R).toString()],
      ["0", "0"],
      ["r-1", (R - 1n).toString()],
      ["r", R.toString()],
      ["+r", (x + R).toString()],
      ["leading zero", `0${s}`],
      ["number", new Raw(s)],
      ["hex", `0x${x.toString(16)}`],
      ["empty", ""],
      ["null", null],
    ] as const) {
      at(`signal ${i} ${label}`, p, { kind: "replace", with: w });
    }
    const next = bundle.publicSignals[(i + 1) % bundle.publicSignals.length] as string;
    if (next !== s) at(`signal ${i} swapped with the next`, p, { kind: "replace", with: next });
  });
  const proof = bundle.proof as Record<string, unknown>;
  const coordinates: [string, (string | number)[], string][] = [];
  for (const point of ["pi_a", "pi_c"]) {
    const xy = proof[point] as string[];
    coordinates.push([`${point}.x`, ["proof", point, 0], xy[0] as string]);
    coordinates.push([`${point}.y`, ["proof", point, 1], xy[1] as string]);
  }
  const b = proof.pi_b as string[][];
  for (const [i, j] of [
    [0, 0],
    [0, 1],
    [1, 0],
    [1, 1],
  ] as const) {
    coordinates.push([`pi_b[${i}][${j}]`, ["proof", "pi_b", i, j], b[i]?.[j] as string]);
  }
  for (const [name, path, c] of coordinates) {
    const x = BigInt(c);
    for (const [label, w] of [
      ["+1", ((x + 1n) % Q).toString()],
      ["negated", ((Q - x) % Q).toString()],
      ["0", "0"],
      ["q", Q.toString()],
      ["+q", (x + Q).toString()],
      ["number", new Raw(c)],
    ] as const) {
      at(`${name} ${label}`, path, { kind: "replace", with: w });
    }
  }
  at("pi_a.z 0", ["proof", "pi_a", 2], { kind: "replace", with: "0" });
  at("pi_c.z 2", ["proof", "pi_c", 2], { kind: "replace", with: "2" });
  at("pi_b.z swapped", ["proof", "pi_b", 2], { kind: "replace", with: ["0", "1"] });
  at("protocol plonk", ["proof", "protocol"], { kind: "replace", with: "plonk" });
  at("curve bn254", ["proof", "curve"], { kind: "replace", with: "bn254" });
  for (const f of ["pi_a", "pi_b", "pi_c", "protocol", "curve"]) {
    at(`proof.${f} missing`, ["proof", f], { kind: "delete" });
  }
  at("proof extra field", ["proof"], { kind: "add", key: "pi_z", with: "0" });
  at("proof __proto__ field", ["proof"], { kind: "add", key: "__proto__", with: new Entries([]) });
  at("pi_a and pi_c swapped", ["proof", "pi_a"], {
    kind: "replace",
    with: fromPlain(proof.pi_c),
  });
  at("a signal fewer", ["publicSignals", bundle.publicSignals.length - 1], { kind: "delete" });
  at("a signal more", ["publicSignals"], { kind: "add", key: "", with: "0" });
  at("signals reversed", ["publicSignals"], {
    kind: "replace",
    with: [...bundle.publicSignals].reverse(),
  });
  at("proof missing", ["proof"], { kind: "delete" });
  at("signals missing", ["publicSignals"], { kind: "delete" });
  at("extra top-level field", [], { kind: "add", key: "extra", with: 1 });
  return out;
}

export const INSERTED = [
  '"',
  "{",
  "}",
  "[",
  "]",
  ",",
  ":",
  "0",
  "9",
  " ",
  "\\",
  "\u0000",
  "é",
  "-",
  "e",
];

/** Byte-level mutations of `text`: flip, delete and insert at `positions`. */
export function byteMutations(
  text: string,
  positions: readonly number[],
  seed: number,
): { label: string; text: string }[] {
  const extras = fc.sample(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.constantFrom(...INSERTED)), {
    seed,
    numRuns: positions.length,
  });
  const out: { label: string; text: string }[] = [];
  positions.forEach((p, n) => {
    const [bit, char] = extras[n] ?? [0, " "];
    const flipped = String.fromCharCode(text.charCodeAt(p) ^ (1 << bit));
    out.push({
      label: `flip bit ${bit} at ${p}`,
      text: text.slice(0, p) + flipped + text.slice(p + 1),
    });
    out.push({ label: `delete at ${p}`, text: text.slice(0, p) + text.slice(p + 1) });
    out.push({ label: `insert at ${p}`, text: text.slice(0, p) + char + text.slice(p) });
  });
  return out;
}

export function positionsOf(length: number, wanted: number | "all", seed: number): number[] {
  if (wanted === "all" || wanted >= length) return Array.from({ length }, (_, i) => i);
  return [...new Set(fc.sample(fc.nat(length - 1), { seed, numRuns: wanted * 3 }))].slice(
    0,
    wanted,
  );
}

/** Whether `text` parses to exactly `expected` (the genuine meaning). */
export function means(text: string | undefined, expected: unknown): boolean {
  if (text === undefined) return false;
  try {
    return isDeepStrictEqual(JSON.parse(text), expected);
  } catch {
    return false;
  }
}

export function labelOf(
  i: number,
  fields: readonly { label: string }[],
  bytes: readonly { label: string }[],
): string {
  return i < fields.length ? (fields[i]?.label ?? "?") : (bytes[i - fields.length]?.label ?? "?");
}
