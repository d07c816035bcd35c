/**
 * What must never appear in a log line (the test suite's logs, the reliability suites' service
 * logs): anything that looks like record data. Field elements
 * (salts, leaves, Merkle path siblings, hashed fields: 40+ decimal digits), sha256 digests and
 * keys (64 hex digits), the synthetic subjects' identifiers, and request bodies.
 */
const FORBIDDEN: readonly [string, RegExp][] = [
  ["a field element (salt, leaf, path sibling or hashed field)", /[0-9]{40,}/],
  ["a 64-hex digest or key (document fingerprint, private key)", /[0-9a-fA-F]{64}/],
  ["a subject identifier", /\b(CN|HK)-[A-Z0-9]{5,}/],
  ["a request or response body", /"(body|slots|salt|siblings|pathIndex|record)"\s*:/],
];

/** The problems in `log`, one line each: `line N: <what>`. Empty when the log is clean. */
export function scanLog(log: string): string[] {
  const problems: string[] = [];
  log.split("\n").forEach((line, n) => {
    for (const [what, pattern] of FORBIDDEN) {
      if (pattern.test(line)) problems.push(`line ${n + 1}: ${what}`);
    }
  });
  return problems;
}
