// The case queries and mutations, one hook each. Screens call these, never the IPC layer; each
// mutation names the change topics its command touches and is invalidated through them.
import { keepPreviousData, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import type { CaseDetail, CasePatch, CaseQuery, CommentView, NewCaseInput, Visibility } from "../../bindings";
import { api } from "../../lib/ipc";
import { PAGE_SIZE, keys } from "../../app/queryKeys";
import { useTopicMutation, type MutationCallbacks } from "../../app/changes";
import { toCaseQuery, toCountQuery, type CaseListState } from "./caseListState";

/** Windows of the list scrolled out of view are dropped after this long (the default keeps
 * them 5 minutes: scrolling through 100,000 cases would hold every row in the web process). */
export const CASE_PAGE_GC_MS = 20_000;

/** Query options for one window of the case list (the virtualized table fetches windows). */
export function casePageQuery(q: CaseQuery, page: number) {
  return {
    queryKey: keys.casePage(q, page),
    queryFn: () => api.listCases({ ...q, offset: page * PAGE_SIZE, limit: PAGE_SIZE }),
    gcTime: CASE_PAGE_GC_MS,
  };
}

/** Query options for the cases per status of a query. */
function caseCountsQuery(q: CaseQuery) {
  return { queryKey: keys.caseCounts(q), queryFn: () => api.caseStatusCounts(q) };
}

/** Cases per status for a query (its status filter ignored by the caller). */
export function useCaseCounts(q: CaseQuery) {
  return useQuery({ ...caseCountsQuery(q), placeholderData: keepPreviousData });
}

/** Asks for the case list's first window and its status counts before the first render, so the
 * app answers while the page renders the shell instead of after it (issue 16, cold start). The
 * list's hooks then find these queries under the same keys, in flight or answered. */
export function prefetchCaseList(client: QueryClient, state: CaseListState): void {
  void client.prefetchQuery(casePageQuery(toCaseQuery(state, state.search), 0));
  void client.prefetchQuery(caseCountsQuery(toCountQuery(state, state.search)));
}

/** One case with its thread, activity and links. */
export function useCase(id: string, options: { enabled?: boolean } = {}) {
  return useQuery({ queryKey: keys.caseDetail(id), queryFn: () => api.getCase(id), enabled: options.enabled });
}

/** Puts a command's answer in the case's cache entry at once. */
function useSetCase() {
  const client = useQueryClient();
  return (next: CaseDetail) => client.setQueryData(keys.caseDetail(next.case.id), next);
}

/** Adds a comment; it shows in the thread at once. */
export function useAddComment(
  caseId: string,
  callbacks: MutationCallbacks<CommentView, { body: string; visibility: Visibility }> = {},
) {
  const client = useQueryClient();
  return useTopicMutation({
    ...callbacks,
    mutationFn: ({ body, visibility }) => api.addComment(caseId, body, visibility),
    topics: ["cases", "outbox"],
    onSuccess: (comment, ...rest) => {
      client.setQueryData<CaseDetail>(keys.caseDetail(caseId), (old) =>
        old ? { ...old, comments: [...old.comments, comment] } : old,
      );
      return callbacks.onSuccess?.(comment, ...rest);
    },
  });
}

/** Changes a case's status, priority or owner. */
export function useUpdateCase(caseId: string) {
  const setCase = useSetCase();
  return useTopicMutation({
    mutationFn: (patch: CasePatch) => api.updateCase(caseId, patch),
    topics: ["cases", "outbox"],
    onSuccess: setCase,
  });
}

/** Creates a case; its answer is the new case's id. */
export function useCreateCase(callbacks: MutationCallbacks<string, NewCaseInput> = {}) {
  return useTopicMutation({
    ...callbacks,
    mutationFn: (input: NewCaseInput) => api.createCase(input),
    topics: ["cases", "outbox"],
  });
}

/** Links a transaction to the case. */
export function useLinkTransaction(caseId: string, callbacks: MutationCallbacks<CaseDetail, string> = {}) {
  const setCase = useSetCase();
  return useTopicMutation({
    ...callbacks,
    mutationFn: (transactionId: string) => api.linkTransaction(caseId, transactionId),
    topics: ["cases", "exceptions", "outbox"],
    onSuccess: (next, ...rest) => {
      setCase(next);
      return callbacks.onSuccess?.(next, ...rest);
    },
  });
}

/** Unlinks a transaction from the case. */
export function useUnlinkTransaction(caseId: string) {
  const setCase = useSetCase();
  return useTopicMutation({
    mutationFn: (transactionId: string) => api.unlinkTransaction(caseId, transactionId),
    topics: ["cases", "exceptions", "outbox"],
    onSuccess: setCase,
  });
}

/** Dismisses a conflict kept on a case (the case refreshes whether or not it worked). */
export function useDismissConflict() {
  return useTopicMutation({
    mutationFn: (conflictId: string) => api.dismissConflict(conflictId),
    topics: ["cases"],
    invalidateOn: "settled",
  });
}
