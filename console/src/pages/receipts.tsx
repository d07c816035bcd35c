/**
 * Verifications and their receipts: a filtered list (newest first, a page at a time) and a
 * receipt's detail with every check the verifier made. A client key sees its own receipts only.
 */
import { Fragment } from "preact";
import { useState } from "preact/hooks";
import { getJson, query, type Receipt, type Session } from "../api";
import { go, href } from "../router";
import { ErrorNote, Hash, Loaded, PageTitle, Time, useLoad, Verdict } from "../ui";

const FILTERS = ["verdict", "policy", "reason", "from", "to"] as const;
type Filter = (typeof FILTERS)[number];

/** A datetime-local value as ISO, or "" if none. */
const iso = (local: string) => (local ? new Date(local).toISOString() : "");
const local = (isoText: string | null) => (isoText ? isoText.slice(0, 16) : "");

const OUTCOME_TEXT: Record<string, string> = {
  passed: "passed",
  failed: "failed",
  "not-run": "not run",
  "not-recorded": "not recorded",
};

export function ReceiptDetail({ id }: { id: string }) {
  const state = useLoad(() => getJson<Receipt>(`/v1/receipts/${encodeURIComponent(id)}`), [id]);
  return (
    <>
      <PageTitle title="Receipt" />
      <p>
        <a href={href("receipts")}>← All verifications</a>
      </p>
      <Loaded state={state}>{(r) => <ReceiptView receipt={r} />}</Loaded>
    </>
  );
}

