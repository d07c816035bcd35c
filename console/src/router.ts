/** A small hash router: `#/receipts/abc?verdict=refused` → path ["receipts", "abc"] and its query. */
import { useEffect, useState } from "preact/hooks";

export interface Location {
  readonly path: string[];
  readonly params: URLSearchParams;
}

function current(): Location {
  const hash = window.location.hash.replace(/^#\/?/, "");
  const [path = "", search = ""] = hash.split("?", 2);
  return {
    path: path.split("/").filter(Boolean).map(decodeURIComponent),
    params: new URLSearchParams(search),
  };
}

/** The location, following hash changes. */
export function useLocation(): Location {
  const [location, setLocation] = useState(current);
  useEffect(() => {
    const changed = () => setLocation(current());
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  return location;
}

/** The href of a console page. */
export function href(path: string, params?: Record<string, string>): string {
  const search = params ? new URLSearchParams(params).toString() : "";
  return `#/${path}${search ? `?${search}` : ""}`;
}

/** Goes to a console page. */
export function go(path: string, params?: Record<string, string>): void {
  window.location.hash = href(path, params);
}
