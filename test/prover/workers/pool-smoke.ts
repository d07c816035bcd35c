/**
 * Starts a one-worker pool, makes one proof, prints it as JSON and closes the pool, without
 * calling process.exit: the test checks that the process then ends on its own.
 */
import { Op } from "../../../core/query.js";
import { ProverPool } from "../../../prover/pool.js";
import { commit, queryWitness, SLOT } from "../../helpers/fixtures.js";

const pool = await ProverPool.start({ workers: 1 });
const bundle = await pool.prove(
  queryWitness(commit(), [{ op: Op.GTE, i: SLOT.creditScore, j: 0, a: 650n, b: 0n }], 9n),
);
await pool.close();
process.stdout.write(`${JSON.stringify({ bundle, stats: pool.stats })}\n`);
