// The case list: status tabs with counts, a filter bar, a debounced search box (`/` focuses it),
// saved views, the virtualized, sortable table, and "New case" (`n` opens it).
import { useEffect, useMemo, useRef, useState } from "react";
import type { CaseKind, CaseSortField, CaseStatus } from "../../bindings";
import { KINDS, KIND_LABELS, STATUSES, STATUS_LABELS, count } from "../../lib/format";
import {
  defaultDescending,
  hasFilters,
  initialCaseListState,
  loadSavedViews,
  storeSavedViews,
  toCaseQuery,
  toCountQuery,
  type CaseListState,
  type SavedView,
} from "./caseListState";
import { useDebounced } from "../../lib/useDebounced";
import { CaseTable } from "./CaseTable";
import { EmptyState } from "../../components/bits";
import { NewCaseDialog } from "./NewCaseDialog";
import { Options, SearchBox, Select } from "../../components/form";
import { PartnerOptions } from "../partners/PartnerOptions";
import { UserOptions } from "../partners/UserOptions";
import { useCaseCounts } from "./hooks";

/** Props of `CasesScreen`: the list state lives above, so it survives navigation. */
export interface CasesScreenProps {
  state: CaseListState;
  onChange: (next: CaseListState) => void;
}

function StatusTabs({ state, onChange, search }: CasesScreenProps & { search: string }) {
  const countQuery = useMemo(() => toCountQuery(state, search), [state, search]);
  const counts = useCaseCounts(countQuery);
  const byStatus = new Map(counts.data?.map((c) => [c.status, c.count]));
  const all = counts.data?.reduce((sum, c) => sum + c.count, 0);
  const tabs: { id: CaseStatus | "all"; label: string; n: number | undefined }[] = [
    { id: "all", label: "All", n: all },
    ...STATUSES.map((s) => ({ id: s, label: STATUS_LABELS[s], n: counts.data ? (byStatus.get(s) ?? 0) : undefined })),
  ];
  return (
    <div className="tabs" role="tablist" aria-label="Case status">
      {tabs.map((t) => {
        const selected = (state.status ?? "all") === t.id;
        return (
          <button
            key={t.id}
            type="button"
            role="tab"
            aria-selected={selected}
            className={`tab${selected ? " active" : ""}`}
            data-testid={`status-tab-${t.id}`}
            onClick={() => onChange({ ...state, status: t.id === "all" ? null : t.id })}
          >
            {t.label}
            <span className="tab-count">{t.n === undefined ? "·" : count(t.n)}</span>
          </button>
        );
      })}
    </div>
  );
}

function SavedViews({ state, onChange }: CasesScreenProps) {
  const [views, setViews] = useState<SavedView[]>(() => loadSavedViews());
  const [naming, setNaming] = useState(false);
  const [name, setName] = useState("");
  const save = () => {
    const trimmed = name.trim();
    if (!trimmed) return;
    const next = [...views.filter((v) => v.name !== trimmed), { name: trimmed, state }];
    setViews(next);
    storeSavedViews(next);
    setNaming(false);
    setName("");
  };
  const remove = (viewName: string) => {
    const next = views.filter((v) => v.name !== viewName);
    setViews(next);
    storeSavedViews(next);
  };
  return (
    <div className="saved-views" data-testid="saved-views">
      {views.map((v) => (
        <span key={v.name} className="view-chip">
          <button type="button" className="view-chip-apply" onClick={() => onChange(v.state)} title="Apply this view">
            {v.name}
          </button>
          <button type="button" className="view-chip-remove" onClick={() => remove(v.name)} aria-label={`Delete view ${v.name}`}>
            ×
          </button>
        </span>
      ))}
      {naming ? (
        <form
          className="view-name-form"
          onSubmit={(e) => {
            e.preventDefault();
            save();
          }}
        >
          <input
            autoFocus
            className="input input-small"
            placeholder="View name"
            value={name}
            maxLength={80}
            onChange={(e) => setName(e.target.value)}
            onKeyDown={(e) => e.key === "Escape" && setNaming(false)}
            aria-label="Name of the saved view"
          />
          <button type="submit" className="btn btn-small btn-primary" disabled={!name.trim()}>
            Save
          </button>
        </form>
      ) : (
        <button type="button" className="btn btn-small btn-ghost" onClick={() => setNaming(true)}>
          + Save view
        </button>
      )}
    </div>
  );
}

