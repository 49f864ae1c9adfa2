// The ledger's EDI panel for one file: what recognition found (standard, each transaction set
// with its type, sender, receiver, control numbers and references; a validation error in
// words), the rule that placed the file and why, and the readable segment view (one segment a
// line, element names for the common segments) so an analyst can read an 850 without an EDI tool.
import type { LedgerRowView } from "../../bindings";
import { ErrorState, SkeletonRows } from "../../components/bits";
import { routeHref } from "../../lib/router";
import { useLedgerEdi } from "./hooks";

export function EdiPanel({ row, onClose }: { row: LedgerRowView; onClose: () => void }) {
  const edi = useLedgerEdi(row.id);
  return (
    <section className="edi-panel" aria-label={`EDI details of ${row.path}`} data-testid="edi-panel">
      <div className="screen-head">
        <h2 className="mono">{row.path}</h2>
        <span className="top-bar-spacer" />
        <button type="button" className="btn btn-small" onClick={onClose} data-testid="edi-close">
          Close
        </button>
      </div>
      <dl className="edi-facts">
        <dt>Placed by</dt>
        <dd data-testid="edi-rule">
          <span>{row.ruleLabel ?? row.rule ?? "—"}</span>
          {row.ruleReason && <div>{row.ruleReason}</div>}
        </dd>
        <dt>Case</dt>
        <dd>
          {row.caseId ? (
            <a href={routeHref({ name: "case", id: row.caseId })} className="mono">
              {row.caseReference ?? row.caseId}
            </a>
          ) : (
            "—"
          )}
        </dd>
      </dl>
      {edi.isLoading ? (
        <SkeletonRows rows={4} />
      ) : edi.error ? (
        <ErrorState error={edi.error} onRetry={() => void edi.refetch()} />
      ) : !edi.data ? (
        <p className="muted" data-testid="edi-none">
          Not an EDI file ({row.mediaType}): it was placed by its name or by the folder's defaults.
        </p>
      ) : (
        <>
          <dl className="edi-facts">
            <dt>Standard</dt>
            <dd data-testid="edi-standard">{edi.data.summary.standard}</dd>
          </dl>
          {edi.data.summary.error && (
            <p className="outbox-error" role="alert" data-testid="edi-error">
              {edi.data.summary.error}
            </p>
          )}
          <table className="ledger-table edi-sets" data-testid="edi-sets">
            <thead>
              <tr>
                <th>Type</th>
                <th>Sender</th>
                <th>Receiver</th>
                <th>Control numbers</th>
                <th>References</th>
              </tr>
            </thead>
            <tbody>
              {edi.data.summary.sets.map((set, i) => (
                <tr key={i} data-testid="edi-set">
                  <td>
                    <strong>{set.setType}</strong> {set.kindLabel}
                    <div className="muted small">version {set.version}</div>
                  </td>
                  <td className="mono" data-testid="edi-sender">
                    {set.sender}
                  </td>
                  <td className="mono" data-testid="edi-receiver">
                    {set.receiver}
                  </td>
                  <td className="small" data-testid="edi-controls">
                    interchange <span className="mono">{set.interchangeControl}</span>
                    {set.groupControl && (
                      <>
                        {" "}· group <span className="mono">{set.groupControl}</span>
                      </>
                    )}{" "}
                    · set <span className="mono">{set.controlNumber}</span>
                  </td>
                  <td className="small" data-testid="edi-references">
                    {set.references.length === 0 && set.rejects.length === 0 && "—"}
                    {set.references.map((r) => (
                      <div key={`${r.label}-${r.value}`}>
                        {r.label} <span className="mono">{r.value}</span>
                      </div>
                    ))}
                    {set.rejects.map((r) => (
                      <div key={r} className="outbox-error">
                        {r}
                      </div>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>Segments</h3>
          <pre className="edi-segments" tabIndex={0} aria-label="Segments, one per line" data-testid="edi-segments">
            {edi.data.segmentView}
          </pre>
        </>
      )}
    </section>
  );
}
