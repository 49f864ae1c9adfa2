// Dev/test only: answers the IPC commands of ARCHITECTURE.md from a generated fixture, with the
// same filtering, sorting and paging rules the store applies, so the UI can be exercised without
// the Rust shell. Installed through `mockIPC`; never imported by the production entry.
import type {
  Case,
  CaseDetail,
  CaseListPage,
  CasePatch,
  CaseQuery,
  CaseRow,
  CommentView,
  ExceptionFacets,
  ExceptionPage,
  ExceptionQuery,
  ExceptionRow,
  PartnerRow,
  SlaState,
  StatusCount,
  SyncStatus,
  Visibility,
} from "../bindings";
import { activityFor, makeFixture, type Fixture } from "./fixture";

const STATUS_ORDER = ["new", "open", "waiting_on_partner", "waiting_on_us", "resolved", "closed"];
const PRIORITY_ORDER = ["low", "normal", "high", "urgent"];

/** Options of the mock backend. */
export interface MockOptions {
  caseCount?: number;
  sync?: Partial<SyncStatus>;
  now?: number;
  /** Milliseconds every answer waits, to see loading states. */
  latencyMs?: number;
}

/** The mock backend: the fixture, the sync status, and the command handler. */
export interface MockBackend {
  fixture: Fixture;
  sync: SyncStatus;
  handle: (cmd: string, args?: Record<string, unknown>) => unknown;
}

function slaState(c: Case, now: number): SlaState {
  if (c.status === "resolved" || c.status === "closed" || !c.slaDue) return "none";
  const due = Date.parse(c.slaDue);
  if (due <= now) return "breached";
  if (due - now < 24 * 3_600_000) return "at_risk";
  return "on_track";
}

function err(code: string, message: string): never {
  throw { code, message };
}