/** See the module comment. */
export function CasesScreen({ state, onChange }: CasesScreenProps) {
  const searchRef = useRef<HTMLInputElement>(null);
  const [total, setTotal] = useState<number | null>(null);
  const search = useDebounced(state.search, 250);
  const query = useMemo(() => toCaseQuery(state, search), [state, search]);
  const [creating, setCreating] = useState(false);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      const typing = target && (["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName) || target.isContentEditable);
      if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
      if (document.querySelector("[aria-modal='true']")) return;
      if (event.key === "/") {
        event.preventDefault();
        searchRef.current?.focus();
        searchRef.current?.select();
      } else if (event.key === "n") {
        event.preventDefault();
        setCreating(true);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const set = (patch: Partial<CaseListState>) => onChange({ ...state, ...patch });
  const onSort = (field: CaseSortField) =>
    set(state.sort === field ? { descending: !state.descending } : { sort: field, descending: defaultDescending(field) });
  const clearFilters = () =>
    onChange({ ...initialCaseListState, status: state.status, sort: state.sort, descending: state.descending });

  return (
    <section className="screen" aria-labelledby="cases-heading">
      <div className="screen-head">
        <h1 id="cases-heading">Cases</h1>
        {total !== null && <span className="screen-count">{count(total)} {total === 1 ? "case" : "cases"}</span>}
        <span className="top-bar-spacer" />
        <SavedViews state={state} onChange={onChange} />
        <button
          type="button"
          className="btn btn-primary"
          onClick={() => setCreating(true)}
          title="New case (n); drop files here to open a case with them"
          data-testid="new-case"
          data-drop-target="new-case"
          data-drop-label="New case with these files"
        >
          + New case
        </button>
      </div>
      {creating && <NewCaseDialog onClose={() => setCreating(false)} partnerId={state.partnerId} />}
      <StatusTabs state={state} onChange={onChange} search={search} />
      <div className="filter-bar">
        <SearchBox
          ref={searchRef}
          placeholder="Search titles, comments, partners, PO / invoice numbers"
          value={state.search}
          onChange={(search) => set({ search })}
          onKeyDown={(e) => {
            if (e.key === "Escape") {
              if (state.search) set({ search: "" });
              e.currentTarget.blur();
            }
          }}
          testId="case-search"
          label="Search cases"
        />
        <Select value={state.partnerId ?? ""} onChange={(v) => set({ partnerId: v || null })} label="Partner" testId="filter-partner">
          <option value="">All partners</option>
          {/* The directory once the first rows show, or at once when a partner is chosen. */}
          <PartnerOptions wait={total === null && !state.partnerId} />
        </Select>
        <Select<CaseKind | "">
          value={state.kind ?? ""}
          onChange={(v) => set({ kind: v || null })}
          label="Kind"
          testId="filter-kind"
        >
          <option value="">All kinds</option>
          <Options values={KINDS} labels={KIND_LABELS} />
        </Select>
        <Select
          value={state.owner === null ? "*" : state.owner === "" ? "-" : state.owner}
          onChange={(v) => set({ owner: v === "*" ? null : v === "-" ? "" : v })}
          label="Owner"
          testId="filter-owner"
        >
          <option value="*">Any owner</option>
          <option value="-">Unassigned</option>
          <UserOptions />
        </Select>
        <button
          type="button"
          className={`toggle${state.slaBreached ? " on" : ""}`}
          aria-pressed={state.slaBreached}
          onClick={() => set({ slaBreached: !state.slaBreached })}
          data-testid="filter-sla-breached"
        >
          <span className="sla-dot" aria-hidden="true" />
          SLA breached
        </button>
        <button
          type="button"
          className={`toggle toggle-risk${state.slaAtRisk ? " on" : ""}`}
          aria-pressed={state.slaAtRisk}
          onClick={() => set({ slaAtRisk: !state.slaAtRisk })}
          data-testid="filter-sla-at-risk"
        >
          <span className="sla-dot" aria-hidden="true" />
          At risk
        </button>
        {hasFilters(state) && (
          <button type="button" className="btn btn-ghost btn-small" onClick={clearFilters} data-testid="clear-filters">
            Clear filters
          </button>
        )}
      </div>
      <CaseTable
        query={query}
        onSort={onSort}
        globalKeys
        onTotal={setTotal}
        empty={
          <EmptyState
            title={hasFilters(state) || state.status ? "No cases match these filters" : "No cases yet"}
            detail={
              hasFilters(state) || state.status
                ? "Try another status tab, or clear the filters and search."
                : "Cases appear here when they are synced or opened from an exception."
            }
            action={
              hasFilters(state) || state.status ? (
                <button
                  type="button"
                  className="btn"
                  onClick={() => onChange({ ...initialCaseListState, sort: state.sort, descending: state.descending })}
                >
                  Clear filters
                </button>
              ) : undefined
            }
          />
        }
      />
    </section>
  );
}
