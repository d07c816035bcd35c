/**
 * Policies: each in words, and (for the admin) a new one from a form. The form's policy is
 * checked by the service as it would be on creation (`POST /v1/policies/preview`), which also
 * gives its queryHash and its words, before anything is stored.
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import {
  type ApiError,
  type ChainView,
  getJson,
  type Policy,
  type PolicyPreview,
  postJson,
  type Session,
} from "../api";
import { go, href } from "../router";
import { ErrorNote, Hash, Loaded, PageTitle, Time, useLoad } from "../ui";

const OPS = [
  ["GTE", "at least"],
  ["GT", "more than"],
  ["LTE", "at most"],
  ["LT", "less than"],
  ["EQ", "equal to"],
  ["NE", "not equal to"],
  ["BETWEEN", "between"],
  ["OUTSIDE", "outside"],
  ["RATIO_LTE", "ratio at most"],
  ["RATIO_GTE", "ratio at least"],
] as const;

type Op = (typeof OPS)[number][0];

interface PredicateRow {
  op: Op;
  field: string;
  value: string;
  min: string;
  max: string;
  per: string;
  numerator: string;
  denominator: string;
}

const emptyRow = (): PredicateRow => ({
  op: "GTE",
  field: "",
  value: "",
  min: "",
  max: "",
  per: "",
  numerator: "",
  denominator: "",
});

/**
 * A value as typed, in the policy's JSON: whole numbers as numbers, true/false as booleans,
 * "90 days ago" as a relative date; anything else (dates, codes, text) as written.
 */
export function parseValue(text: string): unknown {
  const t = text.trim();
  if (/^-?\d{1,15}$/.test(t)) return Number(t);
  if (t === "true" || t === "false") return t === "true";
  const relative = /^(\d{1,4})\s+days?\s+ago$/i.exec(t);
  if (relative) return { daysAgo: Number(relative[1]) };
  return t;
}

const conditionsOf = (p: Policy): string[] => p.conditions ?? [];

function PolicyList({ policies }: { policies: Policy[] }) {
  if (policies.length === 0) return <p class="muted">No policy yet.</p>;
  return (
    <ul class="cards">
      {policies.map((p) => (
        <li key={p.id} class="card">
          <h2>
            <code>{p.id}</code>
          </h2>
          <p class="muted">
            schema <code>{p.schema}</code> · created <Time iso={p.createdAt} />
          </p>
          {p.description ? <p>{p.description}</p> : null}
          <ul class="words" aria-label={`What ${p.id} asks`}>
            {conditionsOf(p).map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
          <p class="muted">
            issuers:{" "}
            {p.issuers.map((i) => (
              <Hash key={i} value={i} />
            ))}
          </p>
          <p>
            <a href={href("receipts", { policy: p.id })}>Its verifications</a>
          </p>
        </li>
      ))}
    </ul>
  );
}

/** The field an error's details or message names, to point at it in the form. */
function fieldOf(error: ApiError): string | undefined {
  const details = error.details as
    | { field?: string; path?: string; issues?: { path?: string }[] }
    | undefined;
  return details?.field ?? details?.path ?? (details?.issues?.[0]?.path || undefined);
}

function PredicateFields({
  row,
  index,
  onChange,
  onRemove,
}: {
  row: PredicateRow;
  index: number;
  onChange: (row: PredicateRow) => void;
  onRemove: () => void;
}) {
  const id = (name: string) => `p${index}-${name}`;
  const input = (name: keyof PredicateRow, label: string, hint?: string) => (
    <div class="field">
      <label for={id(name)}>{label}</label>
      <input
        id={id(name)}
        value={row[name]}
        required
        {...(hint ? { placeholder: hint } : {})}
        onInput={(e) => onChange({ ...row, [name]: (e.target as HTMLInputElement).value })}
      />
    </div>
  );
  const ratio = row.op === "RATIO_LTE" || row.op === "RATIO_GTE";
  const range = row.op === "BETWEEN" || row.op === "OUTSIDE";
  return (
    <fieldset class="predicate">
      <legend>Condition {index + 1}</legend>
      {input("field", "Field", "creditScore")}
      <div class="field">
        <label for={id("op")}>Comparison</label>
        <select
          id={id("op")}
          value={row.op}
          onChange={(e) => onChange({ ...row, op: (e.target as HTMLSelectElement).value as Op })}
        >
          {OPS.map(([op, text]) => (
            <option key={op} value={op}>
              {text} ({op})
            </option>
          ))}
        </select>
      </div>
      {ratio ? (
        <>
          {input("per", "Divided by field", "annualIncome")}
          {input("numerator", "Numerator", "40")}
          {input("denominator", "Denominator", "100")}
        </>
      ) : range ? (
        <>
          {input("min", "From", "300")}
          {input("max", "To", "850")}
        </>
      ) : (
        input("value", "Value", "650, 2026-01-31, 90 days ago, a code")
      )}
      <button type="button" class="secondary" onClick={onRemove}>
        Remove condition {index + 1}
      </button>
    </fieldset>
  );
}

const list = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);

