// The sync status, shared by the top bar, the banners, the status bar, the outbox and Settings,
// and "Sync now".
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../lib/ipc";
import { keys } from "./queryKeys";

/** The sync status query, polled once a minute besides the `sync` topic. */
export function useSyncStatus() {
  return useQuery({ queryKey: keys.sync(), queryFn: () => api.syncStatus(), refetchInterval: 60_000 });
}

/** "Sync now": its answer is the new status. */
export function useSyncNow() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => api.syncNow(),
    onSuccess: (status) => client.setQueryData(keys.sync(), status),
  });
}
