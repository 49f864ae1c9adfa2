// The Transfers view (issue 10): every upload and download of this session with its progress,
// speed and time left, and Pause / Resume / Cancel / Retry where they apply. Live from the app's
// channel; nothing here polls.
import type { TransferAction, TransferView } from "../../bindings";
import { fileSize } from "../../lib/format";
import { routeHref } from "../../lib/router";
import { InertText } from "../../components/InertText";
import { EmptyState, ErrorState, ProgressBar } from "../../components/bits";
import { activeSummary, useTransferAction, useTransfers, useTransfersFailure } from "./hooks";

const STATE_LABELS: Record<TransferView["state"], string> = {
  queued: "Waiting",
  running: "Transferring",
  paused: "Paused",
  done: "Done",
  failed: "Failed",
  cancelled: "Cancelled",
};

/** "2 min left", "40 s left". */
export function timeLeft(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return "";
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s left`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min left`;
  return `${(seconds / 3600).toFixed(1)} h left`;
}

function actionsFor(t: TransferView): TransferAction[] {
  // A delivery to a partner inbox cannot pause: cancel removes its temporary file there.
  if (t.id.startsWith("deliver:")) {
    if (t.state === "queued" || t.state === "running") return ["cancel"];
    if (t.state === "failed") return ["retry", "cancel"];
    if (t.state === "cancelled") return ["retry"];
    return [];
  }
  switch (t.state) {
    case "queued":
      return t.direction === "upload" ? ["pause", "cancel"] : ["cancel"];
    case "running":
      return t.direction === "upload" ? ["pause", "cancel"] : ["cancel"];
    case "paused":
      return ["resume", "cancel"];
    case "failed":
      return t.direction === "upload" ? ["retry", "cancel"] : [];
    default:
      return [];
  }
}

const ACTION_LABELS: Record<TransferAction, string> = {
  pause: "Pause",
  resume: "Resume",
  cancel: "Cancel",
  retry: "Retry",
};

function TransferRow({ t }: { t: TransferView }) {
  const act = useTransferAction();
  const fraction = t.totalBytes > 0 ? t.doneBytes / t.totalBytes : t.state === "done" ? 1 : 0;
  return (
    <li className={`transfer transfer-${t.state}`} data-testid="transfer" data-state={t.state} data-direction={t.direction}>
      <span className="transfer-dir" aria-label={t.direction === "upload" ? "Upload" : "Download"}>
        {t.direction === "upload" ? "↑" : "↓"}
      </span>
      <span className="transfer-main">
        <span className="transfer-head">
          <span className="transfer-name truncate">
            <InertText text={t.name} />
          </span>
          {t.state !== "done" && t.state !== "cancelled" && (
            <span className="transfer-percent small" data-testid="transfer-percent">
              {Math.floor(fraction * 100)}%
            </span>
          )}
        </span>
        <ProgressBar value={fraction} label={`${t.name}: ${Math.floor(fraction * 100)}%`} />
        <span className="small muted" data-testid="transfer-detail">
          {STATE_LABELS[t.state]} · {fileSize(t.doneBytes)} of {fileSize(t.totalBytes)}
          {t.state === "running" && t.bytesPerSecond > 0 && ` · ${fileSize(t.bytesPerSecond)}/s · ${timeLeft(t.secondsLeft)}`}
          {" · "}
          <a href={routeHref({ name: "case", id: t.caseId })}>case</a>
        </span>
        {t.error && (
          <span className="small status-error" role="alert" data-testid="transfer-error">
            {t.error.message}
          </span>
        )}
        {act.isError && <span className="small status-error">{act.error.message}</span>}
      </span>
      <span className="transfer-actions">
        {/* Keyed by position: after Pause the same button becomes Resume and keeps the focus. */}
        {actionsFor(t).map((action, i) => (
          <button
            key={i}
            type="button"
            className="btn btn-small"
            data-testid={`transfer-${action}`}
            aria-label={`${ACTION_LABELS[action]} ${t.direction === "upload" ? "uploading" : "downloading"} ${t.name}`}
            disabled={act.isPending}
            onClick={() => act.mutate({ id: t.id, action })}
          >
            {ACTION_LABELS[action]}
          </button>
        ))}
      </span>
    </li>
  );
}

/** The Transfers screen. */
export function TransfersScreen() {
  const transfers = useTransfers();
  const failure = useTransfersFailure();
  const summary = activeSummary(transfers);
  return (
    <section className="screen screen-scroll" aria-labelledby="transfers-title">
      <div className="screen-head">
        <h1 id="transfers-title">Transfers</h1>
        <span className="screen-count" data-testid="transfers-summary">
          {summary.active > 0
            ? `${summary.active} in progress · ${fileSize(summary.done)} of ${fileSize(summary.total)}`
            : "Nothing in progress"}
          {summary.failed > 0 && ` · ${summary.failed} failed`}
        </span>
      </div>
      {failure && transfers.length === 0 ? (
        <ErrorState error={failure} title="Could not read the transfers" />
      ) : transfers.length === 0 ? (
        <EmptyState
          title="No transfers yet"
          detail="Files you drop onto a case (or attach with Attach files…) and documents you open show here while they upload or download."
        />
      ) : (
        <ul className="transfer-list" data-testid="transfer-list">
          {transfers.map((t) => (
            <TransferRow key={t.id} t={t} />
          ))}
        </ul>
      )}
    </section>
  );
}

/** The status bar's compact indicator: shown while something transfers or failed. */
export function TransfersIndicator() {
  const summary = activeSummary(useTransfers());
  if (summary.active === 0 && summary.failed === 0) return null;
  return (
    <a
      className={`status-transfers${summary.failed > 0 ? " status-error" : ""}`}
      href={routeHref({ name: "transfers" })}
      data-testid="transfers-indicator"
      title="Open Transfers"
    >
      {summary.active > 0 && (
        <>
          <ProgressBar value={summary.fraction} hidden />
          {summary.active} transfer{summary.active === 1 ? "" : "s"} · {Math.floor(summary.fraction * 100)}%
        </>
      )}
      {summary.failed > 0 && ` ${summary.failed} failed`}
    </a>
  );
}
