// Query keys and query options in one place, so the `pd://changed` hook can invalidate by topic:
// the first element of every key is the topic that makes it stale.
import type { CaseQuery, ExceptionQuery } from "../bindings";
import { ipc } from "./ipc";
import { PAGE_SIZE, keys } from "../app/queryKeys";

export { PAGE_SIZE, keys };

/** Query options for one window of the case list. */
export function casePageQuery(q: CaseQuery, page: number) {
  return {
    queryKey: keys.casePage(q, page),
    queryFn: () => ipc.listCases({ ...q, offset: page * PAGE_SIZE, limit: PAGE_SIZE }),
  };
}

/** Query options for one window of the exceptions inbox. */
export function exceptionPageQuery(q: ExceptionQuery, page: number) {
  return {
    queryKey: keys.exceptionPage(q, page),
    queryFn: () => ipc.listExceptions({ ...q, offset: page * PAGE_SIZE, limit: PAGE_SIZE }),
  };
}
