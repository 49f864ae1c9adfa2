// Trading Grid accounts: the list (environment, company id, which one is open, sign-in health),
// the add/edit form with keychain-backed secrets, "Test connection", switching workspaces and
// removing an account.
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { AccountHealth, AccountInput, AccountView, ConnectionTestResult, HostKind } from "../../bindings";
import { ipc } from "../../lib/ipc";
import { keys } from "../../lib/queries";
import { allValid, httpUrl, required } from "../../lib/validate";
import { ConfirmDialog } from "../../components/Dialog";
import { ErrorState, SkeletonRows, Spinner } from "../../components/bits";
import { SecretField, initialSecret, secretInput, secretPresent, type SecretChoice } from "../../components/SecretField";
import { TestResult } from "./TestResult";
import { useSyncStatus } from "../../components/Shell";

/** Environment names. */
export const HOST_LABELS: Record<HostKind, string> = {
  production: "Production",
  beta: "Beta",
  custom: "Custom URL",
};

const HEALTH: Record<AccountHealth, { label: string; className: string; detail?: string }> = {
  ok: { label: "Signed in", className: "health-ok" },
  sign_in_needed: {
    label: "Sign-in needed",
    className: "health-signin",
    detail: "Trading Grid refused the stored consumer key or secret. Edit the account and enter them again.",
  },
  keychain_unavailable: {
    label: "Keychain unavailable",
    className: "health-warn",
    detail: "The secrets cannot be read until the system keychain is available.",
  },
  unknown: { label: "Not checked yet", className: "health-unknown" },
};

/** After a workspace switch every cached answer belongs to the old workspace. */
function useSwitchAccount() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string | null) => ipc.switchAccount(id),
    onSuccess: (status) => {
      client.setQueryData(keys.sync(), status);
      void client.invalidateQueries();
    },
  });
}

interface FormState {
  name: string;
  hostKind: HostKind;
  customUrl: string;
  companyId: string;
  key: SecretChoice;
  secret: SecretChoice;
}

