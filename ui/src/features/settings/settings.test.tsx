// Settings: the keychain notice and banner, accounts (sign-in health, secret fields that never show
// a stored or typed secret after saving, Test connection, Replace / Remove, switching, removing),
// connectors (validation, test), and inline validation.
import { describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { renderApp } from "../../test/render";
import { createMockBackend } from "../../mock/backend";
import { mockFingerprint } from "../../mock/fixture";

function setup(options: Parameters<typeof createMockBackend>[0] = {}) {
  const backend = createMockBackend(options);
  const rendered = renderApp((cmd, args) => backend.handle(cmd, args), "#/settings");
  return { backend, ...rendered };
}

function storedSecrets(backend: ReturnType<typeof createMockBackend>): string[] {
  return [...backend.settings.keychain.values()];
}

describe("settings: accounts", () => {
  it("lists accounts with environment, company id and a prominent sign-in-needed health", async () => {
    setup();
    const rows = await screen.findAllByTestId("account-row");
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent("ACME production");
    expect(rows[0]).toHaveTextContent("Production");
    expect(rows[0]).toHaveTextContent("GC00804444LX");
    expect(within(rows[0]).getByTestId("account-health")).toHaveTextContent("Signed in");
    const beta = within(rows[1]).getByTestId("account-health");
    expect(beta).toHaveTextContent("Sign-in needed");
    expect(beta).toHaveClass("health-signin");
    expect(rows[1]).toHaveTextContent("Trading Grid refused the stored consumer key or secret");
    expect(within(rows[1]).getByTestId("account-edit")).toHaveTextContent("Sign in again");
  });

  it("never shows a stored secret, and shows no typed secret once saved", async () => {
    const { backend, callsOf } = setup();
    await screen.findAllByTestId("account-row");
    // Editing: stored secrets are masked placeholders, never values.
    fireEvent.click(screen.getAllByTestId("account-edit")[0]);
    const secret = screen.getByTestId("account-consumer-secret");
    expect(secret).toHaveAttribute("type", "password");
    expect(secret).toHaveValue("");
    expect(secret).toHaveAttribute("placeholder", "•••••••• stored in the keychain");
    expect(screen.getByTestId("account-consumer-key")).toHaveValue("");
    for (const s of storedSecrets(backend)) expect(document.body.innerHTML).not.toContain(s);
    fireEvent.click(screen.getByText("Cancel"));

    // Adding: what was typed is sent once, then gone from the page.
    fireEvent.click(screen.getByTestId("account-add"));
    fireEvent.change(screen.getByTestId("account-name"), { target: { value: "ACME EU" } });
    fireEvent.change(screen.getByTestId("account-company-id"), { target: { value: "GC11112222EU" } });
    fireEvent.change(screen.getByTestId("account-consumer-key"), { target: { value: "typed-key-4711" } });
    fireEvent.change(screen.getByTestId("account-consumer-secret"), { target: { value: "typed-secret-s3cr3t" } });
    expect(screen.getByTestId("account-consumer-secret")).toHaveAttribute("type", "password");
    fireEvent.click(screen.getByTestId("account-save"));
    await waitFor(() => expect(screen.getAllByTestId("account-row")).toHaveLength(3));
    expect(callsOf("save_account")[0].args).toEqual({
      input: {
        id: null,
        name: "ACME EU",
        hostKind: "production",
        customUrl: null,
        companyId: "GC11112222EU",
        consumerKey: "typed-key-4711",
        consumerSecret: "typed-secret-s3cr3t",
      },
    });
    expect(screen.queryByTestId("account-form")).not.toBeInTheDocument();
    expect(document.body.innerHTML).not.toContain("typed-secret-s3cr3t");
    expect(document.body.innerHTML).not.toContain("typed-key-4711");

    // Editing the new account: masked again, nothing prefilled.
    fireEvent.click(screen.getAllByTestId("account-edit")[2]);
    expect(screen.getByTestId("account-consumer-secret")).toHaveValue("");
    expect(screen.getByTestId("account-consumer-secret")).toHaveAttribute("data-stored", "true");
    expect(document.body.innerHTML).not.toContain("typed-secret-s3cr3t");
  });

  it("tests the connection with the form's input and shows the result in words", async () => {
    const { callsOf } = setup();
    await screen.findAllByTestId("account-row");
    fireEvent.click(screen.getAllByTestId("account-edit")[1]);
    fireEvent.click(screen.getByTestId("account-consumer-secret-replace"));
    fireEvent.change(screen.getByTestId("account-consumer-secret"), { target: { value: "wrong-secret" } });
    fireEvent.click(screen.getByTestId("account-test"));
    const failed = await screen.findByTestId("account-test-result");
    expect(failed).toHaveAttribute("data-ok", "false");
    expect(failed).toHaveClass("test-fail");
    expect(failed).toHaveTextContent("Connection failed. Trading Grid refused the consumer key or secret.");
    expect(callsOf("test_account")[0].args).toMatchObject({
      input: { id: "acct-beta", consumerKey: null, consumerSecret: "wrong-secret" },
    });

    fireEvent.change(screen.getByTestId("account-consumer-secret"), { target: { value: "fresh-secret" } });
    expect(screen.queryByTestId("account-test-result")).not.toBeInTheDocument();
    fireEvent.click(screen.getByTestId("account-test"));
    const ok = await screen.findByTestId("account-test-result");
    expect(ok).toHaveAttribute("data-ok", "true");
    expect(ok).toHaveTextContent("Connection works. Signed in to ACME beta (testing) (GC00804444LX).");
  });

  it("removes a stored secret on request and keeps the other", async () => {
    const { callsOf } = setup();
    await screen.findAllByTestId("account-row");
    fireEvent.click(screen.getAllByTestId("account-edit")[0]);
    fireEvent.click(screen.getByTestId("account-consumer-key-remove"));
    fireEvent.click(screen.getByTestId("account-save"));
    // Without a key the account cannot sign in, so the form says so instead of saving.
    expect(await screen.findByText("Enter the consumer key.")).toBeInTheDocument();
    expect(callsOf("save_account")).toHaveLength(0);
    fireEvent.click(screen.getByTestId("account-consumer-key-keep"));
    fireEvent.click(screen.getByTestId("account-consumer-secret-remove"));
    fireEvent.click(screen.getByTestId("account-consumer-secret-keep"));
    fireEvent.click(screen.getByTestId("account-save"));
    await waitFor(() => expect(callsOf("save_account")).toHaveLength(1));
    expect(callsOf("save_account")[0].args).toMatchObject({ input: { consumerKey: null, consumerSecret: null } });
  });

  it("validates the custom URL and required fields inline", async () => {
    const { callsOf } = setup();
    fireEvent.click(await screen.findByTestId("account-add"));
    fireEvent.change(screen.getByTestId("account-host-kind"), { target: { value: "custom" } });
    fireEvent.change(screen.getByTestId("account-custom-url"), { target: { value: "tradinggrid.example.com" } });
    fireEvent.click(screen.getByTestId("account-save"));
    const form = screen.getByTestId("account-form");
    expect(form).toHaveTextContent("Trading Grid URL must be a full address such as https://example.com.");
    expect(form).toHaveTextContent("Enter a name for this account.");
    expect(form).toHaveTextContent("Enter the company id (BUID).");
    expect(form).toHaveTextContent("Enter the consumer secret.");
    fireEvent.change(screen.getByTestId("account-custom-url"), { target: { value: "ftp://tg.example.com" } });
    expect(form).toHaveTextContent("must start with https://");
    expect(callsOf("save_account")).toHaveLength(0);
    expect(callsOf("test_account")).toHaveLength(0);
  });

  it("opens the first real account in place of the demo workspace once it is saved", async () => {
    const { callsOf } = setup({ noSettings: true });
    expect(await screen.findByTestId("demo-badge")).toBeInTheDocument();
    fireEvent.click(await screen.findByTestId("account-add"));
    fireEvent.change(screen.getByTestId("account-name"), { target: { value: "ACME production" } });
    fireEvent.change(screen.getByTestId("account-company-id"), { target: { value: "GC00804444LX" } });
    fireEvent.change(screen.getByTestId("account-consumer-key"), { target: { value: "k" } });
    fireEvent.change(screen.getByTestId("account-consumer-secret"), { target: { value: "s" } });
    fireEvent.click(screen.getByTestId("account-save"));
    await waitFor(() => expect(callsOf("switch_account")).toHaveLength(1));
    const saved = await screen.findByTestId("account-row");
    expect(callsOf("switch_account")[0].args).toEqual({ id: expect.any(String) });
    expect(saved).toHaveTextContent("ACME production");
    await waitFor(() => expect(screen.queryByTestId("demo-badge")).not.toBeInTheDocument());
  });

  it("switches to an account and back to the demo workspace", async () => {
    const { callsOf } = setup();
    const rows = await screen.findAllByTestId("account-row");
    fireEvent.click(within(rows[0]).getByTestId("account-switch"));
    await waitFor(() => expect(callsOf("switch_account")).toHaveLength(1));
    expect(callsOf("switch_account")[0].args).toEqual({ id: "acct-prod" });
    expect(await screen.findByTestId("account-active")).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId("workspace-name")).toHaveTextContent("ACME production"));
    expect(screen.queryByTestId("demo-badge")).not.toBeInTheDocument();
    fireEvent.click(screen.getByTestId("account-use-demo"));
    await waitFor(() => expect(callsOf("switch_account")).toHaveLength(2));
    expect(callsOf("switch_account")[1].args).toEqual({ id: null });
    expect(await screen.findByTestId("demo-badge")).toBeInTheDocument();
  });

  it("asks before removing an account", async () => {
    const { callsOf } = setup();
    const rows = await screen.findAllByTestId("account-row");
    fireEvent.click(within(rows[1]).getByTestId("account-remove"));
    const dialog = screen.getByTestId("confirm-dialog");
    expect(dialog).toHaveTextContent("its cached data and keychain secrets are deleted".replace(/^i/, "I"));
    fireEvent.click(within(dialog).getByTestId("confirm-ok"));
    await waitFor(() => expect(screen.getAllByTestId("account-row")).toHaveLength(1));
    expect(callsOf("remove_account")[0].args).toEqual({ id: "acct-beta" });
  });
});

