// One case: header, the shared thread with internal notes set apart, the comment box, field
// changes (status, priority, owner) with marks while they wait to be sent, conflicts with newer
// server values, documents, linking and unlinking transactions, and the activity timeline.
import { CaseOutsidePanel } from "../outside/CaseOutsidePanel";
import { useEffect, useMemo, useState, type ReactNode } from "react";
import type { CaseDetail, CommentView, ConflictView, Priority, CaseStatus, Transaction, Visibility } from "../../bindings";
import { conflictSentence, pendingFields, type FieldSendState, type PatchField } from "../outbox/outbox";
import {
  KIND_LABELS,
  PRIORITIES,
  PRIORITY_LABELS,
  STATUSES,
  STATUS_LABELS,
  dateTime,
  relativeTime,
} from "../../lib/format";
import { goBack, routeHref } from "../../lib/router";
import { useNow } from "../../lib/useDebounced";
import { Avatar, ErrorState, PriorityMark, SlaMark, Spinner, StatusPill } from "../../components/bits";
import { Options, Select } from "../../components/form";
import { InertText, visibleText } from "../../components/InertText";
import { contentKey } from "../exceptions/transactions";
import { emptyExceptionQuery, useExceptionList } from "../exceptions/hooks";
import { useOutbox } from "../outbox/hooks";
import { SlaPanel } from "../desk/SlaPanel";
import { rememberCase } from "../desk/palette";
import { useUsers } from "../partners/hooks";
import { UserOptions } from "../partners/UserOptions";
import { DocumentsPanel } from "../documents/DocumentsPanel";
import {
  useAddComment,
  useCase,
  useDismissConflict,
  useLinkTransaction,
  useUnlinkTransaction,
  useUpdateCase,
} from "./hooks";
import { CaseExports } from "../retention/CaseExports";

function Comment({ comment, now, kept }: { comment: CommentView; now: number; kept: boolean }) {
  const internal = comment.visibility === "internal";
  return (
    <article
      className={`comment${internal ? " comment-internal" : ""}${comment.authorIsPartner ? " comment-partner" : ""}`}
      data-testid="comment"
      data-visibility={comment.visibility}
      data-send-state={comment.sendState}
    >
      <Avatar name={comment.author} partner={comment.authorIsPartner} />
      <div className="comment-main">
        <header className="comment-head">
          <span className="comment-author"><InertText text={comment.author} /></span>
          {comment.authorIsPartner && <span className="badge badge-partner">Partner</span>}
          {internal && (
            <span className="badge badge-internal" data-testid="internal-label">
              Internal
            </span>
          )}
          <span className="muted" title={dateTime(comment.createdAt)}>
            {relativeTime(comment.createdAt, now)}
          </span>
          {comment.sendState === "pending" && !kept && (
            <span className="mark mark-pending" data-testid="comment-pending" title="Waiting to be sent">
              Pending
            </span>
          )}
          {comment.sendState === "failed" && (
            <span className="mark mark-failed" data-testid="comment-failed" title="The server refused this comment">
              Not sent
            </span>
          )}
        </header>
        <p className="comment-body"><InertText text={comment.body} /></p>
      </div>
    </article>
  );
}

function CommentBox({ caseId, localOnly, kept }: { caseId: string; localOnly: boolean; kept: boolean }) {
  const [body, setBody] = useState("");
  const [visibility, setVisibility] = useState<Visibility>("partner");
  const add = useAddComment(caseId, { onSuccess: () => setBody("") });
  const submit = () => {
    if (body.trim() && !add.isPending) add.mutate({ body: body.trim(), visibility });
  };
  const internal = visibility === "internal";
  return (
    <form
      className={`comment-box${internal ? " internal" : ""}`}
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <div className="segmented" role="radiogroup" aria-label="Who sees this comment">
        <button
          type="button"
          role="radio"
          aria-checked={!internal}
          className={!internal ? "on" : ""}
          onClick={() => setVisibility("partner")}
          data-testid="comment-visibility-partner"
        >
          Reply to partner
        </button>
        <button
          type="button"
          role="radio"
          aria-checked={internal}
          className={internal ? "on" : ""}
          onClick={() => setVisibility("internal")}
          data-testid="comment-visibility-internal"
        >
          Internal note
        </button>
      </div>
      <textarea
        className="textarea"
        rows={3}
        value={body}
        onChange={(e) => setBody(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            submit();
          }
        }}
        placeholder={
          internal ? "Note for colleagues only — the partner never sees it" : "Write a reply the partner will see"
        }
        aria-label="Comment"
        data-testid="comment-input"
      />
      <div className="comment-box-foot">
        <span className="muted small">
          {internal
            ? "Visible to your colleagues only."
            : kept
              ? "Kept on this computer with the case."
              : localOnly
              ? "Will be shared with the partner once the case is sent."
              : "Visible to the partner."}{" "}
          Ctrl+Enter to send.
        </span>
        {add.isError && (
          <span className="inline-error" role="alert">
            {add.error.message}
          </span>
        )}
        <button
          type="submit"
          className={`btn ${internal ? "btn-internal" : "btn-primary"}`}
          disabled={!body.trim() || add.isPending}
          data-testid="comment-submit"
        >
          {add.isPending ? <Spinner label="Sending" /> : null}
          {internal ? "Add internal note" : "Send to partner"}
        </button>
      </div>
    </form>
  );
}

