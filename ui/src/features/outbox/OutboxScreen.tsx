// The outbox: every change made here that the server has not accepted yet, oldest first, with
// what to do about each one (retry, edit a refused comment or field change, discard it).
import { useState, type ReactNode } from "react";
import type { CasePatch, CaseStatus, OutboxEdit, OutboxEntryView, Priority } from "../../bindings";
import { PRIORITIES, PRIORITY_LABELS, STATUSES, STATUS_LABELS, dateTime, relativeTime } from "../../lib/format";
import { OUTBOX_STATE_LABELS, outboxOpLabel, waitedFor } from "./outbox";
import { routeHref } from "../../lib/router";
import { useNow } from "../../lib/useDebounced";
import { EmptyState, ErrorState, SkeletonRows, Spinner } from "../../components/bits";
import { InertText } from "../../components/InertText";
import { ConfirmDialog, Dialog } from "../../components/Dialog";
import { Actions, Options, Select } from "../../components/form";
import { useSyncStatus } from "../../app/sync";
import { useUsers } from "../partners/hooks";
import { useOutbox, useOutboxDiscard, useOutboxEdit, useOutboxRetry } from "./hooks";

/** The frame both edit dialogs share: what was refused and why, and "Save and send again". */
function EditRefusedDialog({
  entry,
  title,
  edit,
  onClose,
  children,
}: {
  entry: OutboxEntryView;
  title: string;
  /** The rewritten change, or `null` while there is nothing to send. */
  edit: OutboxEdit | null;
  onClose: () => void;
  children: ReactNode;
}) {
  const save = useOutboxEdit(entry.opId, { onSuccess: onClose });
  return (
    <Dialog
      title={title}
      onClose={onClose}
      testId="outbox-edit-dialog"
      footer={
        <Actions
          error={save.error?.message}
          onCancel={onClose}
          primary={{
            label: "Save and send again",
            busy: save.isPending,
            busyLabel: "Saving",
            disabled: edit === null,
            onClick: () => {
              if (edit) save.mutate(edit);
            },
            testId: "outbox-edit-save",
          }}
        />
      }
    >
      <p className="muted small">
        {entry.caseReference} · refused: {entry.lastError ?? "the server did not accept it"}
      </p>
      {children}
    </Dialog>
  );
}

function EditCommentDialog({ entry, onClose }: { entry: OutboxEntryView; onClose: () => void }) {
  const original = entry.op?.op === "add_comment" ? entry.op.body : null;
  const [body, setBody] = useState<string | null>(null);
  const text = body ?? original ?? "";
  return (
    <EditRefusedDialog
      entry={entry}
      title="Edit the comment and send it again"
      edit={text.trim() ? { body: text.trim(), patch: null } : null}
      onClose={onClose}
    >
      <textarea
        className="textarea"
        rows={5}
        value={text}
        onChange={(e) => setBody(e.target.value)}
        aria-label="Comment"
        placeholder={original === null ? "Write the comment again" : undefined}
        data-testid="outbox-edit-body"
      />
    </EditRefusedDialog>
  );
}

function EditPatchDialog({ entry, onClose }: { entry: OutboxEntryView; onClose: () => void }) {
  const initial: CasePatch = entry.op?.op === "patch_case" ? entry.op : {};
  const [status, setStatus] = useState<string>(initial.status ?? "");
  const [priority, setPriority] = useState<string>(initial.priority ?? "");
  const [owner, setOwner] = useState<string>(
    initial.owner === undefined ? "*" : initial.owner === null ? "" : initial.owner,
  );
  const users = useUsers();
  const patch: CasePatch = {};
  if (status) patch.status = status as CaseStatus;
  if (priority) patch.priority = priority as Priority;
  if (owner !== "*") patch.owner = owner === "" ? null : owner;
  const empty = Object.keys(patch).length === 0;
  const ownerKnown = owner === "*" || owner === "" || users.data?.some((u) => u.loginId === owner);
  return (
    <EditRefusedDialog
      entry={entry}
      title="Edit the change and send it again"
      edit={empty ? null : { body: null, patch }}
      onClose={onClose}
    >
      <div className="form-grid">
        <label htmlFor="edit-status">Status</label>
        <Select id="edit-status" value={status} onChange={setStatus} testId="outbox-edit-status">
          <option value="">Leave unchanged</option>
          <Options values={STATUSES} labels={STATUS_LABELS} />
        </Select>
        <label htmlFor="edit-priority">Priority</label>
        <Select id="edit-priority" value={priority} onChange={setPriority} testId="outbox-edit-priority">
          <option value="">Leave unchanged</option>
          <Options values={PRIORITIES} labels={PRIORITY_LABELS} />
        </Select>
        <label htmlFor="edit-owner">Owner</label>
        <Select id="edit-owner" value={owner} onChange={setOwner} testId="outbox-edit-owner">
          <option value="*">Leave unchanged</option>
          <option value="">Unassigned</option>
          {!ownerKnown && <option value={owner}>{owner}</option>}
          {users.data?.map((u) => (
            <option key={u.loginId} value={u.loginId}>
              {u.firstName} {u.lastName}
            </option>
          ))}
        </Select>
      </div>
      {empty && <p className="inline-error">Choose at least one field to change, or discard the change instead.</p>}
    </EditRefusedDialog>
  );
}

