/**
 * JSON the fuzz writes that no JSON value serialises to: raw tokens (1e400, -0, 0x10, 2^256),
 * duplicate keys and own `__proto__` keys; odd scalars and values, edits at a path, raw bodies.
 */
import fc from "fast-check";
import { FIELD_ORDER } from "../../core/field.js";
import { BASE_FIELD_MODULUS } from "../../core/proof.js";

/** A JSON token written as is (1e400, -0, 0x10, a 2^256 literal). */
export class Raw {
  constructor(readonly text: string) {}
}
/** An object as its list of entries: keys may repeat, `__proto__` is an ordinary key. */
export class Entries {
  constructor(readonly entries: readonly (readonly [string, Value])[]) {}
}
export type Value = null | boolean | number | string | Raw | Entries | readonly Value[];

export function fromPlain(v: unknown): Value {
  if (Array.isArray(v)) return v.map(fromPlain);
  if (v !== null && typeof v === "object") {
    return new Entries(Object.entries(v).map(([k, x]) => [k, fromPlain(x)] as const));
  }
  return v as Value;
}

export function toJson(v: Value): string {
  if (v instanceof Raw) return v.text;
  if (v instanceof Entries) {
    return `{${v.entries.map(([k, x]) => `${JSON.stringify(k)}:${toJson(x)}`).join(",")}}`;
  }
  if (Array.isArray(v)) return `[${v.map(toJson).join(",")}]`;
  return JSON.stringify(v) ?? "null";
}

// ---- odd values, edits and raw bodies ----------------------------------------------------

export const R = FIELD_ORDER;
export const Q = BASE_FIELD_MODULUS;
export const HUGE_TOKENS = [
  "1e400",
  "-1e400",
  "1E+5",
  "1e-400",
  "-0",
  "0.0",
  "1.5",
  "-1",
  "9007199254740993",
  (2n ** 64n).toString(),
  (2n ** 64n - 1n).toString(),
  (2n ** 256n).toString(),
  (R - 1n).toString(),
  R.toString(),
  Q.toString(),
  `-${R}`,
  "1".repeat(400),
];
export const ODD_STRINGS = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "\udfff",
  "x\ud83d",
  "\u202eevil",
  "\u200b",
  "😀",
  "👩‍👩‍👧",
  "e\u0301",
  "\ufeff",
  "%00",
  "../../etc/passwd",
  "'; DROP TABLE receipts; --",
  "<script>alert(1)</script>",
  "{{7*7}}",
  "0x1f",
  "1e3",
  " 1",
  "0123",
  "-5",
  "-0",
  "NaN",
  "Infinity",
  "true",
  "null",
  "__proto__",
  "constructor",
  "pilot-credit-v1",
  "query",
];
export const ODD_KEYS = ["__proto__", "constructor", "prototype", "", "\u0000", "😀", "toString"];

export const weirdScalar: fc.Arbitrary<Value> = fc.oneof(
  fc.constantFrom<Value>(null, true, false, 0, -1, 1.5, Number.MAX_SAFE_INTEGER),
  fc.constantFrom(...HUGE_TOKENS).map((t) => new Raw(t)),
  fc.constantFrom(...ODD_STRINGS),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.integer({ min: 1_000, max: 100_000 }).map((n) => "x".repeat(n)),
);

export const weirdValue: fc.Arbitrary<Value> = fc.oneof(
  { weight: 6, arbitrary: weirdScalar },
  {
    weight: 1,
    arbitrary: fc.array(weirdScalar, { maxLength: 5 }),
  },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.tuple(fc.oneof(fc.constantFrom(...ODD_KEYS), fc.string()), weirdScalar), {
        maxLength: 4,
      })
      .map((e) => new Entries(e)),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map(fromPlain) },
);

