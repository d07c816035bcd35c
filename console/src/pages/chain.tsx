/**
 * The chain as this verifier reads it: the registry's issuers, the anchored roots with their
 * times (replaced, revoked), and, for the admin and the auditor, the anchors of the receipt log.
 */
import { type Anchor, type ChainView, getJson, type Session } from "../api";
import { Hash, Loaded, PageTitle, Time, useLoad } from "../ui";

export function Anchors({ anchors }: { anchors: Anchor[] }) {
  if (anchors.length === 0) return <p class="muted">The receipt log has not been anchored yet.</p>;
  return (
    <div class="scroll">
      <table data-testid="anchors">
        <thead>
          <tr>
            <th scope="col">Anchored at</th>
            <th scope="col" class="num">
              Entries
            </th>
            <th scope="col">Head</th>
            <th scope="col">Transaction</th>
            <th scope="col" class="num">
              Block
            </th>
          </tr>
        </thead>
        <tbody>
          {anchors.map((a) => (
            <tr key={a.txHash}>
              <td>
                <Time iso={a.anchoredAt} />
              </td>
              <td class="num">{a.count}</td>
              <td>
                <Hash value={a.head} />
              </td>
              <td>
                <Hash value={a.txHash} />
              </td>
              <td class="num">{String(a.blockNumber)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function rootState(r: ChainView["roots"][number]) {
  if (r.revokedAt) return <span class="badge bad">revoked</span>;
  if (r.replacedAt) return <span class="badge">replaced</span>;
  return <span class="badge ok">current</span>;
}

export function ChainPage({ session }: { session: Session }) {
  const chain = useLoad(() => getJson<ChainView>("/v1/chain"), []);
  const anchors = useLoad(
    () =>
      session.role === "client"
        ? Promise.resolve({ anchors: [] as Anchor[] })
        : getJson<{ anchors: Anchor[] }>("/v1/audit/anchors?limit=50"),
    [session.role],
  );
  return (
    <>
      <PageTitle title="Chain" lead="The registry this verifier trusts, as it reads it." />
      <Loaded state={chain}>
        {(c) => (
          <>
            <dl class="pairs">
              <dt>Chain id</dt>
              <dd>{c.chainId}</dd>
              <dt>Registry</dt>
              <dd>
                <code class="wrap">{c.registry}</code>
              </dd>
            </dl>
            <section aria-labelledby="issuers">
              <h2 id="issuers">Issuers</h2>
              <div class="scroll">
                <table data-testid="issuers">
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Address</th>
                      <th scope="col">State</th>
                    </tr>
                  </thead>
                  <tbody>
                    {c.issuers.map((i) => (
                      <tr key={i.address}>
                        <td>{i.name}</td>
                        <td>
                          <code class="wrap">{i.address}</code>
                        </td>
                        <td>
                          {i.active ? (
                            <span class="badge ok">active</span>
                          ) : (
                            <span class="badge bad">inactive</span>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </section>
            <section aria-labelledby="roots">
              <h2 id="roots">Anchored roots</h2>
              <div class="scroll">
                <table data-testid="roots">
                  <thead>
                    <tr>
                      <th scope="col">Root</th>
                      <th scope="col">Issuer</th>
                      <th scope="col">Anchored</th>
                      <th scope="col">Replaced</th>
                      <th scope="col">Revoked</th>
                      <th scope="col">State</th>
                    </tr>
                  </thead>
                  <tbody>
                    {c.roots.map((r) => (
                      <tr key={r.root}>
                        <td>
                          <Hash value={r.root} />
                        </td>
                        <td>
                          <Hash value={r.issuer} />
                        </td>
                        <td>
                          <Time iso={r.anchoredAt} />
                        </td>
                        <td>
                          <Time iso={r.replacedAt} />
                        </td>
                        <td>
                          <Time iso={r.revokedAt} />
                        </td>
                        <td>{rootState(r)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </section>
          </>
        )}
      </Loaded>
      {session.role === "client" ? null : (
        <section aria-labelledby="log-anchors">
          <h2 id="log-anchors">Anchors of the receipt log</h2>
          <Loaded state={anchors}>{(a) => <Anchors anchors={a.anchors} />}</Loaded>
        </section>
      )}
    </>
  );
}
