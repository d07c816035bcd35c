// The module piscina loads in each proving worker. Worker threads do not inherit the loader
// that runs crossproof's TypeScript (tsx under `node cli/bin.js`, vite under vitest), so this
// plain JavaScript file registers tsx's loader in the worker, as cli/bin.js does, and then
// hands piscina the TypeScript task.
import { register } from "tsx/esm/api";

register();
const worker = await import("./prove-worker.ts");

export default worker.default;
export const warm = worker.warm;
