// Words for queued changes and conflicts: which case header fields a queued change touches, a
// conflict as a sentence, and how long the oldest change has waited.
import type { CasePatch, CaseStatus, ConflictView, OutboxEntryView, OutboxOp, Priority, User } from "../../bindings";
import { PRIORITY_LABELS, STATUS_LABELS, dateTime } from "../../lib/format";

/** Case header fields a local change can touch. */
export type PatchField = "status" | "priority" | "owner" | "slaDue" | "title";

/** Labels of header fields, as the case page names them. */
export const FIELD_LABELS: Record<PatchField, string> = {
  status: "Status",
  priority: "Priority",
  owner: "Owner",
  slaDue: "SLA due",
  title: "Title",
};

/** Where a field's change stands on a case: waiting to be sent, or refused by the server. */
export type FieldSendState = "pending" | "failed";

/** The header fields a queued field change sets (a field present in the patch; `null` clears it). */
export function fieldsOfPatch(patch: CasePatch): PatchField[] {
  return (Object.keys(FIELD_LABELS) as PatchField[]).filter((f) => patch[f] !== undefined);
}

/** Per header field of one case: whether a queued change to it waits or was refused. */
export function pendingFields(entries: readonly OutboxEntryView[], caseId: string): Map<PatchField, FieldSendState> {
  const out = new Map<PatchField, FieldSendState>();
  for (const e of entries) {
    if (e.caseId !== caseId || e.op?.op !== "patch_case") continue;
    const state: FieldSendState = e.state === "failed" ? "failed" : "pending";
    for (const f of fieldsOfPatch(e.op)) {
      // A refusal is the louder news: it needs the analyst, a pending change does not.
      if (out.get(f) !== "failed") out.set(f, state);
    }
  }
  return out;
}

/** A conflict value arrives JSON-encoded (`"resolved"`, `null`); plain text is taken as is. */
function decode(raw: string | null): unknown {
  if (raw === null) return null;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/** One side of a conflict in words. */
export function conflictValueWords(field: string, raw: string | null, users: readonly User[] = []): string {
  const value = decode(raw);
  if (value === null || value === undefined || value === "") {
    if (field === "owner") return "Unassigned";
    if (field === "slaDue") return "no SLA";
    return "empty";
  }
  const text = typeof value === "string" ? value : JSON.stringify(value);
  switch (field) {
    case "status":
      return STATUS_LABELS[text as CaseStatus] ?? text;
    case "priority":
      return PRIORITY_LABELS[text as Priority] ?? text;
    case "owner": {
      const u = users.find((x) => x.loginId === text);
      return u ? `${u.firstName} ${u.lastName}` : text;
    }
    case "slaDue":
      return dateTime(text) || text;
    default:
      return text;
  }
}

/** "Your change to Status (Resolved) was overtaken by a newer change on the server (Waiting on partner)." */
export function conflictSentence(c: ConflictView, users: readonly User[] = []): string {
  const label = FIELD_LABELS[c.field as PatchField] ?? c.field;
  return (
    `Your change to ${label} (${conflictValueWords(c.field, c.localValue, users)}) was overtaken by a newer ` +
    `change on the server (${conflictValueWords(c.field, c.serverValue, users)}).`
  );
}

/** "12 min", "3 h", "2 days": how long something has waited. */
export function waitedFor(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return "";
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return "";
  const ms = Math.max(0, now - then);
  const min = Math.round(ms / 60_000);
  if (min < 1) return "under a minute";
  if (min < 60) return `${min} min`;
  const h = Math.round(ms / 3_600_000);
  if (h < 24) return `${h} h`;
  const d = Math.round(ms / 86_400_000);
  return `${d} day${d === 1 ? "" : "s"}`;
}

/** A state pill label. */
export const OUTBOX_STATE_LABELS: Record<OutboxEntryView["state"], string> = {
  pending: "Waiting",
  in_flight: "Sending",
  failed: "Refused",
};

/** What kind of change each operation is, in a word. */
export const OUTBOX_OP_LABELS: Record<OutboxOp["op"], string> = {
  create_case: "New case",
  add_comment: "Comment",
  patch_case: "Field change",
  link_transaction: "Link",
  unlink_transaction: "Unlink",
  connector: "Connector",
  attach_document: "Document",
};

/** What kind of change an entry is, in a word (`null`: a stored change that could not be read). */
export function outboxOpLabel(op: OutboxOp | null): string {
  return op ? OUTBOX_OP_LABELS[op.op] : "Unreadable change";
}
