// Connectors to the systems around Trading Grid (SFTP, S3, Wix, Drupal): list, add/edit with the
// same keychain rules for secrets as accounts, test a saved connector, remove one. What each kind
// asks for is described once, in connectorForms.ts; this file only renders that description.
import { useState } from "react";
import type { ConnectionTestResult, ConnectorKind, ConnectorView } from "../../bindings";
import { allValid, type Problem } from "../../lib/validate";
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
import { HostKeyDialog } from "./HostKeyDialog";
import { useConnectors, useRemoveConnector, useSaveConnector, useTestConnector } from "./hooks";
import {
  CONNECTOR_KINDS,
  CONNECTOR_LABELS,
  problemsOf,
  resolve,
  secretOf,
  settingsOf,
  summaryOf,
  valuesOf,
  visibleFields,
  type FieldSpec,
  type FormValues,
} from "./connectorForms";

/** One field of the kind's description, rendered with the shared field rows. */
function FieldRow({
  field,
  values,
  onChange,
  error,
}: {
  field: FieldSpec;
  values: FormValues;
  onChange: (v: string) => void;
  error: Problem;
}) {
  const label = resolve(field.label, values);
  const value = values[field.key];
  if (field.input.type === "select") {
    const { options } = field.input;
    return (
      <SelectField id={field.id} label={label} value={value} onChange={onChange}>
        <Options values={Object.keys(options)} labels={options} />
      </SelectField>
    );
  }
  return (
    <TextField
      id={field.id}
      label={label}
      value={value}
      onChange={onChange}
      error={error}
      placeholder={field.placeholder}
      hint={field.hint}
      inputMode={field.input.inputMode}
      mono={field.mono}
    />
  );
}

function ConnectorForm({ connector, onDone }: { connector: ConnectorView | null; onDone: () => void }) {
  const [kind, setKind] = useState<ConnectorKind>(connector?.settings.kind ?? "sftp");
  const [name, setName] = useState(connector?.name ?? "");
  const [values, setValues] = useState<FormValues>(() => valuesOf(connector?.settings ?? null));
  const [secret, setSecret] = useState<SecretChoice>(initialSecret(connector?.secretSet ?? false));
  const [showErrors, setShowErrors] = useState(false);
  const stored = connector?.secretSet ?? false;
  const secretSpec = secretOf(kind, values);
  const problems = problemsOf(kind, name, values, secretPresent(secret, stored));
  const err = (k: string): Problem => (showErrors ? (problems[k] ?? null) : null);

  const save = useSaveConnector({
    onError: (error) => reenterIfAsked(error, "connector-secret", setSecret),
    onSuccess: () => {
      setSecret({ mode: "keep" });
      onDone();
    },
  });

  return (
    <form
      className="settings-form"
      data-testid="connector-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        setShowErrors(true);
        if (allValid(problems))
          save.mutate({
            id: connector?.id ?? null,
            name: name.trim(),
            settings: settingsOf(kind, values),
            secret: secretInput(secret),
          });
      }}
    >
      <h3 className="settings-form-title">{connector ? `Edit ${connector.name}` : "Add a connector"}</h3>
      <div className="form-grid">
        <SelectField id="connector-kind" label="Kind" value={kind} onChange={setKind} disabled={connector !== null}>
          <Options values={CONNECTOR_KINDS} labels={CONNECTOR_LABELS} />
        </SelectField>
        <TextField id="connector-name" label="Name" value={name} onChange={setName} error={err("name")} placeholder="Partner drop folder" />

        {visibleFields(kind, values).map((field) => (
          <FieldRow
            key={field.key}
            field={field}
            values={values}
            onChange={(v) => setValues((old) => ({ ...old, [field.key]: v }))}
            error={err(field.key)}
          />
        ))}
        <SecretField
          id="connector-secret"
          label={secretSpec.label}
          stored={stored}
          choice={secret}
          onChange={setSecret}
          testId="connector-secret"
          error={err("secret")}
          hint={secretSpec.hint}
        />
      </div>
      <ErrorBanner error={save.error} />
      <div className="settings-form-foot">
        <Actions
          leading={
            <span className="muted small">
              {connector ? "Save, then test the connection from the list." : "You can test the connection once it is saved."}
            </span>
          }
          onCancel={onDone}
          primary={{ label: "Save", type: "submit", busy: save.isPending, busyLabel: "Saving", testId: "connector-save" }}
        />
      </div>
    </form>
  );
}

/** What the row says of the keychain entry: an SFTP key without a passphrase needs none. */
function SecretState({ connector }: { connector: ConnectorView }) {
  if (connector.secretSet) return null;
  const settings = connector.settings;
  if (settings.kind === "sftp" && settings.auth.kind === "private_key") {
    return (
      <span className="muted small" data-testid="connector-secret-state">
        Key without a passphrase
      </span>
    );
  }
  return (
    <span className="health health-warn" data-testid="connector-secret-state">
      No secret stored
    </span>
  );
}

