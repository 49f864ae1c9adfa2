// The command palette's vocabulary, without React: every app action with its shortcut, the
// actions on the case in view (status, priority, owner, comment, attach), recent cases kept in
// local storage, and the matching of typed words against all of them.
import type { CaseQuery, CaseStatus, Priority, User } from "../../bindings";
import { PRIORITIES, PRIORITY_LABELS, STATUSES, STATUS_LABELS } from "../../lib/format";
import type { Route } from "../../lib/router";

/** What choosing a palette entry does. */
export type PaletteRun =
  | { type: "go"; route: Route }
  | { type: "sync" }
  | { type: "new_case" }
  | { type: "search" }
  | { type: "pause_notifications" }
  | { type: "theme"; theme: "system" | "light" | "dark" }
  | { type: "status"; status: CaseStatus }
  | { type: "priority"; priority: Priority }
  | { type: "owner"; loginId: string | null }
  | { type: "comment" }
  | { type: "attach" };

/** One entry of the palette. */
export interface PaletteEntry {
  id: string;
  group: "Current case" | "Go to" | "App" | "Cases" | "Recent cases";
  label: string;
  /** Extra words it is found by. */
  keywords?: string;
  /** The keys that do the same without the palette. */
  shortcut?: string;
  /** Shown under the label. */
  detail?: string;
  run: PaletteRun;
}

/** Ctrl+K on Linux and Windows, ⌘K on macOS. */
export const PALETTE_SHORTCUT =
  typeof navigator !== "undefined" && /Mac/.test(navigator.platform) ? "⌘K" : "Ctrl+K";

/** Every action of the app, with its shortcut (the same keys work outside the palette). */
export const APP_ACTIONS: PaletteEntry[] = [
  { id: "go-mine", group: "Go to", label: "Mine", shortcut: "g m", keywords: "my cases dashboard", run: { type: "go", route: { name: "mine" } } },
  { id: "go-cases", group: "Go to", label: "Cases", shortcut: "g c", run: { type: "go", route: { name: "cases" } } },
  { id: "go-exceptions", group: "Go to", label: "Exceptions", shortcut: "g e", keywords: "failed transactions inbox", run: { type: "go", route: { name: "exceptions" } } },
  { id: "go-partners", group: "Go to", label: "Partners", shortcut: "g p", run: { type: "go", route: { name: "partners" } } },
  { id: "go-outbox", group: "Go to", label: "Outbox", shortcut: "g o", keywords: "queued failed changes", run: { type: "go", route: { name: "outbox" } } },
  { id: "go-retention", group: "Go to", label: "Retention", shortcut: "g r", keywords: "exports archive legal hold audit", run: { type: "go", route: { name: "retention" } } },
  { id: "go-transfers", group: "Go to", label: "Transfers", shortcut: "g t", keywords: "uploads downloads progress", run: { type: "go", route: { name: "transfers" } } },
  { id: "go-folders", group: "Go to", label: "Folders", shortcut: "g f", keywords: "drop folders ledger routing rules sftp", run: { type: "go", route: { name: "folders" } } },
  { id: "go-settings", group: "Go to", label: "Settings", shortcut: "g s", keywords: "preferences accounts notifications sla", run: { type: "go", route: { name: "settings" } } },
  { id: "app-sync", group: "App", label: "Sync now", shortcut: "g y", keywords: "refresh pull push", run: { type: "sync" } },
  { id: "app-new-case", group: "App", label: "New case", shortcut: "n", keywords: "create open", run: { type: "new_case" } },
  { id: "app-search", group: "App", label: "Search cases", shortcut: "/", keywords: "find filter", run: { type: "search" } },
  { id: "app-pause", group: "App", label: "Pause or resume notifications", keywords: "quiet mute do not disturb", run: { type: "pause_notifications" } },
  { id: "app-theme-dark", group: "App", label: "Use the dark theme", keywords: "appearance night colors", run: { type: "theme", theme: "dark" } },
  { id: "app-theme-light", group: "App", label: "Use the light theme", keywords: "appearance day colors", run: { type: "theme", theme: "light" } },
  { id: "app-theme-system", group: "App", label: "Follow the system theme", keywords: "appearance colors", run: { type: "theme", theme: "system" } },
];

