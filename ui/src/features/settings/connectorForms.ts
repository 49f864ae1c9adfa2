// The connector form, described once per kind: which fields a kind has (label, input, hint,
// check), what its one secret is called, and how its typed settings become the form's text and
// back. ConnectorsSection renders and validates from this table alone, so adding a kind to the
// Rust `ConnectorSettings` fails the type check here until the kind has its entry.
import type { ConnectorKind, ConnectorSettings } from "../../bindings";
import { bucketName, hostName, httpUrl, port, required, type Problem } from "../../lib/validate";

/** The typed settings of one kind. */
export type SettingsOf<K extends ConnectorKind> = Extract<ConnectorSettings, { kind: K }>;

/** Every field of every kind; the form keeps them all, so switching kinds in a new form loses nothing typed. */
export type FieldKey =
  | "host"
  | "port"
  | "user"
  | "sftpAuth"
  | "privateKeyPath"
  | "remoteDir"
  | "endpoint"
  | "region"
  | "bucket"
  | "accessKeyId"
  | "siteId"
  | "baseUrl"
  | "drupalAuth"
  | "clientOrUser";

/** The form's values, as typed. */
export type FormValues = Record<FieldKey, string>;

/** A value, or one that depends on what else is filled in (e.g. the sign-in method). */
type Dyn<T> = T | ((v: FormValues) => T);

/** Resolves a `Dyn`. */
export function resolve<T>(d: Dyn<T>, v: FormValues): T {
  return typeof d === "function" ? (d as (v: FormValues) => T)(v) : d;
}

/** One row of the form. */
export interface FieldSpec {
  key: FieldKey;
  /** Element id and `data-testid`. */
  id: string;
  label: Dyn<string>;
  /** A text input, or a select over `options` (value → words, in order). */
  input: { type: "text"; inputMode?: "numeric" } | { type: "select"; options: Record<string, string> };
  placeholder?: string;
  hint?: string;
  /** Monospaced input, for hosts, paths and ids. */
  mono?: boolean;
  /** `null` when the field may stay empty, else what to ask for ("Enter …."). */
  required: Dyn<string | null>;
  /** A shape check of a filled-in value. */
  check?: (value: string) => Problem;
  /** Hidden (and unchecked) unless this holds. */
  shownWhen?: (v: FormValues) => boolean;
}

/** What the one keychain secret of a connector is called, and whether it may be left empty. */
export interface SecretSpec {
  label: string;
  optional: boolean;
  hint: string;
}

/** The form of one kind. */
export interface KindForm<K extends ConnectorKind> {
  /** The kind in words. */
  label: string;
  fields: readonly FieldSpec[];
  secret: Dyn<SecretSpec>;
  /** Values this kind starts from in a new form. */
  defaults?: Partial<FormValues>;
  fromSettings: (s: SettingsOf<K>) => Partial<FormValues>;
  toSettings: (v: FormValues) => SettingsOf<K>;
  /** One line for the list. */
  summary: (s: SettingsOf<K>) => string;
}

const KEYCHAIN = "Kept in the system keychain.";
const trimmed = (s: string) => s.trim();
const opt = (s: string) => (s.trim() ? s.trim() : null);

