/**
 * Run as a child process by test/chain/crash.test.ts: starts a local node in the data folder
 * given as the first argument, prints its RPC URL and pid as one JSON line, and waits to be
 * killed.
 */
import { LocalNode } from "../../../chain/local-node.js";

const node = await LocalNode.start({ dataDir: process.argv[2] as string, saveIntervalMs: 0 });
process.stdout.write(`${JSON.stringify({ rpcUrl: node.rpcUrl, pid: node.pid })}\n`);
setInterval(() => undefined, 60_000);