/** The queued changes of one case, by header field (from the outbox list). */
function usePendingFields(caseId: string): Map<PatchField, FieldSendState> {
  const outbox = useOutbox();
  return useMemo(() => pendingFields(outbox.data ?? [], caseId), [outbox.data, caseId]);
}

/** "Pending" / "Not sent" beside a header field whose change has not reached the server. */
function FieldMark({ field, states }: { field: PatchField; states: Map<PatchField, FieldSendState> }) {
  const state = states.get(field);
  if (!state) return null;
  return state === "failed" ? (
    <a
      href={routeHref({ name: "outbox" })}
      className="mark mark-failed field-mark"
      data-testid={`field-failed-${field}`}
      title="The server refused this change: see the Outbox"
    >
      Not sent
    </a>
  ) : (
    <span className="mark mark-pending field-mark" data-testid={`field-pending-${field}`} title="Waiting to be sent">
      Pending
    </span>
  );
}

function Fields({ detail, marks }: { detail: CaseDetail; marks: Map<PatchField, FieldSendState> }) {
  const c = detail.case;
  const users = useUsers();
  const update = useUpdateCase(c.id);
  const ownerKnown = !c.owner || users.data?.some((u) => u.loginId === c.owner);
  return (
    <div className="panel">
      <h2 className="panel-title">Details</h2>
      <dl className="fields">
        <dt>
          <label htmlFor="case-status">Status</label>
          <FieldMark field="status" states={marks} />
        </dt>
        <dd>
          <Select<CaseStatus>
            id="case-status"
            value={c.status}
            disabled={update.isPending}
            onChange={(status) => update.mutate({ status })}
            testId="case-status-select"
          >
            <Options values={STATUSES} labels={STATUS_LABELS} />
          </Select>
        </dd>
        <dt>
          <label htmlFor="case-priority">Priority</label>
          <FieldMark field="priority" states={marks} />
        </dt>
        <dd>
          <Select<Priority>
            id="case-priority"
            value={c.priority}
            disabled={update.isPending}
            onChange={(priority) => update.mutate({ priority })}
            testId="case-priority-select"
          >
            <Options values={PRIORITIES} labels={PRIORITY_LABELS} />
          </Select>
        </dd>
        <dt>
          <label htmlFor="case-owner">Owner</label>
          <FieldMark field="owner" states={marks} />
        </dt>
        <dd>
          <Select
            id="case-owner"
            value={c.owner ?? ""}
            disabled={update.isPending}
            onChange={(owner) => update.mutate({ owner: owner === "" ? null : owner })}
            testId="case-owner-select"
          >
            <option value="">Unassigned</option>
            {!ownerKnown && c.owner && <option value={c.owner}>{detail.ownerName ?? c.owner}</option>}
            <UserOptions />
          </Select>
        </dd>
        <dt>Kind</dt>
        <dd>{KIND_LABELS[c.kind]}</dd>
        <dt>Opened</dt>
        <dd>{dateTime(c.createdAt)}</dd>
        <dt>
          SLA due
          <FieldMark field="slaDue" states={marks} />
        </dt>
        <dd>{c.slaDue ? dateTime(c.slaDue) : <span className="muted">No SLA</span>}</dd>
      </dl>
      {update.isPending && (
        <p className="muted small">
          <Spinner label="Saving" /> Saving…
        </p>
      )}
      {update.isError && (
        <p className="inline-error" role="alert">
          {update.error.message}
        </p>
      )}
    </div>
  );
}

