// Trading Grid accounts: the list (environment, company id, which one is open, sign-in health,
// what its hosts serve), the add/edit form with keychain-backed secrets and an optional case
// server, "Test connection", switching workspaces, sharing cases kept on this computer once a
// case server exists, and removing an account.
import { useState } from "react";
import type {
  AccountHealth,
  AccountInput,
  AccountView,
  CaseServerCredentials,
  CaseServerSettings,
  ConnectionTestResult,
  HostKind,
} from "../../bindings";
import { allValid, httpUrl, required } from "../../lib/validate";
import { ConfirmDialog } from "../../components/Dialog";
import { Spinner } from "../../components/bits";
import { Actions, ErrorBanner, Options, QueryView, SelectField, TextField } from "../../components/form";
import {
  SecretField,
  initialSecret,
  reenterIfAsked,
  secretInput,
  secretPresent,
  type SecretChoice,
} from "../../components/SecretField";
import { TestResult } from "./TestResult";
import { useSyncStatus } from "../../app/sync";
import {
  useAccounts,
  useLocalCaseCount,
  useRemoveAccount,
  useSaveAccount,
  useShareLocalCases,
  useSwitchAccount,
  useTestAccount,
} from "./hooks";

type CaseServerKind = CaseServerSettings["kind"];

/** Where an account's cases go, as the form offers it. */
export const CASE_SERVER_LABELS: Record<CaseServerKind, string> = {
  none: "No case server: cases stay on this computer",
  trading_grid_host: "This Trading Grid host serves cases too",
  url: "Our team's case server",
};

const CREDENTIAL_LABELS: Record<CaseServerCredentials, string> = {
  same_as_trading_grid: "The same consumer key and secret",
  own: "A client id and secret of its own",
};

/** "Share 1 local case" / "Share 3 local cases". */
export function shareLabel(count: number): string {
  return `Share ${count} local ${count === 1 ? "case" : "cases"} with the case server`;
}

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

interface FormState {
  name: string;
  hostKind: HostKind;
  customUrl: string;
  companyId: string;
  key: SecretChoice;
  secret: SecretChoice;
  caseKind: CaseServerKind;
  caseUrl: string;
  caseCredentials: CaseServerCredentials;
  caseClientId: SecretChoice;
  caseClientSecret: SecretChoice;
  /** The analyst changed something in the case server part (else it is not sent: kept as is). */
  caseTouched: boolean;
}

