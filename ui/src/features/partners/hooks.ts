// The partner directory's queries: partners (with a search), one partner, the colleagues.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { api } from "../../lib/ipc";
import { keys } from "../../app/queryKeys";

/** Partners matching `search` (`null`: all of them). Keeps the last answer while a new search runs. */
export function usePartners(search: string | null = null, options: { keepPrevious?: boolean; enabled?: boolean } = {}) {
  return useQuery({
    queryKey: keys.partners(search),
    queryFn: () => api.listPartners(search),
    placeholderData: options.keepPrevious ? keepPreviousData : undefined,
    enabled: options.enabled ?? true,
  });
}

/** One partner. */
export function usePartner(id: string) {
  return useQuery({ queryKey: keys.partner(id), queryFn: () => api.getPartner(id) });
}

/** The colleagues cases can be assigned to. */
export function useUsers() {
  return useQuery({ queryKey: keys.users(), queryFn: () => api.listUsers() });
}
