/**
 * Run as a child process by test/chain/persistence.test.ts: starts a local node in the data
 * folder given as the first argument, prints its RPC URL, and ends the process with
 * `process.exit` without stopping the node.
 */
import { LocalNode } from "../../../chain/local-node.js";

const node = await LocalNode.start({ dataDir: process.argv[2] as string, saveIntervalMs: 0 });
process.stdout.write(`${node.rpcUrl}\n`);
process.exit(3);