function ConnectorRow({
  connector,
  onEdit,
  onRemove,
}: {
  connector: ConnectorView;
  onEdit: () => void;
  onRemove: () => void;
}) {
  const [result, setResult] = useState<ConnectionTestResult | null>(null);
  const [askingHostKey, setAskingHostKey] = useState(false);
  const test = useTestConnector(connector.id, {
    onMutate: () => setResult(null),
    onSuccess: (answer) => {
      setResult(answer);
      // As `ssh` on first connect (or on a changed key): ask at once.
      setAskingHostKey(answer.hostKey !== undefined);
    },
  });
  const hostKey = connector.settings.kind === "sftp" ? connector.settings.host_key : undefined;
  return (
    <li className="settings-row settings-row-stack" data-testid="connector-row">
      <div className="settings-row-top">
        <div className="settings-row-main">
          <div className="settings-row-head">
            <span className={`badge badge-kind badge-kind-${connector.settings.kind}`}>
              {CONNECTOR_LABELS[connector.settings.kind]}
            </span>
            <span className="settings-row-name">{connector.name}</span>
            <SecretState connector={connector} />
          </div>
          <span className="muted small mono truncate">{summaryOf(connector.settings)}</span>
          {connector.settings.kind === "sftp" && (
            <span className="muted small truncate" data-testid="connector-host-key">
              {hostKey ? (
                <>
                  Host key <span className="mono">{hostKey.fingerprint}</span>
                </>
              ) : (
                "Host key not accepted yet: Test to check it."
              )}
            </span>
          )}
        </div>
        <div className="settings-row-actions">
          <button type="button" className="btn btn-small" onClick={() => test.mutate()} disabled={test.isPending} data-testid="connector-test">
            {test.isPending && <Spinner label="Testing" />}
            Test
          </button>
          <button type="button" className="btn btn-small" onClick={onEdit} data-testid="connector-edit">
            Edit
          </button>
          <button type="button" className="btn btn-small btn-ghost-danger" onClick={onRemove} data-testid="connector-remove">
            Remove
          </button>
        </div>
      </div>
      {result && <TestResult result={result} testId="connector-test-result" />}
      {result?.hostKey && !askingHostKey && (
        <div className="settings-row-actions">
          <button type="button" className="btn btn-small" onClick={() => setAskingHostKey(true)} data-testid="connector-host-key-review">
            Review host key…
          </button>
        </div>
      )}
      {test.isError && <TestResult error={test.error.message} testId="connector-test-result" />}
      {askingHostKey && result?.hostKey && (
        <HostKeyDialog
          connectorId={connector.id}
          connectorName={connector.name}
          check={result.hostKey}
          onCancel={() => setAskingHostKey(false)}
          onAccepted={() => {
            setAskingHostKey(false);
            test.mutate();
          }}
        />
      )}
    </li>
  );
}

/** See the module comment. */
export function ConnectorsSection() {
  const connectors = useConnectors();
  const [editing, setEditing] = useState<ConnectorView | "new" | null>(null);
  const [removing, setRemoving] = useState<ConnectorView | null>(null);
  const remove = useRemoveConnector({ onSuccess: () => setRemoving(null) });

  const list = (
    <QueryView
      query={connectors}
      skeletonRows={2}
      errorTitle="Could not read the connectors"
      isEmpty={(data) => data.length === 0}
      empty={
        <p className="settings-empty" data-testid="connectors-empty">
          No connectors yet. Add an SFTP drop folder, an S3 bucket, a Wix site or a Drupal site.
        </p>
      }
    >
      {(data) => (
        <ul className="settings-list">
          {data.map((c) => (
            <ConnectorRow
              key={c.id}
              connector={c}
              onEdit={() => setEditing(c)}
              onRemove={() => {
                remove.reset();
                setRemoving(c);
              }}
            />
          ))}
        </ul>
      )}
    </QueryView>
  );

  return (
    <section className="settings-section" aria-labelledby="connectors-heading">
      <div className="settings-section-head">
        <div>
          <h2 id="connectors-heading">Connectors</h2>
          <p className="muted small">Drop folders, storage and portals around Trading Grid.</p>
        </div>
        <span className="top-bar-spacer" />
        {editing === null && (
          <button type="button" className="btn btn-primary" onClick={() => setEditing("new")} data-testid="connector-add">
            + Add connector
          </button>
        )}
      </div>
      {editing !== null && (
        <ConnectorForm
          key={editing === "new" ? "new" : editing.id}
          connector={editing === "new" ? null : editing}
          onDone={() => setEditing(null)}
        />
      )}
      {list}
      {removing && (
        <ConfirmDialog
          title={`Remove ${removing.name}?`}
          message={`Remove ${removing.name}? Its settings and keychain secret are deleted.`}
          confirmLabel="Remove connector"
          busy={remove.isPending}
          error={remove.isError ? remove.error.message : null}
          onCancel={() => setRemoving(null)}
          onConfirm={() => remove.mutate(removing.id)}
        />
      )}
    </section>
  );
}