/** The `g <key>` sequences, from the app actions' shortcuts. */
export const GO_KEYS: Record<string, PaletteRun> = Object.fromEntries(
  APP_ACTIONS.filter((a) => a.shortcut?.startsWith("g ")).map((a) => [a.shortcut!.slice(2), a.run]),
);

/** Actions on the case in view. */
export function caseActions(current: { status: CaseStatus; priority: Priority; owner: string | null }, users: User[]): PaletteEntry[] {
  const out: PaletteEntry[] = [];
  for (const status of STATUSES) {
    if (status === current.status) continue;
    out.push({
      id: `status-${status}`,
      group: "Current case",
      label: `Set status: ${STATUS_LABELS[status]}`,
      keywords: "status change move",
      run: { type: "status", status },
    });
  }
  for (const priority of PRIORITIES) {
    if (priority === current.priority) continue;
    out.push({
      id: `priority-${priority}`,
      group: "Current case",
      label: `Set priority: ${PRIORITY_LABELS[priority]}`,
      keywords: "priority urgency raise lower",
      run: { type: "priority", priority },
    });
  }
  for (const user of users) {
    if (user.loginId === current.owner) continue;
    out.push({
      id: `owner-${user.loginId}`,
      group: "Current case",
      label: `Assign to ${user.firstName} ${user.lastName}`,
      keywords: `owner assign reassign ${user.loginId}`,
      run: { type: "owner", loginId: user.loginId },
    });
  }
  if (current.owner !== null) {
    out.push({ id: "owner-none", group: "Current case", label: "Unassign", keywords: "owner nobody", run: { type: "owner", loginId: null } });
  }
  out.push({ id: "comment", group: "Current case", label: "Add a comment…", keywords: "reply note write", run: { type: "comment" } });
  out.push({ id: "attach", group: "Current case", label: "Attach files…", keywords: "document upload evidence pick", run: { type: "attach" } });
  return out;
}

/** How many cases the palette's search shows. */
export const CASE_HITS = 8;

/** The case search the palette runs (titles, references, partner names, comments). */
export function caseSearch(text: string): CaseQuery {
  return {
    search: text,
    statuses: [],
    partnerIds: [],
    kinds: [],
    owners: [],
    slaBreached: false,
    slaAtRisk: false,
    sort: "updated",
    descending: true,
    offset: 0,
    limit: CASE_HITS,
  };
}

/** Whether every word typed appears in the entry's label, keywords, detail or shortcut. */
export function matches(entry: PaletteEntry, text: string): boolean {
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const hay = `${entry.label} ${entry.keywords ?? ""} ${entry.detail ?? ""} ${entry.group}`.toLowerCase();
  return words.every((w) => hay.includes(w));
}

/** A case remembered as recently opened. */
export interface RecentCase {
  id: string;
  reference: string;
  title: string;
}

const RECENT_KEY = "partnerdesk.recentCases";
const RECENT_MAX = 8;

/** Recently opened cases, newest first. */
export function recentCases(): RecentCase[] {
  try {
    const raw = window.localStorage.getItem(RECENT_KEY);
    const parsed: unknown = raw ? JSON.parse(raw) : [];
    return Array.isArray(parsed)
      ? parsed.filter((r): r is RecentCase => typeof r?.id === "string" && typeof r?.reference === "string" && typeof r?.title === "string")
      : [];
  } catch {
    return [];
  }
}

/** Remembers that a case was opened. */
export function rememberCase(recent: RecentCase): void {
  try {
    const next = [recent, ...recentCases().filter((r) => r.id !== recent.id)].slice(0, RECENT_MAX);
    window.localStorage.setItem(RECENT_KEY, JSON.stringify(next));
  } catch {
    // Storage full or off: the palette simply shows fewer recent cases.
  }
}
