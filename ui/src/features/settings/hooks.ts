// Settings' queries and actions, one hook each: the keychain, accounts (workspaces), connectors
// and the background jobs. Saving or removing changes the `settings` topic; accounts also move the
// sync state.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { AccountInput, AccountView, ConnectionTestResult, ConnectorInput, ConnectorView } from "../../bindings";
import { api } from "../../lib/ipc";
import { keys } from "../../app/queryKeys";
import { ALL_TOPICS, invalidateTopics, useTopicMutation, type MutationCallbacks } from "../../app/changes";

/** The app's background jobs and how each is doing (refreshed by the `jobs` topic). */
export function useBackgroundJobs() {
  return useQuery({ queryKey: keys.jobs(), queryFn: () => api.backgroundJobs() });
}

/** Whether the system keychain can be used. */
export function useKeychainStatus() {
  return useQuery({ queryKey: keys.keychain(), queryFn: () => api.keychainStatus() });
}

/** The Trading Grid accounts. */
export function useAccounts() {
  return useQuery({ queryKey: keys.accounts(), queryFn: () => api.listAccounts() });
}

/** What `useSaveAccount` knew before saving: whether this is the first account. */
export interface SaveAccountContext {
  first: boolean;
}

/** Saves an account (new or edited). */
export function useSaveAccount(callbacks: MutationCallbacks<AccountView, AccountInput, SaveAccountContext> = {}) {
  const client = useQueryClient();
  return useTopicMutation({
    ...callbacks,
    mutationFn: (input: AccountInput) => api.saveAccount(input),
    onMutate: () => ({ first: (client.getQueryData<AccountView[]>(keys.accounts()) ?? []).length === 0 }),
    topics: ["settings", "sync"],
  });
}

/** Removes an account with its keychain secrets and cache. */
export function useRemoveAccount(callbacks: MutationCallbacks<null, string> = {}) {
  return useTopicMutation({
    ...callbacks,
    mutationFn: (id: string) => api.removeAccount(id),
    topics: ["settings", "sync"],
  });
}

/** Opens another workspace (`null`: the demo); every cached answer belonged to the old one. */
export function useSwitchAccount() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string | null) => api.switchAccount(id),
    onSuccess: (status) => {
      client.setQueryData(keys.sync(), status);
      void invalidateTopics(client, ALL_TOPICS);
    },
  });
}

/** "Test connection" for an account as typed (stored secrets fill what the input omits). */
export function useTestAccount(callbacks: MutationCallbacks<ConnectionTestResult, AccountInput> = {}) {
  return useMutation({ ...callbacks, mutationFn: (input: AccountInput) => api.testAccount(input) });
}

/** How many cases are kept on this computer only (refreshed by the `cases` topic). */
export function useLocalCaseCount() {
  return useQuery({ queryKey: keys.localCaseCount(), queryFn: () => api.localCaseCount() });
}

/** Shares every case kept on this computer with the open account's case server. */
export function useShareLocalCases(callbacks: MutationCallbacks<number, void> = {}) {
  return useTopicMutation({
    ...callbacks,
    mutationFn: () => api.shareLocalCases(),
    topics: ["cases", "outbox", "sync"],
  });
}

/** The connectors. */
export function useConnectors() {
  return useQuery({ queryKey: keys.connectors(), queryFn: () => api.listConnectors() });
}

/** Saves a connector (new or edited). */
export function useSaveConnector(callbacks: MutationCallbacks<ConnectorView, ConnectorInput> = {}) {
  return useTopicMutation({
    ...callbacks,
    mutationFn: (input: ConnectorInput) => api.saveConnector(input),
    topics: ["settings"],
  });
}

/** Removes a connector with its keychain secret. */
export function useRemoveConnector(callbacks: MutationCallbacks<null, string> = {}) {
  return useTopicMutation({
    ...callbacks,
    mutationFn: (id: string) => api.removeConnector(id),
    topics: ["settings"],
  });
}

/** "Test connection" for a saved connector. */
export function useTestConnector(id: string, callbacks: MutationCallbacks<ConnectionTestResult, void> = {}) {
  return useMutation({ ...callbacks, mutationFn: () => api.testConnector(id) });
}

/** Accepts the host key an SFTP server presents, once the analyst compared `fingerprint`. */
export function useAcceptHostKey(connectorId: string, callbacks: MutationCallbacks<ConnectorView, string> = {}) {
  return useTopicMutation({
    ...callbacks,
    mutationFn: (fingerprint: string) => api.acceptHostKey(connectorId, fingerprint),
    topics: ["settings"],
  });
}