/** A receipt: what was decided and every check that led there. */
export function ReceiptView({ receipt: r }: { receipt: Receipt }) {
  return (
    <>
      <section class="card" aria-labelledby="receipt-summary">
        <h2 id="receipt-summary">
          <Verdict verified={r.verified} /> <code class="wrap">{r.id}</code>
        </h2>
        <dl class="pairs">
          <dt>Checked at</dt>
          <dd>
            <Time iso={r.createdAt} />
          </dd>
          <dt>Policy</dt>
          <dd>
            <code>{r.policyId}</code>
          </dd>
          <dt>Challenge</dt>
          <dd>
            <Hash value={r.challengeId} />
          </dd>
          <dt>Root</dt>
          <dd>
            <Hash value={r.root} />
          </dd>
          <dt>Issuer</dt>
          <dd>
            <Hash value={r.issuer} />
          </dd>
          {(r.linked ?? []).map((l, i) => (
            <Fragment key={l.root}>
              <dt>Linked record {i + 1}</dt>
              <dd>
                root <Hash value={l.root} />, issuer <Hash value={l.issuer} />
              </dd>
            </Fragment>
          ))}
          <dt>Reasons</dt>
          <dd>
            {r.reasons.length === 0 ? (
              <span class="muted">none</span>
            ) : (
              <ul class="plain">
                {r.reasons.map((reason) => (
                  <li key={reason.code}>
                    <code>{reason.code}</code> {reason.message ?? ""}
                  </li>
                ))}
              </ul>
            )}
          </dd>
        </dl>
      </section>
      <section aria-labelledby="checks">
        <h2 id="checks">Checks</h2>
        {r.checks && r.checks.length > 0 ? (
          <div class="scroll">
            <table data-testid="checks">
              <thead>
                <tr>
                  <th scope="col">Check</th>
                  <th scope="col">What it checks</th>
                  <th scope="col">Outcome</th>
                </tr>
              </thead>
              <tbody>
                {r.checks.map((c) => (
                  <tr key={c.check}>
                    <td>
                      <code>{c.check}</code>
                    </td>
                    <td>{c.description}</td>
                    <td>
                      <span
                        class={`badge ${c.outcome === "passed" ? "ok" : c.outcome === "failed" ? "bad" : ""}`}
                      >
                        {OUTCOME_TEXT[c.outcome] ?? c.outcome}
                      </span>
                      {c.reason ? (
                        <>
                          {" "}
                          <code>{c.reason}</code>
                        </>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p class="muted">This service does not list the checks of a receipt.</p>
        )}
      </section>
    </>
  );
}

function ReceiptList({ params }: { params: URLSearchParams }) {
  const filters = Object.fromEntries(FILTERS.map((f) => [f, params.get(f) ?? ""])) as Record<
    Filter,
    string
  >;
  const [draft, setDraft] = useState(filters);
  const [pages, setPages] = useState<{ receipts: Receipt[]; next: string | null }[]>([]);
  const key = FILTERS.map((f) => filters[f]).join("|");
  const first = useLoad(async () => {
    setPages([]);
    setDraft(filters);
    return getJson<{ receipts: Receipt[]; next: string | null }>(
      `/v1/receipts${query({ ...filters, limit: 50 })}`,
    );
  }, [key]);
  const [moreError, setMoreError] = useState<Error | undefined>();
  const all = first.data ? [first.data, ...pages] : [];
  const next = all.at(-1)?.next ?? null;
  const more = async () => {
    if (!next) return;
    try {
      const page = await getJson<{ receipts: Receipt[]; next: string | null }>(
        `/v1/receipts${query({ ...filters, limit: 50, cursor: next })}`,
      );
      setPages([...pages, page]);
    } catch (err) {
      setMoreError(err as Error);
    }
  };
  const apply = (event: Event) => {
    event.preventDefault();
    const chosen: Record<string, string> = {};
    for (const f of FILTERS) if (draft[f]) chosen[f] = draft[f];
    go("receipts", chosen);
  };
  const set = (f: Filter) => (e: Event) =>
    setDraft({
      ...draft,
      [f]:
        f === "from" || f === "to"
          ? iso((e.target as HTMLInputElement).value)
          : (e.target as HTMLInputElement).value,
    });
  return (
    <>
      <PageTitle title="Verifications" lead="Every decision's receipt, newest first." />
      <form class="filters" onSubmit={apply} aria-label="Filter verifications">
        <div class="field">
          <label for="f-verdict">Verdict</label>
          <select id="f-verdict" value={draft.verdict} onChange={set("verdict")}>
            <option value="">any</option>
            <option value="verified">verified</option>
            <option value="refused">refused</option>
          </select>
        </div>
        <div class="field">
          <label for="f-policy">Policy</label>
          <input id="f-policy" value={draft.policy} onInput={set("policy")} />
        </div>
        <div class="field">
          <label for="f-reason">Reason code</label>
          <input id="f-reason" value={draft.reason} onInput={set("reason")} />
        </div>
        <div class="field">
          <label for="f-from">From (local time)</label>
          <input
            id="f-from"
            type="datetime-local"
            value={local(draft.from)}
            onInput={set("from")}
          />
        </div>
        <div class="field">
          <label for="f-to">To (local time)</label>
          <input id="f-to" type="datetime-local" value={local(draft.to)} onInput={set("to")} />
        </div>
        <div class="field actions">
          <button type="submit">Apply</button>
          <a href={href("receipts")}>Clear</a>
        </div>
      </form>
      <Loaded state={first}>
        {() =>
          all.every((p) => p.receipts.length === 0) ? (
            <p class="muted">No verification matches.</p>
          ) : (
            <div class="scroll">
              <table data-testid="receipts">
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">Verdict</th>
                    <th scope="col">Policy</th>
                    <th scope="col">Reason</th>
                    <th scope="col">Receipt</th>
                  </tr>
                </thead>
                <tbody>
                  {all
                    .flatMap((p) => p.receipts)
                    .map((r) => (
                      <tr key={r.id}>
                        <td>
                          <Time iso={r.createdAt} />
                        </td>
                        <td>
                          <Verdict verified={r.verified} />
                        </td>
                        <td>
                          <code>{r.policyId}</code>
                        </td>
                        <td>{r.reasons[0] ? <code>{r.reasons[0].code}</code> : ""}</td>
                        <td>
                          <a
                            href={href(`receipts/${encodeURIComponent(r.id)}`)}
                            aria-label={`Receipt ${r.id.slice(0, 12)}…`}
                            title={r.id}
                          >
                            <code>{r.id.slice(0, 12)}…</code>
                          </a>
                        </td>
                      </tr>
                    ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Loaded>
      <ErrorNote error={moreError as never} />
      {next ? (
        <p>
          <button type="button" onClick={more}>
            More
          </button>
        </p>
      ) : null}
    </>
  );
}

export function ReceiptsPage({
  rest,
  params,
}: {
  session: Session;
  rest: string[];
  params: URLSearchParams;
}) {
  if (rest[0]) return <ReceiptDetail id={rest[0]} />;
  return <ReceiptList params={params} />;
}
