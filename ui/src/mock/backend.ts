// Dev/test only: answers the IPC commands with what the real code answered. The answers of the
// case, exception, partner and outbox commands, and of a few changes, are written by a Rust test
// (src-tauri/crates/app/tests/fixtures.rs) into generated/answers.json, keyed by the command and
// its arguments; the mock looks them up and computes nothing. Only settings, background jobs and
// the sync status's connection are kept here, as plain state a test or the preview sets.
// Installed through `mockIPC`; never imported by the production entry.
import type {
  AttachedFile,
  AttachReport,
  CaseListPage,
  DropView,
  CaseQuery,
  CaseRow,
  DeskSettings,
  OpenRoute,
  CaseServerSettings,
  CaseServerView,
  ConnectionTestResult,
  ErrorCode,
  HostKeyCheck,
  HostKeyFingerprint,
  ErrorInfo,
  JobView,
  KeychainStatus,
  Notice,
  SyncStatus,
  TransferView,
  DeliveryTarget,
  DeliveryView,
} from "../bindings";
import { COMMAND_NAMES, type CommandName, type makeCommands } from "../bindings/commands";
import { mockFingerprint, seedDesk, seedJobs, seedSettings, KEYCHAIN_UNAVAILABLE, type MockSettings } from "./fixture";

type Camel<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;
type Client = ReturnType<typeof makeCommands>;
/** What a command answers, as the generated client declares it. */
export type Answer<C extends CommandName> = Awaited<ReturnType<Client[Camel<C>]>>;

/** A recorded answer, as the window receives it: the value or the `{code, message}` rejection. */
type Outcome = { ok: unknown } | { err: ErrorInfo };
interface Recorded {
  /** The clock the answers were made at. */
  now: string;
  /** `<command> <arguments as JSON with sorted keys>` -> answer. */
  answers: Record<string, Outcome>;
  /** A change's key -> its answer and the answers it changed. */
  changes: Record<string, { answer: Outcome; changed: Record<string, Outcome> }>;
}

const files = import.meta.glob<{ default: Recorded }>("./generated/answers.json", { eager: true });
const recorded: Recorded = files["./generated/answers.json"].default;

/** Options of the mock backend. */
export interface MockOptions {
  /** Fields of `sync_status` to pin over the recorded one (connection, last error, counts). */
  sync?: Partial<SyncStatus>;
  /** The clock: recorded times are moved so the recording's "now" is this (default: now). */
  now?: number;
  /** The OS keychain answers (default true). */
  keychainAvailable?: boolean;
  /** Start with no accounts and no connectors. */
  noSettings?: boolean;
  /** The background jobs `background_jobs` reports (default: the sync job, running). */
  jobs?: JobView[];
  /** The notices `notices` reports (default: none). */
  notices?: Notice[];
  /** The transfers `transfers_list` reports (default: none). */
  transfers?: TransferView[];
  /** What `pick_files` answers (default: the dialog is cancelled). */
  picked?: DropView | null;
  /** What `attach_drop` says of a file by its name (default: queued for upload). */
  attachOutcomes?: Record<string, AttachedFile["result"]>;
  /** The desktop settings (default: a fresh install's). */
  desk?: DeskSettings;
  /** Where "Send to partner…" can send (`delivery_targets`; default: nowhere). */
  deliveryTargets?: DeliveryTarget[];
  /** Deliveries to partner inboxes already made (`case_deliveries`; default: none). */
  deliveries?: DeliveryView[];
}

/** The desktop settings and the waiting navigation request the mock keeps. */
export interface MockDesk {
  settings: DeskSettings;
  openRequest: OpenRoute | null;
}

/** The query `my_open_cases` sends the store for `me` (as desk.rs builds it). */
export function mineQuery(me: string): CaseQuery {
  return {
    search: null,
    statuses: ["new", "open", "waiting_on_partner", "waiting_on_us"],
    partnerIds: [],
    kinds: [],
    owners: [me],
    slaBreached: false,
    slaAtRisk: false,
    sort: "sla_due",
    descending: false,
    offset: 0,
    limit: 2000,
  };
}

