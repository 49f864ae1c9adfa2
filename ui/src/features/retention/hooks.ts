// Retention exports: the queries and actions of the Retention view, a case's exports panel and
// Settings → Retention, one hook each. Every action changes the `exports` topic.
import { useQuery } from "@tanstack/react-query";
import type { ExportQuery, HoldScope, RetentionPolicy } from "../../bindings";
import { api } from "../../lib/ipc";
import { keys } from "../../app/queryKeys";
import { useTopicMutation } from "../../app/changes";

/** Exports matching a filter; polls while one is under way so progress shows. */
export function useExports(query: ExportQuery) {
  return useQuery({
    queryKey: keys.exports(query),
    queryFn: () => api.listExports(query),
    refetchInterval: (q) =>
      q.state.data?.some((e) => e.state === "queued" || e.state === "uploading") ? 2_000 : false,
  });
}

/** Exports a closed case now. */
export function useExportCase() {
  return useTopicMutation({
    mutationFn: (caseId: string) => api.exportCase(caseId),
    topics: ["exports"],
    invalidateOn: "settled",
  });
}

/** Checks an export against the bucket. */
export function useVerifyExport() {
  return useTopicMutation({
    mutationFn: (exportId: string) => api.verifyExport(exportId),
    topics: ["exports"],
  });
}

/** Places or releases a legal hold. */
export function useLegalHold() {
  return useTopicMutation({
    mutationFn: ({ scope, reason, place }: { scope: HoldScope; reason: string; place: boolean }) =>
      place ? api.placeLegalHold(scope, reason) : api.releaseLegalHold(scope, reason),
    topics: ["exports", "cases"],
  });
}

/** The retention policy. */
export function useRetentionPolicy() {
  return useQuery({ queryKey: keys.retentionPolicy(), queryFn: () => api.retentionPolicy() });
}

/** Saves the retention policy. */
export function useSaveRetentionPolicy() {
  return useTopicMutation({
    mutationFn: (policy: RetentionPolicy) => api.saveRetentionPolicy(policy),
    topics: ["exports", "settings"],
  });
}
