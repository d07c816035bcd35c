/**
 * Proof bundles at the trust boundary (`core/proof.ts`): the fast check of the common case never
 * accepts what the zod schema refuses, on random mutations of a well-formed bundle (fast-check,
 * fixed seed), and both refuse the edges: coordinates ≥ q, signals ≥ r, projective points.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FIELD_ORDER } from "../../core/field.js";
import {
  BASE_FIELD_MODULUS,
  isWellFormedBundle,
  parseProofBundle,
  proofBundleSchema,
} from "../../core/proof.js";

const N = 12;
const q = BASE_FIELD_MODULUS;
const r = FIELD_ORDER;
const coordinate = (i: number) => ((q / 7n) * BigInt(i + 1)).toString();

function bundle(): Record<string, unknown> {
  return {
    proof: {
      pi_a: [coordinate(0), coordinate(1), "1"],
      pi_b: [
        [coordinate(2), coordinate(3)],
        [coordinate(4), coordinate(5)],
        ["1", "0"],
      ],
      pi_c: [coordinate(0), "0", "1"],
      protocol: "groth16",
      curve: "bn128",
    },
    publicSignals: Array.from({ length: N }, (_, i) => (i === 0 ? (r - 1n).toString() : `${i}`)),
  };
}

/** Set `path` of a deep copy of `value` to `replacement` (or delete it). */
function mutate(value: unknown, path: (string | number)[], replacement: unknown, remove: boolean) {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let node: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (remove) delete node[last];
  else node[last] = replacement;
  return copy;
}

const PATHS: (string | number)[][] = [
  ["proof"],
  ["publicSignals"],
  ["extra"],
  ["proof", "pi_a"],
  ["proof", "pi_a", 0],
  ["proof", "pi_a", 2],
  ["proof", "pi_a", 3],
  ["proof", "pi_b", 0],
  ["proof", "pi_b", 1, 1],
  ["proof", "pi_b", 2, 0],
  ["proof", "pi_b", 2, 1],
  ["proof", "pi_c", 1],
  ["proof", "protocol"],
  ["proof", "curve"],
  ["proof", "extra"],
  ["publicSignals", 0],
  ["publicSignals", 11],
  ["publicSignals", 12],
];

const edgeValues = fc.constantFrom<unknown>(
  q.toString(),
  (q - 1n).toString(),
  (q + 1n).toString(),
  r.toString(),
  (r - 1n).toString(),
  (2n ** 256n).toString(),
  "0",
  "1",
  "00",
  "01",
  "-1",
  "1e3",
  " 1",
  "1 ",
  "0x1",
  "",
  "２",
  1,
  0,
  null,
  [],
  {},
  ["1", "0"],
  "9".repeat(78),
  "9".repeat(79),
);

describe("proof bundles", () => {
  it("accepts a well-formed bundle on both paths", () => {
    expect(isWellFormedBundle(bundle(), N)).toBe(true);
    expect(proofBundleSchema(N).safeParse(bundle()).success).toBe(true);
    expect(parseProofBundle(bundle(), N)).toEqual(bundle());
  });

  it("never accepts on the fast path what the schema refuses (5,000 mutations)", () => {
    let refused = 0;
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.constantFrom(...PATHS), fc.oneof(edgeValues, fc.anything()), fc.boolean()),
          { minLength: 1, maxLength: 3 },
        ),
        (mutations) => {
          let value: unknown = bundle();
          for (const [path, replacement, remove] of mutations) {
            try {
              value = mutate(value, path, replacement, remove);
            } catch {
              // the path no longer exists after an earlier mutation
            }
          }
          const fast = isWellFormedBundle(value, N);
          const schema = proofBundleSchema(N).safeParse(value).success;
          if (fast) expect(schema).toBe(true);
          if (!schema) {
            refused += 1;
            expect(() => parseProofBundle(value, N)).toThrow(/malformed proof/);
          }
        },
      ),
      { seed: 20261122, numRuns: 5000 },
    );
    expect(refused).toBeGreaterThan(1000);
  });

  it("refuses coordinates ≥ q, signals ≥ r and projective points, naming where", () => {
    const cases: [(string | number)[], unknown, RegExp][] = [
      [["proof", "pi_a", 0], q.toString(), /pi_a\.0.*base field/],
      [["proof", "pi_b", 1, 0], (q + 1n).toString(), /pi_b\.1\.0/],
      [["publicSignals", 5], r.toString(), /publicSignals\.5.*field order r/],
      [["proof", "pi_c", 2], "2", /pi_c\.2.*affine/],
      [["proof", "pi_b", 2], ["0", "0"], /pi_b\.2/],
    ];
    for (const [path, value, message] of cases) {
      const bad = mutate(bundle(), path, value, false);
      expect(isWellFormedBundle(bad, N)).toBe(false);
      expect(() => parseProofBundle(bad, N)).toThrow(message);
    }
    expect(() => parseProofBundle(bundle(), N + 1)).toThrow(/publicSignals/);
  });
});