/** Builds a backend over a fresh fixture. */
export function createMockBackend(options: MockOptions = {}): MockBackend {
  const now = () => options.now ?? Date.now();
  const fixture = makeFixture(options.caseCount ?? 400, options.now ?? Date.now());
  const userName = new Map(fixture.users.map((u) => [u.loginId, `${u.firstName} ${u.lastName}`]));
  const sync: SyncStatus = {
    workspaceName: "Demo workspace",
    isDemo: true,
    syncing: false,
    connectivity: "online",
    lastSyncedAt: new Date(now() - 2 * 60_000).toISOString(),
    lastError: null,
    pendingChanges: 0,
    failedChanges: 0,
    ...options.sync,
  };

  const toRow = (c: Case): CaseRow => {
    const l = fixture.local.get(c.id) ?? { localOnly: false, pending: 0, failed: 0 };
    return {
      id: c.id,
      reference: c.reference,
      title: c.title,
      partnerId: c.partnerId,
      partnerName: c.partnerName,
      kind: c.kind,
      status: c.status,
      priority: c.priority,
      owner: c.owner,
      ownerName: c.owner ? (userName.get(c.owner) ?? null) : null,
      slaDue: c.slaDue,
      slaState: slaState(c, now()),
      updatedAt: c.updatedAt,
      pendingChanges: l.pending,
      failedChanges: l.failed,
      localOnly: l.localOnly,
    };
  };

  const matches = (c: Case, q: CaseQuery, ignoreStatus: boolean): boolean => {
    if (!ignoreStatus && q.statuses.length && !q.statuses.includes(c.status)) return false;
    if (q.partnerIds.length && !q.partnerIds.includes(c.partnerId)) return false;
    if (q.kinds.length && !q.kinds.includes(c.kind)) return false;
    if (q.owners.length && !q.owners.includes(c.owner ?? "")) return false;
    if (q.slaBreached && slaState(c, now()) !== "breached") return false;
    if (q.search) {
      const needle = q.search.toLowerCase();
      const hay = [
        c.title,
        c.partnerName,
        c.reference,
        ...c.references.poNumbers,
        ...c.references.invoiceNumbers,
        ...c.references.shipmentNumbers,
        ...(fixture.comments.get(c.id) ?? []).map((m) => m.body),
      ]
        .join(" ")
        .toLowerCase();
      if (!needle.split(/\s+/).every((w) => hay.includes(w))) return false;
    }
    return true;
  };

  const sortKey = (c: Case, q: CaseQuery): string | number => {
    switch (q.sort) {
      case "reference":
        return c.reference;
      case "title":
        return c.title.toLowerCase();
      case "partner":
        return c.partnerName.toLowerCase();
      case "kind":
        return c.kind;
      case "status":
        return STATUS_ORDER.indexOf(c.status);
      case "priority":
        return PRIORITY_ORDER.indexOf(c.priority);
      case "owner":
        return c.owner ?? "\uffff";
      case "sla_due":
        return c.slaDue ?? "\uffff";
      default:
        return c.updatedAt;
    }
  };

  const listCases = (q: CaseQuery): CaseListPage => {
    const hits = fixture.cases.filter((c) => matches(c, q, false));
    hits.sort((a, b) => {
      const ka = sortKey(a, q);
      const kb = sortKey(b, q);
      const cmp = ka < kb ? -1 : ka > kb ? 1 : a.reference.localeCompare(b.reference);
      return q.descending ? -cmp : cmp;
    });
    const limit = q.limit || 200;
    return { rows: hits.slice(q.offset, q.offset + limit).map(toRow), total: hits.length, offset: q.offset };
  };

  const counts = (q: CaseQuery): StatusCount[] => {
    const by = new Map<string, number>();
    for (const c of fixture.cases) if (matches(c, q, true)) by.set(c.status, (by.get(c.status) ?? 0) + 1);
    return STATUS_ORDER.map((s) => ({ status: s as StatusCount["status"], count: by.get(s) ?? 0 }));
  };

  const detail = (id: string): CaseDetail => {
    const c = fixture.cases.find((x) => x.id === id) ?? err("store.not_found", "This case is not in the local cache.");
    const thread = fixture.comments.get(id) ?? [];
    const docs = fixture.documents.get(id) ?? [];
    return {
      case: c,
      ownerName: c.owner ? (userName.get(c.owner) ?? null) : null,
      slaState: slaState(c, now()),
      comments: thread,
      documents: docs,
      linkedTransactions: fixture.transactions.filter((t) => c.linkedTransactions.includes(t.transactionId)),
      activity: activityFor(c, thread, docs),
      localOnly: fixture.local.get(id)?.localOnly ?? false,
    };
  };

  const exceptionRow = (t: Fixture["transactions"][number]): ExceptionRow => {
    const pid = fixture.txnPartner.get(t.transactionId) ?? null;
    const key = (name: string) => t.contentKeys.find((k) => k.key === name)?.value ?? null;
    return {
      transaction: t,
      partnerId: pid,
      partnerName: fixture.partners.find((p) => p.partnerCompanyId === pid)?.partnerCompanyName ?? null,
      poNumber: key("purchase order number"),
      invoiceNumber: key("invoice number"),
      shipmentNumber: key("shipment identification"),
      caseIds: fixture.txnCases.get(t.transactionId) ?? [],
    };
  };

  const listExceptions = (q: ExceptionQuery): ExceptionPage => {
    const rows = fixture.transactions.map(exceptionRow).filter((r) => {
      if (q.partnerId && r.partnerId !== q.partnerId) return false;
      if (q.ediTypes.length && !q.ediTypes.includes(r.transaction.ediType ?? "")) return false;
      if (q.errorCode && r.transaction.errorCode !== q.errorCode) return false;
      if (q.search) {
        const hay = [r.partnerName, r.transaction.externalErrorMessage, r.poNumber, r.invoiceNumber, r.shipmentNumber]
          .join(" ")
          .toLowerCase();
        if (!hay.includes(q.search.toLowerCase())) return false;
      }
      return true;
    });
    const limit = q.limit || 200;
    return { rows: rows.slice(q.offset, q.offset + limit), total: rows.length, offset: q.offset };
  };

  const facets = (): ExceptionFacets => ({
    ediTypes: [...new Set(fixture.transactions.map((t) => t.ediType ?? ""))].filter(Boolean).sort(),
    errorCodes: [...new Set(fixture.transactions.map((t) => t.errorCode ?? ""))].filter(Boolean).sort(),
  });

  const partnerRow = (id: string): PartnerRow => {
    const partner =
      fixture.partners.find((p) => p.partnerCompanyId === id) ?? err("store.not_found", "This partner is not in the directory.");
    return {
      partner,
      openCases: fixture.cases.filter((c) => c.partnerId === id && c.status !== "resolved" && c.status !== "closed").length,
      exceptions: [...fixture.txnPartner.values()].filter((p) => p === id).length,
    };
  };

  const handle = (cmd: string, args: Record<string, unknown> = {}): unknown => {
    switch (cmd) {
      case "list_cases":
        return listCases(args.query as CaseQuery);
      case "case_status_counts":
        return counts(args.query as CaseQuery);
      case "get_case":
        return detail(args.id as string);
      case "list_exceptions":
        return listExceptions(args.query as ExceptionQuery);
      case "exception_facets":
        return facets();
      case "list_partners": {
        const search = ((args.search as string | null) ?? "").toLowerCase();
        return fixture.partners
          .filter((p) => !search || p.partnerCompanyName.toLowerCase().includes(search))
          .map((p) => partnerRow(p.partnerCompanyId))
          .sort((a, b) => a.partner.partnerCompanyName.localeCompare(b.partner.partnerCompanyName));
      }
      case "get_partner":
        return partnerRow(args.id as string);
      case "list_users":
        return fixture.users;
      case "sync_status":
        return { ...sync };
      case "sync_now":
        if (sync.connectivity === "offline") {
          return {
            ...sync,
            lastError: { code: "net.offline", message: "The server cannot be reached. Check your connection." },
          };
        }
        sync.lastSyncedAt = new Date(now()).toISOString();
        sync.lastError = null;
        return { ...sync };
      case "create_case_from_exception": {
        const tid = args.transactionId as string;
        const existing = fixture.txnCases.get(tid);
        if (existing?.length) return existing[0];
        const t = fixture.transactions.find((x) => x.transactionId === tid) ?? err("store.not_found", "Unknown transaction.");
        const row = exceptionRow(t);
        const id = `case-local-${fixture.cases.length + 1}`;
        const at = new Date(now()).toISOString();
        fixture.cases.unshift({
          id,
          reference: `CASE-2026-${String(fixture.cases.length + 1).padStart(6, "0")}`,
          title: `${t.ediType} ${t.errorCode ?? "delivery failure"}: ${t.externalErrorMessage ?? "transaction failed"}`,
          partnerId: row.partnerId ?? "",
          partnerName: row.partnerName ?? "Unknown partner",
          kind: t.ediType === "810" || t.ediType === "INVOIC" ? "invoice" : t.ediType === "856" || t.ediType === "DESADV" ? "shipment" : "order",
          status: "new",
          priority: "normal",
          owner: null,
          slaDue: new Date(now() + 3 * 24 * 3_600_000).toISOString(),
          createdAt: at,
          updatedAt: at,
          linkedTransactions: [tid],
          references: {
            poNumbers: row.poNumber ? [row.poNumber] : [],
            invoiceNumbers: row.invoiceNumber ? [row.invoiceNumber] : [],
            shipmentNumbers: row.shipmentNumber ? [row.shipmentNumber] : [],
          },
          version: 0n,
        });
        fixture.local.set(id, { localOnly: true, pending: 1, failed: 0 });
        fixture.comments.set(id, []);
        fixture.documents.set(id, []);
        fixture.txnCases.set(tid, [id]);
        return id;
      }
      case "add_comment": {
        const caseId = args.caseId as string;
        const body = String(args.body ?? "").trim();
        if (!body) err("validation.empty", "A comment needs some text.");
        const comment: CommentView = {
          id: `${caseId}-local-${Math.floor(Math.random() * 1e9)}`,
          caseId,
          author: "Ann Keller",
          authorIsPartner: false,
          body,
          visibility: args.visibility as Visibility,
          createdAt: new Date(now()).toISOString(),
          sendState: sync.connectivity === "offline" ? "pending" : "sent",
        };
        fixture.comments.set(caseId, [...(fixture.comments.get(caseId) ?? []), comment]);
        return comment;
      }
      case "update_case": {
        const caseId = args.caseId as string;
        const patch = args.patch as CasePatch;
        const c = fixture.cases.find((x) => x.id === caseId) ?? err("store.not_found", "This case is not in the local cache.");
        if (patch.status) c.status = patch.status;
        if (patch.priority) c.priority = patch.priority;
        if (patch.owner !== undefined) c.owner = patch.owner;
        if (patch.title) c.title = patch.title;
        c.updatedAt = new Date(now()).toISOString();
        return detail(caseId);
      }
      default:
        return err("ipc.unknown_command", `The app does not know the command ${cmd}.`);
    }
  };

  return { fixture, sync, handle };
}
