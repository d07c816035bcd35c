/**
 * Proof check: paste a presentation bundle (the body a holder's bank sends to
 * `POST /v1/verifications`: `{policyId, presentation}`) and see the verdict and every check.
 * Verifying consumes the bundle's challenge, as any verification does.
 */
import { useState } from "preact/hooks";
import { type ApiError, getJson, postJson, type Receipt, type Verification } from "../api";
import { href } from "../router";
import { ErrorNote, PageTitle } from "../ui";
import { ReceiptView } from "./receipts";

export function ProofCheckPage() {
  const [text, setText] = useState("");
  const [parseError, setParseError] = useState<string | undefined>();
  const [error, setError] = useState<ApiError | undefined>();
  const [result, setResult] = useState<{ verdict: Verification; receipt?: Receipt }>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setParseError(undefined);
    setError(undefined);
    setResult(undefined);
    let bundle: unknown;
    try {
      bundle = JSON.parse(text);
    } catch (err) {
      setParseError(`not JSON: ${(err as Error).message}`);
      return;
    }
    if (typeof bundle !== "object" || bundle === null || !("presentation" in bundle)) {
      setParseError('a bundle is {"policyId": …, "presentation": {…}}');
      return;
    }
    setBusy(true);
    try {
      const verdict = await postJson<Verification>("/v1/verifications", bundle);
      let receipt: Receipt | undefined;
      try {
        receipt = await getJson<Receipt>(`/v1/receipts/${encodeURIComponent(verdict.receiptId)}`);
      } catch {
        // The verdict stands without its checks.
      }
      setResult({ verdict, ...(receipt ? { receipt } : {}) });
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <PageTitle
        title="Proof check"
        lead="Paste a presentation bundle and see the verdict. Its challenge must have been issued to the key you signed in with, and checking it uses the challenge up, like any verification."
      />
      <form onSubmit={submit}>
        <label for="bundle">Presentation bundle (JSON)</label>
        <textarea
          id="bundle"
          rows={12}
          spellcheck={false}
          value={text}
          aria-describedby="bundle-hint"
          aria-invalid={parseError ? "true" : undefined}
          onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
        />
        <small id="bundle-hint" class="hint">
          {'{"policyId": "pilot-credit-v1", "presentation": {"challengeId": …, "proof": …, …}}'}
        </small>
        {parseError ? (
          <p class="error" role="alert">
            {parseError}
          </p>
        ) : null}
        <p>
          <button type="submit" disabled={busy || text.trim() === ""}>
            {busy ? "Checking…" : "Check"}
          </button>
        </p>
      </form>
      <ErrorNote error={error} />
      {result ? (
        <section aria-labelledby="verdict" aria-live="polite">
          <h2 id="verdict" data-testid="check-verdict">
            {result.verdict.verified ? "Verified" : "Refused"}
          </h2>
          {Object.keys(result.verdict.disclosed).length > 0 ? (
            <p>
              Disclosed:{" "}
              {Object.entries(result.verdict.disclosed).map(([k, v]) => (
                <span key={k}>
                  {k} = <code>{String(v)}</code>{" "}
                </span>
              ))}
            </p>
          ) : null}
          {result.receipt ? (
            <ReceiptView receipt={result.receipt} />
          ) : (
            <p>
              <a href={href(`receipts/${result.verdict.receiptId}`)}>Its receipt</a>
            </p>
          )}
        </section>
      ) : null}
    </>
  );
}
