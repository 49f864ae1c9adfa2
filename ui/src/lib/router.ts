// A small hash router: the app is served from the Tauri custom protocol, where hash routes need
// no server support. Routes: #/cases, #/cases/:id, #/exceptions, #/partners, #/partners/:id,
// #/outbox, #/retention, #/transfers, #/folders, #/settings, #/mine.
import { useSyncExternalStore } from "react";

/** Where the window is. */
export type Route =
  | { name: "cases" }
  | { name: "case"; id: string }
  | { name: "exceptions" }
  | { name: "partners" }
  | { name: "partner"; id: string }
  | { name: "outbox" }
  | { name: "retention" }
  | { name: "transfers" }
  | { name: "folders" }
  | { name: "settings" }
  | { name: "mine" };

/** Parses a location hash into a route; anything unknown is the case list. */
export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  switch (parts[0]) {
    case "cases":
      return parts[1] ? { name: "case", id: parts[1] } : { name: "cases" };
    case "exceptions":
      return { name: "exceptions" };
    case "partners":
      return parts[1] ? { name: "partner", id: parts[1] } : { name: "partners" };
    case "outbox":
      return { name: "outbox" };
    case "retention":
      return { name: "retention" };
    case "transfers":
      return { name: "transfers" };
    case "folders":
      return { name: "folders" };
    case "settings":
      return { name: "settings" };
    case "mine":
      return { name: "mine" };
    default:
      return { name: "cases" };
  }
}

/** The hash for a route. */
export function routeHref(route: Route): string {
  switch (route.name) {
    case "case":
      return `#/cases/${encodeURIComponent(route.id)}`;
    case "partner":
      return `#/partners/${encodeURIComponent(route.id)}`;
    default:
      return `#/${route.name}`;
  }
}

/** Goes to a route (adds a history entry, so Back works). */
export function navigate(route: Route): void {
  window.location.hash = routeHref(route);
}

/** Goes back if there is somewhere to go, otherwise to `fallback`. */
export function goBack(fallback: Route): void {
  if (window.history.length > 1) window.history.back();
  else navigate(fallback);
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener("hashchange", onChange);
  return () => window.removeEventListener("hashchange", onChange);
}

/** The current route, re-rendering on hash changes. */
export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash);
  return parseRoute(hash);
}