function References({ detail }: { detail: CaseDetail }) {
  const r = detail.case.references;
  const groups: [string, string[]][] = [
    ["PO", r.poNumbers],
    ["Invoice", r.invoiceNumbers],
    ["Shipment", r.shipmentNumbers],
  ];
  const any = groups.some(([, v]) => v.length > 0);
  return (
    <div className="panel">
      <h2 className="panel-title">References</h2>
      {any ? (
        <dl className="fields">
          {groups
            .filter(([, v]) => v.length > 0)
            .map(([label, values]) => (
              <Fragmented key={label} label={label} values={values} />
            ))}
        </dl>
      ) : (
        <p className="muted small">No PO, invoice or shipment numbers.</p>
      )}
    </div>
  );
}

function Fragmented({ label, values }: { label: string; values: string[] }) {
  return (
    <>
      <dt>{label}</dt>
      <dd className="mono">{values.join(", ")}</dd>
    </>
  );
}

function TransactionCard({ t, action }: { t: Transaction; action?: ReactNode }) {
  const refs = [
    ["PO", contentKey(t, "purchase order number")],
    ["Invoice", contentKey(t, "invoice number")],
    ["Shipment", contentKey(t, "shipment identification")],
  ].filter(([, v]) => v) as [string, string][];
  return (
    <li className="txn" data-testid="linked-transaction">
      <div className="txn-head">
        <span className="badge badge-edi">{t.ediType ?? "EDI"}</span>
        <span className="truncate">
          {t.senderName ?? "?"} → {t.receiverName ?? "?"}
        </span>
        {t.errorCode && <span className="mark mark-failed mono">{t.errorCode}</span>}
        {action}
      </div>
      {t.externalErrorMessage && <p className="txn-message">{t.externalErrorMessage}</p>}
      <p className="muted small">
        {[t.deliveryStatus ?? t.status, ...refs.map(([k, v]) => `${k} ${v}`), t.arrivalTime ? dateTime(t.arrivalTime) : null]
          .filter(Boolean)
          .join(" · ")}
      </p>
    </li>
  );
}

function PartnerExceptions({
  detail,
  linked,
  onLink,
  busy,
}: {
  detail: CaseDetail;
  linked: Set<string>;
  onLink: (transactionId: string) => void;
  busy: boolean;
}) {
  const query = { ...emptyExceptionQuery(), partnerId: detail.case.partnerId, limit: 20 };
  const list = useExceptionList(query);
  if (list.isPending) return <p className="muted small">Loading <InertText text={detail.case.partnerName} />'s exceptions…</p>;
  if (list.isError) return <p className="inline-error">{list.error.message}</p>;
  const rows = list.data.rows.filter((r) => !linked.has(r.transaction.transactionId));
  if (rows.length === 0) return <p className="muted small">No other exceptions from <InertText text={detail.case.partnerName} />.</p>;
  return (
    <ul className="pick-list" data-testid="partner-exceptions">
      {rows.map((r) => (
        <li key={r.transaction.transactionId} className="pick-row" data-testid="partner-exception">
          <span className="pick-main">
            <span className="truncate">
              <span className="badge badge-edi">{r.transaction.ediType ?? "EDI"}</span>{" "}
              {r.transaction.errorCode && <span className="error-code mono">{r.transaction.errorCode}</span>}{" "}
              {r.poNumber && <span className="mono small">PO {r.poNumber}</span>}
            </span>
            <span className="muted small truncate" title={r.transaction.externalErrorMessage ?? undefined}>
              {r.transaction.externalErrorMessage ?? r.transaction.transactionId}
            </span>
          </span>
          <button
            type="button"
            className="btn btn-small"
            disabled={busy}
            onClick={() => onLink(r.transaction.transactionId)}
            data-testid="link-exception"
          >
            Link
          </button>
        </li>
      ))}
    </ul>
  );
}

