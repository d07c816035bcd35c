/**
 * Run by the store contract suite (test/verifier/store-contract.ts) as a child process
 * (`node --import tsx/esm`): opens the store (`sqlite <path>` or `postgres <schema>`, the latter
 * on `CROSSPROOF_TEST_DATABASE_URL`), says "ready", waits for a line on standard input, then
 * tries to consume challenges race-0 … race-<count-1> as `label`, in that order, and prints each
 * outcome as one JSON object.
 */
import { once } from "node:events";
import { createInterface } from "node:readline";
import { PostgresVerifierStore } from "../../../verifier/postgres-store.js";
import { SqliteVerifierStore } from "../../../verifier/sqlite-store.js";
import type { VerifierStore } from "../../../verifier/store.js";
import { TEST_DATABASE_URL } from "../../helpers/shared-services.js";

const [kind, location, label, count] = process.argv.slice(2);
if (!kind || !location || !label || !count) {
  throw new Error("usage: consume-race.ts sqlite|postgres <path|schema> <label> <count>");
}

const store: VerifierStore =
  kind === "postgres"
    ? await PostgresVerifierStore.open(TEST_DATABASE_URL, { schema: location })
    : SqliteVerifierStore.open(location);
const input = createInterface({ input: process.stdin });
process.stdout.write("ready\n");
await once(input, "line");
input.close();

const outcomes: Record<string, string> = {};
for (let n = 0; n < Number(count); n++) {
  const challengeId = `race-${n}`;
  outcomes[challengeId] = await store.consumeChallenge(challengeId, {
    id: `${label}-${n}`,
    createdAt: new Date(),
    policyId: "race",
    challengeId,
    root: null,
    issuer: null,
    verified: true,
    reasons: [],
    // Both racers act for the client that owns the challenges (the test inserts them so): two
    // instances serving one bank.
    clientId: "client-1",
  });
  // Let go of the database for a moment, so the other racer is not starved by SQLite's busy
  // back-off and the two really meet on the same challenges.
  await new Promise((resolve) => setTimeout(resolve, Math.random() < 0.5 ? 0 : 3));
}
await store.close();
process.stdout.write(`${JSON.stringify(outcomes)}\n`);
