// The per-kind connector form table: every kind round-trips its saved settings through the form
// unchanged, and the sign-in method decides which fields and which secret the form asks for.
import { describe, expect, it } from "vitest";
import type { ConnectorSettings } from "../../bindings";
import { CONNECTOR_KINDS, problemsOf, secretOf, settingsOf, summaryOf, valuesOf, visibleFields } from "./connectorForms";

const SAVED: ConnectorSettings[] = [
  { kind: "sftp", host: "files.example", port: 2222, user: "acme", auth: { kind: "password" }, remote_dir: "/inbound" },
  { kind: "sftp", host: "files.example", port: 22, user: "acme", auth: { kind: "private_key", path: "/k/id_ed25519" }, remote_dir: null },
  { kind: "s3", endpoint: null, region: "eu-central-1", bucket: "cases", access_key_id: "AKIA1" },
  { kind: "s3", endpoint: "http://127.0.0.1:9000", region: "garage", bucket: "cases", access_key_id: "GK1" },
  { kind: "wix", site_id: "0b4c-site" },
  { kind: "drupal", base_url: "https://support.example", auth: { kind: "oauth", client_id: "pd-client" } },
  { kind: "drupal", base_url: "https://support.example", auth: { kind: "basic", user: "agent" } },
];

describe("connector forms", () => {
  it("saves an edited connector's settings unchanged when nothing was typed", () => {
    for (const s of SAVED) expect(settingsOf(s.kind, valuesOf(s))).toEqual(s);
    expect(new Set(SAVED.map((s) => s.kind))).toEqual(new Set(CONNECTOR_KINDS));
  });

  it("describes each saved connector in one line", () => {
    expect(SAVED.map(summaryOf)).toEqual([
      "acme@files.example:2222 /inbound",
      "acme@files.example:22",
      "cases · eu-central-1",
      "cases · garage · http://127.0.0.1:9000",
      "Site 0b4c-site",
      "https://support.example · OAuth client pd-client",
      "https://support.example · user agent",
    ]);
  });

  it("gives every field its own test id, across kinds", () => {
    const ids = CONNECTOR_KINDS.flatMap((k) => visibleFields(k, { ...valuesOf(null), sftpAuth: "private_key" }).map((f) => f.id));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("asks for the key path and makes the passphrase optional once SFTP signs in with a key", () => {
    const password = { ...valuesOf(null), host: "files.example", user: "acme" };
    expect(visibleFields("sftp", password).map((f) => f.id)).not.toContain("connector-key-path");
    expect(secretOf("sftp", password)).toMatchObject({ label: "Password", optional: false });
    expect(problemsOf("sftp", "Inbox", password, false)).toMatchObject({ secret: "Enter the password." });

    const key = { ...password, sftpAuth: "private_key" };
    expect(visibleFields("sftp", key).map((f) => f.id)).toContain("connector-key-path");
    expect(secretOf("sftp", key)).toMatchObject({ label: "Key passphrase", optional: true });
    expect(problemsOf("sftp", "Inbox", key, false)).toMatchObject({
      privateKeyPath: "Enter the path of the private key file.",
      secret: null,
    });
  });

  it("names the Drupal user field and secret by the sign-in method", () => {
    const oauth = { ...valuesOf(null), baseUrl: "https://support.example" };
    expect(problemsOf("drupal", "Portal", oauth, false)).toMatchObject({
      clientOrUser: "Enter the OAuth client id.",
      secret: "Enter the client secret.",
    });
    const basic = { ...oauth, drupalAuth: "basic" };
    expect(problemsOf("drupal", "Portal", basic, false)).toMatchObject({
      clientOrUser: "Enter the user name.",
      secret: "Enter the password.",
    });
  });

  it("leaves an empty S3 endpoint alone and rejects a malformed one", () => {
    const v = { ...valuesOf(null), region: "eu-central-1", bucket: "cases", accessKeyId: "AKIA1" };
    expect(problemsOf("s3", "Store", v, true)).toEqual({
      name: null,
      endpoint: null,
      region: null,
      bucket: null,
      accessKeyId: null,
      secret: null,
    });
    expect(problemsOf("s3", "Store", { ...v, endpoint: "not a url" }, true).endpoint).toBe(
      "Endpoint must be a full address such as https://example.com.",
    );
  });
});
