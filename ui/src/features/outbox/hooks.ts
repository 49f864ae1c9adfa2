// The outbox's query and actions, one hook each. Every action changes the `outbox` topic: the
// list, the marks on cases and the counts all move.
import { useQuery } from "@tanstack/react-query";
import type { OutboxEdit } from "../../bindings";
import { api } from "../../lib/ipc";
import { keys } from "../../app/queryKeys";
import { useTopicMutation, type MutationCallbacks } from "../../app/changes";

/** Every local change the server has not accepted yet; `poll` also refreshes it every 15 s. */
export function useOutbox(options: { poll?: boolean } = {}) {
  return useQuery({
    queryKey: keys.outbox(),
    queryFn: () => api.outboxList(),
    refetchInterval: options.poll ? 15_000 : undefined,
  });
}

/** Queues a failed entry again; `null` queues every failed entry. */
export function useOutboxRetry() {
  return useTopicMutation({
    mutationFn: (opId: string | null) => api.outboxRetry(opId),
    topics: ["outbox"],
    invalidateOn: "settled",
  });
}

/** Edits a refused entry and queues it again. */
export function useOutboxEdit(opId: string, callbacks: MutationCallbacks<null, OutboxEdit> = {}) {
  return useTopicMutation({
    ...callbacks,
    mutationFn: (edit: OutboxEdit) => api.outboxEdit(opId, edit),
    topics: ["outbox"],
  });
}

/** Discards an entry: its local change is undone and never sent. */
export function useOutboxDiscard(callbacks: MutationCallbacks<null, string> = {}) {
  return useTopicMutation({
    ...callbacks,
    mutationFn: (opId: string) => api.outboxDiscard(opId),
    topics: ["outbox"],
  });
}
