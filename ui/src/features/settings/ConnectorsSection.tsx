// Connectors to the systems around Trading Grid (SFTP, S3, Wix, Drupal): list, add/edit with the
// same keychain rules for secrets as accounts, test a saved connector, remove one.
import { useState } from "react";
import type {
  ConnectionTestResult,
  ConnectorKind,
  ConnectorSettings,
  ConnectorView,
  DrupalAuth,
  SftpAuth,
} from "../../bindings";
import { allValid, bucketName, hostName, httpUrl, port, required, type Problem } from "../../lib/validate";
import { ConfirmDialog } from "../../components/Dialog";
import { Spinner } from "../../components/bits";
import { Actions, ErrorBanner, Options, QueryView, SelectField, TextField } from "../../components/form";
import { SecretField, initialSecret, secretInput, secretPresent, type SecretChoice } from "../../components/SecretField";
import { TestResult } from "./TestResult";
import { useConnectors, useRemoveConnector, useSaveConnector, useTestConnector } from "./hooks";

/** Connector kinds in words. */
export const CONNECTOR_LABELS: Record<ConnectorKind, string> = {
  sftp: "SFTP",
  s3: "Amazon S3",
  wix: "Wix",
  drupal: "Drupal",
};

/** Every field of every kind, as text, so switching kinds in a new form loses nothing typed. */
interface Fields {
  host: string;
  port: string;
  user: string;
  sftpAuth: SftpAuth["kind"];
  privateKeyPath: string;
  remoteDir: string;
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  siteId: string;
  baseUrl: string;
  drupalAuth: DrupalAuth["kind"];
  clientOrUser: string;
}

function fieldsOf(settings: ConnectorSettings | null): Fields {
  const f: Fields = {
    host: "",
    port: "22",
    user: "",
    sftpAuth: "password",
    privateKeyPath: "",
    remoteDir: "",
    endpoint: "",
    region: "",
    bucket: "",
    accessKeyId: "",
    siteId: "",
    baseUrl: "",
    drupalAuth: "oauth",
    clientOrUser: "",
  };
  if (!settings) return f;
  switch (settings.kind) {
    case "sftp":
      return {
        ...f,
        host: settings.host,
        port: String(settings.port),
        user: settings.user,
        sftpAuth: settings.auth.kind,
        privateKeyPath: settings.auth.kind === "private_key" ? settings.auth.path : "",
        remoteDir: settings.remote_dir ?? "",
      };
    case "s3":
      return {
        ...f,
        endpoint: settings.endpoint ?? "",
        region: settings.region,
        bucket: settings.bucket,
        accessKeyId: settings.access_key_id,
      };
    case "wix":
      return { ...f, siteId: settings.site_id };
    case "drupal":
      return {
        ...f,
        baseUrl: settings.base_url,
        drupalAuth: settings.auth.kind,
        clientOrUser: settings.auth.kind === "basic" ? settings.auth.user : settings.auth.client_id,
      };
  }
}

function settingsOf(kind: ConnectorKind, f: Fields): ConnectorSettings {
  const opt = (s: string) => (s.trim() ? s.trim() : null);
  switch (kind) {
    case "sftp":
      return {
        kind,
        host: f.host.trim(),
        port: Number(f.port.trim()),
        user: f.user.trim(),
        auth: f.sftpAuth === "private_key" ? { kind: "private_key", path: f.privateKeyPath.trim() } : { kind: "password" },
        remote_dir: opt(f.remoteDir),
      };
    case "s3":
      return {
        kind,
        endpoint: opt(f.endpoint),
        region: f.region.trim(),
        bucket: f.bucket.trim(),
        access_key_id: f.accessKeyId.trim(),
      };
    case "wix":
      return { kind, site_id: f.siteId.trim() };
    case "drupal":
      return {
        kind,
        base_url: f.baseUrl.trim(),
        auth:
          f.drupalAuth === "basic"
            ? { kind: "basic", user: f.clientOrUser.trim() }
            : { kind: "oauth", client_id: f.clientOrUser.trim() },
      };
  }
}

