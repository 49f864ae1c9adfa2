// Documents on this computer (issue 10): open, save as, copy link, which ones are kept offline,
// and the Transfers list streamed over a Tauri channel. Paths never reach the page: the commands
// name documents by id, and the dialogs open from Rust.
import { useEffect, useState } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { Channel } from "@tauri-apps/api/core";
import type { AttachedFile, AttachReport, TransferAction, TransferView, TransfersUpdate } from "../../bindings";
import { api } from "../../lib/ipc";
import { keys } from "../../app/queryKeys";
import { useTopicMutation } from "../../app/changes";
import { clearPending, offerDrop, recordReport } from "./dropFlow";

/** A document of a case, as the actions name it. */
export interface DocumentRef {
  caseId: string;
  documentId: string;
}

/** Which of a case's documents are kept on this computer. */
export function useOfflineDocuments(caseId: string) {
  return useQuery({
    queryKey: keys.offlineDocuments(caseId),
    queryFn: () => api.offlineDocuments(caseId),
  });
}

/** Opens a document with the computer's default application (downloading it first). */
export function useOpenDocument() {
  return useTopicMutation({
    mutationFn: (d: DocumentRef) => api.openDocument(d.caseId, d.documentId),
    topics: ["documents"],
    invalidateOn: "settled",
  });
}

/** Saves a copy where the analyst chooses; answers `null` when the dialog was cancelled. */
export function useSaveDocumentAs() {
  return useTopicMutation({
    mutationFn: (d: DocumentRef) => api.saveDocumentAs(d.caseId, d.documentId),
    topics: ["documents"],
    invalidateOn: "settled",
  });
}

/** Exports the case's documents and partner-visible thread as one zip to S3 and posts its link. */
export function useShareCasePackage() {
  return useTopicMutation({
    mutationFn: (caseId: string) => api.shareCasePackage(caseId, null),
    topics: ["cases", "outbox"],
  });
}

/** Copies an S3 document's download link to the clipboard. */
export function useCopyDocumentLink() {
  return useMutation({
    mutationFn: async (d: DocumentRef) => {
      const link = await api.documentLink(d.caseId, d.documentId);
      await navigator.clipboard.writeText(link);
      return link;
    },
  });
}

/** Pauses, resumes, cancels or retries a transfer. */
export function useTransferAction() {
  return useMutation({
    mutationFn: (v: { id: string; action: TransferAction }) => api.transferAction(v.id, v.action),
  });
}

interface TransfersStream {
  transfers: TransferView[];
  listeners: Set<(t: TransferView[]) => void>;
  started: boolean;
  /** Why neither the stream nor the list could be read. */
  failure: Error | null;
  failureListeners: Set<(e: Error | null) => void>;
}

let shared: TransfersStream = { transfers: [], listeners: new Set(), started: false, failure: null, failureListeners: new Set() };

/** For tests: forget the stream (a new window starts a new one). */
export function resetTransfersStream(): void {
  shared = { transfers: [], listeners: new Set(), started: false, failure: null, failureListeners: new Set() };
}

function startStream(): void {
  if (shared.started) return;
  shared.started = true;
  const state = shared;
  const publish = (transfers: TransferView[]) => {
    state.transfers = transfers;
    for (const listener of state.listeners) listener(transfers);
  };
  let streamed = false;
  const channel = new Channel<TransfersUpdate>();
  channel.onmessage = (update) => {
    streamed = true;
    publish(update.transfers);
  };
  // The channel sends the whole list at once and on every change; the list read here fills the
  // view should the stream be unavailable (the preview's mock).
  let watchFailed: Error | null = null;
  let listFailed: Error | null = null;
  const fail = () => {
    if (!streamed && watchFailed && listFailed) {
      state.failure = listFailed;
      for (const listener of state.failureListeners) listener(listFailed);
    }
  };
  api.watchTransfers(channel).catch((error: Error) => {
    watchFailed = error;
    fail();
  });
  api
    .transfersList()
    .then((update) => {
      if (!streamed) publish(update.transfers);
    })
    .catch((error: Error) => {
      listFailed = error;
      fail();
    });
}

/** Why the transfers could not be read at all (`null` while they can). */
export function useTransfersFailure(): Error | null {
  const [failure, setFailure] = useState<Error | null>(shared.failure);
  useEffect(() => {
    startStream();
    const state = shared;
    state.failureListeners.add(setFailure);
    setFailure(state.failure);
    return () => {
      state.failureListeners.delete(setFailure);
    };
  }, []);
  return failure;
}

