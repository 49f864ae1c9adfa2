// Drop folders' queries and actions, one hook each. Every action changes the `folders` topic; the
// files a watcher takes change `cases` too (the Rust side reports both).
import { useEffect, useRef } from "react";
import { useQuery } from "@tanstack/react-query";
import { listen } from "@tauri-apps/api/event";
import type { DragPayload, DropView, FolderSettings, FolderView, LedgerQuery, RoutingRuleSetting } from "../../bindings";
import { api } from "../../lib/ipc";
import { keys } from "../../app/queryKeys";
import { useTopicMutation, type MutationCallbacks } from "../../app/changes";

/** Every drop folder with its state, counts and last file; refreshed every 5 s while shown. */
export function useFolders() {
  return useQuery({ queryKey: keys.folders(), queryFn: () => api.listFolders(), refetchInterval: 5_000 });
}

/** The ingest ledger, newest first, filtered. */
export function useLedger(query: LedgerQuery) {
  return useQuery({ queryKey: keys.ledger(query), queryFn: () => api.folderLedger(query) });
}

/** Adds or edits a folder. */
export function useSaveFolder(callbacks: MutationCallbacks<FolderView, FolderSettings> = {}) {
  return useTopicMutation({
    ...callbacks,
    mutationFn: (input: FolderSettings) => api.saveFolder(input),
    topics: ["folders"],
  });
}

/** Pauses or resumes a folder. */
export function usePauseFolder() {
  return useTopicMutation({
    mutationFn: ({ id, paused }: { id: string; paused: boolean }) => api.setFolderPaused(id, paused),
    topics: ["folders"],
  });
}

/** Removes a folder (its ledger stays). */
export function useRemoveFolder() {
  return useTopicMutation({ mutationFn: (id: string) => api.removeFolder(id), topics: ["folders"] });
}

/** Scans every folder again now. */
export function useRescanFolders() {
  return useTopicMutation({ mutationFn: () => api.rescanFolders(), topics: ["folders"] });
}

/** The routing rules between the fixed first step and the fallback. */
export function useRoutingRules() {
  return useQuery({ queryKey: keys.routingRules(), queryFn: () => api.routingRules() });
}

/** Saves the whole list of routing rules (each change of the editor is saved at once). */
export function useSaveRoutingRules() {
  return useTopicMutation({
    mutationFn: (rules: RoutingRuleSetting[]) => api.saveRoutingRules(rules),
    topics: ["folders"],
  });
}

/** What EDI recognition found in one ledger row's file (`null`: not EDI). */
export function useLedgerEdi(ledgerId: number | null) {
  return useQuery({
    queryKey: keys.ledgerEdi(ledgerId ?? -1),
    queryFn: () => api.ledgerEdi(ledgerId ?? -1),
    enabled: ledgerId !== null,
  });
}

/** Adds the folder dropped on the Folders view (its path stays in Rust, named by the drop id). */
export function useAddFolderFromDrop(callbacks: MutationCallbacks<FolderView, { dropId: string; input: FolderSettings }> = {}) {
  return useTopicMutation({
    ...callbacks,
    mutationFn: ({ dropId, input }: { dropId: string; input: FolderSettings }) => api.addFolderFromDrop(dropId, input),
    topics: ["folders"],
  });
}

/** Follows `pd://drag` while the Folders view is shown: `onDragging` while something is over the window, `onDrop` with what was dropped. */
export function useFolderDrops(onDragging: (over: boolean) => void, onDrop: (drop: DropView) => void) {
  const handlers = useRef({ onDragging, onDrop });
  handlers.current = { onDragging, onDrop };
  useEffect(() => {
    let unlisten: (() => void) | undefined;
    let cancelled = false;
    listen<DragPayload>("pd://drag", (event) => {
      const p = event.payload;
      if (p.phase === "enter" || p.phase === "over") handlers.current.onDragging(true);
      else {
        handlers.current.onDragging(false);
        if (p.phase === "drop" && p.dropped) handlers.current.onDrop(p.dropped);
      }
    })
      .then((stop) => {
        if (cancelled) stop();
        else unlisten = stop;
      })
      .catch(() => {
        // Without the event bridge the form's path field still adds a folder.
      });
    return () => {
      cancelled = true;
      unlisten?.();
    };
  }, []);
}
