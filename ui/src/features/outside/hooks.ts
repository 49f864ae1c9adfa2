// Queries and mutations of the connector work: a case's notice and article, Settings' per-connector
// work and the items kept aside. Each mutation names the topics its command changes.
import { useQuery } from "@tanstack/react-query";
import { keys } from "../../app/queryKeys";
import { useTopicMutation } from "../../app/changes";
import { api } from "../../lib/ipc";
import type { ArticleText, ConnectorWorkInput, NoticeText } from "../../bindings";

/** What a case shows of the outside systems. */
export function useCaseOutside(caseId: string) {
  return useQuery({ queryKey: keys.caseOutside(caseId), queryFn: () => api.caseOutside(caseId) });
}

/** Publishes (or updates) the case's partner notice. */
export function usePublishNotice(caseId: string) {
  return useTopicMutation({
    mutationFn: (notice: NoticeText) => api.publishNotice(caseId, notice),
    topics: ["cases", "outbox"],
  });
}

/** Promotes (or updates) the case's resolution as an article. */
export function usePromoteArticle(caseId: string) {
  return useTopicMutation({
    mutationFn: (article: ArticleText) => api.promoteArticle(caseId, article),
    topics: ["cases", "outbox"],
  });
}

/** Every connector's work in the open workspace. */
export function useConnectorWork() {
  return useQuery({ queryKey: keys.connectorWork(), queryFn: () => api.connectorWorkList() });
}

/** Saves a connector's work. */
export function useSaveConnectorWork() {
  return useTopicMutation({
    mutationFn: (input: ConnectorWorkInput) => api.saveConnectorWork(input),
    topics: ["settings"],
  });
}

/** Items kept aside by the importers and the listener. */
export function useAsideItems() {
  return useQuery({ queryKey: keys.asideItems(), queryFn: () => api.asideItems() });
}
