/**
 * `crossproof policies`: the sample policies listed with every schema they ask records of, and a
 * linked sample printed with its linked records' own issuers (`--linked-issuer`), ready to post.
 */
import { describe, expect, it } from "vitest";
import { crossproof, crossproofOk } from "../helpers/cli.js";

const MAINLAND = "0x00000000000000000000000000000000000000a1";
const HK = "0x00000000000000000000000000000000000000b2";

describe("crossproof policies", () => {
  it("lists the linked sample with both of its schemas, and the set-membership one", async () => {
    const rows = JSON.parse(await crossproofOk({}, "policies", "--json")) as {
      id: string;
      schema: string;
      linkedSchemas?: string[];
    }[];
    expect(rows.find((r) => r.id === "cross-border-linked-v1")).toMatchObject({
      schema: "credit-report-v1",
      linkedSchemas: ["residency-v1"],
    });
    const single = rows.find((r) => r.id === "residency-district-v1");
    expect(single).toMatchObject({ schema: "residency-v1" });
    expect(single).not.toHaveProperty("linkedSchemas");
    expect(await crossproofOk({}, "policies")).toContain(
      "cross-border-linked-v1 (credit-report-v1 + residency-v1)",
    );
  });

  it("prints the linked sample with the mainland issuer for the report and --linked-issuer's for the residency record", async () => {
    const printed = JSON.parse(
      await crossproofOk(
        {},
        ...["policies", "sample", "cross-border-linked-v1", "--issuer", MAINLAND],
        ...["--linked-issuer", HK],
      ),
    ) as { issuers: string[]; link: unknown; linked: { issuers: string[]; link: unknown }[] };
    expect(printed.issuers).toEqual([MAINLAND]);
    expect(printed.link).toEqual({ field: "subjectId" });
    expect(printed.linked.map((r) => [r.issuers, r.link])).toEqual([
      [[HK], { field: "subjectId" }],
    ]);
    // Without --linked-issuer, the linked record accepts --issuer's roots.
    const same = JSON.parse(
      await crossproofOk({}, "policies", "sample", "cross-border-linked-v1", "--issuer", MAINLAND),
    ) as { linked: { issuers: string[] }[] };
    expect(same.linked[0]?.issuers).toEqual([MAINLAND]);
  });

  it("refuses --linked-issuer for a single-record policy, with USAGE", async () => {
    const result = await crossproof(
      {},
      ...["policies", "sample", "pilot-credit-v1", "--issuer", MAINLAND, "--linked-issuer", HK],
    );
    expect(result.code).toBe(64);
    expect(result.stderr).toContain(
      "--linked-issuer is for a policy with linked records, and pilot-credit-v1 has none",
    );
  });
});
