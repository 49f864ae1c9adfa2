// The exceptions inbox's queries and "Open case" from an exception, one hook each.
import { useQuery } from "@tanstack/react-query";
import type { ExceptionQuery } from "../../bindings";
import { api } from "../../lib/ipc";
import { PAGE_SIZE, keys } from "../../app/queryKeys";
import { useTopicMutation, type MutationCallbacks } from "../../app/changes";

/** The default exceptions query: the whole inbox. */
export function emptyExceptionQuery(): ExceptionQuery {
  return { search: null, partnerId: null, ediTypes: [], errorCode: null, offset: 0, limit: 0 };
}

/** Query options for one window of the exceptions inbox (the virtualized table fetches windows). */
export function exceptionPageQuery(q: ExceptionQuery, page: number) {
  return {
    queryKey: keys.exceptionPage(q, page),
    queryFn: () => api.listExceptions({ ...q, offset: page * PAGE_SIZE, limit: PAGE_SIZE }),
  };
}

/** The first `q.limit` exceptions of a query, as one list (a case's "link an exception" picker). */
export function useExceptionList(q: ExceptionQuery) {
  return useQuery({ queryKey: keys.exceptionPage(q, 0), queryFn: () => api.listExceptions(q) });
}

/** The values the inbox can be filtered by. */
export function useExceptionFacets() {
  return useQuery({ queryKey: keys.exceptionFacets(), queryFn: () => api.exceptionFacets() });
}

/** Opens a case from an exception (or finds the one already open); its answer is the case id. */
export function useOpenCaseFromException(callbacks: MutationCallbacks<string, string> = {}) {
  return useTopicMutation({
    ...callbacks,
    mutationFn: (transactionId: string) => api.createCaseFromException(transactionId),
    topics: ["cases", "exceptions", "outbox"],
  });
}