function EntryRow({
  entry,
  now,
  onEdit,
  onDiscard,
}: {
  entry: OutboxEntryView;
  now: number;
  onEdit: () => void;
  onDiscard: () => void;
}) {
  const retry = useOutboxRetry();
  const failed = entry.state === "failed";
  const editable = failed && (entry.op?.op === "add_comment" || entry.op?.op === "patch_case");
  return (
    <li className={`outbox-entry outbox-${entry.state}`} data-testid="outbox-entry" data-state={entry.state}>
      <div className="outbox-entry-main">
        <div className="outbox-entry-head">
          <a href={routeHref({ name: "case", id: entry.caseId })} className="mono" data-testid="outbox-case-link">
            {entry.caseReference}
          </a>
          <span className="muted small">{outboxOpLabel(entry.op)}</span>
          <span className={`pill pill-outbox-${entry.state}`} data-testid="outbox-state">
            {entry.state === "in_flight" && <Spinner label="Sending" />}
            {OUTBOX_STATE_LABELS[entry.state]}
          </span>
          <span className="muted small outbox-meta">
            made <span title={dateTime(entry.createdAt)}>{relativeTime(entry.createdAt, now)}</span>
            {entry.attempts > 0 && (
              <>
                {" · "}
                <span data-testid="outbox-attempts">
                  {entry.attempts} attempt{entry.attempts === 1 ? "" : "s"}
                </span>
              </>
            )}
          </span>
        </div>
        <p className="outbox-summary" data-testid="outbox-summary">
          <InertText text={entry.summary} />
        </p>
        {entry.lastError && (
          <p className={failed ? "outbox-error" : "muted small"} data-testid="outbox-error">
            {failed ? "The server refused it: " : "Last try failed: "}
            {entry.lastError}
          </p>
        )}
        {retry.isError && (
          <p className="inline-error" role="alert">
            {retry.error.message}
          </p>
        )}
      </div>
      <div className="outbox-actions">
        {failed && (
          <button
            type="button"
            className="btn btn-small btn-primary"
            onClick={() => retry.mutate(entry.opId)}
            disabled={retry.isPending}
            data-testid="outbox-retry"
          >
            Retry
          </button>
        )}
        {editable && (
          <button type="button" className="btn btn-small" onClick={onEdit} data-testid="outbox-edit">
            Edit
          </button>
        )}
        {entry.state !== "in_flight" && (
          <button type="button" className="btn btn-small btn-ghost-danger" onClick={onDiscard} data-testid="outbox-discard">
            Discard
          </button>
        )}
      </div>
    </li>
  );
}

/** See the module comment. */
export function OutboxScreen() {
  const now = Math.max(useNow(30_000), Date.now());
  const sync = useSyncStatus();
  const list = useOutbox({ poll: true });
  const [editing, setEditing] = useState<OutboxEntryView | null>(null);
  const [discarding, setDiscarding] = useState<OutboxEntryView | null>(null);
  const retryAll = useOutboxRetry();
  const discard = useOutboxDiscard({ onSuccess: () => setDiscarding(null) });

  const entries = [...(list.data ?? [])].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const failed = entries.filter((e) => e.state === "failed").length;
  const waiting = entries.length - failed;
  const oldestPending =
    sync.data?.oldestPendingAt ?? entries.find((e) => e.state !== "failed")?.createdAt ?? null;

  let body;
  if (list.isPending) body = <SkeletonRows rows={4} />;
  else if (list.isError)
    body = <ErrorState error={list.error} onRetry={() => void list.refetch()} title="Could not read the outbox" />;
  else if (entries.length === 0)
    body = (
      <EmptyState
        title="Everything has been sent."
        detail="Changes you make while offline, or that the server refuses, wait here until they are sent."
      />
    );
  else
    body = (
      <ul className="outbox-list" data-testid="outbox-list">
        {entries.map((e) => (
          <EntryRow
            key={e.opId}
            entry={e}
            now={now}
            onEdit={() => setEditing(e)}
            onDiscard={() => {
              discard.reset();
              setDiscarding(e);
            }}
          />
        ))}
      </ul>
    );

  return (
    <section className="screen screen-scroll" aria-labelledby="outbox-heading">
      <div className="screen-head">
        <h1 id="outbox-heading">Outbox</h1>
        {list.data && (
          <span className="screen-count" data-testid="outbox-count">
            {waiting} waiting{failed > 0 ? ` · ${failed} refused` : ""}
          </span>
        )}
        {waiting > 0 && oldestPending && (
          <span className="muted" data-testid="outbox-oldest" title={dateTime(oldestPending)}>
            oldest waiting {waitedFor(oldestPending, now)}
          </span>
        )}
        <span className="top-bar-spacer" />
        {retryAll.isError && (
          <span className="inline-error" role="alert">
            {retryAll.error.message}
          </span>
        )}
        {failed > 0 && (
          <button
            type="button"
            className="btn"
            onClick={() => retryAll.mutate(null)}
            disabled={retryAll.isPending}
            data-testid="outbox-retry-all"
          >
            Retry all failed
          </button>
        )}
      </div>
      {sync.data?.connectivity === "offline" && entries.length > 0 && (
        <p className="muted" data-testid="outbox-offline-note">
          You're offline: these changes are kept here and sent when the connection returns.
        </p>
      )}
      {body}
      {editing &&
        (editing.op?.op === "add_comment" ? (
          <EditCommentDialog entry={editing} onClose={() => setEditing(null)} />
        ) : (
          <EditPatchDialog entry={editing} onClose={() => setEditing(null)} />
        ))}
      {discarding && (
        <ConfirmDialog
          title="Discard this change?"
          message={
            <>
              Discard this change? It will be undone here and never sent.
              <span className="confirm-detail">
                {discarding.caseReference} · {discarding.summary}
              </span>
            </>
          }
          confirmLabel="Discard change"
          cancelLabel="Keep it"
          busy={discard.isPending}
          error={discard.isError ? discard.error.message : null}
          onCancel={() => setDiscarding(null)}
          onConfirm={() => discard.mutate(discarding.opId)}
        />
      )}
    </section>
  );
}
