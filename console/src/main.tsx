/**
 * The crossproof console: sign in with an API key, then the pages the key's role may see. It
 * talks only to the verifier's HTTP API on its own origin (docs/architecture.md, "Console").
 */
import "./style.css";
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import {
  type ApiError,
  forgetKey,
  getJson,
  type Role,
  type Session,
  storedKey,
  storeKey,
} from "./api";
import { AuditPage } from "./pages/audit";
import { ChainPage } from "./pages/chain";
import { DashboardPage } from "./pages/dashboard";
import { PoliciesPage } from "./pages/policies";
import { ProofCheckPage } from "./pages/proof-check";
import { ReceiptsPage } from "./pages/receipts";
import { href, useLocation } from "./router";
import { ErrorNote, PageTitle } from "./ui";

interface Page {
  readonly path: string;
  readonly label: string;
  readonly roles: readonly Role[];
}

/** The console's pages and the roles whose keys may read what each shows. */
const PAGES: readonly Page[] = [
  { path: "dashboard", label: "Dashboard", roles: ["admin", "auditor"] },
  { path: "policies", label: "Policies", roles: ["admin", "client"] },
  { path: "receipts", label: "Verifications", roles: ["admin", "client"] },
  { path: "chain", label: "Chain", roles: ["admin", "auditor", "client"] },
  { path: "check", label: "Proof check", roles: ["admin", "client"] },
  { path: "audit", label: "Audit", roles: ["admin", "auditor"] },
];

function SignIn({ error, onSignedIn }: { error?: ApiError; onSignedIn: (s: Session) => void }) {
  const [key, setKey] = useState("");
  const [failure, setFailure] = useState<ApiError | undefined>(error);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      const session = await getJson<Session>("/v1/session", key.trim());
      storeKey(key.trim());
      onSignedIn(session);
    } catch (err) {
      setFailure(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="sign-in">
      <h1>crossproof console</h1>
      <p class="lead">
        Sign in with an API key. <code>npm start</code> prints where the local admin and auditor
        keys are; an admin makes more with <code>POST /v1/api-keys</code>. The key stays in this tab
        only.
      </p>
      <form onSubmit={submit}>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autoComplete="off"
          required
          value={key}
          onInput={(e) => setKey((e.target as HTMLInputElement).value)}
          aria-describedby={failure ? "sign-in-error" : undefined}
        />
        <button type="submit" disabled={busy || key.trim() === ""}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
      <div id="sign-in-error">
        <ErrorNote error={failure} />
      </div>
    </main>
  );
}

function PageFor({ page, session }: { page: string; session: Session }) {
  const { path, params } = useLocation();
  const rest = path.slice(1);
  switch (page) {
    case "dashboard":
      return <DashboardPage />;
    case "policies":
      return <PoliciesPage session={session} rest={rest} />;
    case "receipts":
      return <ReceiptsPage session={session} rest={rest} params={params} />;
    case "chain":
      return <ChainPage session={session} />;
    case "check":
      return <ProofCheckPage />;
    case "audit":
      return <AuditPage params={params} />;
    default:
      return null;
  }
}

function Console({ session, onSignOut }: { session: Session; onSignOut: () => void }) {
  const { path } = useLocation();
  const pages = PAGES.filter((p) => p.roles.includes(session.role));
  const first = pages[0]?.path ?? "chain";
  const wanted = path[0] ?? first;
  const page = pages.find((p) => p.path === wanted);
  useEffect(() => {
    // Move focus to the new page's heading, so keyboard and screen-reader users follow.
    document.querySelector<HTMLElement>("main h1")?.focus();
  }, [wanted]);
  return (
    <>
      <button
        type="button"
        class="skip"
        onClick={() => document.querySelector<HTMLElement>("main h1")?.focus()}
      >
        Skip to content
      </button>
      <header class="top">
        <span class="brand">crossproof</span>
        <nav aria-label="Console">
          <ul>
            {pages.map((p) => (
              <li key={p.path}>
                <a href={href(p.path)} aria-current={p.path === wanted ? "page" : undefined}>
                  {p.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span>
            {session.name} <span class="badge">{session.role}</span>
          </span>
          <button type="button" class="link" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main">
        {page ? (
          <PageFor page={page.path} session={session} />
        ) : (
          <>
            <PageTitle title="Not available" />
            <p role="alert">
              There is no page “{wanted}” for the {session.role} role.{" "}
              <a href={href(first)}>Go to {pages[0]?.label ?? "the console"}</a>
            </p>
          </>
        )}
      </main>
    </>
  );
}

function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [checking, setChecking] = useState(storedKey() !== null);
  const [error, setError] = useState<ApiError | undefined>();
  useEffect(() => {
    if (!checking) return;
    getJson<Session>("/v1/session").then(
      (s) => {
        setSession(s);
        setChecking(false);
      },
      (err: ApiError) => {
        forgetKey();
        setError(err);
        setChecking(false);
      },
    );
  }, [checking]);
  if (checking) return <p aria-live="polite">Signing in…</p>;
  if (!session) return <SignIn {...(error ? { error } : {})} onSignedIn={setSession} />;
  return (
    <Console
      session={session}
      onSignOut={() => {
        forgetKey();
        setSession(null);
        setError(undefined);
        window.location.hash = "";
      }}
    />
  );
}

const root = document.getElementById("app");
if (root) render(<App />, root);
