// Small presentational pieces every screen shares: pills, marks, skeletons, empty and error
// states. One place for their look keeps the screens consistent.
import type { ReactNode } from "react";
import type { CaseStatus, Priority, SlaState } from "../bindings";
import { IpcError } from "../lib/ipc";
import { PRIORITY_LABELS, STATUS_LABELS, dateTime, overdueText, relativeTime } from "../lib/format";

/** The coloured status pill. */
export function StatusPill({ status }: { status: CaseStatus }) {
  return (
    <span className={`pill pill-${status}`} data-testid="status-pill">
      {STATUS_LABELS[status]}
    </span>
  );
}

/** Priority with a small bar icon; high and urgent stand out. */
export function PriorityMark({ priority }: { priority: Priority }) {
  const level = { low: 1, normal: 2, high: 3, urgent: 4 }[priority];
  return (
    <span className={`priority priority-${priority}`} title={`${PRIORITY_LABELS[priority]} priority`}>
      <span className="priority-bars" aria-hidden="true">
        {[1, 2, 3, 4].map((n) => (
          <span key={n} className={n <= level ? "on" : ""} />
        ))}
      </span>
      {PRIORITY_LABELS[priority]}
    </span>
  );
}

/** SLA due as a relative time, red when breached, amber when at risk. */
export function SlaMark({
  due,
  state,
  now,
}: {
  due: string | null;
  state: SlaState;
  now: number;
}) {
  if (!due) return <span className="muted">—</span>;
  if (state === "none") {
    // Resolved or closed: the SLA no longer runs, so the date is history, not a warning.
    return (
      <span className="sla muted" title={`SLA was due ${dateTime(due)}`} data-sla={state}>
        {relativeTime(due, now)}
      </span>
    );
  }
  const label =
    state === "breached" ? "SLA breached" : state === "at_risk" ? "SLA at risk" : "SLA due";
  return (
    <span className={`sla sla-${state}`} title={`${label}: ${dateTime(due)}`} data-sla={state}>
      {(state === "breached" || state === "at_risk") && <span className="sla-dot" aria-hidden="true" />}
      {state === "breached" ? overdueText(due, now) : relativeTime(due, now)}
    </span>
  );
}

/** A stopped SLA clock (waiting on the partner); a case already past its SLA says so too. */
export function PausedMark({ state }: { state: SlaState }) {
  if (state === "breached") {
    return (
      <span className="sla sla-breached" title="SLA breached; waiting on the partner: the clock is stopped" data-sla={state}>
        <span className="sla-dot" aria-hidden="true" />
        Paused, breached
      </span>
    );
  }
  return (
    <span className="sla sla-paused" title="Waiting on the partner: the SLA clock is stopped" data-sla={state}>
      Paused
    </span>
  );
}

/** Marks for local changes not yet accepted by the server, or refused by it. */
export function ChangeMarks({ pending, failed }: { pending: number; failed: number }) {
  if (!pending && !failed) return null;
  return (
    <span className="change-marks">
      {failed > 0 && (
        <span
          className="mark mark-failed"
          data-testid="mark-failed"
          title={`${failed} change${failed === 1 ? "" : "s"} refused by the server`}
        >
          Failed
        </span>
      )}
      {pending > 0 && (
        <span
          className="mark mark-pending"
          data-testid="mark-pending"
          title={`${pending} change${pending === 1 ? "" : "s"} waiting to be sent`}
        >
          Pending
        </span>
      )}
    </span>
  );
}

/** A spinner sized to the text around it. */
export function Spinner({ label }: { label?: string }) {
  return <span className="spinner" role="status" aria-label={label ?? "Loading"} />;
}

/** Grey placeholder bars while data loads. */
export function SkeletonRows({ rows = 8 }: { rows?: number }) {
  return (
    <div className="skeleton-rows" data-testid="loading" aria-busy="true" aria-label="Loading">
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} className="skeleton-row">
          <span className="skeleton" style={{ width: "14%" }} />
          <span className="skeleton" style={{ width: `${30 + ((i * 17) % 25)}%` }} />
          <span className="skeleton" style={{ width: "16%" }} />
          <span className="skeleton" style={{ width: "10%" }} />
        </div>
      ))}
    </div>
  );
}

/** Nothing to show, said kindly, with an optional way out. */
export function EmptyState({
  title,
  detail,
  action,
}: {
  title: string;
  detail?: string;
  action?: ReactNode;
}) {
  return (
    <div className="empty-state" data-testid="empty-state">
      <div className="empty-icon" aria-hidden="true" />
      <p className="empty-title">{title}</p>
      {detail && <p className="empty-detail">{detail}</p>}
      {action}
    </div>
  );
}

/** A failure, in words, with a retry. */
export function ErrorState({
  error,
  onRetry,
  title = "Something went wrong",
}: {
  error: unknown;
  onRetry?: () => void;
  title?: string;
}) {
  const message =
    error instanceof IpcError || error instanceof Error ? error.message : "An unexpected error occurred.";
  return (
    <div className="error-state" role="alert" data-testid="error-state">
      <p className="error-title">{title}</p>
      <p className="error-message">{message}</p>
      {onRetry && (
        <button type="button" className="btn" onClick={onRetry} data-testid="retry">
          Try again
        </button>
      )}
    </div>
  );
}

/** Initials in a circle, for thread authors. */
export function Avatar({ name, partner }: { name: string; partner?: boolean }) {
  const initials = name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]?.toUpperCase())
    .join("");
  return (
    <span className={`avatar${partner ? " avatar-partner" : ""}`} aria-hidden="true">
      {initials || "?"}
    </span>
  );
}

/** A determinate progress bar (`role="progressbar"`, drawn in the theme's colours, light or dark). */
export function ProgressBar({ value, label, hidden }: { value: number; label?: string; hidden?: boolean }) {
  const percent = Math.round(Math.min(1, Math.max(0, Number.isFinite(value) ? value : 0)) * 100);
  return (
    <span
      className="progress-bar"
      role={hidden ? undefined : "progressbar"}
      aria-hidden={hidden || undefined}
      aria-label={label}
      aria-valuemin={hidden ? undefined : 0}
      aria-valuemax={hidden ? undefined : 100}
      aria-valuenow={hidden ? undefined : percent}
    >
      <span className="progress-bar-fill" style={{ width: `${percent}%` }} />
    </span>
  );
}
