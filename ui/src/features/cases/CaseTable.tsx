// The case list table: the columns an analyst scans (reference to updated), windowed over
// `list_cases`. Used by the Cases screen and by a partner's page.
import { useCallback, useMemo, type ReactNode } from "react";
import type { CaseQuery, CaseRow, CaseSortField } from "../../bindings";
import { casePageQuery } from "./hooks";
import { KIND_LABELS, relativeTime, dateTime } from "../../lib/format";
import { navigate } from "../../lib/router";
import { useNow } from "../../lib/useDebounced";
import { ChangeMarks, PausedMark, PriorityMark, SlaMark, StatusPill } from "../../components/bits";
import { InertText, visibleText } from "../../components/InertText";
import { VirtualTable, type Column } from "../../components/VirtualTable";

/** Props of `CaseTable`. */
export interface CaseTableProps {
  query: CaseQuery;
  onSort?: (field: CaseSortField) => void;
  empty: ReactNode;
  globalKeys?: boolean;
  hidePartner?: boolean;
  onTotal?: (total: number) => void;
}

/** See the module comment. */
export function CaseTable({ query, onSort, empty, globalKeys, hidePartner, onTotal }: CaseTableProps) {
  const now = useNow(30_000);
  const columns = useMemo(() => {
    const all: (Column<CaseRow> | false)[] = [
      {
        id: "reference",
        header: "Reference",
        width: "142px",
        sortKey: "reference",
        render: (r) => <span className="mono">{r.reference}</span>,
      },
      {
        id: "title",
        header: "Title",
        width: "minmax(180px, 2.6fr)",
        sortKey: "title",
        render: (r) => (
          <span className="title-cell">
            <span className="truncate" data-testid="case-row-title" title={visibleText(r.title)}>
              <InertText text={r.title} />
            </span>
            {r.thisComputerOnly ? (
              <span
                className="mark mark-local"
                title="Kept on this computer only: this account has no case server"
                data-testid="case-row-this-computer-only"
              >
                On this computer only
              </span>
            ) : (
              r.localOnly && (
                <span className="mark mark-local" title="Not yet shared with the partner">
                  Local
                </span>
              )
            )}
            <ChangeMarks pending={r.pendingChanges} failed={r.failedChanges} />
          </span>
        ),
      },
      !hidePartner && {
        id: "partner",
        header: "Partner",
        width: "minmax(110px, 1.1fr)",
        sortKey: "partner",
        render: (r) => (
          <span className="truncate" title={visibleText(r.partnerName)}>
            <InertText text={r.partnerName} />
          </span>
        ),
      },
      { id: "kind", header: "Kind", width: "92px", sortKey: "kind", render: (r) => KIND_LABELS[r.kind] },
      {
        id: "status",
        header: "Status",
        width: "156px",
        sortKey: "status",
        render: (r) => <StatusPill status={r.status} />,
      },
      {
        id: "priority",
        header: "Priority",
        width: "86px",
        sortKey: "priority",
        render: (r) => <PriorityMark priority={r.priority} />,
      },
      {
        id: "owner",
        header: "Owner",
        width: "minmax(96px, 0.8fr)",
        sortKey: "owner",
        render: (r) =>
          r.owner ? (
            <span className="truncate" title={r.owner}>{r.ownerName ?? r.owner}</span>
          ) : (
            <span className="muted">Unassigned</span>
          ),
      },
      {
        id: "sla",
        header: "SLA due",
        width: "122px",
        sortKey: "sla_due",
        render: (r) =>
          r.slaPaused ? (
            <PausedMark state={r.slaState} />
          ) : (
            <SlaMark due={r.slaDue} state={r.slaState} now={now} />
          ),
      },
      {
        id: "updated",
        header: "Updated",
        width: "100px",
        sortKey: "updated",
        render: (r) => (
          <span className="muted" title={dateTime(r.updatedAt)}>
            {relativeTime(r.updatedAt, now)}
          </span>
        ),
      },
    ];
    return all.filter(Boolean) as Column<CaseRow>[];
  }, [hidePartner, now]);

  const pageQuery = useCallback((page: number) => casePageQuery(query, page), [query]);
  const resetKey = JSON.stringify(query);

  return (
    <VirtualTable<CaseRow>
      label="Cases"
      pageQuery={pageQuery}
      columns={columns}
      rowKey={(r) => r.id}
      onOpen={(r) => navigate({ name: "case", id: r.id })}
      empty={empty}
      resetKey={resetKey}
      sort={{ key: query.sort, descending: query.descending }}
      onSort={onSort ? (key) => onSort(key as CaseSortField) : undefined}
      rowTestId="case-row"
      rowClassName={(r) => (r.failedChanges > 0 ? "row-failed" : r.pendingChanges > 0 ? "row-pending" : "")}
      rowData={(r) => ({ "data-drop-target": "case", "data-case-id": r.id, "data-drop-label": `${r.reference} · ${visibleText(r.title)}` })}
      globalKeys={globalKeys}
      onTotal={onTotal}
    />
  );
}
