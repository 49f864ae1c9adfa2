// A case's retention exports on its page: each version with retention and hold, "Verify",
// "Export now" for a closed case, and "Place / release hold" for all its exports.
import type { CaseDetail } from "../../bindings";
import { ErrorBanner } from "../../components/form";
import { Spinner } from "../../components/bits";
import { ExportList } from "./ExportList";
import { HoldForm } from "./HoldDialog";
import { useExportCase, useExports } from "./hooks";

/** See the module comment. */
export function CaseExports({ detail }: { detail: CaseDetail }) {
  const caseId = detail.case.id;
  const exports = useExports({ caseId, partnerId: null, state: null, heldOnly: false, search: null });
  const exportNow = useExportCase();
  const closed = detail.case.status === "closed";
  const held = exports.data?.some((e) => e.legalHold) ?? false;
  return (
    <div className="panel" data-testid="case-exports">
      <h2 className="panel-title">
        Retention exports <span className="panel-count">{exports.data?.length ?? 0}</span>
      </h2>
      {exports.isPending && <Spinner label="Loading exports" />}
      {exports.isError && (
        // A side panel: its failure is said here quietly, not as the page's alert.
        <p className="muted small" role="status" data-testid="case-exports-error">
          Exports could not be read: {exports.error.message}{" "}
          <button type="button" className="btn btn-small" onClick={() => void exports.refetch()}>
            Try again
          </button>
        </p>
      )}
      {exports.data && exports.data.length === 0 && (
        <p className="muted small" data-testid="case-exports-empty">
          {closed ? "Not exported yet." : "Exported to the retention bucket when the case is closed."}
        </p>
      )}
      {exports.data && exports.data.length > 0 && <ExportList rows={exports.data} showCase={false} />}
      <div className="hold-actions">
        {closed && (
          <button
            type="button"
            className="btn btn-small"
            disabled={exportNow.isPending}
            onClick={() => exportNow.mutate(caseId)}
            data-testid="export-now"
          >
            {exportNow.isPending ? <Spinner label="Exporting" /> : "Export now"}
          </button>
        )}
        <HoldForm scope={{ type: "case", case_id: caseId }} held={held} />
      </div>
      <ErrorBanner error={exportNow.error} />
    </div>
  );
}
