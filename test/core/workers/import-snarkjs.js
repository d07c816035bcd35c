// A worker that imports snarkjs the plain way, to show why core/snarkjs-worker-runtime.ts
// exists: web-worker (through ffjavascript) takes this thread for one of its own and crashes.
import { parentPort } from "node:worker_threads";

await import("snarkjs");
parentPort?.postMessage("imported");