/** The mock backend: recorded answers, settings, jobs, and the command handler. */
export interface MockBackend {
  /** Fields of the sync status pinned over the recorded one. */
  sync: Partial<SyncStatus>;
  settings: MockSettings;
  jobs: JobView[];
  /** Desktop settings and the waiting navigation request. */
  desk: MockDesk;
  /** The answer to `cmd` with `args` now (a rejection when none was recorded). */
  answer: <C extends CommandName>(cmd: C, args?: Record<string, unknown>) => Answer<C>;
  /** Replaces the answer to `cmd` with `args`, for a test's own scenario. */
  setAnswer: <C extends CommandName>(cmd: C, args: Record<string, unknown>, value: Answer<C>) => void;
  /** The arguments of every recorded call of `cmd`, queries and changes. */
  recordedArgs: (cmd: CommandName) => Record<string, unknown>[];
  /** Answers one command by name; an unknown name or call is an `ipc.failed` rejection. */
  handle: (cmd: string, args?: Record<string, unknown>) => unknown;
  /** Keeps a drop as the app does when files are dropped (for a test's `pd://drag`). */
  registerDrop: (drop: DropView) => void;
}

/** JSON with object keys sorted at every level, as the Rust test writes the keys. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/** An account's case server as `list_accounts` shows it (no credentials kept in the preview). */
function caseServerView(settings: CaseServerSettings, hostUrl: string): CaseServerView {
  return {
    settings,
    baseUrl: settings.kind === "url" ? settings.url : settings.kind === "trading_grid_host" ? hostUrl : null,
    clientIdSet: false,
    clientSecretSet: false,
  };
}

