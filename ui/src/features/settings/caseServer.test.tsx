// Settings: an account's case server (none, the Trading Grid host, a server of the team's own with
// its own keychain credentials), what the probe found in words, and sharing the cases kept on this
// computer once a case server exists.
import { describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import type { AccountView } from "../../bindings";
import { renderApp } from "../../test/render";
import { createMockBackend } from "../../mock/backend";
import { shareLabel } from "./AccountsSection";

const PROBE_WORDS = "Partners, users, transactions: yes. Cases: not served here — cases stay on this computer.";

function tgOnly(active: boolean, withServer: boolean): AccountView {
  return {
    id: "acct-tg",
    name: "ACME on Trading Grid",
    hostKind: "custom",
    baseUrl: "http://127.0.0.1:8787",
    companyId: "GC00804444LX",
    consumerKeySet: true,
    consumerSecretSet: true,
    active,
    health: "ok",
    caseServer: withServer
      ? {
          settings: { kind: "url", url: "http://127.0.0.1:9797", credentials: "same_as_trading_grid" },
          baseUrl: "http://127.0.0.1:9797",
          clientIdSet: false,
          clientSecretSet: false,
        }
      : { settings: { kind: "none" }, baseUrl: null, clientIdSet: false, clientSecretSet: false },
    probe: {
      partners: "yes",
      users: "yes",
      transactions: "yes",
      cases: withServer ? "yes" : "not_served",
      casesStayHere: !withServer,
      summary: withServer ? "Partners, users, transactions: yes. Cases: yes, on the case server http://127.0.0.1:9797." : PROBE_WORDS,
      checkedAt: new Date().toISOString(),
    },
  };
}

function setup(withServer: boolean, kept: number) {
  const backend = createMockBackend();
  let count = kept;
  return renderApp((cmd, args) => {
    if (cmd === "list_accounts") return [tgOnly(true, withServer)];
    if (cmd === "local_case_count") return count;
    if (cmd === "share_local_cases") {
      const shared = count;
      count = 0;
      return shared;
    }
    return backend.handle(cmd, args);
  }, "#/settings");
}

describe("settings: case server", () => {
  it("says in words what the hosts serve, and that cases stay here without a case server", async () => {
    setup(false, 1);
    const row = await screen.findByTestId("account-row");
    const probe = within(row).getByTestId("account-probe");
    expect(probe).toHaveTextContent(PROBE_WORDS);
    expect(probe).toHaveAttribute("data-cases", "not_served");
    expect(within(row).getByTestId("account-case-server")).toHaveTextContent("Cases: on this computer only");
    expect(within(row).queryByTestId("share-local-cases")).toBeNull();
  });

  it("sends a case server of the team's own with its own credentials, never shown again", async () => {
    const { callsOf } = setup(false, 0);
    fireEvent.click(await screen.findByTestId("account-edit"));
    expect(screen.getByTestId("account-case-server-kind")).toHaveValue("none");
    expect(screen.queryByTestId("account-case-server-url")).toBeNull();
    fireEvent.change(screen.getByTestId("account-case-server-kind"), { target: { value: "url" } });
    fireEvent.change(screen.getByTestId("account-case-server-url"), { target: { value: "ftp://cases" } });
    fireEvent.change(screen.getByTestId("account-case-server-credentials"), { target: { value: "own" } });
    fireEvent.click(screen.getByTestId("account-save"));
    expect(await screen.findByText(/Case server URL must start with https/)).toBeInTheDocument();
    expect(screen.getByText("Enter the case server's client secret.")).toBeInTheDocument();
    expect(callsOf("save_account")).toHaveLength(0);

    fireEvent.change(screen.getByTestId("account-case-server-url"), { target: { value: "https://cases.acme.example" } });
    fireEvent.change(screen.getByTestId("account-case-client-id"), { target: { value: "ana" } });
    fireEvent.change(screen.getByTestId("account-case-client-secret"), { target: { value: "case-s3cret-77" } });
    expect(screen.getByTestId("account-case-client-secret")).toHaveAttribute("type", "password");
    fireEvent.click(screen.getByTestId("account-save"));
    await waitFor(() => expect(callsOf("save_account")).toHaveLength(1));
    expect((callsOf("save_account")[0].args as { input: unknown }).input).toMatchObject({
      id: "acct-tg",
      consumerKey: null,
      consumerSecret: null,
      caseServer: {
        settings: { kind: "url", url: "https://cases.acme.example", credentials: "own" },
        clientId: "ana",
        clientSecret: "case-s3cret-77",
      },
    });
    await waitFor(() => expect(screen.queryByTestId("account-form")).toBeNull());
    expect(document.body.innerHTML).not.toContain("case-s3cret-77");
  });

  it("shares the cases kept on this computer after a confirmation, once", async () => {
    const { callsOf } = setup(true, 2);
    const button = await screen.findByTestId("share-local-cases");
    expect(button).toHaveTextContent(shareLabel(2));
    expect(shareLabel(1)).toBe("Share 1 local case with the case server");
    fireEvent.click(button);
    const dialog = screen.getByTestId("confirm-dialog");
    expect(dialog).toHaveTextContent("Each is sent once.");
    expect(callsOf("share_local_cases")).toHaveLength(0);
    fireEvent.click(within(dialog).getByTestId("confirm-ok"));
    await waitFor(() => expect(callsOf("share_local_cases")).toHaveLength(1));
    expect(await screen.findByTestId("share-local-cases-done")).toHaveTextContent("2 cases were handed to the case server");
    expect(screen.queryByTestId("share-local-cases")).toBeNull();
  });
});