/** Every transfer of this session, newest first, live from the app's channel. */
export function useTransfers(): TransferView[] {
  const [transfers, setTransfers] = useState<TransferView[]>(shared.transfers);
  useEffect(() => {
    startStream();
    const state = shared;
    state.listeners.add(setTransfers);
    setTransfers(state.transfers);
    return () => {
      state.listeners.delete(setTransfers);
    };
  }, []);
  return transfers;
}

/** Running or waiting transfers, and their combined progress. */
export function activeSummary(transfers: readonly TransferView[]) {
  const active = transfers.filter((t) => t.state === "queued" || t.state === "running" || t.state === "paused");
  const failed = transfers.filter((t) => t.state === "failed").length;
  const total = active.reduce((sum, t) => sum + t.totalBytes, 0);
  const done = active.reduce((sum, t) => sum + t.doneBytes, 0);
  const speed = active.reduce((sum, t) => sum + t.bytesPerSecond, 0);
  return { active: active.length, failed, total, done, speed, fraction: total > 0 ? done / total : 0 };
}

/** The event the shell emits while files are dragged over the window (`pd_app::drops::DRAG_EVENT`). */
export const DRAG_EVENT = "pd://drag";

/** The key that opens the file picker on a case (shown in the button's tooltip). */
export const ATTACH_SHORTCUT = "a";

/** Forgets a drop that will not be attached (fire and forget: a forgotten drop is harmless). */
export function forgetDrop(dropId: string): void {
  void api.discardDrop(dropId).catch(() => undefined);
}

/** One sentence for the strip: what an attach did. */
export function reportSummary(report: AttachReport): string {
  const count = (outcome: AttachedFile["result"]["outcome"]) => report.files.filter((f) => f.result.outcome === outcome).length;
  const [queued, duplicates, refused] = [count("queued"), count("duplicate"), count("refused")];
  const parts: string[] = [];
  if (queued > 0) parts.push(`${queued} file${queued === 1 ? "" : "s"} attached (uploads show in Transfers)`);
  if (duplicates > 0) parts.push(`${duplicates} already on it`);
  if (refused > 0) parts.push(`${refused} refused (see the case)`);
  return parts.length ? `${parts.join(", ")}.` : "Nothing was attached.";
}

/** What the case says about a file of a drop that was not uploaded (`null`: it was queued). */
export function attachNote(f: AttachedFile): string | null {
  switch (f.result.outcome) {
    case "duplicate":
      return f.result.existingName === f.name
        ? `${f.name} is already on this case: not uploaded again.`
        : `${f.name} is already on this case as ${f.result.existingName} (same content): not uploaded again.`;
    case "refused":
      return `${f.name} was not attached: ${f.result.error.message}`;
    default:
      return null;
  }
}

/** Attaches the waiting drop to a case; the report is kept for the case and the strip clears. */
export function useAttachDrop() {
  return useTopicMutation({
    mutationFn: (v: { dropId: string; caseId: string; confirmed: boolean }) =>
      api.attachDrop(v.dropId, { kind: "case", caseId: v.caseId }, v.confirmed),
    topics: ["cases", "documents"],
    onSuccess: (report, v) => {
      recordReport(v.caseId, report);
      clearPending({ tone: "ok", text: reportSummary(report), caseId: v.caseId });
    },
    onError: (error) => {
      // A drop the app no longer knows cannot be attached again: the analyst drops it anew.
      if ((error as { code?: string }).code === "drop.unknown") clearPending({ tone: "error", text: error.message, caseId: null });
    },
  });
}

/**
 * The keyboard way to attach (the "Attach files…" button, its shortcut and the command palette):
 * the file picker, then the same confirmation strip as a drop onto the case.
 */
export function useAttachFiles(caseId: string | null) {
  const pick = useMutation({
    mutationFn: () => api.pickFiles(),
    onSuccess: (drop) => {
      if (!drop) return;
      const replaced = offerDrop({ drop, target: caseId ? { kind: "case", caseId } : { kind: "none" }, source: "pick" });
      if (replaced) forgetDrop(replaced.drop.id);
    },
  });
  return {
    /** Opens the picker. */
    start: () => pick.mutate(),
    /** The picker is open. */
    busy: pick.isPending,
    /** Why the picker could not open, in words. */
    error: pick.error?.message ?? null,
  };
}
