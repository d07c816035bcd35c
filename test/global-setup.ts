/**
 * Compile the release circuits once, before the test files start, so that files running in
 * parallel reuse one compile instead of each compiling the same sources.
 */
import { loadCircuitInstances } from "../circuits/instances.js";
import { compileForTest } from "./helpers/circuit.js";

export default async function compileReleaseCircuits(): Promise<void> {
  for (const c of loadCircuitInstances().filter((i) => i.release)) await compileForTest(c.name);
}
