/** The suite's log scan lives in `core/log-scan.ts` (the reliability suites use it too). */
export { scanLog } from "../../core/log-scan.js";