/** See the module comment. A mapped type, so a missing kind does not compile. */
export const KIND_FORMS: { [K in ConnectorKind]: KindForm<K> } = {
  sftp: {
    label: "SFTP",
    fields: [
      { key: "host", id: "connector-host", label: "Host", input: { type: "text" }, placeholder: "sftp.partner.example", mono: true, required: "the host name", check: hostName },
      { key: "port", id: "connector-port", label: "Port", input: { type: "text", inputMode: "numeric" }, mono: true, required: "the port (22 for SFTP)", check: port },
      { key: "user", id: "connector-user", label: "User", input: { type: "text" }, mono: true, required: "the user name" },
      {
        key: "sftpAuth",
        id: "connector-sftp-auth",
        label: "Sign in with",
        input: { type: "select", options: { password: "Password", private_key: "Private key file" } },
        required: null,
      },
      {
        key: "privateKeyPath",
        id: "connector-key-path",
        label: "Private key",
        input: { type: "text" },
        placeholder: "/home/me/.ssh/id_ed25519",
        hint: "Path of the key file on this computer; the file itself stays where it is.",
        mono: true,
        required: "the path of the private key file",
        shownWhen: (v) => v.sftpAuth === "private_key",
      },
      { key: "remoteDir", id: "connector-remote-dir", label: "Remote folder", input: { type: "text" }, placeholder: "/inbound", mono: true, required: null },
    ],
    secret: (v) =>
      v.sftpAuth === "private_key"
        ? { label: "Key passphrase", optional: true, hint: "Only if the key file is protected with a passphrase." }
        : { label: "Password", optional: false, hint: KEYCHAIN },
    defaults: { port: "22", sftpAuth: "password" },
    fromSettings: (s) => ({
      host: s.host,
      port: String(s.port),
      user: s.user,
      sftpAuth: s.auth.kind,
      privateKeyPath: s.auth.kind === "private_key" ? s.auth.path : "",
      remoteDir: s.remote_dir ?? "",
    }),
    toSettings: (v) => ({
      kind: "sftp",
      host: trimmed(v.host),
      port: Number(trimmed(v.port)),
      user: trimmed(v.user),
      auth: v.sftpAuth === "private_key" ? { kind: "private_key", path: trimmed(v.privateKeyPath) } : { kind: "password" },
      remote_dir: opt(v.remoteDir),
    }),
    summary: (s) => `${s.user}@${s.host}:${s.port}${s.remote_dir ? ` ${s.remote_dir}` : ""}`,
  },
  s3: {
    label: "Amazon S3",
    fields: [
      {
        key: "endpoint",
        id: "connector-endpoint",
        label: "Endpoint",
        input: { type: "text" },
        placeholder: "https://s3.example.com",
        hint: "Leave empty for Amazon S3; fill in for S3-compatible stores.",
        mono: true,
        required: null,
        check: (v) => httpUrl(v, "the endpoint", true),
      },
      { key: "region", id: "connector-region", label: "Region", input: { type: "text" }, placeholder: "eu-central-1", mono: true, required: "the region" },
      { key: "bucket", id: "connector-bucket", label: "Bucket", input: { type: "text" }, placeholder: "partnerdesk-cases", mono: true, required: "the bucket name", check: bucketName },
      { key: "accessKeyId", id: "connector-access-key-id", label: "Access key id", input: { type: "text" }, mono: true, required: "the access key id" },
    ],
    secret: { label: "Secret access key", optional: false, hint: KEYCHAIN },
    fromSettings: (s) => ({ endpoint: s.endpoint ?? "", region: s.region, bucket: s.bucket, accessKeyId: s.access_key_id }),
    toSettings: (v) => ({
      kind: "s3",
      endpoint: opt(v.endpoint),
      region: trimmed(v.region),
      bucket: trimmed(v.bucket),
      access_key_id: trimmed(v.accessKeyId),
    }),
    summary: (s) => `${s.bucket} · ${s.region}${s.endpoint ? ` · ${s.endpoint}` : ""}`,
  },
  wix: {
    label: "Wix",
    fields: [{ key: "siteId", id: "connector-site-id", label: "Site id", input: { type: "text" }, mono: true, required: "the site id" }],
    secret: { label: "API key", optional: false, hint: KEYCHAIN },
    fromSettings: (s) => ({ siteId: s.site_id }),
    toSettings: (v) => ({ kind: "wix", site_id: trimmed(v.siteId) }),
    summary: (s) => `Site ${s.site_id}`,
  },
  drupal: {
    label: "Drupal",
    fields: [
      {
        key: "baseUrl",
        id: "connector-base-url",
        label: "Site URL",
        input: { type: "text" },
        placeholder: "https://support.example.com",
        mono: true,
        required: "the site URL",
        check: (v) => httpUrl(v, "the site URL"),
      },
      {
        key: "drupalAuth",
        id: "connector-drupal-auth",
        label: "Sign in with",
        input: { type: "select", options: { oauth: "OAuth client", basic: "User and password" } },
        required: null,
      },
      {
        key: "clientOrUser",
        id: "connector-client-or-user",
        label: (v) => (v.drupalAuth === "oauth" ? "Client id" : "User"),
        input: { type: "text" },
        mono: true,
        required: (v) => (v.drupalAuth === "oauth" ? "the OAuth client id" : "the user name"),
      },
    ],
    secret: (v) =>
      v.drupalAuth === "oauth"
        ? { label: "Client secret", optional: false, hint: KEYCHAIN }
        : { label: "Password", optional: false, hint: KEYCHAIN },
    defaults: { drupalAuth: "oauth" },
    fromSettings: (s) => ({
      baseUrl: s.base_url,
      drupalAuth: s.auth.kind,
      clientOrUser: s.auth.kind === "basic" ? s.auth.user : s.auth.client_id,
    }),
    toSettings: (v) => ({
      kind: "drupal",
      base_url: trimmed(v.baseUrl),
      auth:
        v.drupalAuth === "basic"
          ? { kind: "basic", user: trimmed(v.clientOrUser) }
          : { kind: "oauth", client_id: trimmed(v.clientOrUser) },
    }),
    summary: (s) => `${s.base_url} · ${s.auth.kind === "basic" ? `user ${s.auth.user}` : `OAuth client ${s.auth.client_id}`}`,
  },
};