function keyOf(cmd: string, args: Record<string, unknown> = {}): string {
  return `${cmd} ${canonical(args)}`;
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** A copy of `value` with every timestamp moved by `ms`. */
function shifted<T>(value: T, ms: number): T {
  if (ms === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return TIMESTAMP.test(v) ? new Date(Date.parse(v) + ms).toISOString() : v;
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

function err(code: ErrorCode, message: string): never {
  throw { code, message } satisfies ErrorInfo;
}

function unwrap(outcome: Outcome): unknown {
  if ("err" in outcome) throw outcome.err;
  return structuredClone(outcome.ok);
}

function isCommandName(cmd: string): cmd is CommandName {
  return (COMMAND_NAMES as readonly string[]).includes(cmd);
}

/** Builds a backend over the recorded answers. */
export function createMockBackend(options: MockOptions = {}): MockBackend {
  const delta = (options.now ?? Date.now()) - Date.parse(recorded.now);
  const answers = new Map(Object.entries(shifted(recorded.answers, delta)));
  const changes = new Map(Object.entries(shifted(recorded.changes, delta)));
  const keychainAvailable = options.keychainAvailable ?? true;
  const settings: MockSettings = options.noSettings
    ? { accounts: [], connectors: [], keychain: new Map(), tests: new Map(), serverKeys: new Map() }
    : seedSettings();
  const sync: Partial<SyncStatus> = { keychainUnavailable: !keychainAvailable, ...options.sync };
  const jobs = options.jobs ?? seedJobs(Date.now());
  let notices: Notice[] = options.notices ?? [];
  // Documents (issue 10): which are kept offline, and the transfers list; plain state here.
  const offline = new Set<string>();
  const transfers: TransferView[] = options.transfers ?? [];
  // Deliveries to partner SFTP inboxes (issue 11): the targets and what was sent.
  const deliveryTargets: DeliveryTarget[] = options.deliveryTargets ?? [];
  const deliveries: DeliveryView[] = options.deliveries ?? [];
  // Drops waiting for `attach_drop` (the app keeps their paths; the window only their ids).
  const drops = new Map<string, DropView>();
  let nextId = 1;
  const desk: MockDesk = { settings: options.desk ?? seedDesk(), openRequest: null };
  /** The chosen colleague's open cases, as recorded (none for a colleague not recorded). */
  const mine = (): CaseRow[] => {
    const me = desk.settings.me;
    if (!me) return [];
    try {
      return (lookup("list_cases", { query: mineQuery(me) }) as CaseListPage).rows;
    } catch {
      return [];
    }
  };

  const lookup = (cmd: CommandName, args: Record<string, unknown>): unknown => {
    const key = keyOf(cmd, args);
    const change = changes.get(key);
    if (change) {
      for (const [k, v] of Object.entries(change.changed)) answers.set(k, v);
      return unwrap(change.answer);
    }
    const outcome = answers.get(key);
    if (!outcome)
      err("ipc.failed", `The mock has no recorded answer for ${key}. Record it in src-tauri/crates/app/tests/fixtures.rs.`);
    return unwrap(outcome);
  };

  const syncStatus = (): SyncStatus => ({ ...(lookup("sync_status", {}) as SyncStatus), ...sync });

  const serverKey = (host: string, port: number): string => settings.serverKeys.get(`${host}:${port}`) ?? mockFingerprint(host, port);

  /** What the app answers for an SFTP connector whose server's key is not the accepted one (in
   * the words of pd-connectors), or null. */
  const hostKeyRefusal = (id: string): ConnectionTestResult | null => {
    const s = settings.connectors.find((c) => c.id === id)?.settings;
    if (s?.kind !== "sftp") return null;
    const presented = serverKey(s.host, s.port);
    const server = s.port === 22 ? s.host : `[${s.host}]:${s.port}`;
    const check = (accepted: HostKeyFingerprint | null): HostKeyCheck => ({
      host: s.host,
      port: s.port,
      presented: { keyType: "ED25519", fingerprint: presented },
      accepted,
    });
    if (!s.host_key)
      return {
        ok: false,
        code: "ssh.host_key_unknown",
        message: `The authenticity of host '${server}' can't be established. ED25519 key fingerprint is ${presented}. Compare it with the fingerprint the partner gave you and accept the key to connect; until then nothing (no password, no key) is sent to this server.`,
        hostKey: check(null),
      };
    if (s.host_key.fingerprint !== presented)
      return {
        ok: false,
        code: "ssh.host_key_changed",
        message: `The host key of '${server}' has changed! The server now presents ED25519 key ${presented}, but the key accepted for this connector is ED25519 key ${s.host_key.fingerprint}. Someone may be intercepting the connection, or the partner replaced its server key: nothing (no password, no key) was sent. Confirm the new fingerprint with the partner before accepting it.`,
        hostKey: check({ keyType: "ED25519", fingerprint: s.host_key.fingerprint }),
      };
    return null;
  };

  /** Settings, jobs and the connection live here; everything else is recorded. */
  const answer = (cmd: CommandName, args: Record<string, unknown>): unknown => {
    switch (cmd) {
      case "sync_status":
      case "sync_now":
        return syncStatus();
      case "keychain_status": {
        const status: KeychainStatus = keychainAvailable ? { available: true, code: null, message: null } : KEYCHAIN_UNAVAILABLE;
        return status;
      }
      case "list_accounts":
        return settings.accounts.map((a) => ({ ...a }));
      case "save_account": {
        const input = args.input as Parameters<Client["saveAccount"]>[0];
        const id = input.id ?? `acct-local-${nextId++}`;
        const existing = settings.accounts.find((a) => a.id === id);
        for (const [field, value] of [["key", input.consumerKey], ["secret", input.consumerSecret]] as const) {
          if (value === "") settings.keychain.delete(`account:${id}:${field}`);
          else if (value !== null) settings.keychain.set(`account:${id}:${field}`, value);
        }
        const view = {
          id,
          name: input.name,
          hostKind: input.hostKind,
          baseUrl: input.customUrl ?? existing?.baseUrl ?? "",
          companyId: input.companyId,
          consumerKeySet: settings.keychain.has(`account:${id}:key`),
          consumerSecretSet: settings.keychain.has(`account:${id}:secret`),
          active: existing?.active ?? false,
          health: existing?.health ?? "unknown",
          caseServer: caseServerView(
            input.caseServer?.settings ?? existing?.caseServer.settings ?? { kind: "none" },
            input.customUrl ?? existing?.baseUrl ?? "",
          ),
          probe: existing?.probe ?? null,
        } satisfies Answer<"save_account">;
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
        const target = settings.accounts.find((a) => a.id === id) ?? null;
        settings.accounts = settings.accounts.map((a) => ({ ...a, active: a.id === id }));
        sync.isDemo = target === null;
        sync.workspaceName = target?.name ?? "Demo workspace";
        return syncStatus();
      }
      case "test_account": {
        // The preview's stand-in for Trading Grid: a secret with "wrong" or "revoked" in it is refused.
        const input = args.input as Parameters<Client["testAccount"]>[0];
        const secret = input.consumerSecret || settings.keychain.get(`account:${input.id ?? ""}:secret`) || "";
        const result: ConnectionTestResult = /revoked|wrong/.test(secret)
          ? {
              ok: false,
              code: "auth.unauthorized",
              message: "Trading Grid refused the consumer key or secret. Check them in the Trading Grid developer portal.",
            }
          : { ok: true, code: null, message: `Signed in to ${input.name} (${input.companyId}).` };
        return result;
      }
      case "list_connectors":
        return settings.connectors.map((c) => ({ ...c }));
      // Connector work: none set up in the preview; a case shows where a notice or article would go.
      case "connector_work_list":
      case "aside_items":
        return [];
      case "case_outside":
        return {
          publications: [],
          origins: [],
          noticeDraft: { title: "", affected: "", nextSteps: "", expectedResolution: "" },
          articleDraft: { title: "", body: "", tags: [] },
          noticeTarget: null,
          articleTarget: null,
        } satisfies Answer<"case_outside">;
      case "save_connector": {
        const input = args.input as Parameters<Client["saveConnector"]>[0];
        const id = input.id ?? `conn-local-${nextId++}`;
        if (input.secret === "") settings.keychain.delete(`connector:${id}`);
        else if (input.secret !== null) settings.keychain.set(`connector:${id}`, input.secret);
        // As the app: a form never sets a host key; the accepted one stays while host and port do.
        const before = settings.connectors.find((c) => c.id === id)?.settings;
        const form = input.settings;
        const kept =
          form.kind === "sftp" && before?.kind === "sftp" && before.host === form.host && before.port === form.port ? before.host_key : undefined;
        const view = {
          id,
          name: input.name,
          settings: form.kind === "sftp" ? { ...form, host_key: kept } : form,
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
        const refused = hostKeyRefusal(args.id as string);
        return refused ?? settings.tests.get(args.id as string) ?? { ok: true, code: null, message: "Connected." };
      }
      case "accept_host_key": {
        const c = settings.connectors.find((x) => x.id === args.connectorId) ?? err("settings.not_found", "That connector no longer exists.");
        const s = c.settings;
        if (s.kind !== "sftp") return err("input.invalid", `${c.name} is not an SFTP connector: it has no host key.`);
        const presented = serverKey(s.host, s.port);
        if (presented !== args.fingerprint)
          return err(
            "ssh.host_key_changed",
            `${s.host}:${s.port} now presents ED25519 key ${presented}, not the ${String(args.fingerprint)} you compared. Nothing was accepted. Test the connection again and compare the new fingerprint with the partner.`,
          );
        const view = {
          ...c,
          settings: { ...s, host_key: { algorithm: "ssh-ed25519", public_key: "AAAAC3NzaC1lZDI1NTE5AAAAIMock", fingerprint: presented } },
        } satisfies Answer<"accept_host_key">;
        settings.connectors = settings.connectors.map((x) => (x.id === c.id ? view : x));
        return view;
      }
      case "background_jobs":
        return jobs.map((j) => ({ ...j }));
      // The desktop settings are plain state here; "Mine" is the recorded list of the chosen
      // colleague's open cases (fixtures.rs records it for the busiest owner).
      case "desk_settings":
        return structuredClone(desk.settings);
      case "save_desk_settings":
        desk.settings = structuredClone(args.desk as DeskSettings);
        return structuredClone(desk.settings);
      case "pause_notifications":
        desk.settings = { ...desk.settings, notifications: { ...desk.settings.notifications, paused: args.paused as boolean } };
        return structuredClone(desk.settings);
      case "take_open_request": {
        const open = desk.openRequest;
        desk.openRequest = null;
        return open;
      }
      case "open_link":
        return err("input.invalid", "The preview cannot open links.");
      case "my_open_cases":
        return mine();
      case "my_work_counts": {
        const rows = mine();
        const status = lookup("sync_status", {}) as SyncStatus;
        return {
          breached: rows.filter((r) => r.slaState === "breached").length,
          atRisk: rows.filter((r) => r.slaState === "at_risk").length,
          waitingOnUs: rows.filter((r) => r.status === "new" || r.status === "open" || r.status === "waiting_on_us").length,
          failedActions: sync.failedChanges ?? status.failedChanges,
          meUnknown: desk.settings.me === null,
        };
      }
      // The preview's workspaces share with their server; nothing is kept on this computer.
      case "local_case_count":
      case "share_local_cases":
        return 0;
      case "notices":
        return structuredClone(notices);
      case "dismiss_notice": {
        const id = args.id as string;
        if (!notices.some((n) => n.id === id)) err("input.invalid", "That notice was already dismissed.");
        notices = notices.filter((n) => n.id !== id);
        return null;
      }
      case "offline_documents": {
        const detail = lookup("get_case", { id: args.caseId }) as { documents: { id: string }[] };
        return detail.documents.filter((d) => offline.has(d.id)).map((d) => d.id);
      }
      case "open_document":
        offline.add(args.documentId as string);
        return { documentId: args.documentId, path: `/home/analyst/.local/share/partnerdesk/documents/${String(args.documentId)}` };
      case "save_document_as":
        offline.add(args.documentId as string);
        return null;
      case "document_link":
        return `https://s3.example.com/evidence/${String(args.documentId)}?X-Amz-Expires=604800`;
      case "pick_files": {
        const picked = options.picked ?? null;
        if (picked) drops.set(picked.id, picked);
        return structuredClone(picked);
      }
      case "discard_drop":
        drops.delete(args.dropId as string);
        return null;
      case "attach_drop": {
        const drop = drops.get(args.dropId as string) ?? err("drop.unknown", "Those files are no longer waiting to be attached: drop or pick them again.");
        const target = args.target as { kind: string; caseId?: string };
        if (drop.needsConfirmation && !args.confirmed)
          err("drop.needs_confirmation", `This drop brings ${drop.files.length} files from folders: confirm that all of them should be attached.`);
        drops.delete(drop.id);
        const caseId = target.caseId ?? `case-local-${nextId++}`;
        const report: AttachReport = {
          caseId,
          files: drop.files.map((f) => {
            const result = options.attachOutcomes?.[f.name] ?? {
              outcome: "queued",
              transferId: `upload:mock-${nextId}`,
              documentId: `doc-mock-${nextId++}`,
              route: f.size > 20 * 1024 * 1024 ? "s3" : "collab",
            };
            if (result.outcome === "queued")
              transfers.unshift({
                id: result.transferId,
                direction: "upload",
                name: f.name,
                caseId,
                state: "queued",
                doneBytes: 0,
                totalBytes: f.size,
                bytesPerSecond: 0,
                secondsLeft: null,
                error: null,
                queuedAt: new Date().toISOString(),
              });
            return { name: f.name, size: f.size, folder: f.folder, result };
          }),
        };
        return report;
      }
      case "share_case_package":
        return {
          bucket: "evidence",
          key: `partnerdesk/packages/${String(args.caseId)}.zip`,
          link: `https://s3.example.com/evidence/${String(args.caseId)}.zip?X-Amz-Expires=604800`,
          size: 48_213,
          sha256: "0".repeat(64),
          commentId: "package-comment",
          expiresAt: new Date(Date.now() + 7 * 86_400_000).toISOString(),
        };
      case "delivery_targets":
        return structuredClone(deliveryTargets);
      case "case_deliveries":
        return deliveries.filter((d) => d.caseId === args.caseId).map((d) => structuredClone(d));
      case "deliver_document": {
        const target = deliveryTargets.find((t) => t.connectorId === args.connectorId);
        if (!target) err("delivery.no_inbox", "No SFTP connector has a partner inbox: set one in Settings → Connector work (an SFTP connector, its partner inbox folder).");
        const detail = lookup("get_case", { id: args.caseId }) as { documents: { id: string; name: string; size: number }[] };
        const doc = detail.documents.find((d) => d.id === args.documentId);
        if (!doc) err("store.not_found", "That document is no longer on the case.");
        const delivery: DeliveryView = {
          id: `mock-delivery-${nextId++}`,
          caseId: args.caseId as string,
          documentId: doc.id,
          documentName: doc.name,
          connectorId: target.connectorId,
          connectorName: target.name,
          inbox: target.inbox,
          remoteName: null,
          state: "queued",
          error: null,
          size: doc.size,
          queuedAt: new Date().toISOString(),
          sentAt: null,
        };
        deliveries.unshift(delivery);
        return structuredClone(delivery);
      }
      case "transfers_list":
        return { transfers: structuredClone(transfers) };
      case "watch_transfers":
        return null;
      case "transfer_action": {
        if (!transfers.some((t) => t.id === args.transferId)) err("transfer.unknown", "That transfer is no longer in the list.");
        return null;
      }
      default:
        return lookup(cmd, args);
    }
  };

  return {
    sync,
    settings,
    jobs,
    desk,
    answer: (cmd, args = {}) => lookup(cmd, args) as never,
    setAnswer: (cmd, args, value) => answers.set(keyOf(cmd, args), { ok: value }),
    recordedArgs: (cmd) =>
      [...Object.keys(recorded.answers), ...Object.keys(recorded.changes)]
        .filter((key) => key.startsWith(`${cmd} `))
        .map((key) => JSON.parse(key.slice(cmd.length + 1)) as Record<string, unknown>),
    handle: (cmd, args = {}) => (isCommandName(cmd) ? answer(cmd, args) : err("ipc.failed", `Command ${cmd} not found`)),
    registerDrop: (drop) => void drops.set(drop.id, structuredClone(drop)),
  };
}
