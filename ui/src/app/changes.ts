// Change topics -> the queries they make stale, in one typed map. The `pd://changed` listener and
// every mutation invalidate through it, so what a topic refreshes is written once: a mutation
// names the topics its command touches, as the Rust side would announce them.
import { useEffect } from "react";
import { listen } from "@tauri-apps/api/event";
import {
  useMutation,
  useQueryClient,
  type QueryClient,
  type UseMutationOptions,
} from "@tanstack/react-query";
import { CHANGED_EVENT, TOPICS, type Topic } from "./topics";
import type { QueryRoot } from "./queryKeys";
import type { ChangedPayload } from "../bindings";

export type { Topic };

/**
 * Which key roots each topic makes stale. Outbox changes move pending/failed marks on cases; a
 * sync may send or refuse queued changes, so it refreshes the outbox too, and it can find an
 * account's credentials refused, so it refreshes the accounts' health in Settings. A job's state
 * feeds the status bar (a sync loop that panicked shows there until it syncs again).
 */
export const TOPIC_ROOTS: Record<Topic, readonly QueryRoot[]> = {
  cases: ["cases", "partners", "outbox"],
  exceptions: ["exceptions", "partners"],
  partners: ["partners"],
  sync: ["sync", "outbox", "settings"],
  outbox: ["cases", "sync", "outbox"],
  settings: ["settings"],
  jobs: ["jobs", "sync"],
  // Retention exports and legal holds (their case's activity shows holds, so cases too).
  exports: ["exports", "cases"],
  documents: ["documents"],
  // Drop folders: their states and ledger; taken files land on cases.
  folders: ["folders", "cases"],
};

function isTopic(value: unknown): value is Topic {
  return typeof value === "string" && Object.hasOwn(TOPIC_ROOTS, value);
}

/** Key roots to invalidate for a set of topics (unknown topics are ignored). */
export function rootsForTopics(topics: readonly unknown[]): QueryRoot[] {
  const roots = new Set<QueryRoot>();
  for (const topic of topics) {
    if (isTopic(topic)) for (const root of TOPIC_ROOTS[topic]) roots.add(root);
  }
  return [...roots];
}

/** Marks every query a set of topics makes stale. */
export function invalidateTopics(client: QueryClient, topics: readonly unknown[]): Promise<void> {
  return Promise.all(
    rootsForTopics(topics).map((root) => client.invalidateQueries({ queryKey: [root] })),
  ).then(() => undefined);
}

/** Every topic: a workspace switch makes every cached answer stale. */
export const ALL_TOPICS: readonly Topic[] = TOPICS;

/** Subscribes to `pd://changed` for the lifetime of the component; call once near the root. */
export function useChangedEvents(): void {
  const client = useQueryClient();
  useEffect(() => {
    let unlisten: (() => void) | undefined;
    let cancelled = false;
    listen<Partial<ChangedPayload> | null>(CHANGED_EVENT, (event) => {
      const topics = Array.isArray(event.payload?.topics) ? event.payload.topics : [];
      void invalidateTopics(client, topics);
    })
      .then((stop) => {
        if (cancelled) stop();
        else unlisten = stop;
      })
      .catch(() => {
        // Without the event bridge the screens still work; they refresh on focus and actions.
      });
    return () => {
      cancelled = true;
      unlisten?.();
    };
  }, [client]);
}

/** What a screen may add to a feature's mutation hook: its own callbacks. */
export type MutationCallbacks<TData, TVars, TContext = unknown> = Omit<
  UseMutationOptions<TData, Error, TVars, TContext>,
  "mutationFn"
>;

/**
 * A mutation that declares the topics its command changes; they are invalidated through
 * `TOPIC_ROOTS` when it succeeds (or, with `invalidateOn: "settled"`, also when it fails).
 */
export function useTopicMutation<TData, TVars = void, TContext = unknown>(
  options: UseMutationOptions<TData, Error, TVars, TContext> & {
    topics: readonly Topic[];
    invalidateOn?: "success" | "settled";
  },
) {
  const client = useQueryClient();
  const { topics, invalidateOn = "success", onSuccess, onSettled, ...rest } = options;
  return useMutation<TData, Error, TVars, TContext>({
    ...rest,
    onSuccess: (...args) => {
      if (invalidateOn === "success") void invalidateTopics(client, topics);
      return onSuccess?.(...args);
    },
    onSettled: (...args) => {
      if (invalidateOn === "settled") void invalidateTopics(client, topics);
      return onSettled?.(...args);
    },
  });
}