function AccountForm({ account, onDone }: { account: AccountView | null; onDone: () => void }) {
  const client = useQueryClient();
  const [form, setForm] = useState<FormState>(() => ({
    name: account?.name ?? "",
    hostKind: account?.hostKind ?? "production",
    customUrl: account?.hostKind === "custom" ? account.baseUrl : "",
    companyId: account?.companyId ?? "",
    key: initialSecret(account?.consumerKeySet ?? false),
    secret: initialSecret(account?.consumerSecretSet ?? false),
  }));
  const [showErrors, setShowErrors] = useState(false);
  const [result, setResult] = useState<ConnectionTestResult | null>(null);
  const set = (patch: Partial<FormState>) => {
    setForm((f) => ({ ...f, ...patch }));
    setResult(null);
  };

  const problems = {
    name: required(form.name, "a name for this account"),
    customUrl: form.hostKind === "custom" ? httpUrl(form.customUrl, "the Trading Grid URL") : null,
    companyId: required(form.companyId, "the company id (BUID)"),
    key: secretPresent(form.key, account?.consumerKeySet ?? false) ? null : "Enter the consumer key.",
    secret: secretPresent(form.secret, account?.consumerSecretSet ?? false) ? null : "Enter the consumer secret.",
  };
  const shown = (p: string | null) => (showErrors ? p : null);

  const input = (): AccountInput => ({
    id: account?.id ?? null,
    name: form.name.trim(),
    hostKind: form.hostKind,
    customUrl: form.hostKind === "custom" ? form.customUrl.trim() : null,
    companyId: form.companyId.trim(),
    consumerKey: secretInput(form.key),
    consumerSecret: secretInput(form.secret),
  });

  const test = useMutation({
    mutationFn: () => ipc.testAccount(input()),
    onMutate: () => setResult(null),
    onSuccess: setResult,
  });
  const sync = useSyncStatus();
  const switchTo = useSwitchAccount();
  const save = useMutation({
    mutationFn: () => ipc.saveAccount(input()),
    onMutate: () => ({ first: (client.getQueryData<AccountView[]>(keys.accounts()) ?? []).length === 0 }),
    onSuccess: (saved, _vars, context) => {
      // Drop every typed secret before anything else renders.
      setForm((f) => ({ ...f, key: { mode: "keep" }, secret: { mode: "keep" } }));
      void client.invalidateQueries({ queryKey: ["settings"] });
      void client.invalidateQueries({ queryKey: ["sync"] });
      // The first real account replaces the demo workspace; later ones wait for a switch.
      if (!account && context?.first && sync.data?.isDemo) switchTo.mutate(saved.id);
      onDone();
    },
  });
  const checkThen = (run: () => void) => {
    setShowErrors(true);
    if (allValid(problems)) run();
  };

  return (
    <form
      className="settings-form"
      data-testid="account-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        checkThen(() => save.mutate());
      }}
    >
      <h3 className="settings-form-title">{account ? `Edit ${account.name}` : "Add a Trading Grid account"}</h3>
      <div className="form-grid">
        <label htmlFor="account-name">Name</label>
        <div className="form-field">
          <input
            id="account-name"
            className="input"
            value={form.name}
            onChange={(e) => set({ name: e.target.value })}
            placeholder="ACME production"
            aria-invalid={!!shown(problems.name)}
            data-testid="account-name"
            autoFocus
          />
          {shown(problems.name) && <span className="field-error">{problems.name}</span>}
        </div>

        <label htmlFor="account-host-kind">Environment</label>
        <select
          id="account-host-kind"
          className="select"
          value={form.hostKind}
          onChange={(e) => set({ hostKind: e.target.value as HostKind })}
          data-testid="account-host-kind"
        >
          {(Object.keys(HOST_LABELS) as HostKind[]).map((h) => (
            <option key={h} value={h}>
              {HOST_LABELS[h]}
            </option>
          ))}
        </select>

        {form.hostKind === "custom" && (
          <>
            <label htmlFor="account-custom-url">URL</label>
            <div className="form-field">
              <input
                id="account-custom-url"
                className="input"
                value={form.customUrl}
                onChange={(e) => set({ customUrl: e.target.value })}
                placeholder="https://tradinggrid.example.com"
                aria-invalid={!!shown(problems.customUrl)}
                data-testid="account-custom-url"
              />
              {shown(problems.customUrl) && <span className="field-error">{problems.customUrl}</span>}
            </div>
          </>
        )}

        <label htmlFor="account-company-id">Company id</label>
        <div className="form-field">
          <input
            id="account-company-id"
            className="input mono"
            value={form.companyId}
            onChange={(e) => set({ companyId: e.target.value })}
            placeholder="GC00804444LX"
            aria-invalid={!!shown(problems.companyId)}
            data-testid="account-company-id"
          />
          {shown(problems.companyId) ? (
            <span className="field-error">{problems.companyId}</span>
          ) : (
            <span className="muted small">Your company's BUID in Trading Grid.</span>
          )}
        </div>

        <SecretField
          id="account-consumer-key"
          label="Consumer key"
          stored={account?.consumerKeySet ?? false}
          choice={form.key}
          onChange={(key) => set({ key })}
          testId="account-consumer-key"
          error={shown(problems.key)}
        />
        <SecretField
          id="account-consumer-secret"
          label="Consumer secret"
          stored={account?.consumerSecretSet ?? false}
          choice={form.secret}
          onChange={(secret) => set({ secret })}
          testId="account-consumer-secret"
          error={shown(problems.secret)}
          hint="Kept in the system keychain, never on disk or shown again."
        />
      </div>

      {result && <TestResult result={result} testId="account-test-result" />}
      {test.isError && <TestResult error={test.error.message} testId="account-test-result" />}
      {save.isError && (
        <p className="inline-banner-error" role="alert">
          {save.error.message}
        </p>
      )}

      <div className="settings-form-foot">
        <button
          type="button"
          className="btn"
          onClick={() => checkThen(() => test.mutate())}
          disabled={test.isPending}
          data-testid="account-test"
        >
          {test.isPending && <Spinner label="Testing" />}
          Test connection
        </button>
        <span className="top-bar-spacer" />
        <button type="button" className="btn" onClick={onDone}>
          Cancel
        </button>
        <button type="submit" className="btn btn-primary" disabled={save.isPending} data-testid="account-save">
          {save.isPending && <Spinner label="Saving" />}
          Save
        </button>
      </div>
    </form>
  );
}