describe("settings: keychain", () => {
  it("shows the keychain notice and the app-wide banner when the keychain is unavailable", async () => {
    setup({ keychainAvailable: false });
    const notice = await screen.findByTestId("keychain-notice");
    expect(notice).toHaveAttribute("data-code", "keychain.unavailable");
    expect(notice).toHaveTextContent("The system keychain is unavailable");
    expect(notice).toHaveTextContent("PartnerDesk works read-only on its cache until the keychain is available");
    // The mock backend is on the demo workspace, whose credentials are not secret: it keeps working.
    const banner = await screen.findByTestId("keychain-banner");
    expect(banner).toHaveTextContent("The system keychain is unavailable");
    expect(banner).toHaveTextContent("The demo workspace works as usual");
  });

  it("shows neither while the keychain answers", async () => {
    setup();
    await screen.findAllByTestId("account-row");
    expect(screen.queryByTestId("keychain-notice")).not.toBeInTheDocument();
    expect(screen.queryByTestId("keychain-banner")).not.toBeInTheDocument();
  });
});

describe("settings: connectors", () => {
  it("lists connectors and tests one, showing the result", async () => {
    const { callsOf } = setup();
    const rows = await screen.findAllByTestId("connector-row");
    expect(rows).toHaveLength(3);
    fireEvent.click(within(rows[0]).getByTestId("connector-test"));
    const result = await within(rows[0]).findByTestId("connector-test-result");
    expect(result).toHaveAttribute("data-ok", "true");
    expect(result).toHaveTextContent("Connected to sftp.tidewater-freight.example:22 as demoretail");
    expect(callsOf("test_connector")[0].args).toEqual({ id: "conn-sftp" });
    fireEvent.click(within(rows[2]).getByTestId("connector-test"));
    expect(await within(rows[2]).findByTestId("connector-test-result")).toHaveAttribute("data-ok", "false");
  });

  it("validates port range and host, then saves an SFTP connector without echoing the password", async () => {
    const { callsOf } = setup();
    fireEvent.click(await screen.findByTestId("connector-add"));
    fireEvent.change(screen.getByTestId("connector-name"), { target: { value: "Partner inbox" } });
    fireEvent.change(screen.getByTestId("connector-host"), { target: { value: "sftp://files.example" } });
    fireEvent.change(screen.getByTestId("connector-port"), { target: { value: "70000" } });
    fireEvent.change(screen.getByTestId("connector-user"), { target: { value: "acme" } });
    fireEvent.click(screen.getByTestId("connector-save"));
    const form = screen.getByTestId("connector-form");
    expect(form).toHaveTextContent("The port must be between 1 and 65535.");
    expect(form).toHaveTextContent("Enter the host name only, without sftp:// or https://.");
    expect(form).toHaveTextContent("Enter the password.");
    expect(callsOf("save_connector")).toHaveLength(0);

    fireEvent.change(screen.getByTestId("connector-host"), { target: { value: "files.example" } });
    fireEvent.change(screen.getByTestId("connector-port"), { target: { value: "2222" } });
    fireEvent.change(screen.getByTestId("connector-secret"), { target: { value: "sftp-pass-typed" } });
    fireEvent.click(screen.getByTestId("connector-save"));
    await waitFor(() => expect(screen.getAllByTestId("connector-row")).toHaveLength(4));
    expect(callsOf("save_connector")[0].args).toEqual({
      input: {
        id: null,
        name: "Partner inbox",
        settings: { kind: "sftp", host: "files.example", port: 2222, user: "acme", auth: { kind: "password" }, remote_dir: null },
        secret: "sftp-pass-typed",
      },
    });
    expect(document.body.innerHTML).not.toContain("sftp-pass-typed");
  });

  it("checks the S3 endpoint shape and the Drupal URL", async () => {
    const { callsOf } = setup();
    fireEvent.click(await screen.findByTestId("connector-add"));
    fireEvent.change(screen.getByTestId("connector-kind"), { target: { value: "s3" } });
    fireEvent.change(screen.getByTestId("connector-endpoint"), { target: { value: "not a url" } });
    fireEvent.change(screen.getByTestId("connector-bucket"), { target: { value: "Bad_Bucket" } });
    fireEvent.click(screen.getByTestId("connector-save"));
    const form = screen.getByTestId("connector-form");
    expect(form).toHaveTextContent("Endpoint must be a full address such as https://example.com.");
    expect(form).toHaveTextContent("A bucket name has 3 to 63 lower-case letters");
    expect(form).toHaveTextContent("Enter the secret access key.");
    fireEvent.change(screen.getByTestId("connector-kind"), { target: { value: "drupal" } });
    fireEvent.change(screen.getByTestId("connector-base-url"), { target: { value: "support.example" } });
    expect(form).toHaveTextContent("Site URL must be a full address");
    expect(callsOf("save_connector")).toHaveLength(0);
  });

  it("does not warn of a missing secret for an SFTP key without a passphrase", async () => {
    setup();
    fireEvent.click(await screen.findByTestId("connector-add"));
    fireEvent.change(screen.getByTestId("connector-name"), { target: { value: "Key inbox" } });
    fireEvent.change(screen.getByTestId("connector-host"), { target: { value: "files.example" } });
    fireEvent.change(screen.getByTestId("connector-user"), { target: { value: "acme" } });
    fireEvent.change(screen.getByTestId("connector-sftp-auth"), { target: { value: "private_key" } });
    fireEvent.change(screen.getByTestId("connector-key-path"), { target: { value: "/home/me/.ssh/id_ed25519" } });
    fireEvent.click(screen.getByTestId("connector-save"));
    await waitFor(() => expect(screen.getAllByTestId("connector-row")).toHaveLength(4));
    const keyRow = screen.getAllByTestId("connector-row").find((row) => row.textContent?.includes("Key inbox"));
    expect(keyRow).toBeDefined();
    expect(within(keyRow as HTMLElement).getByTestId("connector-secret-state")).toHaveTextContent("Key without a passphrase");
    expect(keyRow).not.toHaveTextContent("No secret stored");

    // The same connector switched to a password and given one: the row no longer speaks of a key.
    fireEvent.click(within(keyRow as HTMLElement).getByTestId("connector-edit"));
    fireEvent.change(screen.getByTestId("connector-sftp-auth"), { target: { value: "password" } });
    fireEvent.change(screen.getByTestId("connector-secret"), { target: { value: "sftp-pass-typed" } });
    fireEvent.click(screen.getByTestId("connector-save"));
    await waitFor(() => expect(screen.queryByTestId("connector-form")).not.toBeInTheDocument());
    const passwordRow = screen.getAllByTestId("connector-row").find((row) => row.textContent?.includes("Key inbox"));
    expect(passwordRow).not.toHaveTextContent("Key without a passphrase");
  });

  it("shows a stored connector secret only as stored", async () => {
    const { backend } = setup();
    const rows = await screen.findAllByTestId("connector-row");
    fireEvent.click(within(rows[1]).getByTestId("connector-edit"));
    const secret = screen.getByTestId("connector-secret");
    expect(secret).toHaveValue("");
    expect(secret).toHaveAttribute("placeholder", "•••••••• stored in the keychain");
    for (const s of storedSecrets(backend)) expect(document.body.innerHTML).not.toContain(s);
  });
});

