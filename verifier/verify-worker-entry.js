// The module piscina loads in each verification worker. Worker threads do not inherit the
// loader that runs crossproof's TypeScript, so this plain JavaScript file registers tsx's loader
// in the worker (as cli/bin.js does) and then hands piscina the TypeScript task.
import { register } from "tsx/esm/api";

register();
const worker = await import("./verify-worker.ts");

export default worker.default;
export const warm = worker.warm;
