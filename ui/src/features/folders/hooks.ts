// Drop folders' queries and actions, one hook each. Every action changes the `folders` topic; the
// files a watcher takes change `cases` too (the Rust side reports both).
import { useQuery } from "@tanstack/react-query";
import type { FolderSettings, FolderView, LedgerQuery, RoutingRuleSetting } from "../../bindings";
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
