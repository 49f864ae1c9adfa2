// Dev/test only: answers the IPC commands of ARCHITECTURE.md from a generated fixture, with the
// same filtering, sorting and paging rules the store applies, so the UI can be exercised without
// the Rust shell. Installed through `mockIPC`; never imported by the production entry.
import type {
  AccountInput,
  AccountView,
  Case,
  CaseDetail,
  CaseListPage,
  CasePatch,
  CaseQuery,
  CaseRow,
  CommentView,
  ConnectionTestResult,
  ConnectorInput,
  ConnectorView,
  ExceptionFacets,
  ExceptionPage,
  ExceptionQuery,
  ExceptionRow,
  ErrorCode,
  JobView,
  KeychainStatus,
  NewCaseInput,
  OutboxEdit,
  OutboxEntryView,
  OutboxOp,
  PartnerRow,
  SlaState,
  StatusCount,
  SyncStatus,
  Visibility,
} from "../bindings";
import { COMMAND_NAMES, type CommandName } from "../bindings/commands";
import { activityFor, makeFixture, type Fixture } from "./fixture";
import { caseFromException } from "./generated";
import { STATUS_LABELS } from "../lib/format";

const STATUS_ORDER = ["new", "open", "waiting_on_partner", "waiting_on_us", "resolved", "closed"];
const PRIORITY_ORDER = ["low", "normal", "high", "urgent"];

/** Options of the mock backend. */
export interface MockOptions {
  caseCount?: number;
  sync?: Partial<SyncStatus>;
  now?: number;
  /** Milliseconds every answer waits, to see loading states. */
  latencyMs?: number;
  /** The OS keychain answers (default true). */
  keychainAvailable?: boolean;
  /** Start with no accounts and no connectors. */
  noSettings?: boolean;
  /** The background jobs `background_jobs` reports (default: the sync job, running). */
  jobs?: JobView[];
}

/** Settings the mock keeps: views as listed, secrets apart (the "keychain"), never returned. */
export interface MockSettings {
  accounts: AccountView[];
  connectors: ConnectorView[];
  /** `account:<id>:key`, `account:<id>:secret`, `connector:<id>` -> secret. */
  keychain: Map<string, string>;
}

/** The mock backend: the fixture, the sync status, settings, and the command handler. */
export interface MockBackend {
  fixture: Fixture;
  sync: SyncStatus;
  settings: MockSettings;
  jobs: JobView[];
  /** Answers one command by name; an unknown name is an `ipc.failed` rejection, as in the app. */
  handle: (cmd: string, args?: Record<string, unknown>) => unknown;
}

function seedSettings(): MockSettings {
  const keychain = new Map<string, string>([
    ["account:acct-prod:key", "mock-key-prod"],
    ["account:acct-prod:secret", "mock-secret-prod"],
    ["account:acct-beta:key", "mock-key-beta"],
    ["account:acct-beta:secret", "mock-secret-beta-revoked"],
    ["connector:conn-sftp", "mock-sftp-password"],
    ["connector:conn-s3", "mock-s3-secret"],
  ]);
  return {
    accounts: [
      {
        id: "acct-prod",
        name: "ACME production",
        hostKind: "production",
        baseUrl: "https://apigrid.opentext.com",
        companyId: "GC00804444LX",
        consumerKeySet: true,
        consumerSecretSet: true,
        active: false,
        health: "ok",
      },
      {
        id: "acct-beta",
        name: "ACME beta (testing)",
        hostKind: "beta",
        baseUrl: "https://apibetagrid.opentext.com",
        companyId: "GC00804444LX",
        consumerKeySet: true,
        consumerSecretSet: true,
        active: false,
        health: "sign_in_needed",
      },
    ],
    connectors: [
      {
        id: "conn-sftp",
        name: "Carrier POD drop folder",
        settings: {
          kind: "sftp",
          host: "sftp.tidewater-freight.example",
          port: 22,
          user: "demoretail",
          auth: { kind: "password" },
          remote_dir: "/outbound/pod",
        },
        secretSet: true,
      },
      {
        id: "conn-s3",
        name: "Case archive",
        settings: {
          kind: "s3",
          endpoint: null,
          region: "eu-central-1",
          bucket: "demoretail-case-archive",
          access_key_id: "AKIAIOSFODNN7EXAMPLE",
        },
        secretSet: true,
      },
      {
        id: "conn-drupal",
        name: "Partner knowledge base",
        settings: { kind: "drupal", base_url: "https://support.demoretail.example", auth: { kind: "oauth", client_id: "partnerdesk" } },
        secretSet: false,
      },
    ],
    keychain,
  };
}