function LinkedTransactions({ detail }: { detail: CaseDetail }) {
  const caseId = detail.case.id;
  const [txnId, setTxnId] = useState("");
  const [picking, setPicking] = useState(false);
  const link = useLinkTransaction(caseId, { onSuccess: () => setTxnId("") });
  const unlink = useUnlinkTransaction(caseId);
  const cached = new Set(detail.linkedTransactions.map((t) => t.transactionId));
  const missing = detail.case.linkedTransactions.filter((id) => !cached.has(id));
  const all = new Set([...cached, ...detail.case.linkedTransactions]);
  const n = all.size;
  const busy = link.isPending || unlink.isPending;
  const trimmed = txnId.trim();
  const unlinkButton = (id: string) => (
    <button
      type="button"
      className="btn btn-small btn-ghost txn-unlink"
      disabled={busy}
      onClick={() => unlink.mutate(id)}
      aria-label={`Unlink transaction ${id}`}
      data-testid="unlink-transaction"
    >
      Unlink
    </button>
  );
  return (
    <div className="panel">
      <h2 className="panel-title">
        Linked transactions <span className="panel-count">{n}</span>
      </h2>
      {n === 0 ? (
        <p className="muted small">No transactions linked.</p>
      ) : (
        <ul className="txn-list">
          {detail.linkedTransactions.map((t) => (
            <TransactionCard key={t.transactionId} t={t} action={unlinkButton(t.transactionId)} />
          ))}
          {missing.map((id) => (
            <li key={id} className="txn muted small" data-testid="linked-transaction">
              <div className="txn-head">
                <span className="truncate">
                  <span className="mono">{id}</span> — not in the local cache yet
                </span>
                {unlinkButton(id)}
              </div>
            </li>
          ))}
        </ul>
      )}
      <form
        className="link-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (trimmed && !all.has(trimmed) && !busy) link.mutate(trimmed);
        }}
      >
        <input
          className="input input-small"
          value={txnId}
          onChange={(e) => setTxnId(e.target.value)}
          placeholder="Transaction id"
          aria-label="Transaction id to link"
          data-testid="link-transaction-input"
        />
        <button
          type="submit"
          className="btn btn-small"
          disabled={!trimmed || all.has(trimmed) || busy}
          data-testid="link-transaction-submit"
        >
          Link
        </button>
      </form>
      {trimmed && all.has(trimmed) && <p className="muted small">This transaction is already linked.</p>}
      {(link.isError || unlink.isError) && (
        <p className="inline-error" role="alert">
          {(link.error ?? unlink.error)?.message}
        </p>
      )}
      <button
        type="button"
        className="btn btn-small btn-ghost link-toggle"
        aria-expanded={picking}
        onClick={() => setPicking(!picking)}
        data-testid="show-partner-exceptions"
      >
        {/* One text node: the button lays out its children apart (flex gap). */}
        {`${picking ? "Hide" : "Choose from"} ${visibleText(detail.case.partnerName)}'s exceptions`}
      </button>
      {picking && <PartnerExceptions detail={detail} linked={all} onLink={(id) => link.mutate(id)} busy={busy} />}
    </div>
  );
}

function Conflicts({ conflicts }: { conflicts: ConflictView[] }) {
  const users = useUsers();
  const dismiss = useDismissConflict();
  if (conflicts.length === 0) return null;
  return (
    <div className="conflicts" data-testid="conflicts">
      {conflicts.map((c) => (
        <div key={c.id} className="conflict" role="status" data-testid="conflict">
          <svg viewBox="0 0 20 20" aria-hidden="true">
            <path d="M6 3v9M6 12a2 2 0 1 0 0 4 2 2 0 0 0 0-4zM14 8a2 2 0 1 0 0-4 2 2 0 0 0 0 4zM14 8c0 3-3 3.5-8 4.5" />
          </svg>
          <span className="conflict-text">{conflictSentence(c, users.data ?? [])}</span>
          <button
            type="button"
            className="btn btn-small"
            onClick={() => dismiss.mutate(c.id)}
            disabled={dismiss.isPending && dismiss.variables === c.id}
            data-testid="conflict-dismiss"
          >
            Dismiss
          </button>
        </div>
      ))}
      {dismiss.isError && (
        <p className="inline-error" role="alert">
          {dismiss.error.message}
        </p>
      )}
    </div>
  );
}

