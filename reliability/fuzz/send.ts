/**
 * Sending a fuzz request and checking its answer against the invariants every answer must keep
 * (no 5xx but REGISTRY_UNAVAILABLE, JSON errors with stable codes and no internals, no record
 * value), tallied for the report.
 */
import { createHash } from "node:crypto";
import type { ApiStack, RawAnswer } from "../api-stack.js";
import type { FuzzRequest } from "./requests.js";

export const INTERNALS =
  /SyntaxError|TypeError|RangeError|URIError|ReferenceError|\bat [^\n]*\((file:|node:|\/)|node_modules|sqlite|"stack"\s*:/i;

export class Tally {
  sent = 0;
  readonly bodies = new Set<string>();
  readonly byRoute = new Map<string, number>();
  readonly byStatus = new Map<number, number>();
  readonly codes = new Set<string>();
  readonly failures = new Map<string, string[]>();
  mutatedPresentations = 0;

  fail(check: string, detail: string): void {
    const list = this.failures.get(check) ?? [];
    if (list.length < 5) list.push(detail);
    this.failures.set(check, list);
  }
}

export const CHECK_5XX = "no 5xx but REGISTRY_UNAVAILABLE";
export const CHECK_ERROR_BODY =
  "every 4xx/5xx is a JSON error with a stable code and no stack trace or internal message";
export const CHECK_VERIFIED =
  "no verified: true / valid: true for anything but a genuine, fresh presentation";
export const CHECK_LEAK = "no response body holds a raw record value";
export const CHECK_TRANSPORT = "every request gets an answer (no dropped connection)";

export async function send(
  api: ApiStack,
  tally: Tally,
  request: FuzzRequest,
  leaks: readonly string[],
): Promise<RawAnswer | undefined> {
  tally.sent++;
  const bytes = request.rawBody ?? request.body ?? "";
  tally.bodies.add(
    createHash("sha256").update(`${request.method} ${request.path}\n`).update(bytes).digest("hex"),
  );
  const endpoint = `${request.method} ${request.route}`;
  tally.byRoute.set(endpoint, (tally.byRoute.get(endpoint) ?? 0) + 1);
  let answer: RawAnswer;
  try {
    answer = await api.raw(request.service, { ...request, body: request.rawBody ?? request.body });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    // A header value fetch itself refuses never left this process: not a service fault.
    if ((err as Error).name === "TypeError" && !cause) return undefined;
    tally.fail(
      CHECK_TRANSPORT,
      `${request.method} ${request.route}: ${cause ?? (err as Error).name}`,
    );
    return undefined;
  }
  tally.byStatus.set(answer.status, (tally.byStatus.get(answer.status) ?? 0) + 1);
  const where = `${request.method} ${request.route} → ${answer.status}`;
  const code = errorCode(answer.body);
  if (code) tally.codes.add(code);
  if (answer.status >= 500 && !(answer.status === 503 && code === "REGISTRY_UNAVAILABLE")) {
    tally.fail(CHECK_5XX, `${where} ${code ?? answer.text.slice(0, 80)}`);
  }
  if (answer.status >= 400) {
    if (!code || !/^[A-Z][A-Z0-9_]*$/.test(code) || !answer.contentType.includes("json")) {
      tally.fail(CHECK_ERROR_BODY, `${where}: ${answer.text.slice(0, 80)}`);
    } else if (INTERNALS.test(answer.text)) {
      tally.fail(CHECK_ERROR_BODY, `${where}: ${code} ${answer.text.match(INTERNALS)?.[0]}`);
    }
  }
  for (const leak of leaks) {
    if (answer.text.includes(leak)) tally.fail(CHECK_LEAK, `${where}: a record value`);
  }
  return answer;
}

export function errorCode(body: unknown): string | undefined {
  const error = (body as { error?: { code?: unknown } } | null)?.error;
  return typeof error?.code === "string" ? error.code : undefined;
}

/** Runs `tasks` with at most `limit` at once. */
export async function pool<T>(items: readonly T[], limit: number, run: (t: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await run(item);
      }
    }),
  );
}
