import { describe, expect, it } from "vitest";
import { scanLog } from "./helpers/log-scan.js";

describe("the log scan that guards the whole suite's logs", () => {
  it("passes the lines services write", () => {
    const line = JSON.stringify({
      level: 30,
      name: "prover",
      requestId: "a1",
      method: "POST",
      route: "/v1/presentations",
      status: 200,
      durationMs: 1523.4,
      recordId: "cr-21-0005",
      challengeId: "ch-42",
    });
    expect(scanLog(line)).toEqual([]);
  });

  it("catches a salt, a fingerprint, a subject id and a body", () => {
    const lines = [
      '{"msg":"salt 402948209384092384092384092384092384092384092384"}',
      `{"fingerprint":"${"ab".repeat(32)}"}`,
      '{"subject":"HK-K123456(7)"}',
      '{"body":{"recordId":"x"}}',
    ];
    expect(scanLog(lines.join("\n"))).toEqual([
      "line 1: a field element (salt, leaf, path sibling or hashed field)",
      "line 2: a 64-hex digest or key (document fingerprint, private key)",
      "line 3: a subject identifier",
      "line 4: a request or response body",
    ]);
  });
});
