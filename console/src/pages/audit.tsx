/**
 * For the auditor: the log's integrity (its length and head, how far it has been verified and
 * anchored) and the flows: verifications counted by policy, issuer, verdict or reason, per hour or
 * day.
 */
import type { AuditStatus, Flows } from "../api";
import { getJson, query } from "../api";
import { go } from "../router";
import { Hash, Loaded, PageTitle, Time, useLoad } from "../ui";

const BY = ["policy", "issuer", "verdict", "reason"] as const;
const BUCKETS = ["hour", "day"] as const;

/**
 * Whether the log is whole: every anchored entry matches what was anchored (the service checks
 * its log against its anchors: `verifiedUpTo`). Entries after the last anchor are not a problem,
 * only not provable yet.
 */
function integrity(s: AuditStatus): { intact: boolean; text: string } {
  const anchored = s.lastAnchor?.count ?? 0;
  if (s.verifiedUpTo < anchored) {
    return {
      intact: false,
      text: `the log matches its anchors only up to entry ${s.verifiedUpTo} of the ${anchored} anchored: entries after it were changed, removed or reordered`,
    };
  }
  const tail = s.unanchored > 0 ? `; ${s.unanchored} later entries wait for the next anchor` : "";
  return {
    intact: true,
    text:
      anchored > 0
        ? `all ${anchored} anchored entries match their anchors${tail}`
        : `the hash chain of ${s.count} entries is whole; nothing is anchored yet`,
  };
}

function Status({ s }: { s: AuditStatus }) {
  const { intact, text } = integrity(s);
  return (
    <section class="card" aria-labelledby="integrity">
      <h2 id="integrity">Log integrity</h2>
      <p class="figure" data-testid="log-integrity">
        <span class={`badge ${intact ? "ok" : "bad"}`}>{intact ? "intact" : "not verified"}</span>
      </p>
      <p>{text}</p>
      <dl class="pairs">
        <dt>Entries</dt>
        <dd data-testid="log-count">{s.count}</dd>
        <dt>Head</dt>
        <dd>
          <Hash value={s.head} />
        </dd>
        <dt>Last anchor</dt>
        <dd>
          {s.lastAnchor ? (
            <>
              {s.lastAnchor.count} entries, <Time iso={s.lastAnchor.anchoredAt} />, block{" "}
              {String(s.lastAnchor.blockNumber)}
            </>
          ) : (
            <span class="muted">none yet</span>
          )}
        </dd>
        <dt>Not yet anchored</dt>
        <dd>{s.unanchored}</dd>
        <dt>Anchoring</dt>
        <dd>
          {s.pending ? (
            <span class="error">
              waiting since <Time iso={s.pending.since} />, {s.pending.attempts} attempts
              {s.pending.lastError ? `: ${s.pending.lastError}` : ""}
            </span>
          ) : (
            "up to date"
          )}
        </dd>
        <dt>Contract</dt>
        <dd>
          <Hash value={s.contract} />
          {s.chainId !== null ? ` (chain ${s.chainId})` : ""}
        </dd>
      </dl>
    </section>
  );
}

function FlowTable({ flows }: { flows: Flows }) {
  const keys = [...new Set(flows.rows.map((r) => r.key))].sort();
  const buckets = [...new Set(flows.rows.map((r) => r.bucket))].sort().reverse();
  const count = new Map(flows.rows.map((r) => [`${r.bucket}|${r.key}`, r.count]));
  const total = flows.rows.reduce((sum, r) => sum + r.count, 0);
  if (flows.rows.length === 0) return <p class="muted">No verification in this period.</p>;
  return (
    <div class="scroll">
      <table data-testid="flows">
        <caption>
          {total} verifications by {flows.by}, per {flows.bucket}
        </caption>
        <thead>
          <tr>
            <th scope="col">{flows.bucket === "hour" ? "Hour" : "Day"}</th>
            {keys.map((k) => (
              <th key={k} scope="col" class="num">
                <code>{k}</code>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {buckets.map((b) => (
            <tr key={b}>
              <th scope="row">
                <Time iso={b} />
              </th>
              {keys.map((k) => (
                <td key={k} class="num">
                  {count.get(`${b}|${k}`) ?? 0}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function AuditPage({ params }: { params: URLSearchParams }) {
  const by = (BY as readonly string[]).includes(params.get("by") ?? "")
    ? (params.get("by") as string)
    : "policy";
  const bucket = params.get("bucket") === "day" ? "day" : "hour";
  const status = useLoad(() => getJson<AuditStatus>("/v1/audit/status"), []);
  const flows = useLoad(
    () => getJson<Flows>(`/v1/audit/flows${query({ by, bucket })}`),
    [by, bucket],
  );
  const choose = (next: { by?: string; bucket?: string }) =>
    go("audit", { by: next.by ?? by, bucket: next.bucket ?? bucket });
  return (
    <>
      <PageTitle
        title="Audit"
        lead="The receipt log's integrity and anchors, and the flows of verifications."
      />
      <Loaded state={status}>{(s) => <Status s={s} />}</Loaded>
      <section aria-labelledby="flows-title">
        <h2 id="flows-title">Flows</h2>
        <div class="toolbar">
          <label for="flows-by">Count by</label>
          <select
            id="flows-by"
            value={by}
            onChange={(e) => choose({ by: (e.target as HTMLSelectElement).value })}
          >
            {BY.map((b) => (
              <option key={b} value={b}>
                {b}
              </option>
            ))}
          </select>
          <label for="flows-bucket">Per</label>
          <select
            id="flows-bucket"
            value={bucket}
            onChange={(e) => choose({ bucket: (e.target as HTMLSelectElement).value })}
          >
            {BUCKETS.map((b) => (
              <option key={b} value={b}>
                {b}
              </option>
            ))}
          </select>
        </div>
        <Loaded state={flows}>{(f) => <FlowTable flows={f} />}</Loaded>
      </section>
    </>
  );
}
