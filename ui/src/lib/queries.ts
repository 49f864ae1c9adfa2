// Query keys and query options in one place, so the `pd://changed` hook can invalidate by topic:
// the first element of every key is the topic that makes it stale.
import type { CaseQuery, ExceptionQuery } from "../bindings";
import { ipc, type ChangeTopic } from "./ipc";

/** Query keys, grouped by the change topic that invalidates them. */
export const keys = {
  casePage: (q: CaseQuery, page: number) => ["cases", "page", { ...q, offset: 0, limit: 0 }, page] as const,
  caseCounts: (q: CaseQuery) => ["cases", "counts", q] as const,
  caseDetail: (id: string) => ["cases", "detail", id] as const,
  exceptionPage: (q: ExceptionQuery, page: number) =>
    ["exceptions", "page", { ...q, offset: 0, limit: 0 }, page] as const,
  exceptionFacets: () => ["exceptions", "facets"] as const,
  partners: (search: string | null) => ["partners", "list", search] as const,
  partner: (id: string) => ["partners", "detail", id] as const,
  users: () => ["partners", "users"] as const,
  sync: () => ["sync"] as const,
  outbox: () => ["outbox", "list"] as const,
  keychain: () => ["settings", "keychain"] as const,
  accounts: () => ["settings", "accounts"] as const,
  connectors: () => ["settings", "connectors"] as const,
};

/**
 * Which key roots each topic makes stale. Outbox changes move pending/failed marks on cases; a
 * sync may send or refuse queued changes, so it refreshes the outbox too, and it can find an
 * account's credentials refused, so it refreshes the accounts' health in Settings.
 */
export const topicRoots: Record<ChangeTopic, string[]> = {
  cases: ["cases", "partners", "outbox"],
  exceptions: ["exceptions", "partners"],
  partners: ["partners"],
  sync: ["sync", "outbox", "settings"],
  outbox: ["cases", "sync", "outbox"],
};

/** Rows fetched per window of a virtualized list. */
export const PAGE_SIZE = 100;

/** Query options for one window of the case list. */
export function casePageQuery(q: CaseQuery, page: number) {
  return {
    queryKey: keys.casePage(q, page),
    queryFn: () => ipc.listCases({ ...q, offset: page * PAGE_SIZE, limit: PAGE_SIZE }),
  };
}

/** Query options for one window of the exceptions inbox. */
export function exceptionPageQuery(q: ExceptionQuery, page: number) {
  return {
    queryKey: keys.exceptionPage(q, page),
    queryFn: () => ipc.listExceptions({ ...q, offset: page * PAGE_SIZE, limit: PAGE_SIZE }),
  };
}