function AccountRow({
  account,
  onEdit,
  onRemove,
  onSwitch,
  switching,
}: {
  account: AccountView;
  onEdit: () => void;
  onRemove: () => void;
  onSwitch: () => void;
  switching: boolean;
}) {
  const health = HEALTH[account.health] ?? HEALTH.unknown;
  return (
    <li className={`settings-row${account.health === "sign_in_needed" ? " settings-row-alert" : ""}`} data-testid="account-row">
      <div className="settings-row-main">
        <div className="settings-row-head">
          <span className="settings-row-name">{account.name}</span>
          {account.active && (
            <span className="badge badge-active" data-testid="account-active">
              Open now
            </span>
          )}
          <span className={`health ${health.className}`} data-testid="account-health" data-health={account.health}>
            {health.label}
          </span>
        </div>
        <span className="muted small">
          {HOST_LABELS[account.hostKind]} · <span className="mono">{account.companyId}</span> ·{" "}
          <span className="mono">{account.baseUrl}</span>
        </span>
        {health.detail && (
          <span className={account.health === "sign_in_needed" ? "health-detail-alert" : "muted small"}>
            {health.detail}
          </span>
        )}
      </div>
      <div className="settings-row-actions">
        {!account.active && (
          <button
            type="button"
            className="btn btn-small btn-primary"
            onClick={onSwitch}
            disabled={switching}
            data-testid="account-switch"
          >
            Switch to this account
          </button>
        )}
        <button
          type="button"
          className={`btn btn-small${account.health === "sign_in_needed" ? " btn-primary" : ""}`}
          onClick={onEdit}
          data-testid="account-edit"
        >
          {account.health === "sign_in_needed" ? "Sign in again" : "Edit"}
        </button>
        <button type="button" className="btn btn-small btn-ghost-danger" onClick={onRemove} data-testid="account-remove">
          Remove
        </button>
      </div>
    </li>
  );
}

/** See the module comment. */
export function AccountsSection({ demoActive }: { demoActive: boolean }) {
  const client = useQueryClient();
  const accounts = useQuery({ queryKey: keys.accounts(), queryFn: ipc.listAccounts });
  const [editing, setEditing] = useState<AccountView | "new" | null>(null);
  const [removing, setRemoving] = useState<AccountView | null>(null);
  const switchTo = useSwitchAccount();
  const remove = useMutation({
    mutationFn: (id: string) => ipc.removeAccount(id),
    onSuccess: () => {
      setRemoving(null);
      void client.invalidateQueries({ queryKey: ["settings"] });
      void client.invalidateQueries({ queryKey: ["sync"] });
    },
  });

  let list;
  if (accounts.isPending) list = <SkeletonRows rows={2} />;
  else if (accounts.isError)
    list = <ErrorState error={accounts.error} onRetry={() => void accounts.refetch()} title="Could not read the accounts" />;
  else if (accounts.data.length === 0)
    list = (
      <p className="settings-empty" data-testid="accounts-empty">
        No Trading Grid account yet. You are working in the demo workspace with sample data.
      </p>
    );
  else
    list = (
      <ul className="settings-list">
        {accounts.data.map((a) => (
          <AccountRow
            key={a.id}
            account={a}
            onEdit={() => setEditing(a)}
            onRemove={() => {
              remove.reset();
              setRemoving(a);
            }}
            onSwitch={() => switchTo.mutate(a.id)}
            switching={switchTo.isPending}
          />
        ))}
      </ul>
    );

  return (
    <section className="settings-section" aria-labelledby="accounts-heading">
      <div className="settings-section-head">
        <div>
          <h2 id="accounts-heading">Trading Grid accounts</h2>
          <p className="muted small">Each account is its own workspace with its own cache.</p>
        </div>
        <span className="top-bar-spacer" />
        <button
          type="button"
          className="btn"
          onClick={() => switchTo.mutate(null)}
          disabled={demoActive || switchTo.isPending}
          title={demoActive ? "The demo workspace is open now" : undefined}
          data-testid="account-use-demo"
        >
          Use the demo workspace
        </button>
        {editing === null && (
          <button type="button" className="btn btn-primary" onClick={() => setEditing("new")} data-testid="account-add">
            + Add account
          </button>
        )}
      </div>
      {switchTo.isError && (
        <p className="inline-banner-error" role="alert">
          {switchTo.error.message}
        </p>
      )}
      {editing !== null && (
        <AccountForm
          key={editing === "new" ? "new" : editing.id}
          account={editing === "new" ? null : editing}
          onDone={() => setEditing(null)}
        />
      )}
      {list}
      {removing && (
        <ConfirmDialog
          title={`Remove ${removing.name}?`}
          message={`Remove ${removing.name}? Its cached data and keychain secrets are deleted. Changes not yet sent from this account are lost.`}
          confirmLabel="Remove account"
          busy={remove.isPending}
          error={remove.isError ? remove.error.message : null}
          onCancel={() => setRemoving(null)}
          onConfirm={() => remove.mutate(removing.id)}
        />
      )}
    </section>
  );
}