function AccountForm({ account, onDone }: { account: AccountView | null; onDone: () => void }) {
  const [form, setForm] = useState<FormState>(() => ({
    name: account?.name ?? "",
    hostKind: account?.hostKind ?? "production",
    customUrl: account?.hostKind === "custom" ? account.baseUrl : "",
    companyId: account?.companyId ?? "",
    key: initialSecret(account?.consumerKeySet ?? false),
    secret: initialSecret(account?.consumerSecretSet ?? false),
    caseKind: account?.caseServer.settings.kind ?? "none",
    caseUrl: account?.caseServer.settings.kind === "url" ? account.caseServer.settings.url : "",
    caseCredentials:
      account?.caseServer.settings.kind === "url" ? account.caseServer.settings.credentials : "same_as_trading_grid",
    caseClientId: initialSecret(account?.caseServer.clientIdSet ?? false),
    caseClientSecret: initialSecret(account?.caseServer.clientSecretSet ?? false),
    caseTouched: false,
  }));
  const [showErrors, setShowErrors] = useState(false);
  const [result, setResult] = useState<ConnectionTestResult | null>(null);
  const set = (patch: Partial<FormState>) => {
    const caseTouched = Object.keys(patch).some((field) => field.startsWith("case"));
    setForm((f) => ({ ...f, ...patch, caseTouched: f.caseTouched || caseTouched }));
    setResult(null);
  };

  const problems = {
    name: required(form.name, "a name for this account"),
    customUrl: form.hostKind === "custom" ? httpUrl(form.customUrl, "the Trading Grid URL") : null,
    companyId: required(form.companyId, "the company id (BUID)"),
    key: secretPresent(form.key, account?.consumerKeySet ?? false) ? null : "Enter the consumer key.",
    secret: secretPresent(form.secret, account?.consumerSecretSet ?? false) ? null : "Enter the consumer secret.",
    caseUrl: form.caseKind === "url" ? httpUrl(form.caseUrl, "the case server URL") : null,
    caseClientId:
      form.caseKind === "url" &&
      form.caseCredentials === "own" &&
      !secretPresent(form.caseClientId, account?.caseServer.clientIdSet ?? false)
        ? "Enter the case server's client id."
        : null,
    caseClientSecret:
      form.caseKind === "url" &&
      form.caseCredentials === "own" &&
      !secretPresent(form.caseClientSecret, account?.caseServer.clientSecretSet ?? false)
        ? "Enter the case server's client secret."
        : null,
  };
  const ownCaseCredentials = form.caseKind === "url" && form.caseCredentials === "own";
  const shown = (p: string | null) => (showErrors ? p : null);

  const input = (): AccountInput => ({
    id: account?.id ?? null,
    name: form.name.trim(),
    hostKind: form.hostKind,
    customUrl: form.hostKind === "custom" ? form.customUrl.trim() : null,
    companyId: form.companyId.trim(),
    consumerKey: secretInput(form.key),
    consumerSecret: secretInput(form.secret),
    // Left out when untouched: the account keeps its case server (a new one: none).
    ...(form.caseTouched && {
      caseServer: {
        settings:
          form.caseKind === "url"
            ? { kind: "url", url: form.caseUrl.trim(), credentials: form.caseCredentials }
            : { kind: form.caseKind },
        clientId: ownCaseCredentials ? secretInput(form.caseClientId) : null,
        clientSecret: ownCaseCredentials ? secretInput(form.caseClientSecret) : null,
      },
    }),
  });

  const askSecret = (secret: SecretChoice) => setForm((f) => ({ ...f, secret }));
  const test = useTestAccount({
    onMutate: () => setResult(null),
    onSuccess: (answer) => {
      setResult(answer);
      reenterIfAsked(answer.code, "account-consumer-secret", askSecret);
    },
  });
  const sync = useSyncStatus();
  const switchTo = useSwitchAccount();
  const save = useSaveAccount({
    onError: (error) => reenterIfAsked(error, "account-consumer-secret", askSecret),
    onSuccess: (saved, _vars, context) => {
      // Drop every typed secret before anything else renders.
      setForm((f) => ({
        ...f,
        key: { mode: "keep" },
        secret: { mode: "keep" },
        caseClientId: { mode: "keep" },
        caseClientSecret: { mode: "keep" },
      }));
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
        checkThen(() => save.mutate(input()));
      }}
    >
      <h3 className="settings-form-title">{account ? `Edit ${account.name}` : "Add a Trading Grid account"}</h3>
      <div className="form-grid">
        <TextField
          id="account-name"
          label="Name"
          value={form.name}
          onChange={(name) => set({ name })}
          placeholder="ACME production"
          error={shown(problems.name)}
          autoFocus
        />
        <SelectField id="account-host-kind" label="Environment" value={form.hostKind} onChange={(hostKind) => set({ hostKind })}>
          <Options values={Object.keys(HOST_LABELS) as HostKind[]} labels={HOST_LABELS} />
        </SelectField>
        {form.hostKind === "custom" && (
          <TextField
            id="account-custom-url"
            label="URL"
            value={form.customUrl}
            onChange={(customUrl) => set({ customUrl })}
            placeholder="https://tradinggrid.example.com"
            error={shown(problems.customUrl)}
          />
        )}
        <TextField
          id="account-company-id"
          label="Company id"
          value={form.companyId}
          onChange={(companyId) => set({ companyId })}
          placeholder="GC00804444LX"
          error={shown(problems.companyId)}
          hint="Your company's BUID in Trading Grid."
          mono
        />

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

        <SelectField
          id="account-case-server-kind"
          label="Cases"
          value={form.caseKind}
          onChange={(caseKind) => set({ caseKind })}
        >
          <Options values={Object.keys(CASE_SERVER_LABELS) as CaseServerKind[]} labels={CASE_SERVER_LABELS} />
        </SelectField>
        {form.caseKind === "url" && (
          <>
            <TextField
              id="account-case-server-url"
              label="Case server URL"
              value={form.caseUrl}
              onChange={(caseUrl) => set({ caseUrl })}
              placeholder="https://cases.example.com"
              error={shown(problems.caseUrl)}
            />
            <SelectField
              id="account-case-server-credentials"
              label="Case server sign-in"
              value={form.caseCredentials}
              onChange={(caseCredentials) => set({ caseCredentials })}
            >
              <Options
                values={Object.keys(CREDENTIAL_LABELS) as CaseServerCredentials[]}
                labels={CREDENTIAL_LABELS}
              />
            </SelectField>
          </>
        )}
        {ownCaseCredentials && (
          <>
            <SecretField
              id="account-case-client-id"
              label="Case server client id"
              stored={account?.caseServer.clientIdSet ?? false}
              choice={form.caseClientId}
              onChange={(caseClientId) => set({ caseClientId })}
              testId="account-case-client-id"
              error={shown(problems.caseClientId)}
            />
            <SecretField
              id="account-case-client-secret"
              label="Case server client secret"
              stored={account?.caseServer.clientSecretSet ?? false}
              choice={form.caseClientSecret}
              onChange={(caseClientSecret) => set({ caseClientSecret })}
              testId="account-case-client-secret"
              error={shown(problems.caseClientSecret)}
              hint="Kept in the system keychain, like the consumer secret."
            />
          </>
        )}
      </div>

      {result && <TestResult result={result} testId="account-test-result" />}
      {test.isError && <TestResult error={test.error.message} testId="account-test-result" />}
      <ErrorBanner error={save.error} />

      <div className="settings-form-foot">
        <Actions
          leading={
            <button
              type="button"
              className="btn"
              onClick={() => checkThen(() => test.mutate(input()))}
              disabled={test.isPending}
              data-testid="account-test"
            >
              {test.isPending && <Spinner label="Testing" />}
              Test connection
            </button>
          }
          onCancel={onDone}
          primary={{ label: "Save", type: "submit", busy: save.isPending, busyLabel: "Saving", testId: "account-save" }}
        />
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
        <span className="muted small" data-testid="account-case-server">
          Cases:{" "}
          {account.caseServer.baseUrl ? (
            <span className="mono">{account.caseServer.baseUrl}</span>
          ) : (
            "on this computer only"
          )}
        </span>
        {account.probe && (
          <span
            className="small"
            data-testid="account-probe"
            data-cases={account.probe.cases}
            data-cases-stay-here={account.probe.casesStayHere}
          >
            {account.probe.summary}
          </span>
        )}
        {health.detail && (
          <span className={account.health === "sign_in_needed" ? "health-detail-alert" : "muted small"}>
            {health.detail}
          </span>
        )}
        {account.active && account.caseServer.baseUrl && <ShareLocalCases />}
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

/** The open account's cases kept on this computer, and the one action that shares them. */
function ShareLocalCases() {
  const count = useLocalCaseCount();
  const [confirming, setConfirming] = useState(false);
  const [shared, setShared] = useState<number | null>(null);
  const share = useShareLocalCases({
    onSuccess: (n) => {
      setShared(n);
      setConfirming(false);
    },
  });
  const n = count.data ?? 0;
  if (n === 0) {
    return shared ? (
      <span className="muted small" role="status" data-testid="share-local-cases-done">
        {shared === 1 ? "1 case was" : `${shared} cases were`} handed to the case server; each is sent once.
      </span>
    ) : null;
  }
  return (
    <>
      <button
        type="button"
        className="btn btn-small btn-primary share-local-cases"
        onClick={() => {
          share.reset();
          setConfirming(true);
        }}
        data-testid="share-local-cases"
      >
        {shareLabel(n)}
      </button>
      {confirming && (
        <ConfirmDialog
          title={`${shareLabel(n)}?`}
          message={`${n === 1 ? "The case" : `The ${n} cases`} opened while this account had no case server, with ${n === 1 ? "its" : "their"} thread and changes, will be sent to the case server and seen by your team. Each is sent once.`}
          confirmLabel="Share"
          busy={share.isPending}
          error={share.isError ? share.error.message : null}
          onCancel={() => setConfirming(false)}
          onConfirm={() => share.mutate()}
        />
      )}
    </>
  );
}

/** See the module comment. */
export function AccountsSection({ demoActive }: { demoActive: boolean }) {
  const accounts = useAccounts();
  const [editing, setEditing] = useState<AccountView | "new" | null>(null);
  const [removing, setRemoving] = useState<AccountView | null>(null);
  const switchTo = useSwitchAccount();
  const remove = useRemoveAccount({ onSuccess: () => setRemoving(null) });

  const list = (
    <QueryView
      query={accounts}
      skeletonRows={2}
      errorTitle="Could not read the accounts"
      isEmpty={(data) => data.length === 0}
      empty={
        <p className="settings-empty" data-testid="accounts-empty">
          No Trading Grid account yet. You are working in the demo workspace with sample data.
        </p>
      }
    >
      {(data) => (
        <ul className="settings-list">
          {data.map((a) => (
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
      )}
    </QueryView>
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