describe("settings: a secret stays with its server", () => {
  it("empties and focuses the secret field when the app asks for it again after an address change", async () => {
    const backend = createMockBackend();
    const reenter = "The address changed: enter the password or secret again, so it is sent only where you mean it to go.";
    renderApp((cmd, args) => {
      if (cmd === "save_connector") throw { code: "auth.reenter_secret", message: reenter };
      return backend.handle(cmd, args);
    }, "#/settings");
    const rows = await screen.findAllByTestId("connector-row");
    fireEvent.click(within(rows[1]).getByTestId("connector-edit"));
    const secret = screen.getByTestId("connector-secret");
    expect(secret).toBeDisabled();
    fireEvent.click(screen.getByTestId("connector-save"));
    expect(await screen.findByRole("alert")).toHaveTextContent(reenter);
    await waitFor(() => expect(screen.getByTestId("connector-secret")).toHaveFocus());
    expect(screen.getByTestId("connector-secret")).toBeEnabled();
    expect(screen.getByTestId("connector-secret")).toHaveValue("");
  });
});

describe("settings: SFTP host keys", () => {
  it("asks like ssh on first connect, accepts the key the analyst saw, then connects", async () => {
    const { backend, callsOf } = setup();
    const sftp = backend.settings.connectors[0];
    if (sftp.settings.kind !== "sftp") throw new Error("the seed's first connector is SFTP");
    sftp.settings.host_key = undefined;
    const row = (await screen.findAllByTestId("connector-row"))[0];
    expect(within(row).getByTestId("connector-host-key")).toHaveTextContent("Host key not accepted yet");
    fireEvent.click(within(row).getByTestId("connector-test"));
    const dialog = await screen.findByTestId("host-key-dialog");
    const fingerprint = mockFingerprint("sftp.tidewater-freight.example", 22);
    expect(dialog).toHaveTextContent("The authenticity of host sftp.tidewater-freight.example (Carrier POD drop folder) can't be established.");
    expect(within(dialog).getByTestId("host-key-fingerprint")).toHaveTextContent(fingerprint);
    expect(dialog).toHaveTextContent(`ED25519 key fingerprint is ${fingerprint}`);
    expect(within(row).getByTestId("connector-test-result")).toHaveAttribute("data-ok", "false");

    // Cancel keeps nothing; the result can be reviewed again.
    fireEvent.click(within(dialog).getByTestId("host-key-cancel"));
    expect(screen.queryByTestId("host-key-dialog")).not.toBeInTheDocument();
    expect(callsOf("accept_host_key")).toHaveLength(0);
    fireEvent.click(within(row).getByTestId("connector-host-key-review"));
    fireEvent.click(within(await screen.findByTestId("host-key-dialog")).getByTestId("host-key-accept"));

    await waitFor(() => expect(within(row).getByTestId("connector-test-result")).toHaveAttribute("data-ok", "true"));
    expect(callsOf("accept_host_key")[0].args).toEqual({ connectorId: "conn-sftp", fingerprint });
    expect(screen.queryByTestId("host-key-dialog")).not.toBeInTheDocument();
    expect(await within(row).findByText(fingerprint)).toBeInTheDocument();
  });

  it("warns with both fingerprints when the key changed, and Escape cancels", async () => {
    const { backend, callsOf } = setup();
    const replaced = "SHA256:ReplacedKeyReplacedKeyReplacedKeyReplacedK";
    backend.settings.serverKeys.set("sftp.tidewater-freight.example:22", replaced);
    const row = (await screen.findAllByTestId("connector-row"))[0];
    fireEvent.click(within(row).getByTestId("connector-test"));
    const dialog = await screen.findByTestId("host-key-dialog");
    expect(dialog).toHaveAttribute("role", "alertdialog");
    expect(dialog).toHaveTextContent("The server's host key has changed");
    expect(dialog).toHaveTextContent("Nothing was sent: no password, no key.");
    expect(within(dialog).getByTestId("host-key-accepted")).toHaveTextContent(mockFingerprint("sftp.tidewater-freight.example", 22));
    expect(within(dialog).getByTestId("host-key-fingerprint")).toHaveTextContent(replaced);
    fireEvent.keyDown(dialog, { key: "Escape" });
    expect(screen.queryByTestId("host-key-dialog")).not.toBeInTheDocument();
    expect(callsOf("accept_host_key")).toHaveLength(0);
    expect(within(row).getByTestId("connector-test-result")).toHaveTextContent("has changed");
  });
});