/** What the one secret of a connector is called, by kind and sign-in method. */
function secretLabel(kind: ConnectorKind, f: Fields): { label: string; optional: boolean } {
  switch (kind) {
    case "sftp":
      return f.sftpAuth === "private_key"
        ? { label: "Key passphrase", optional: true }
        : { label: "Password", optional: false };
    case "s3":
      return { label: "Secret access key", optional: false };
    case "wix":
      return { label: "API key", optional: false };
    case "drupal":
      return f.drupalAuth === "oauth"
        ? { label: "Client secret", optional: false }
        : { label: "Password", optional: false };
  }
}

function problemsOf(kind: ConnectorKind, name: string, f: Fields, secretOk: boolean, secret: string): Record<string, Problem> {
  const p: Record<string, Problem> = { name: required(name, "a name for this connector") };
  const needSecret = (what: string) => (secretOk ? null : `Enter the ${what.toLowerCase()}.`);
  switch (kind) {
    case "sftp":
      p.host = hostName(f.host);
      p.port = port(f.port);
      p.user = required(f.user, "the user name");
      p.privateKeyPath = f.sftpAuth === "private_key" ? required(f.privateKeyPath, "the path of the private key file") : null;
      p.secret = f.sftpAuth === "password" ? needSecret(secret) : null;
      break;
    case "s3":
      p.endpoint = httpUrl(f.endpoint, "the endpoint", true);
      p.region = required(f.region, "the region");
      p.bucket = bucketName(f.bucket);
      p.accessKeyId = required(f.accessKeyId, "the access key id");
      p.secret = needSecret(secret);
      break;
    case "wix":
      p.siteId = required(f.siteId, "the site id");
      p.secret = needSecret(secret);
      break;
    case "drupal":
      p.baseUrl = httpUrl(f.baseUrl, "the site URL");
      p.clientOrUser = required(f.clientOrUser, f.drupalAuth === "oauth" ? "the OAuth client id" : "the user name");
      p.secret = needSecret(secret);
      break;
  }
  return p;
}

