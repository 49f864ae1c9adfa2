// A virtualized table over a windowed command (offset/limit): only the visible rows are in the
// DOM and only the windows around them are fetched, so a list of 100,000 rows scrolls smoothly.
// It owns loading, error and empty states and keyboard selection (arrows, j/k, Enter).
// Memory and smoothness with 100,000 rows (issue 16): a window is fetched only once it has stayed
// in view for `WINDOW_SETTLE_MS`, so a fling through the list loads where it stops rather than
// every window it passes; rows are memoized, so a scroll step renders only rows new to the view.
import { memo, useCallback, useEffect, useRef, useState, type ReactNode } from "react";
import { keepPreviousData, useQueries, useQuery } from "@tanstack/react-query";
import { useVirtualizer } from "@tanstack/react-virtual";
import { PAGE_SIZE } from "../app/queryKeys";
import { ErrorState, SkeletonRows } from "./bits";

/** One column: its header, width (a CSS grid track) and how a row renders in it. */
export interface Column<Row> {
  id: string;
  header: string;
  width: string;
  render: (row: Row) => ReactNode;
  /** Makes the header clickable to sort by this key. */
  sortKey?: string;
  align?: "start" | "end";
}

/** A window of rows from a command. */
export interface RowPage<Row> {
  rows: Row[];
  total: number;
}

/** Props of `VirtualTable`. */
export interface VirtualTableProps<Row> {
  /** Query options for window `page` (rows `page * PAGE_SIZE ..`). */
  pageQuery: (page: number) => { queryKey: readonly unknown[]; queryFn: () => Promise<RowPage<Row>> };
  columns: Column<Row>[];
  rowKey: (row: Row) => string;
  onOpen: (row: Row) => void;
  /** Shown when the query matches nothing. */
  empty: ReactNode;
  /** Changes when the query changes: scroll and selection go back to the top. */
  resetKey: string;
  sort?: { key: string; descending: boolean };
  onSort?: (key: string) => void;
  rowTestId: string;
  rowClassName?: (row: Row) => string;
  /** Extra `data-*` attributes of a row (e.g. marking it as a drop target). */
  rowData?: (row: Row) => Record<`data-${string}`, string>;
  /** Listen to j/k/arrows/Enter on the whole window (the main list of a screen). */
  globalKeys?: boolean;
  rowHeight?: number;
  label: string;
  /** Reports the total once known (for headers showing "1,234 cases"). */
  onTotal?: (total: number) => void;
}

/** How long a window of rows must stay in view before it is fetched. Rows of windows passed
 * faster than this show placeholders; a window already cached shows at once. */
export const WINDOW_SETTLE_MS = 80;

/** Props of one rendered row (see `RowView`). */
interface RowViewProps<Row> {
  row: Row;
  index: number;
  selected: boolean;
  start: number;
  size: number;
  template: string;
  columns: Column<Row>[];
  testId: string;
  className: string;
  data: Record<`data-${string}`, string> | undefined;
  onSelect: (index: number) => void;
  onOpen: (row: Row) => void;
}

function RowViewInner<Row>(props: RowViewProps<Row>) {
  const { row, index, selected, start, size, template, columns, testId, className, data, onSelect, onOpen } = props;
  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      aria-selected={selected}
      data-testid={testId}
      data-index={index}
      {...data}
      className={`vt-row${selected ? " selected" : ""}${className ? ` ${className}` : ""}`}
      style={{ height: size, transform: `translateY(${start}px)`, gridTemplateColumns: template }}
      onClick={() => onSelect(index)}
      onDoubleClick={() => onOpen(row)}
    >
      {columns.map((c) => (
        <span key={c.id} role="cell" className={`vt-cell${c.align === "end" ? " end" : ""} col-${c.id}`}>
          {c.render(row)}
        </span>
      ))}
    </div>
  );
}

/** One row, rendered again only when its data, place, selection or columns change (class and
 * `data-*` attributes derive from the row; the handlers are stable). */
