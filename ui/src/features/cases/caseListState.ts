// What the analyst has chosen on the case list (tab, filters, search, sort), kept above the
// screen so it survives opening a case and coming back, and saved views of it in localStorage.
import type { CaseKind, CaseQuery, CaseSortField, CaseStatus } from "../../bindings";

/** The default case query: everything, most recently updated first. */
export function emptyCaseQuery(): CaseQuery {
  return {
    search: null,
    statuses: [],
    partnerIds: [],
    kinds: [],
    owners: [],
    slaBreached: false,
    slaAtRisk: false,
    sort: "updated",
    descending: true,
    offset: 0,
    limit: 0,
  };
}

/** The case list's filters, search and sort. */
export interface CaseListState {
  status: CaseStatus | null;
  partnerId: string | null;
  kind: CaseKind | null;
  /** null: anyone; "": unassigned; otherwise a login id. */
  owner: string | null;
  slaBreached: boolean;
  /** Only cases at risk of missing their SLA (with slaBreached: either). */
  slaAtRisk: boolean;
  search: string;
  sort: CaseSortField;
  descending: boolean;
}

/** Everything, newest change first. */
export const initialCaseListState: CaseListState = {
  status: null,
  partnerId: null,
  kind: null,
  owner: null,
  slaBreached: false,
  slaAtRisk: false,
  search: "",
  sort: "updated",
  descending: true,
};

/** Whether any filter (not the tab, not the sort) narrows the list. */
export function hasFilters(s: CaseListState): boolean {
  return s.partnerId !== null || s.kind !== null || s.owner !== null || s.slaBreached || s.slaAtRisk || s.search.trim() !== "";
}

/** The command query for a state (search passed separately, already debounced). */
export function toCaseQuery(s: CaseListState, search: string): CaseQuery {
  const trimmed = search.trim();
  return {
    ...emptyCaseQuery(),
    search: trimmed === "" ? null : trimmed,
    statuses: s.status ? [s.status] : [],
    partnerIds: s.partnerId ? [s.partnerId] : [],
    kinds: s.kind ? [s.kind] : [],
    owners: s.owner === null ? [] : [s.owner],
    slaBreached: s.slaBreached,
    // Views saved before the filter existed have no value: off.
    slaAtRisk: s.slaAtRisk === true,
    sort: s.sort,
    descending: s.descending,
  };
}

/** The query the status tabs count: the list's own, every status (each tab is one of them). */
export function toCountQuery(s: CaseListState, search: string): CaseQuery {
  return { ...toCaseQuery(s, search), statuses: [] };
}

/** The direction a column sorts in when first clicked. */
export function defaultDescending(field: CaseSortField): boolean {
  return field === "updated" || field === "priority";
}

/** A named filter + search + sort. */
export interface SavedView {
  name: string;
  state: CaseListState;
}

const STORAGE_KEY = "partnerdesk.savedViews.v1";

/** Saved views from localStorage; anything unreadable is ignored, never thrown. */
export function loadSavedViews(): SavedView[] {
  try {
    const raw = window.localStorage.getItem(STORAGE_KEY);
    if (!raw) return [];
    const parsed: unknown = JSON.parse(raw);
    if (!Array.isArray(parsed)) return [];
    return parsed
      .filter(
        (v): v is SavedView =>
          typeof v === "object" && v !== null && typeof v.name === "string" && typeof v.state === "object" && v.state !== null,
      )
      .map((v) => ({ name: v.name.slice(0, 80), state: { ...initialCaseListState, ...v.state } }));
  } catch {
    return [];
  }
}

/** Writes saved views; a full or unavailable storage is reported as false. */
export function storeSavedViews(views: SavedView[]): boolean {
  try {
    window.localStorage.setItem(STORAGE_KEY, JSON.stringify(views));
    return true;
  } catch {
    return false;
  }
}
