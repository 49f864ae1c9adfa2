// The desktop features' queries and mutations (issue 14): the desktop settings (me,
// notifications, close-to-tray, SLA policy, escalation rules), my open cases and the Mine view's
// counts, and the window's navigation requests (a notification click, a partnerdesk:// link,
// the tray) taken from the Rust side.
import { useEffect } from "react";
import { useQuery } from "@tanstack/react-query";
import { listen } from "@tauri-apps/api/event";
import type { DeskSettings, OpenRoute } from "../../bindings";
import { api } from "../../lib/ipc";
import { keys } from "../../app/queryKeys";
import { useTopicMutation, type MutationCallbacks } from "../../app/changes";
import { navigate, type Route } from "../../lib/router";

/** The event the shell sends when a navigation request waits (`take_open_request`). */
export const OPEN_EVENT = "pd://open";

/** The event the shell sends when a second launch handed over to this window. */
export const SECOND_LAUNCH_EVENT = "pd://second-launch";

/** The desktop settings. */
export function useDeskSettings() {
  return useQuery({ queryKey: keys.desk(), queryFn: () => api.deskSettings() });
}

/** Saves the desktop settings (checked by the Rust side; refused in words when invalid). */
export function useSaveDeskSettings(callbacks: MutationCallbacks<DeskSettings, DeskSettings> = {}) {
  return useTopicMutation({
    ...callbacks,
    mutationFn: (desk: DeskSettings) => api.saveDeskSettings(desk),
    topics: ["settings", "cases"],
  });
}

/** Pauses or resumes OS notifications. */
export function usePauseNotifications() {
  return useTopicMutation({
    mutationFn: (paused: boolean) => api.pauseNotifications(paused),
    topics: ["settings"],
  });
}

/** My open cases, most urgent SLA first. */
export function useMyCases() {
  return useQuery({ queryKey: keys.myCases(), queryFn: () => api.myOpenCases(), refetchInterval: 60_000 });
}

/** Breached, at risk, waiting on us, failed actions. */
export function useMyWorkCounts() {
  return useQuery({ queryKey: keys.myCounts(), queryFn: () => api.myWorkCounts(), refetchInterval: 60_000 });
}

/** The window route an open request names. */
export function routeOf(open: OpenRoute): Route {
  switch (open.to) {
    case "case":
      return { name: "case", id: open.id };
    case "mine":
      return { name: "mine" };
    case "outbox":
      return { name: "outbox" };
    case "exceptions":
      return { name: "exceptions" };
  }
}

/** Takes waiting navigation requests at start and whenever the shell says one waits. */
export function useOpenRequests(): void {
  useEffect(() => {
    let cancelled = false;
    const take = () => {
      api
        .takeOpenRequest()
        .then((open) => {
          if (open && !cancelled) navigate(routeOf(open));
        })
        .catch(() => {
          // Nothing waits, or the bridge is not there (preview): the window stays where it is.
        });
    };
    take();
    const stops: (() => void)[] = [];
    const keep = (stop: () => void) => {
      if (cancelled) stop();
      else stops.push(stop);
    };
    listen(OPEN_EVENT, take)
      .then(keep)
      .catch(() => {});
    // Counted on the document, where the end-to-end test reads that the hand-over arrived.
    listen(SECOND_LAUNCH_EVENT, () => {
      const root = document.documentElement;
      root.dataset.secondLaunches = String(Number(root.dataset.secondLaunches ?? "0") + 1);
    })
      .then(keep)
      .catch(() => {});
    return () => {
      cancelled = true;
      for (const stop of stops) stop();
    };
  }, []);
}