function Activity({ detail, now }: { detail: CaseDetail; now: number }) {
  return (
    <div className="panel">
      <h2 className="panel-title">Activity</h2>
      {detail.activity.length === 0 ? (
        <p className="muted small">No activity yet.</p>
      ) : (
        <ol className="timeline">
          {detail.activity.map((a, i) => (
            <li key={`${a.at}-${i}`} data-testid="activity">
              <span className="timeline-dot" aria-hidden="true" />
              <span>
                <InertText text={a.summary} />
                <span className="muted small">
                  {" "}
                  {a.actor ? <><InertText text={a.actor} /> · </> : ""}
                  <span title={dateTime(a.at)}>{relativeTime(a.at, now)}</span>
                </span>
              </span>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

function DetailSkeleton() {
  return (
    <div className="case-detail" data-testid="loading" aria-busy="true">
      <div className="case-header">
        <span className="skeleton" style={{ width: 140 }} />
        <span className="skeleton skeleton-lg" style={{ width: "50%" }} />
        <span className="skeleton" style={{ width: "30%" }} />
      </div>
    </div>
  );
}

/** See the module comment. */
export function CaseDetailScreen({ id }: { id: string }) {
  // A comment just posted must read "just now", even between two ticks of the clock.
  const now = Math.max(useNow(30_000), Date.now());
  const detail = useCase(id);
  const marks = usePendingFields(id);
  const seen = detail.data?.case;
  useEffect(() => {
    if (seen) rememberCase({ id: seen.id, reference: seen.reference, title: seen.title });
  }, [seen]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (event.key !== "Escape") return;
      if (document.querySelector("[aria-modal='true']")) return;
      if (target && ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName)) {
        target.blur();
        return;
      }
      goBack({ name: "cases" });
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const back = (
    <a className="back-link" href={routeHref({ name: "cases" })} data-testid="back-to-cases">
      ← Cases
    </a>
  );

  let content: ReactNode;
  if (detail.isPending) content = <DetailSkeleton />;
  else if (detail.isError)
    content = <ErrorState error={detail.error} onRetry={() => void detail.refetch()} title="Could not open this case" />;
  else {
    const d = detail.data;
    const c = d.case;
    content = (
      <div className="case-detail">
        {d.thisComputerOnly ? (
          <div className="local-banner" role="status" data-testid="this-computer-only-banner">
            <strong>On this computer only.</strong> This account has no case server, so this case, its thread
            and its documents are kept here and sent nowhere. Add a case server in Settings to share it with your
            team.
          </div>
        ) : d.localOnly && (
          <div className="local-banner" role="status" data-testid="local-only-banner">
            <strong>Not yet shared with the partner.</strong> This case exists only on this computer; it will be
            shared when it reaches the server.
          </div>
        )}
        <Conflicts conflicts={d.conflicts ?? []} />
        <header className="case-header">
          <div className="case-header-top">
            <span className="mono muted" data-testid="case-reference">
              {c.reference}
            </span>
            <StatusPill status={c.status} />
            <PriorityMark priority={c.priority} />
            {d.sla?.paused ? (
              <span className="header-sla" data-testid="header-sla">
                <span className="muted">SLA</span>{" "}
                <span className="sla sla-paused" title="Waiting on the partner: the SLA clock is stopped">
                  Paused
                </span>
              </span>
            ) : (
              (d.sla?.nextDue ?? c.slaDue) && (
                <span className="header-sla" data-testid="header-sla">
                  <span className="muted">SLA</span>{" "}
                  <SlaMark due={d.sla?.nextDue ?? c.slaDue} state={d.slaState} now={now} />
                </span>
              )
            )}
          </div>
          <h1 className="case-title">
            <span data-testid="case-title"><InertText text={c.title} /></span>
            <FieldMark field="title" states={marks} />
          </h1>
          <div className="case-header-meta">
            <a href={routeHref({ name: "partner", id: c.partnerId })}><InertText text={c.partnerName} /></a>
            <span>·</span>
            <span>{KIND_LABELS[c.kind]}</span>
            <span>·</span>
            <span>{d.ownerName ?? c.owner ?? "Unassigned"}</span>
            <span>·</span>
            <span className="muted">Updated {relativeTime(c.updatedAt, now)}</span>
          </div>
        </header>
        <div className="case-columns">
          <div className="case-thread">
            <h2 className="section-title">
              Conversation <span className="panel-count">{d.comments.length}</span>
            </h2>
            {d.comments.length === 0 ? (
              <p className="muted">No comments yet. Start the conversation below.</p>
            ) : (
              <div className="thread" data-testid="thread">
                {d.comments.map((cm) => (
                  <Comment key={cm.id} comment={cm} now={now} kept={d.thisComputerOnly} />
                ))}
              </div>
            )}
            <CommentBox caseId={c.id} localOnly={d.localOnly} kept={d.thisComputerOnly} />
          </div>
          <aside className="case-side">
            <Fields detail={d} marks={marks} />
            {d.sla && <SlaPanel sla={d.sla} now={now} />}
            <References detail={d} />
            <LinkedTransactions detail={d} />
            <DocumentsPanel detail={d} />
            <CaseOutsidePanel caseId={c.id} />
            <CaseExports detail={d} />
            <Activity detail={d} now={now} />
          </aside>
        </div>
      </div>
    );
  }
  // The whole case view takes dropped files (its documents panel too, highlighted on its own).
  const target = detail.data
    ? {
        "data-drop-target": "case",
        "data-case-id": detail.data.case.id,
        "data-drop-label": `${detail.data.case.reference} · ${visibleText(detail.data.case.title)}`,
      }
    : {};
  return (
    <section className="screen screen-scroll" data-testid="case-view" {...target}>
      {back}
      {content}
    </section>
  );
}