/** Paths into a value: `[]` is the value itself. */
export function paths(v: Value, prefix: readonly (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [[...prefix]];
  if (prefix.length > 6) return out;
  if (v instanceof Entries) {
    for (const [k, x] of v.entries) out.push(...paths(x, [...prefix, k]));
  } else if (Array.isArray(v)) {
    v.forEach((x: Value, i: number) => {
      out.push(...paths(x, [...prefix, i]));
    });
  }
  return out;
}

export type Edit =
  | { kind: "replace"; with: Value }
  | { kind: "delete" }
  | { kind: "add"; key: string; with: Value }
  | { kind: "wrap" };

export function edit(v: Value, path: readonly (string | number)[], e: Edit): Value | undefined {
  if (path.length === 0) {
    if (e.kind === "replace") return e.with;
    if (e.kind === "delete") return undefined;
    if (e.kind === "wrap") return [v];
    if (v instanceof Entries) return new Entries([...v.entries, [e.key, e.with]]);
    if (Array.isArray(v)) return [...v, e.with];
    return e.with;
  }
  const [head, ...rest] = path;
  if (v instanceof Entries) {
    const entries: (readonly [string, Value])[] = [];
    for (const [k, x] of v.entries) {
      if (k !== head) entries.push([k, x]);
      else {
        const changed = edit(x, rest, e);
        if (changed !== undefined) entries.push([k, changed]);
      }
    }
    return new Entries(entries);
  }
  if (Array.isArray(v)) {
    const out: Value[] = [];
    v.forEach((x: Value, i: number) => {
      if (i !== head) out.push(x);
      else {
        const changed = edit(x, rest, e);
        if (changed !== undefined) out.push(changed);
      }
    });
    return out;
  }
  return v;
}

export const editArb: fc.Arbitrary<Edit> = fc.oneof(
  { weight: 6, arbitrary: weirdValue.map((w): Edit => ({ kind: "replace", with: w })) },
  { weight: 2, arbitrary: fc.constant<Edit>({ kind: "delete" }) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.oneof(fc.constantFrom(...ODD_KEYS), fc.string({ maxLength: 8 })), weirdValue)
      .map(([key, w]): Edit => ({ kind: "add", key, with: w })),
  },
  { weight: 1, arbitrary: fc.constant<Edit>({ kind: "wrap" }) },
);

/** Raw bodies that no JSON value serialises to. */
export function rawBodies(template: string): fc.Arbitrary<string | Uint8Array> {
  return fc.oneof(
    fc.nat(Math.max(0, template.length - 1)).map((n) => template.slice(0, n)),
    fc.constantFrom(
      "",
      " ",
      "null",
      "[]",
      "{}",
      "0",
      '"text"',
      "{'single': 'quotes'}",
      '{"a":1,}',
      "{,}",
      "[1,2",
      "\ufeff{}",
      '{"__proto__":{"admin":true,"polluted":true}}',
      '{"constructor":{"prototype":{"polluted":true}}}',
      '{"policyId":"pilot-credit-v1","policyId":"other","presentation":{}}',
      '{"items":[],"items":[{}]}',
      '{"a":NaN}',
      '{"a":Infinity}',
      '{"a":0x10}',
      '{"a":01}',
      '{"a":"\\ud800"}',
      '{"a":"\\u0000"}',
      '{"a":"\\x41"}',
    ),
    fc.integer({ min: 100, max: 6000 }).map((d) => `${'{"a":'.repeat(d)}1${"}".repeat(d)}`),
    fc.integer({ min: 100, max: 20000 }).map((d) => `${"[".repeat(d)}${"]".repeat(d)}`),
    fc.integer({ min: 1000, max: 60000 }).map((n) => `{"items":[${"{},".repeat(n)}{}]}`),
    fc.integer({ min: 1000, max: 60000 }).map((n) => `[${"0,".repeat(n)}0]`),
    fc.constantFrom(
      Uint8Array.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
      Uint8Array.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]),
      Uint8Array.from([0xed, 0xa0, 0x80]),
    ),
    fc.string({ unit: "binary", maxLength: 200 }),
  );
}
