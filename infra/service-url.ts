/**
 * URLs of the shared services (PostgreSQL, Redis) as they may be shown: in errors, logs and
 * `/readyz`. A connection URL can carry a password (`postgres://user:secret@host/db`); what is
 * shown keeps the scheme, the user, the host, the port and the path, never the password or the
 * query (where some providers put tokens).
 */

/** `url` without its password and query; `"(unparsable URL)"` if it is not a URL at all. */
export function shownUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "(unparsable URL)";
  }
  const user = parsed.username ? `${parsed.username}@` : "";
  const port = parsed.port ? `:${parsed.port}` : "";
  const path = parsed.pathname === "/" ? "" : parsed.pathname;
  return `${parsed.protocol}//${user}${parsed.hostname}${port}${path}`;
}
