/** Small pieces every page uses: loading state, errors, times, status badges. */
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { ApiError } from "./api";

/** Loads `load()` on mount and whenever `deps` change; `reload` runs it again. */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: readonly unknown[],
): { data: T | undefined; error: ApiError | undefined; loading: boolean; reload: () => void } {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({
    loading: true,
  });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error: unknown) =>
        live &&
        setState({
          error:
            error instanceof ApiError ? error : new ApiError(0, "ERROR", (error as Error).message),
          loading: false,
        }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** An error answer, with its code. */
export function ErrorNote({ error }: { error: ApiError | undefined }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      <strong>{error.code}</strong> {error.message}
    </p>
  );
}

/** What a page shows while its data is on the way or failed. */
export function Loaded<T>({
  state,
  children,
}: {
  state: { data: T | undefined; error: ApiError | undefined; loading: boolean };
  children: (data: T) => ComponentChildren;
}) {
  if (state.error) return <ErrorNote error={state.error} />;
  if (state.data === undefined) return <p aria-live="polite">Loading…</p>;
  return <>{children(state.data)}</>;
}

/** A time in the reader's locale, with the ISO time as its machine-readable value. */
export function Time({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span class="muted">—</span>;
  const date = new Date(iso);
  return (
    <time dateTime={iso} title={iso}>
      {date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" })}
    </time>
  );
}

/** A long hash or address, shortened for reading, whole in its title and for copying. */
export function Hash({ value }: { value: string | null | undefined }) {
  if (!value) return <span class="muted">—</span>;
  const short = value.length > 18 ? `${value.slice(0, 10)}…${value.slice(-6)}` : value;
  return (
    <code class="hash" title={value}>
      {short}
    </code>
  );
}

/** Verified or refused, in words and colour. */
export function Verdict({ verified }: { verified: boolean }) {
  return verified ? <span class="badge ok">verified</span> : <span class="badge bad">refused</span>;
}

/** A page's heading and lead. */
export function PageTitle({ title, lead }: { title: string; lead?: string }) {
  return (
    <header class="page-title">
      <h1 tabIndex={-1}>{title}</h1>
      {lead ? <p class="lead">{lead}</p> : null}
    </header>
  );
}