/** Every kind, in the table's order. */
export const CONNECTOR_KINDS = Object.keys(KIND_FORMS) as ConnectorKind[];

/** Connector kinds in words. */
export const CONNECTOR_LABELS = Object.fromEntries(CONNECTOR_KINDS.map((k) => [k, KIND_FORMS[k].label])) as Record<
  ConnectorKind,
  string
>;

/** The form of one kind, typed by that kind. */
function formOf<K extends ConnectorKind>(kind: K): KindForm<K> {
  return KIND_FORMS[kind];
}

/** The form's values for a new connector, or for editing `settings`. */
export function valuesOf(settings: ConnectorSettings | null): FormValues {
  const empty: FormValues = {
    host: "",
    port: "",
    user: "",
    sftpAuth: "",
    privateKeyPath: "",
    remoteDir: "",
    endpoint: "",
    region: "",
    bucket: "",
    accessKeyId: "",
    siteId: "",
    baseUrl: "",
    drupalAuth: "",
    clientOrUser: "",
  };
  const base = CONNECTOR_KINDS.reduce<FormValues>((v, k) => ({ ...v, ...KIND_FORMS[k].defaults }), empty);
  if (!settings) return base;
  return { ...base, ...fromSettings(settings) };
}

function fromSettings<K extends ConnectorKind>(settings: SettingsOf<K> & { kind: K }): Partial<FormValues> {
  return formOf<K>(settings.kind).fromSettings(settings);
}

/** The typed settings the form's values describe for `kind`. */
export function settingsOf(kind: ConnectorKind, v: FormValues): ConnectorSettings {
  return KIND_FORMS[kind].toSettings(v);
}

/** One line describing saved settings, for the list. */
export function summaryOf(settings: ConnectorSettings): string {
  return summarise(settings);
}

function summarise<K extends ConnectorKind>(settings: SettingsOf<K> & { kind: K }): string {
  return formOf<K>(settings.kind).summary(settings);
}

/** The fields of `kind` shown for these values. */
export function visibleFields(kind: ConnectorKind, v: FormValues): readonly FieldSpec[] {
  return KIND_FORMS[kind].fields.filter((f) => !f.shownWhen || f.shownWhen(v));
}

/** The secret of `kind` for these values. */
export function secretOf(kind: ConnectorKind, v: FormValues): SecretSpec {
  return resolve(KIND_FORMS[kind].secret, v);
}

/**
 * What to fix, by field key (plus `name` and `secret`): the visible fields' checks, and the
 * secret unless it is optional or present.
 */
export function problemsOf(kind: ConnectorKind, name: string, v: FormValues, secretPresent: boolean): Record<string, Problem> {
  const p: Record<string, Problem> = { name: required(name, "a name for this connector") };
  for (const f of visibleFields(kind, v)) {
    const what = resolve(f.required, v);
    const value = v[f.key];
    p[f.key] = !value.trim() ? (what === null ? null : required(value, what)) : (f.check?.(value) ?? null);
  }
  const secret = secretOf(kind, v);
  p.secret = secret.optional || secretPresent ? null : `Enter the ${secret.label.toLowerCase()}.`;
  return p;
}
