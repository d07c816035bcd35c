// A worker thread that proves with the native addon in a loop until it is terminated: the test
// terminates it mid-proof and checks that the process survives (a worker ended by a pool's time
// limit must never take the process down).
import { createRequire } from "node:module";
import { parentPort, workerData } from "node:worker_threads";

const addon = createRequire(import.meta.url)(workerData.addonPath);
const key = new addon.ProvingKey(workerData.zkey);
parentPort.postMessage("ready");
for (;;) {
  const { proof } = key.prove(workerData.witness, workerData.threads);
  parentPort.postMessage(proof.protocol);
}
