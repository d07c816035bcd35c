/** The suite's log scan lives in `support/log-scan.ts` (the reliability suites use it too). */
export { scanLog } from "../../support/log-scan.js";
