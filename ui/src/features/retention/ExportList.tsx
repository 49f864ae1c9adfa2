// One list of retention exports, used by a case's panel and by the Retention view: when, version,
// size, retention until, hold, the state (a failure says why), and "Verify" with its answer.
import { useState } from "react";
import type { ExportState, ExportView, VerifyReport } from "../../bindings";
import { dateTime, fileSize, shortDate } from "../../lib/format";
import { routeHref } from "../../lib/router";
import { Spinner } from "../../components/bits";
import { useVerifyExport } from "./hooks";

const STATE: Record<ExportState, { label: string; className: string }> = {
  queued: { label: "Queued", className: "health-unknown" },
  uploading: { label: "Uploading", className: "health-warn" },
  done: { label: "In the bucket", className: "health-ok" },
  failed: { label: "Failed", className: "health-bad" },
};

function VerifyButton({ row }: { row: ExportView }) {
  const verify = useVerifyExport();
  const [report, setReport] = useState<VerifyReport | null>(null);
  return (
    <span className="export-verify">
      <button
        type="button"
        className="btn btn-small"
        disabled={row.state !== "done" || verify.isPending}
        onClick={() => verify.mutate(row.id, { onSuccess: setReport })}
        data-testid="export-verify"
        title="Download the manifest and check every file's SHA-256 against the bucket"
      >
        {verify.isPending ? <Spinner label="Verifying" /> : "Verify"}
      </button>
      {report && (
        <span
          className={report.ok ? "health-detail-ok" : "health-detail-alert"}
          role="status"
          data-testid="export-verify-result"
          data-ok={report.ok}
        >
          {report.message}
          {report.problems.length > 0 && (
            <ul>
              {report.problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          )}
        </span>
      )}
      {verify.error && (
        <span className="health-detail-alert" role="alert" data-testid="export-verify-error">
          {verify.error.message}
        </span>
      )}
    </span>
  );
}

/** See the module comment; `showCase` adds the case and partner columns. */
export function ExportList({ rows, showCase }: { rows: ExportView[]; showCase: boolean }) {
  return (
    <ul className="export-list" data-testid="export-list">
      {rows.map((row) => {
        const state = STATE[row.state];
        return (
          <li
            key={row.id}
            className={`settings-row${row.state === "failed" ? " settings-row-alert" : ""}`}
            data-testid="export-row"
            data-state={row.state}
          >
            <div className="settings-row-main">
              <div className="settings-row-head">
                {showCase && (
                  <a href={routeHref({ name: "case", id: row.caseId })} className="settings-row-name">
                    {row.caseReference}
                  </a>
                )}
                <span className="settings-row-name" data-testid="export-version">
                  Version {row.version}
                </span>
                <span className={`health ${state.className}`} data-testid="export-state">
                  {state.label}
                </span>
                {row.legalHold && (
                  <span className="health health-warn" data-testid="export-hold">
                    Legal hold
                  </span>
                )}
              </div>
              <span className="muted small">
                {showCase && <>{row.partnerName} · </>}
                <span title={dateTime(row.createdAt)}>Exported {shortDate(row.completedAt ?? row.createdAt)}</span>
                {row.size !== null && <> · {fileSize(row.size)}</>}
                {row.retainUntil && (
                  <>
                    {" "}
                    ·{" "}
                    <span data-testid="export-retention">
                      Kept until {shortDate(row.retainUntil)} ({row.mode === "compliance" ? "compliance" : "governance"})
                    </span>
                  </>
                )}
                {row.verifiedAt && (
                  <> · {row.verifiedOk ? "Verified" : "Verify failed"} {shortDate(row.verifiedAt)}</>
                )}
              </span>
              {row.lastError && (
                <span className="health-detail-alert" data-testid="export-error">
                  {row.lastError}
                </span>
              )}
            </div>
            <VerifyButton row={row} />
          </li>
        );
      })}
    </ul>
  );
}
