/**
 * The verifier store's contract (`store-contract.ts`) on both implementations: SQLite (a file in
 * a temporary folder) and PostgreSQL (the shared server, a schema of this file's own, dropped at
 * the end; skipped with the reason printed when the server is missing, a failure in CI).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "vitest";
import { PostgresVerifierStore } from "../../verifier/postgres-store.js";
import { SqliteVerifierStore } from "../../verifier/sqlite-store.js";
import {
  checkServices,
  dropSchema,
  TEST_DATABASE_URL,
  uniqueName,
} from "../helpers/shared-services.js";
import { storeContract } from "./store-contract.js";

describe("the SQLite verifier store", () => {
  let dir: string | undefined;
  let n = 0;
  storeContract({
    kind: "sqlite",
    async newLocation() {
      dir ??= await mkdtemp(join(tmpdir(), "crossproof-store-"));
      n += 1;
      return join(dir, `store-${n}`, "verifier.sqlite");
    },
    open: async (path) => SqliteVerifierStore.open(path),
    async tearDown() {
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  });
});

const services = await checkServices(["postgres"], "the PostgreSQL store contract");

describe.runIf(services.run)("the PostgreSQL verifier store", () => {
  const schemas: string[] = [];
  storeContract({
    kind: "postgres",
    setUp: async () => services.assertAvailable(),
    async newLocation() {
      const schema = uniqueName("cp_contract");
      schemas.push(schema);
      return schema;
    },
    open: (schema) => PostgresVerifierStore.open(TEST_DATABASE_URL, { schema }),
    async tearDown() {
      for (const schema of schemas) await dropSchema(TEST_DATABASE_URL, schema);
    },
  });
});

if (!services.run) {
  describe("the PostgreSQL verifier store", () => {
    it.skip(`is skipped: ${services.missing}`, () => undefined);
  });
}
