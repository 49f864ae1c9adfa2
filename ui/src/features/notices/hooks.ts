// The window's notices: what happened to the analyst's files at start (a damaged cache and what
// was saved from it, files from a newer PartnerDesk left untouched), until dismissed.
import { useQuery } from "@tanstack/react-query";
import { api } from "../../lib/ipc";
import { keys } from "../../app/queryKeys";
import { useTopicMutation, type MutationCallbacks } from "../../app/changes";

/** The notices not dismissed yet (a workspace switch can add one: it refreshes `settings`). */
export function useNotices() {
  return useQuery({ queryKey: keys.notices(), queryFn: () => api.notices() });
}

/** Dismisses one notice. */
export function useDismissNotice(callbacks: MutationCallbacks<null, string> = {}) {
  return useTopicMutation({
    ...callbacks,
    mutationFn: (id: string) => api.dismissNotice(id),
    topics: ["settings"],
    invalidateOn: "settled",
  });
}