const HOSTS: Record<string, string> = {
  production: "https://apigrid.opentext.com",
  beta: "https://apibetagrid.opentext.com",
};

function slaState(c: Case, now: number): SlaState {
  if (c.status === "resolved" || c.status === "closed" || !c.slaDue) return "none";
  const due = Date.parse(c.slaDue);
  if (due <= now) return "breached";
  if (due - now < 24 * 3_600_000) return "at_risk";
  return "on_track";
}

function err(code: ErrorCode, message: string): never {
  throw { code, message };
}

function isCommandName(cmd: string): cmd is CommandName {
  return (COMMAND_NAMES as readonly string[]).includes(cmd);
}

/** Builds a backend over a fresh fixture. */
export function createMockBackend(options: MockOptions = {}): MockBackend {
  const now = () => options.now ?? Date.now();
  const fixture = makeFixture(options.caseCount ?? 400, options.now ?? Date.now());
  const userName = new Map(fixture.users.map((u) => [u.loginId, `${u.firstName} ${u.lastName}`]));
  const keychainAvailable = options.keychainAvailable ?? true;
  const settings: MockSettings = options.noSettings
    ? { accounts: [], connectors: [], keychain: new Map() }
    : seedSettings();
  const sync: SyncStatus = {
    workspaceName: "Demo workspace",
    isDemo: true,
    syncing: false,
    connectivity: "online",
    lastSyncedAt: new Date(now() - 2 * 60_000).toISOString(),
    lastError: null,
    pendingChanges: 0,
    failedChanges: 0,
    oldestPendingAt: null,
    keychainUnavailable: !keychainAvailable,
    ...options.sync,
  };
  const jobs: JobView[] = options.jobs ?? [
    {
      name: `Sync: ${sync.workspaceName}`,
      state: "running",
      restarts: 0,
      lastFailure: null,
      startedAt: new Date(now() - 2 * 3_600_000).toISOString(),
    },
  ];
  const fixedCounts = options.sync !== undefined && "pendingChanges" in options.sync;
  let nextId = 1;
  const newId = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${nextId++}`;

  /** The status the app sees: counts follow the outbox unless a test pinned them. */
  const syncStatus = (): SyncStatus => {
    if (fixedCounts) return { ...sync };
    const waiting = fixture.outbox.filter((e) => e.state !== "failed");
    return {
      ...sync,
      pendingChanges: waiting.length,
      failedChanges: fixture.outbox.length - waiting.length,
      oldestPendingAt: waiting.reduce<string | null>((min, e) => (min === null || e.createdAt < min ? e.createdAt : min), null),
    };
  };

  const caseCounts = (caseId: string) => {
    let pending = 0;
    let failed = 0;
    for (const e of fixture.outbox) {
      if (e.caseId !== caseId) continue;
      if (e.state === "failed") failed += 1;
      else pending += 1;
    }
    return { pending, failed };
  };

  /** Offline, a change waits in the outbox; online the mock "sends" it at once. */
  const queue = (c: Case, op: OutboxOp, summary: string): OutboxEntryView | null => {
    if (sync.connectivity !== "offline") return null;
    const e: OutboxEntryView = {
      opId: newId("op"),
      caseId: c.id,
      caseReference: c.reference,
      op,
      summary,
      state: "pending",
      attempts: 0,
      lastError: null,
      createdAt: new Date(now()).toISOString(),
    };
    fixture.outbox.push(e);
    return e;
  };

  const findCase = (id: string): Case =>
    fixture.cases.find((x) => x.id === id) ?? err("store.not_found", "This case is not in the local cache.");

  const patchWords = (patch: CasePatch): string => {
    const parts: string[] = [];
    if (patch.status) parts.push(`Status changed to ${STATUS_LABELS[patch.status]}`);
    if (patch.priority) parts.push(`Priority changed to ${patch.priority}`);
    if (patch.owner !== undefined) parts.push(patch.owner ? `Assigned to ${patch.owner}` : "Unassigned");
    if (patch.title) parts.push(`Title changed to \u201c${patch.title}\u201d`);
    return parts.join("; ");
  };

  /** The queued creation of a case made here, as the store queues it. */
  const newCaseOp = (c: Case, description: string | null): OutboxOp => ({
    op: "create_case",
    id: c.id,
    title: c.title,
    partnerId: c.partnerId,
    kind: c.kind,
    priority: c.priority,
    owner: c.owner,
    slaDue: c.slaDue,
    linkedTransactions: c.linkedTransactions,
    references: c.references,
    description,
  });

  const applyPatch = (c: Case, patch: CasePatch) => {
    if (patch.status) c.status = patch.status;
    if (patch.priority) c.priority = patch.priority;
    if (patch.owner !== undefined) c.owner = patch.owner;
    if (patch.title) c.title = patch.title;
    c.updatedAt = new Date(now()).toISOString();
  };

  const needKeychain = () => {
    if (!keychainAvailable)
      err("keychain.unavailable", "The system keychain is unavailable, so secrets cannot be read or saved.");
  };

  const toRow = (c: Case): CaseRow => {
    const l = { localOnly: fixture.local.get(c.id)?.localOnly ?? false, ...caseCounts(c.id) };
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
      thisComputerOnly: false,
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
      thisComputerOnly: false,
      conflicts: fixture.conflicts.get(id) ?? [],
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

  /** One case per command: a misspelt name or a missing command fails the type check. */
  const answer = (cmd: CommandName, args: Record<string, unknown>): unknown => {
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
        return syncStatus();
      case "sync_now":
        if (sync.connectivity === "offline") {
          return {
            ...sync,
            lastError: { code: "net.offline", message: "The server cannot be reached. Check your connection." },
          };
        }
        sync.lastSyncedAt = new Date(now()).toISOString();
        sync.lastError = null;
        return syncStatus();
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
          // What the real code sets on a case opened from an exception (generated fixture).
          status: caseFromException?.case.status ?? "new",
          priority: caseFromException?.case.priority ?? "normal",
          owner: caseFromException?.case.owner ?? null,
          slaDue: caseFromException
            ? caseFromException.case.slaDue && new Date(now() + Date.parse(caseFromException.case.slaDue) - Date.parse(caseFromException.case.createdAt)).toISOString()
            : new Date(now() + 3 * 24 * 3_600_000).toISOString(),
          createdAt: at,
          updatedAt: at,
          linkedTransactions: [tid],
          references: {
            poNumbers: row.poNumber ? [row.poNumber] : [],
            invoiceNumbers: row.invoiceNumber ? [row.invoiceNumber] : [],
            shipmentNumbers: row.shipmentNumber ? [row.shipmentNumber] : [],
          },
          version: 0,
        });
        fixture.local.set(id, { localOnly: true, pending: 1, failed: 0 });
        queue(fixture.cases[0], newCaseOp(fixture.cases[0], null), "Case created here");
        fixture.comments.set(id, []);
        fixture.documents.set(id, []);
        fixture.txnCases.set(tid, [id]);
        return id;
      }
      case "add_comment": {
        const caseId = args.caseId as string;
        const body = String(args.body ?? "").trim();
        if (!body) err("input.invalid", "A comment needs some text.");
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
        const queued = queue(
          findCase(caseId),
          { op: "add_comment", id: comment.id, author: comment.author, body, visibility: comment.visibility },
          `Comment: \u201c${body.slice(0, 60)}${body.length > 60 ? "\u2026" : ""}\u201d`,
        );
        if (queued) fixture.opComment.set(queued.opId, comment.id);
        return comment;
      }
      case "update_case": {
        const caseId = args.caseId as string;
        const patch = args.patch as CasePatch;
        const c = findCase(caseId);
        applyPatch(c, patch);
        queue(c, { op: "patch_case", ...patch }, patchWords(patch));
        return detail(caseId);
      }
      case "create_case": {
        const input = args.input as NewCaseInput;
        if (!input?.title?.trim()) err("input.invalid", "A case needs a title.");
        const partner =
          fixture.partners.find((p) => p.partnerCompanyId === input.partnerId) ??
          err("input.invalid", "Choose a partner from the directory.");
        const id = newId("case-local");
        const at = new Date(now()).toISOString();
        const c: Case = {
          id,
          reference: `CASE-2026-${String(fixture.cases.length + 1).padStart(6, "0")}`,
          title: input.title.trim(),
          partnerId: partner.partnerCompanyId,
          partnerName: partner.partnerCompanyName,
          kind: input.kind,
          status: "new",
          priority: input.priority,
          owner: input.owner,
          slaDue: null,
          createdAt: at,
          updatedAt: at,
          linkedTransactions: [],
          references: { poNumbers: [], invoiceNumbers: [], shipmentNumbers: [] },
          version: 0,
        };
        fixture.cases.unshift(c);
        fixture.local.set(id, { localOnly: sync.connectivity === "offline", pending: 0, failed: 0 });
        fixture.documents.set(id, []);
        fixture.comments.set(
          id,
          input.description
            ? [
                {
                  id: `${id}-c0`,
                  caseId: id,
                  author: "Ann Keller",
                  authorIsPartner: false,
                  body: input.description,
                  visibility: "partner",
                  createdAt: at,
                  sendState: sync.connectivity === "offline" ? "pending" : "sent",
                },
              ]
            : [],
        );
        queue(c, newCaseOp(c, input.description), "Case created here");
        return id;
      }
      case "link_transaction":
      case "unlink_transaction": {
        const c = findCase(args.caseId as string);
        const tid = String(args.transactionId ?? "").trim();
        if (!tid) err("input.invalid", "Enter a transaction id.");
        const linking = cmd === "link_transaction";
        if (linking && c.linkedTransactions.includes(tid)) err("input.invalid", "This transaction is already linked.");
        c.linkedTransactions = linking ? [...c.linkedTransactions, tid] : c.linkedTransactions.filter((t) => t !== tid);
        const others = (fixture.txnCases.get(tid) ?? []).filter((x) => x !== c.id);
        fixture.txnCases.set(tid, linking ? [...others, c.id] : others);
        queue(
          c,
          { op: linking ? "link_transaction" : "unlink_transaction", transactionId: tid },
          `${linking ? "Linked" : "Unlinked"} transaction ${tid}`,
        );
        return detail(c.id);
      }
      case "outbox_list":
        return fixture.outbox.map((e) => ({ ...e }));
      case "outbox_retry": {
        const opId = args.opId as string | null;
        for (const e of fixture.outbox) {
          if (e.state === "failed" && (opId === null || e.opId === opId)) e.state = "pending";
        }
        return null;
      }
      case "outbox_edit": {
        const e = fixture.outbox.find((x) => x.opId === args.opId) ?? err("store.not_found", "This change was already sent or discarded.");
        if (e.state !== "failed") err("store.invalid", "Only a change the server refused can be edited.");
        const edit = args.edit as OutboxEdit;
        if (e.op?.op === "add_comment" && edit.body) {
          e.op = { ...e.op, body: edit.body };
          const commentId = fixture.opComment.get(e.opId);
          const thread = fixture.comments.get(e.caseId) ?? [];
          const comment = thread.find((m) => m.id === commentId);
          if (comment) {
            comment.body = edit.body;
            comment.sendState = "pending";
          }
          e.summary = `Comment: \u201c${edit.body.slice(0, 60)}${edit.body.length > 60 ? "\u2026" : ""}\u201d`;
        } else if (e.op?.op === "patch_case" && edit.patch) {
          e.op = { op: "patch_case", ...edit.patch };
          applyPatch(findCase(e.caseId), edit.patch);
          e.summary = patchWords(edit.patch);
        } else {
          err("input.invalid", "Nothing to change in this entry.");
        }
        e.state = "pending";
        e.lastError = null;
        return null;
      }
      case "outbox_discard": {
        const e = fixture.outbox.find((x) => x.opId === args.opId) ?? err("store.not_found", "This change was already sent or discarded.");
        if (e.state === "in_flight") err("store.invalid", "This change is being sent right now.");
        fixture.outbox = fixture.outbox.filter((x) => x !== e);
        const commentId = fixture.opComment.get(e.opId);
        if (commentId) fixture.comments.set(e.caseId, (fixture.comments.get(e.caseId) ?? []).filter((m) => m.id !== commentId));
        if (e.op?.op === "create_case") fixture.cases = fixture.cases.filter((c) => c.id !== e.caseId);
        return null;
      }
      case "dismiss_conflict": {
        for (const [caseId, list] of fixture.conflicts) {
          fixture.conflicts.set(caseId, list.filter((c) => c.id !== args.conflictId));
        }
        return null;
      }
      case "keychain_status": {
        const status: KeychainStatus = keychainAvailable
          ? { available: true, code: null, message: null }
          : {
              available: false,
              code: "keychain.unavailable",
              message:
                "The system keychain (Secret Service) did not answer. Unlock your keyring or start your desktop's keyring service, then restart PartnerDesk.",
            };
        return status;
      }
      case "list_accounts":
        return settings.accounts.map((a) => ({ ...a }));
      case "save_account": {
        needKeychain();
        const input = args.input as AccountInput;
        if (!input.name.trim()) err("input.invalid", "Give the account a name.");
        if (!input.companyId.trim()) err("input.invalid", "Enter the company id (BUID).");
        const id = input.id ?? newId("acct");
        const existing = settings.accounts.find((a) => a.id === id);
        for (const [field, value] of [
          ["key", input.consumerKey],
          ["secret", input.consumerSecret],
        ] as const) {
          if (value === "") settings.keychain.delete(`account:${id}:${field}`);
          else if (value !== null) settings.keychain.set(`account:${id}:${field}`, value);
        }
        const view: AccountView = {
          id,
          name: input.name.trim(),
          hostKind: input.hostKind,
          baseUrl: input.hostKind === "custom" ? (input.customUrl ?? "") : HOSTS[input.hostKind],
          companyId: input.companyId.trim(),
          consumerKeySet: settings.keychain.has(`account:${id}:key`),
          consumerSecretSet: settings.keychain.has(`account:${id}:secret`),
          active: existing?.active ?? false,
          health: input.consumerSecret || input.consumerKey ? "unknown" : (existing?.health ?? "unknown"),
        };
        settings.accounts = existing ? settings.accounts.map((a) => (a.id === id ? view : a)) : [...settings.accounts, view];
        return view;
      }
      case "remove_account": {
        const id = args.id as string;
        settings.accounts = settings.accounts.filter((a) => a.id !== id);
        settings.keychain.delete(`account:${id}:key`);
        settings.keychain.delete(`account:${id}:secret`);
        return null;
      }
      case "switch_account": {
        const id = args.id as string | null;
        const target = id === null ? null : (settings.accounts.find((a) => a.id === id) ?? err("settings.not_found", "This account no longer exists."));
        settings.accounts = settings.accounts.map((a) => ({ ...a, active: a.id === id }));
        sync.isDemo = target === null;
        sync.workspaceName = target?.name ?? "Demo workspace";
        return syncStatus();
      }
      case "test_account": {
        const input = args.input as AccountInput;
        const id = input.id ?? "";
        const secret = input.consumerSecret || settings.keychain.get(`account:${id}:secret`);
        const key = input.consumerKey || settings.keychain.get(`account:${id}:key`);
        let result: ConnectionTestResult;
        if (!keychainAvailable && (!input.consumerKey || !input.consumerSecret))
          result = { ok: false, code: "keychain.unavailable", message: "The stored key and secret cannot be read: the system keychain is unavailable." };
        else if (!key || !secret)
          result = { ok: false, code: "account.secret_missing", message: "Enter the consumer key and secret." };
        else if (input.hostKind === "custom" && /unreachable|invalid/.test(input.customUrl ?? ""))
          result = { ok: false, code: "net.dns", message: `The host in ${input.customUrl} could not be found. Check the URL.` };
        else if (/revoked|wrong/.test(secret))
          result = {
            ok: false,
            code: "auth.unauthorized",
            message: "Trading Grid refused the consumer key or secret. Check them in the Trading Grid developer portal.",
          };
        else result = { ok: true, code: null, message: `Signed in to ${input.name || "Trading Grid"} (${input.companyId}).` };
        return result;
      }
      case "list_connectors":
        return settings.connectors.map((c) => ({ ...c }));
      case "save_connector": {
        needKeychain();
        const input = args.input as ConnectorInput;
        if (!input.name.trim()) err("input.invalid", "Give the connector a name.");
        const id = input.id ?? newId("conn");
        if (input.secret === "") settings.keychain.delete(`connector:${id}`);
        else if (input.secret !== null) settings.keychain.set(`connector:${id}`, input.secret);
        const view: ConnectorView = {
          id,
          name: input.name.trim(),
          settings: input.settings,
          secretSet: settings.keychain.has(`connector:${id}`),
        };
        const exists = settings.connectors.some((c) => c.id === id);
        settings.connectors = exists ? settings.connectors.map((c) => (c.id === id ? view : c)) : [...settings.connectors, view];
        return view;
      }
      case "remove_connector": {
        const id = args.id as string;
        settings.connectors = settings.connectors.filter((c) => c.id !== id);
        settings.keychain.delete(`connector:${id}`);
        return null;
      }
      case "test_connector": {
        const c = settings.connectors.find((x) => x.id === args.id) ?? err("settings.not_found", "This connector no longer exists.");
        const s = c.settings;
        let result: ConnectionTestResult;
        if (!c.secretSet && !(s.kind === "sftp" && s.auth.kind === "private_key"))
          result = { ok: false, code: "account.secret_missing", message: "No secret is stored for this connector. Edit it and enter one." };
        else if (s.kind === "sftp")
          result = { ok: true, code: null, message: `Connected to ${s.host}:${s.port} as ${s.user}; ${s.remote_dir ?? "the home folder"} can be read and written.` };
        else if (s.kind === "s3")
          result = { ok: true, code: null, message: `Bucket ${s.bucket} in ${s.region} is reachable and writable.` };
        else if (s.kind === "wix") result = { ok: true, code: null, message: `Site ${s.site_id} accepted the API key.` };
        else result = { ok: true, code: null, message: `Signed in to ${s.base_url}.` };
        return result;
      }
      case "background_jobs":
        return jobs.map((j) => ({ ...j }));
      default: {
        const unhandled: never = cmd;
        return err("ipc.failed", `The mock does not answer the command ${String(unhandled)}.`);
      }
    }
  };

  const handle = (cmd: string, args: Record<string, unknown> = {}): unknown =>
    isCommandName(cmd) ? answer(cmd, args) : err("ipc.failed", `Command ${cmd} not found`);

  return { fixture, sync, settings, jobs, handle };
}
