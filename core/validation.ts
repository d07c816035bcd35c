/**
 * How a failed zod validation is told: the first problem in one line for the message, and up to
 * 20 problems for `details.issues`. One wording for every untrusted input crossproof checks
 * (proofs, proof requests, policies, presentations, request bodies).
 */
import type { z } from "zod";

/** `path: message` of the first issue (`(root)` for the input itself). */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "invalid";
}

/** Up to 20 issues as `{path, message}`, for error details. */
export function issueList(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.slice(0, 20).map((i) => ({ path: i.path.join("."), message: i.message }));
}
