// Listens to the shell's batched `pd://changed` event and marks the matching TanStack queries
// stale, so every screen refreshes from the SQLite cache without polling.
import { useEffect } from "react";
import { listen } from "@tauri-apps/api/event";
import { useQueryClient } from "@tanstack/react-query";
import { CHANGED_EVENT, type ChangedPayload, type ChangeTopic } from "./ipc";
import { topicRoots } from "./queries";

/** Key roots to invalidate for a set of topics (unknown topics are ignored). */
export function rootsForTopics(topics: readonly string[]): string[] {
  const roots = new Set<string>();
  for (const topic of topics) {
    for (const root of topicRoots[topic as ChangeTopic] ?? []) roots.add(root);
  }
  return [...roots];
}

/** Subscribes for the lifetime of the component; call once near the root. */
export function useChangedEvents(): void {
  const client = useQueryClient();
  useEffect(() => {
    let unlisten: (() => void) | undefined;
    let cancelled = false;
    listen<ChangedPayload>(CHANGED_EVENT, (event) => {
      const topics = Array.isArray(event.payload?.topics) ? event.payload.topics : [];
      for (const root of rootsForTopics(topics)) {
        void client.invalidateQueries({ queryKey: [root] });
      }
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
