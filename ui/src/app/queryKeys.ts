// Query keys in one place. The first element of every key is a root that `TOPIC_ROOTS`
// (app/changes.ts) maps change topics to, so invalidation never needs to know a key's details.
import type { CaseQuery, ExceptionQuery, ExportQuery, LedgerQuery } from "../bindings";

/** The roots query keys start with. */
export type QueryRoot = "cases" | "exceptions" | "partners" | "sync" | "outbox" | "settings" | "jobs" | "exports" | "documents" | "folders";

function key<const T extends readonly unknown[]>(root: QueryRoot, ...rest: T) {
  return [root, ...rest] as const;
}

/** Query keys, each under the root that the change topics invalidate. */
export const keys = {
  casePage: (q: CaseQuery, page: number) => key("cases", "page", { ...q, offset: 0, limit: 0 }, page),
  caseCounts: (q: CaseQuery) => key("cases", "counts", q),
  caseDetail: (id: string) => key("cases", "detail", id),
  localCaseCount: () => key("cases", "local-count"),
  exceptionPage: (q: ExceptionQuery, page: number) => key("exceptions", "page", { ...q, offset: 0, limit: 0 }, page),
  exceptionFacets: () => key("exceptions", "facets"),
  partners: (search: string | null) => key("partners", "list", search),
  partner: (id: string) => key("partners", "detail", id),
  users: () => key("partners", "users"),
  sync: () => key("sync"),
  outbox: () => key("outbox", "list"),
  keychain: () => key("settings", "keychain"),
  accounts: () => key("settings", "accounts"),
  connectors: () => key("settings", "connectors"),
  jobs: () => key("jobs", "list"),
  notices: () => key("settings", "notices"),
  caseOutside: (id: string) => key("cases", "outside", id),
  connectorWork: () => key("settings", "connector-work"),
  asideItems: () => key("settings", "aside"),
  exports: (q: ExportQuery) => key("exports", "list", q),
  retentionPolicy: () => key("exports", "policy"),
  offlineDocuments: (caseId: string) => key("documents", "offline", caseId),
  // Deliveries to partner SFTP inboxes (issue 11): the inboxes (from Settings) and a case's.
  deliveryTargets: () => key("settings", "delivery-targets"),
  caseDeliveries: (caseId: string) => key("documents", "deliveries", caseId),
  folders: () => key("folders", "list"),
  ledger: (q: LedgerQuery) => key("folders", "ledger", q),
  routingRules: () => key("folders", "rules"),
  ledgerEdi: (ledgerId: number) => key("folders", "edi", ledgerId),
  desk: () => key("settings", "desk"),
  myCases: () => key("cases", "mine"),
  myCounts: () => key("cases", "mine-counts"),
};

/** Rows fetched per window of a virtualized list. */
export const PAGE_SIZE = 100;
