// The one door to the Rust side. Every Tauri command has one typed function here; nothing else in
// the UI calls `invoke`. Errors always come out as an `IpcError` carrying the `{code, message}`
// the shell sends, so screens can show the message and branch on the stable code.
import { invoke } from "@tauri-apps/api/core";
import type {
  AccountInput,
  AccountView,
  CaseDetail,
  CaseListPage,
  CasePatch,
  CaseQuery,
  CommentView,
  ConnectionTestResult,
  ConnectorInput,
  ConnectorView,
  ErrorInfo,
  ExceptionFacets,
  ExceptionPage,
  ExceptionQuery,
  KeychainStatus,
  NewCaseInput,
  OutboxEdit,
  OutboxEntryView,
  PartnerRow,
  StatusCount,
  SyncStatus,
  User,
  Visibility,
} from "../bindings";

/** A failed command, with the shell's stable code and an analyst-readable message. */
export class IpcError extends Error implements ErrorInfo {
  readonly code: string;

  constructor(info: ErrorInfo) {
    super(info.message);
    this.name = "IpcError";
    this.code = info.code;
  }
}

function isErrorInfo(value: unknown): value is ErrorInfo {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as ErrorInfo).code === "string" &&
    typeof (value as ErrorInfo).message === "string"
  );
}

/** Turns whatever a rejected `invoke` produced into an `IpcError`. */
export function toIpcError(raw: unknown): IpcError {
  if (raw instanceof IpcError) return raw;
  if (isErrorInfo(raw)) return new IpcError(raw);
  if (typeof raw === "string") return new IpcError({ code: "ipc.failed", message: raw });
  if (raw instanceof Error) return new IpcError({ code: "ipc.failed", message: raw.message });
  return new IpcError({ code: "ipc.failed", message: "The app did not answer as expected." });
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (raw) {
    throw toIpcError(raw);
  }
}

/** The default case query: everything, most recently updated first. */
export function emptyCaseQuery(): CaseQuery {
  return {
    search: null,
    statuses: [],
    partnerIds: [],
    kinds: [],
    owners: [],
    slaBreached: false,
    sort: "updated",
    descending: true,
    offset: 0,
    limit: 0,
  };
}

/** The default exceptions query: the whole inbox. */
export function emptyExceptionQuery(): ExceptionQuery {
  return { search: null, partnerId: null, ediTypes: [], errorCode: null, offset: 0, limit: 0 };
}

/** Typed wrappers, one per command of the IPC contract (ARCHITECTURE.md). */
export const ipc = {
  listCases: (query: CaseQuery) => call<CaseListPage>("list_cases", { query }),
  caseStatusCounts: (query: CaseQuery) => call<StatusCount[]>("case_status_counts", { query }),
  getCase: (id: string) => call<CaseDetail>("get_case", { id }),
  listExceptions: (query: ExceptionQuery) => call<ExceptionPage>("list_exceptions", { query }),
  exceptionFacets: () => call<ExceptionFacets>("exception_facets"),
  listPartners: (search: string | null) => call<PartnerRow[]>("list_partners", { search }),
  getPartner: (id: string) => call<PartnerRow>("get_partner", { id }),
  listUsers: () => call<User[]>("list_users"),
  syncStatus: () => call<SyncStatus>("sync_status"),
  syncNow: () => call<SyncStatus>("sync_now"),
  createCaseFromException: (transactionId: string) =>
    call<string>("create_case_from_exception", { transactionId }),
  addComment: (caseId: string, body: string, visibility: Visibility) =>
    call<CommentView>("add_comment", { caseId, body, visibility }),
  updateCase: (caseId: string, patch: CasePatch) =>
    call<CaseDetail>("update_case", { caseId, patch }),
  createCase: (input: NewCaseInput) => call<string>("create_case", { input }),
  linkTransaction: (caseId: string, transactionId: string) =>
    call<CaseDetail>("link_transaction", { caseId, transactionId }),
  unlinkTransaction: (caseId: string, transactionId: string) =>
    call<CaseDetail>("unlink_transaction", { caseId, transactionId }),
  outboxList: () => call<OutboxEntryView[]>("outbox_list"),
  /** `null` retries every failed entry. */
  outboxRetry: (opId: string | null) => call<null>("outbox_retry", { opId }),
  outboxEdit: (opId: string, edit: OutboxEdit) => call<null>("outbox_edit", { opId, edit }),
  outboxDiscard: (opId: string) => call<null>("outbox_discard", { opId }),
  dismissConflict: (conflictId: string) => call<null>("dismiss_conflict", { conflictId }),
  keychainStatus: () => call<KeychainStatus>("keychain_status"),
  listAccounts: () => call<AccountView[]>("list_accounts"),
  saveAccount: (input: AccountInput) => call<AccountView>("save_account", { input }),
  removeAccount: (id: string) => call<null>("remove_account", { id }),
  /** `null` opens the demo workspace. */
  switchAccount: (id: string | null) => call<SyncStatus>("switch_account", { id }),
  testAccount: (input: AccountInput) => call<ConnectionTestResult>("test_account", { input }),
  listConnectors: () => call<ConnectorView[]>("list_connectors"),
  saveConnector: (input: ConnectorInput) => call<ConnectorView>("save_connector", { input }),
  removeConnector: (id: string) => call<null>("remove_connector", { id }),
  testConnector: (id: string) => call<ConnectionTestResult>("test_connector", { id }),
};

/**
 * Secret fields in `AccountInput` / `ConnectorInput`: `null` keeps the stored value, a string
 * replaces it, and this empty string asks the shell to delete the stored value.
 */
export const REMOVE_SECRET = "";
