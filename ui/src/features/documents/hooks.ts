// Documents on this computer (issue 10): open, save as, copy link, which ones are kept offline,
// and the Transfers list streamed over a Tauri channel. Paths never reach the page: the commands
// name documents by id, and the dialogs open from Rust.
import { useEffect, useState } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { Channel } from "@tauri-apps/api/core";
import type { TransferAction, TransferView, TransfersUpdate } from "../../bindings";
import { api } from "../../lib/ipc";
import { keys } from "../../app/queryKeys";
import { useTopicMutation } from "../../app/changes";

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

let shared: { transfers: TransferView[]; listeners: Set<(t: TransferView[]) => void>; started: boolean } = {
  transfers: [],
  listeners: new Set(),
  started: false,
};

/** For tests: forget the stream (a new window starts a new one). */
export function resetTransfersStream(): void {
  shared = { transfers: [], listeners: new Set(), started: false };
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
  api.watchTransfers(channel).catch(() => undefined);
  api
    .transfersList()
    .then((update) => {
      if (!streamed) publish(update.transfers);
    })
    .catch(() => undefined);
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
