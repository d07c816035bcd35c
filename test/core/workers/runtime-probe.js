// A worker that loads snarkjs through core/snarkjs-worker-runtime.ts (registering tsx first, as
// the proving workers do) and reports what it observes: see runtime-probe.ts.
import { register } from "tsx/esm/api";

register();
await import("./runtime-probe.ts");
