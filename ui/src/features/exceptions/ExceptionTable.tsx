// The exceptions table: failed and undelivered transactions, windowed over `list_exceptions`,
// with "Open case" turning a row into a case (or going to the case already linked).
import { useCallback, useMemo, useState, type ReactNode } from "react";
import type { ExceptionQuery, ExceptionRow } from "../../bindings";
import { exceptionPageQuery, useOpenCaseFromException } from "./hooks";
import { dateTime, relativeTime } from "../../lib/format";
import { navigate } from "../../lib/router";
import { useNow } from "../../lib/useDebounced";
import { Spinner } from "../../components/bits";
import { InertText, visibleText } from "../../components/InertText";
import { VirtualTable, type Column } from "../../components/VirtualTable";

function deliveryLabel(row: ExceptionRow): string {
  const t = row.transaction;
  if (t.deliveryStatus === "DeliveryFailed") return "Not delivered";
  if (t.deliveryStatus === "PartiallyFailed" || t.deliveryStatus === "PartiallyDelivered") return "Partly delivered";
  if (t.status?.toLowerCase() === "failed" || t.status === "F") return "Failed";
  return t.status ?? "Error";
}

/** Props of `ExceptionTable`. */
export interface ExceptionTableProps {
  query: ExceptionQuery;
  empty: ReactNode;
  globalKeys?: boolean;
  hidePartner?: boolean;
  onTotal?: (total: number) => void;
}

/** See the module comment. */
export function ExceptionTable({ query, empty, globalKeys, hidePartner, onTotal }: ExceptionTableProps) {
  const now = useNow(30_000);
  const [openError, setOpenError] = useState<string | null>(null);
  const openCase = useOpenCaseFromException({
    onSuccess: (caseId) => {
      setOpenError(null);
      navigate({ name: "case", id: caseId });
    },
    onError: (error) => setOpenError(error.message),
  });

  const open = useCallback(
    (row: ExceptionRow) => {
      if (row.caseIds.length > 0) navigate({ name: "case", id: row.caseIds[0] });
      else if (!openCase.isPending) openCase.mutate(row.transaction.transactionId);
    },
    [openCase],
  );

  const columns = useMemo(() => {
    const all: (Column<ExceptionRow> | false)[] = [
      {
        id: "arrival",
        header: "Arrived",
        width: "104px",
        render: (r) => (
          <span className="muted" title={dateTime(r.transaction.arrivalTime)}>
            {relativeTime(r.transaction.arrivalTime, now)}
          </span>
        ),
      },
      !hidePartner && {
        id: "partner",
        header: "Partner",
        width: "minmax(120px, 1fr)",
        render: (r) => (
          <span className="truncate" title={visibleText(r.partnerName ?? "")}>
            <InertText text={r.partnerName ?? r.transaction.senderName ?? "Unknown partner"} />
          </span>
        ),
      },
      {
        id: "type",
        header: "Document",
        width: "92px",
        render: (r) => <span className="badge badge-edi">{r.transaction.ediType ?? "—"}</span>,
      },
      {
        id: "error",
        header: "Error",
        width: "minmax(200px, 2.2fr)",
        render: (r) => (
          <span className="error-cell">
            <span className="error-code mono">{r.transaction.errorCode ?? deliveryLabel(r)}</span>
            <span className="truncate" title={visibleText(r.transaction.externalErrorMessage ?? "")}>
              <InertText text={r.transaction.externalErrorMessage ?? deliveryLabel(r)} />
            </span>
          </span>
        ),
      },
      {
        id: "refs",
        header: "PO / invoice / shipment",
        width: "minmax(150px, 1.1fr)",
        render: (r) => {
          const refs = [
            r.poNumber && `PO ${r.poNumber}`,
            r.invoiceNumber && `INV ${r.invoiceNumber}`,
            r.shipmentNumber && `SHP ${r.shipmentNumber}`,
          ].filter(Boolean);
          return refs.length ? (
            <span className="truncate mono small" title={refs.join(" · ")}>
              {refs.join(" · ")}
            </span>
          ) : (
            <span className="muted">—</span>
          );
        },
      },
      {
        id: "action",
        header: "",
        width: "112px",
        align: "end",
        render: (r) =>
          r.caseIds.length > 0 ? (
            <button
              type="button"
              className="btn btn-small btn-ghost"
              onClick={() => open(r)}
              data-testid="view-linked-case"
              title="This transaction is already linked to a case"
            >
              View case
            </button>
          ) : (
            <button
              type="button"
              className="btn btn-small"
              onClick={() => open(r)}
              disabled={openCase.isPending}
              data-testid="open-case-from-exception"
            >
              {openCase.isPending && openCase.variables === r.transaction.transactionId ? (
                <Spinner label="Opening case" />
              ) : null}
              Open case
            </button>
          ),
      },
    ];
    return all.filter(Boolean) as Column<ExceptionRow>[];
  }, [hidePartner, now, open, openCase.isPending, openCase.variables]);

  const pageQuery = useCallback((page: number) => exceptionPageQuery(query, page), [query]);

  return (
    <>
      {openError && (
        <div className="inline-banner-error" role="alert" data-testid="open-case-error">
          Could not open a case: {openError}
          <button type="button" className="btn btn-small btn-ghost" onClick={() => setOpenError(null)}>
            Dismiss
          </button>
        </div>
      )}
      <VirtualTable<ExceptionRow>
        label="Exceptions"
        pageQuery={pageQuery}
        columns={columns}
        rowKey={(r) => r.transaction.transactionId}
        onOpen={open}
        empty={empty}
        resetKey={JSON.stringify(query)}
        rowTestId="exception-row"
        globalKeys={globalKeys}
        onTotal={onTotal}
        rowHeight={44}
      />
    </>
  );
}