const RowView = memo(
  RowViewInner,
  (a, b) =>
    a.row === b.row &&
    a.index === b.index &&
    a.selected === b.selected &&
    a.start === b.start &&
    a.size === b.size &&
    a.template === b.template &&
    a.columns === b.columns &&
    a.testId === b.testId &&
    a.className === b.className,
) as typeof RowViewInner;

/** Set once per page load when a list first renders rows: the app benchmark reads it to split
 * cold start (`performance.getEntriesByName("pd:first-rows")`). */
let firstRowsMarked = false;

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return (
    target.isContentEditable ||
    ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName) ||
    target.closest("[role=dialog]") !== null
  );
}

/** See the module comment. */
export function VirtualTable<Row>(props: VirtualTableProps<Row>) {
  const {
    pageQuery,
    columns,
    rowKey,
    onOpen,
    empty,
    resetKey,
    sort,
    onSort,
    rowTestId,
    rowClassName,
    rowData,
    globalKeys = false,
    rowHeight = 40,
    label,
    onTotal,
  } = props;
  const scrollRef = useRef<HTMLDivElement>(null);
  const [selected, setSelected] = useState(-1);

  const first = useQuery({ ...pageQuery(0), placeholderData: keepPreviousData });
  const total = first.data?.total ?? 0;

  const virtualizer = useVirtualizer({
    count: total,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: 12,
    initialRect: { width: 1024, height: 600 },
  });
  const items = virtualizer.getVirtualItems();
  const firstPage = items.length ? Math.floor(items[0].index / PAGE_SIZE) : 0;
  const lastPage = items.length ? Math.floor(items[items.length - 1].index / PAGE_SIZE) : 0;
  const extraPages: number[] = [];
  for (let p = Math.max(1, firstPage); p <= lastPage; p += 1) extraPages.push(p);
  // The windows in view once the list has stayed still for WINDOW_SETTLE_MS.
  const [settled, setSettled] = useState({ first: firstPage, last: lastPage });
  useEffect(() => {
    const timer = setTimeout(() => setSettled({ first: firstPage, last: lastPage }), WINDOW_SETTLE_MS);
    return () => clearTimeout(timer);
  }, [firstPage, lastPage]);
  const pages = useQueries({
    queries: extraPages.map((p) => ({ ...pageQuery(p), enabled: p >= settled.first && p <= settled.last })),
  });

  const rowAt = useCallback(
    (index: number): Row | undefined => {
      const page = Math.floor(index / PAGE_SIZE);
      const data = page === 0 ? first.data : pages[extraPages.indexOf(page)]?.data;
      return data?.rows[index - page * PAGE_SIZE];
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [first.data, pages, firstPage, lastPage],
  );

  // Told once the first window has answered (not "0" while it loads).
  const answered = first.data !== undefined;
  useEffect(() => {
    if (answered) onTotal?.(total);
  }, [answered, total, onTotal]);

  const hasRows = (first.data?.rows.length ?? 0) > 0;
  useEffect(() => {
    if (hasRows && !firstRowsMarked) {
      firstRowsMarked = true;
      performance.mark?.("pd:first-rows");
    }
  }, [hasRows]);

  useEffect(() => {
    setSelected(-1);
    scrollRef.current?.scrollTo?.({ top: 0 });
  }, [resetKey]);

  const move = useCallback(
    (delta: number) => {
      if (total === 0) return;
      setSelected((current) => {
        const next = Math.min(total - 1, Math.max(0, current + delta));
        virtualizer.scrollToIndex(next, { align: "auto" });
        return next;
      });
    },
    [total, virtualizer],
  );

  const onKey = useCallback(
    (event: KeyboardEvent | React.KeyboardEvent) => {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.key === "ArrowDown" || event.key === "j") {
        event.preventDefault();
        move(1);
      } else if (event.key === "ArrowUp" || event.key === "k") {
        event.preventDefault();
        move(-1);
      } else if (event.key === "PageDown") {
        event.preventDefault();
        move(Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 400) / rowHeight) - 1));
      } else if (event.key === "PageUp") {
        event.preventDefault();
        move(-Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 400) / rowHeight) - 1));
      } else if (event.key === "Enter" && selected >= 0) {
        const row = rowAt(selected);
        if (row) {
          event.preventDefault();
          onOpen(row);
        }
      }
    },
    [move, onOpen, rowAt, selected, rowHeight],
  );

  useEffect(() => {
    if (!globalKeys) return;
    const handler = (event: KeyboardEvent) => {
      if (isTyping(event.target)) return;
      if (document.querySelector("[aria-modal='true']")) return; // a dialog has the keyboard
      if (scrollRef.current?.contains(event.target as Node)) return; // the grid handles its own
      onKey(event);
    };
    window.addEventListener("keydown", handler);
    return () => window.removeEventListener("keydown", handler);
  }, [globalKeys, onKey]);

  const template = columns.map((c) => c.width).join(" ");
  // Stable handlers for the memoized rows, reading the latest props.
  const latest = useRef({ onOpen });
  latest.current = { onOpen };
  const openRow = useCallback((row: Row) => latest.current.onOpen(row), []);

  let body: ReactNode;
  if (first.isPending) {
    body = <SkeletonRows rows={12} />;
  } else if (first.isError && !first.data) {
    body = <ErrorState error={first.error} onRetry={() => void first.refetch()} title="Could not load this list" />;
  } else if (total === 0) {
    body = empty;
  } else {
    body = (
      <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
        {items.map((item) => {
          const row = rowAt(item.index);
          const isSelected = item.index === selected;
          const style = {
            height: item.size,
            transform: `translateY(${item.start}px)`,
            gridTemplateColumns: template,
          };
          if (!row) {
            return (
              <div key={`loading-${item.index}`} className="vt-row vt-row-loading" style={style} aria-hidden="true">
                {columns.map((c) => (
                  <span key={c.id} className="vt-cell">
                    <span className="skeleton" style={{ width: "70%" }} />
                  </span>
                ))}
              </div>
            );
          }
          return (
            <RowView<Row>
              key={rowKey(row)}
              row={row}
              index={item.index}
              selected={isSelected}
              start={item.start}
              size={item.size}
              template={template}
              columns={columns}
              testId={rowTestId}
              className={rowClassName ? rowClassName(row) : ""}
              data={rowData?.(row)}
              onSelect={setSelected}
              onOpen={openRow}
            />
          );
        })}
      </div>
    );
  }

  return (
    <div className="vt" role="table" aria-label={label} aria-rowcount={total + 1}>
      <div className="vt-head" role="row" style={{ gridTemplateColumns: template }}>
        {columns.map((c) => {
          const active = sort && c.sortKey === sort.key;
          const content = (
            <>
              {c.header}
              {active && <span className="sort-arrow" aria-hidden="true">{sort.descending ? "↓" : "↑"}</span>}
            </>
          );
          return (
            <span
              key={c.id}
              role="columnheader"
              className={`vt-cell${c.align === "end" ? " end" : ""}`}
              aria-sort={active ? (sort.descending ? "descending" : "ascending") : undefined}
            >
              {c.sortKey && onSort ? (
                <button
                  type="button"
                  className={`sort-button${active ? " active" : ""}`}
                  onClick={() => onSort(c.sortKey as string)}
                  data-testid={`sort-${c.id}`}
                >
                  {content}
                </button>
              ) : (
                content
              )}
            </span>
          );
        })}
      </div>
      <div
        className="vt-body"
        ref={scrollRef}
        tabIndex={0}
        onKeyDown={onKey}
        aria-busy={first.isFetching}
        data-testid={`${rowTestId}-list`}
      >
        {body}
      </div>
    </div>
  );
}
