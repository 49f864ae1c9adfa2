// The attach flow's shared state (issue 10), without React: the drop waiting for the analyst's
// "Attach" (from a drop on the window or the file picker), where it goes, and the last attach
// report of each case (duplicates and refused files, said in words on the case). One store, so a
// drop on a case-list row, the "Attach files…" button and the command palette all end in the same
// confirmation strip.
import { useSyncExternalStore } from "react";
import type { AttachReport, DropView } from "../../bindings";

/** Where dropped or picked files go. */
export type DropTarget = { kind: "case"; caseId: string } | { kind: "new-case" } | { kind: "none" };

/** A drop waiting for the analyst: attach it or cancel it. */
export interface PendingDrop {
  drop: DropView;
  target: DropTarget;
  /** Dropped on the window, or picked in the dialog. */
  source: "drop" | "pick";
}

/** What the strip says after an attach (or a drop that brought nothing). */
export interface FlowMessage {
  tone: "ok" | "error";
  text: string;
  caseId: string | null;
}

interface FlowState {
  pending: PendingDrop | null;
  message: FlowMessage | null;
  /** The last report per case, until the analyst dismisses it. */
  reports: Record<string, AttachReport>;
  /** transfer id -> document id, from the reports, so a document shows its upload. */
  uploads: Record<string, string>;
}

let state: FlowState = { pending: null, message: null, reports: {}, uploads: {} };
const listeners = new Set<() => void>();

function set(patch: Partial<FlowState>): void {
  state = { ...state, ...patch };
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The flow's state, re-rendering on every change. */
export function useDropFlow(): FlowState {
  return useSyncExternalStore(subscribe, () => state);
}

/** The current state (for event handlers). */
export function dropFlowState(): FlowState {
  return state;
}

/** Offers a drop to the analyst; a drop still waiting is replaced (and answered `discarded`). */
export function offerDrop(pending: PendingDrop): PendingDrop | null {
  const previous = state.pending;
  set({ pending, message: null });
  return previous && previous.drop.id !== pending.drop.id ? previous : null;
}

/** Points the waiting drop somewhere else (the analyst chose another case). */
export function retarget(target: DropTarget): void {
  if (state.pending) set({ pending: { ...state.pending, target } });
}

/** Forgets the waiting drop (after attach or cancel). */
export function clearPending(message: FlowMessage | null = null): void {
  set({ pending: null, message });
}

/** Shows a message in the strip with no drop waiting. */
export function showMessage(message: FlowMessage | null): void {
  set({ message });
}

/** Keeps an attach report for its case (and which transfer uploads which document). */
export function recordReport(caseId: string, report: AttachReport): void {
  const uploads = { ...state.uploads };
  for (const file of report.files) {
    if (file.result.outcome === "queued") uploads[file.result.transferId] = file.result.documentId;
  }
  set({ reports: { ...state.reports, [caseId]: report }, uploads });
}

/** Forgets a case's report (the analyst read it). */
export function dismissReport(caseId: string): void {
  const reports = { ...state.reports };
  delete reports[caseId];
  set({ reports });
}

/** For tests: a fresh flow. */
export function resetDropFlow(): void {
  state = { pending: null, message: null, reports: {}, uploads: {} };
  for (const listener of listeners) listener();
}

/** The drop target under a point of the window: the innermost element marked `data-drop-target`. */
export function targetElementAt(x: number, y: number): HTMLElement | null {
  if (typeof document.elementFromPoint !== "function") return null;
  const hit = document.elementFromPoint(x, y);
  return hit instanceof Element ? hit.closest<HTMLElement>("[data-drop-target]") : null;
}

/** What a marked element names as a target. */
export function targetOf(element: HTMLElement | null): DropTarget {
  if (!element) return { kind: "none" };
  if (element.dataset.dropTarget === "new-case") return { kind: "new-case" };
  const caseId = element.dataset.caseId;
  return caseId ? { kind: "case", caseId } : { kind: "none" };
}

/** The attribute the highlighted target carries while files are dragged over it. */
export const DROP_OVER = "data-drop-over";

let highlighted: HTMLElement | null = null;

/** Highlights `element` (and only it) as the target under the pointer; `null` clears. */
export function highlight(element: HTMLElement | null): void {
  if (highlighted === element) return;
  highlighted?.removeAttribute(DROP_OVER);
  highlighted = element;
  element?.setAttribute(DROP_OVER, "true");
}