function NewPolicy() {
  const chain = useLoad(() => getJson<ChainView>("/v1/chain"), []);
  const [id, setId] = useState("");
  const [summary, setSummary] = useState("");
  const [schema, setSchema] = useState("credit-report-v1");
  const [issuers, setIssuers] = useState("");
  const [subject, setSubject] = useState("subjectId");
  const [previewSubject, setPreviewSubject] = useState("");
  const [rows, setRows] = useState<PredicateRow[]>([
    { ...emptyRow(), field: "creditScore", value: "650" },
  ]);
  const [disclose, setDisclose] = useState("");
  const [ttl, setTtl] = useState("300");
  const [grace, setGrace] = useState("3600");
  const [preview, setPreview] = useState<{ result?: PolicyPreview; error?: ApiError }>({});
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<ApiError | undefined>();

  // The issuers on chain are offered once known; the admin may type others.
  useEffect(() => {
    const active = chain.data?.issuers.filter((i) => i.active).map((i) => i.address) ?? [];
    if (issuers === "" && active.length > 0) setIssuers(active.join(", "));
  }, [chain.data]);

  const body = useMemo(() => {
    const predicates = rows.map((r) => {
      if (r.op === "RATIO_LTE" || r.op === "RATIO_GTE") {
        return {
          op: r.op,
          field: r.field.trim(),
          per: r.per.trim(),
          numerator: parseValue(r.numerator),
          denominator: parseValue(r.denominator),
        };
      }
      if (r.op === "BETWEEN" || r.op === "OUTSIDE") {
        return { op: r.op, field: r.field.trim(), min: parseValue(r.min), max: parseValue(r.max) };
      }
      return { op: r.op, field: r.field.trim(), value: parseValue(r.value) };
    });
    return {
      id: id.trim(),
      ...(summary.trim() ? { description: summary.trim() } : {}),
      schema: schema.trim(),
      issuers: list(issuers),
      ...(subject.trim() ? { subject: { field: subject.trim() } } : {}),
      predicates,
      disclose: list(disclose),
      challengeTtlSeconds: Number(ttl),
      rootGraceSeconds: Number(grace),
    };
  }, [id, summary, schema, issuers, subject, rows, disclose, ttl, grace]);

  // The preview follows the form (a short pause after typing).
  useEffect(() => {
    if (body.id === "") {
      setPreview({});
      return;
    }
    let live = true;
    const timer = setTimeout(() => {
      const forSubject = subject.trim() && previewSubject.trim() ? previewSubject.trim() : "";
      postJson<PolicyPreview>(
        "/v1/policies/preview",
        body,
        forSubject ? { "x-subject-hash": forSubject } : {},
      ).then(
        (result) => live && setPreview({ result }),
        (error: ApiError) => live && setPreview({ error }),
      );
    }, 300);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [body, previewSubject]);

  const submit = async (event: Event) => {
    event.preventDefault();
    setSaving(true);
    setSaveError(undefined);
    try {
      await postJson<Policy>("/v1/policies", body);
      go("policies", { created: body.id });
    } catch (err) {
      setSaveError(err as ApiError);
    } finally {
      setSaving(false);
    }
  };

  const text = (
    name: string,
    label: string,
    value: string,
    set: (v: string) => void,
    extra: Record<string, unknown> = {},
    hint?: string,
  ) => (
    <div class="field">
      <label for={name}>{label}</label>
      <input
        id={name}
        name={name}
        value={value}
        onInput={(e) => set((e.target as HTMLInputElement).value)}
        {...(hint ? { "aria-describedby": `${name}-hint` } : {})}
        {...extra}
      />
      {hint ? (
        <small id={`${name}-hint`} class="hint">
          {hint}
        </small>
      ) : null}
    </div>
  );

  return (
    <>
      <PageTitle
        title="New policy"
        lead="Policies are immutable: a changed policy is a new id. The service checks the form as you type."
      />
      <form class="policy-form" onSubmit={submit} noValidate>
        {text(
          "policy-id",
          "Policy id",
          id,
          setId,
          { required: true, pattern: "[a-z0-9][a-z0-9-]{0,63}" },
          "Lower-case letters, digits and dashes, e.g. small-loan-v1",
        )}
        {text("policy-summary", "Description (optional)", summary, setSummary)}
        {text(
          "policy-schema",
          "Record schema",
          schema,
          setSchema,
          { required: true },
          "A schema id such as credit-report-v1",
        )}
        {text(
          "policy-issuers",
          "Issuer addresses",
          issuers,
          setIssuers,
          { required: true },
          "Comma-separated; the active issuers on chain are filled in",
        )}
        {text(
          "policy-subject",
          "Subject field (optional)",
          subject,
          setSubject,
          {},
          "Binds each challenge to one subject, e.g. subjectId",
        )}
        {subject.trim()
          ? text(
              "preview-subject",
              "Subject hash for the preview (optional)",
              previewSubject,
              setPreviewSubject,
              { inputMode: "numeric" },
              "Each subject's challenges have their own queryHash: give a subject hash (decimal) to see it",
            )
          : null}
        {rows.map((row, index) => (
          <PredicateFields
            key={index}
            row={row}
            index={index}
            onChange={(r) => setRows(rows.map((x, i) => (i === index ? r : x)))}
            onRemove={() => setRows(rows.filter((_, i) => i !== index))}
          />
        ))}
        <p>
          <button type="button" class="secondary" onClick={() => setRows([...rows, emptyRow()])}>
            Add a condition
          </button>
        </p>
        {text(
          "policy-disclose",
          "Disclosed fields (optional)",
          disclose,
          setDisclose,
          {},
          "Comma-separated, e.g. jurisdiction",
        )}
        {text("policy-ttl", "Challenge lifetime (seconds)", ttl, setTtl, { inputMode: "numeric" })}
        {text("policy-grace", "Replaced-root grace (seconds)", grace, setGrace, {
          inputMode: "numeric",
        })}

        <section class="preview card" aria-labelledby="preview-title" aria-live="polite">
          <h2 id="preview-title">Preview</h2>
          {preview.error ? (
            <p class="error" data-testid="preview-error">
              <strong>{preview.error.code}</strong> {preview.error.message}
              {fieldOf(preview.error) ? (
                <>
                  {" "}
                  (field <code>{fieldOf(preview.error)}</code>)
                </>
              ) : null}
            </p>
          ) : preview.result ? (
            <>
              {preview.result.exists ? (
                <p class="error" data-testid="preview-exists">
                  A policy <code>{preview.result.id}</code> exists already: policies are immutable,
                  give this one a new id.
                </p>
              ) : null}
              <p data-testid="preview-words">{preview.result.words}</p>
              <ul class="words">
                {preview.result.conditions.map((w) => (
                  <li key={w}>{w}</li>
                ))}
              </ul>
              <dl class="pairs">
                <dt>queryHash</dt>
                <dd>
                  {preview.result.queryHash ? (
                    <code class="wrap" data-testid="preview-query-hash">
                      {preview.result.queryHash}
                    </code>
                  ) : (
                    <span class="muted">
                      one per subject: give a subject hash above to see a challenge's
                    </span>
                  )}
                </dd>
                <dt>schemaId</dt>
                <dd>
                  <code class="wrap">{preview.result.schemaId}</code>
                </dd>
                <dt>Dates as of</dt>
                <dd>
                  <Time iso={preview.result.asOf} />
                </dd>
              </dl>
            </>
          ) : (
            <p class="muted">Give the policy an id to see it checked.</p>
          )}
        </section>
        <ErrorNote error={saveError} />
        <p>
          <button type="submit" disabled={saving || !preview.result || preview.result.exists}>
            {saving ? "Creating…" : "Create policy"}
          </button>{" "}
          <a href={href("policies")}>Cancel</a>
        </p>
      </form>
    </>
  );
}

export function PoliciesPage({ session, rest }: { session: Session; rest: string[] }) {
  const created = new URLSearchParams(window.location.hash.split("?")[1] ?? "").get("created");
  // Read again on coming back from the form (the page stays mounted across its routes).
  const state = useLoad(() => getJson<{ policies: Policy[] }>("/v1/policies"), [rest[0], created]);
  if (rest[0] === "new" && session.role === "admin") return <NewPolicy />;
  return (
    <>
      <PageTitle title="Policies" lead="What this verifier asks of a record, in words." />
      {created ? (
        <p class="note" role="status">
          Policy <code>{created}</code> created.
        </p>
      ) : null}
      {session.role === "admin" ? (
        <p>
          <a class="button" href={href("policies/new")}>
            New policy
          </a>
        </p>
      ) : null}
      <Loaded state={state}>{(d) => <PolicyList policies={d.policies} />}</Loaded>
    </>
  );
}