function ConnectorForm({ connector, onDone }: { connector: ConnectorView | null; onDone: () => void }) {
  const [kind, setKind] = useState<ConnectorKind>(connector?.settings.kind ?? "sftp");
  const [name, setName] = useState(connector?.name ?? "");
  const [fields, setFields] = useState<Fields>(() => fieldsOf(connector?.settings ?? null));
  const [secret, setSecret] = useState<SecretChoice>(initialSecret(connector?.secretSet ?? false));
  const [showErrors, setShowErrors] = useState(false);
  const set = (patch: Partial<Fields>) => setFields((f) => ({ ...f, ...patch }));
  const stored = connector?.secretSet ?? false;
  const { label: secretName, optional } = secretLabel(kind, fields);
  const problems = problemsOf(kind, name, fields, optional || secretPresent(secret, stored), secretName);
  const err = (k: string): Problem => (showErrors ? (problems[k] ?? null) : null);

  const save = useSaveConnector({
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
            settings: settingsOf(kind, fields),
            secret: secretInput(secret),
          });
      }}
    >
      <h3 className="settings-form-title">{connector ? `Edit ${connector.name}` : "Add a connector"}</h3>
      <div className="form-grid">
        <SelectField id="connector-kind" label="Kind" value={kind} onChange={setKind} disabled={connector !== null}>
          <Options values={Object.keys(CONNECTOR_LABELS) as ConnectorKind[]} labels={CONNECTOR_LABELS} />
        </SelectField>
        <TextField id="connector-name" label="Name" value={name} onChange={setName} error={err("name")} placeholder="Partner drop folder" />

        {kind === "sftp" && (
          <>
            <TextField id="connector-host" label="Host" value={fields.host} onChange={(host) => set({ host })} error={err("host")} placeholder="sftp.partner.example" mono />
            <TextField id="connector-port" label="Port" value={fields.port} onChange={(p) => set({ port: p })} error={err("port")} inputMode="numeric" mono />
            <TextField id="connector-user" label="User" value={fields.user} onChange={(user) => set({ user })} error={err("user")} mono />
            <SelectField id="connector-sftp-auth" label="Sign in with" value={fields.sftpAuth} onChange={(sftpAuth) => set({ sftpAuth })}>
              <option value="password">Password</option>
              <option value="private_key">Private key file</option>
            </SelectField>
            {fields.sftpAuth === "private_key" && (
              <TextField
                id="connector-key-path"
                label="Private key"
                value={fields.privateKeyPath}
                onChange={(privateKeyPath) => set({ privateKeyPath })}
                error={err("privateKeyPath")}
                placeholder="/home/me/.ssh/id_ed25519"
                hint="Path of the key file on this computer; the file itself stays where it is."
                mono
              />
            )}
            <TextField id="connector-remote-dir" label="Remote folder" value={fields.remoteDir} onChange={(remoteDir) => set({ remoteDir })} error={null} placeholder="/inbound" mono />
          </>
        )}
        {kind === "s3" && (
          <>
            <TextField id="connector-endpoint" label="Endpoint" value={fields.endpoint} onChange={(endpoint) => set({ endpoint })} error={err("endpoint")} placeholder="https://s3.example.com" hint="Leave empty for Amazon S3; fill in for S3-compatible stores." mono />
            <TextField id="connector-region" label="Region" value={fields.region} onChange={(region) => set({ region })} error={err("region")} placeholder="eu-central-1" mono />
            <TextField id="connector-bucket" label="Bucket" value={fields.bucket} onChange={(bucket) => set({ bucket })} error={err("bucket")} placeholder="partnerdesk-cases" mono />
            <TextField id="connector-access-key-id" label="Access key id" value={fields.accessKeyId} onChange={(accessKeyId) => set({ accessKeyId })} error={err("accessKeyId")} mono />
          </>
        )}
        {kind === "wix" && (
          <TextField id="connector-site-id" label="Site id" value={fields.siteId} onChange={(siteId) => set({ siteId })} error={err("siteId")} mono />
        )}
        {kind === "drupal" && (
          <>
            <TextField id="connector-base-url" label="Site URL" value={fields.baseUrl} onChange={(baseUrl) => set({ baseUrl })} error={err("baseUrl")} placeholder="https://support.example.com" mono />
            <SelectField id="connector-drupal-auth" label="Sign in with" value={fields.drupalAuth} onChange={(drupalAuth) => set({ drupalAuth })}>
              <option value="oauth">OAuth client</option>
              <option value="basic">User and password</option>
            </SelectField>
            <TextField
              id="connector-client-or-user"
              label={fields.drupalAuth === "oauth" ? "Client id" : "User"}
              value={fields.clientOrUser}
              onChange={(clientOrUser) => set({ clientOrUser })}
              error={err("clientOrUser")}
              mono
            />
          </>
        )}
        <SecretField
          id="connector-secret"
          label={secretName}
          stored={stored}
          choice={secret}
          onChange={setSecret}
          testId="connector-secret"
          error={err("secret")}
          hint={optional ? "Only if the key file is protected with a passphrase." : "Kept in the system keychain."}
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

function describe(settings: ConnectorSettings): string {
  switch (settings.kind) {
    case "sftp":
      return `${settings.user}@${settings.host}:${settings.port}${settings.remote_dir ? ` ${settings.remote_dir}` : ""}`;
    case "s3":
      return `${settings.bucket} · ${settings.region}${settings.endpoint ? ` · ${settings.endpoint}` : ""}`;
    case "wix":
      return `Site ${settings.site_id}`;
    case "drupal":
      return `${settings.base_url} · ${settings.auth.kind === "basic" ? `user ${settings.auth.user}` : `OAuth client ${settings.auth.client_id}`}`;
  }
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
  const test = useTestConnector(connector.id, { onMutate: () => setResult(null), onSuccess: setResult });
  return (
    <li className="settings-row settings-row-stack" data-testid="connector-row">
      <div className="settings-row-top">
        <div className="settings-row-main">
          <div className="settings-row-head">
            <span className={`badge badge-kind badge-kind-${connector.settings.kind}`}>
              {CONNECTOR_LABELS[connector.settings.kind]}
            </span>
            <span className="settings-row-name">{connector.name}</span>
            {!connector.secretSet && <span className="health health-warn">No secret stored</span>}
          </div>
          <span className="muted small mono truncate">{describe(connector.settings)}</span>
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
      {test.isError && <TestResult error={test.error.message} testId="connector-test-result" />}
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
