// Connector work in the window: a case's notice is previewed, edited and published through
// `publish_notice` and shows its state; an imported case shows where it came from; Settings lists
// each connector's work with its last run, its errors and the items kept aside.
import { describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import type { CaseDetail, CaseOutside, ConnectorWorkView, PublicationView } from "../../bindings";
import { renderApp } from "../../test/render";

const NOW = new Date().toISOString();

const DETAIL: CaseDetail = {
  case: {
    id: "c1",
    reference: "CASE-2026-000042",
    title: "Invoice 77 rejected",
    partnerId: "GC1",
    partnerName: "Verona Vittles",
    kind: "invoice",
    status: "open",
    priority: "normal",
    owner: null,
    slaDue: null,
    createdAt: NOW,
    updatedAt: NOW,
    linkedTransactions: [],
    references: { poNumbers: [], invoiceNumbers: [], shipmentNumbers: [] },
    version: 1,
  },
  ownerName: null,
  slaState: "none",
  sla: { state: "none", nextDue: null, paused: false, firstResponse: null, resolution: null, timeline: [] },
  comments: [],
  documents: [],
  linkedTransactions: [],
  activity: [],
  localOnly: false,
  thisComputerOnly: false,
  conflicts: [],
};

function outside(publications: PublicationView[]): CaseOutside {
  return {
    publications,
    origins: [
      {
        connectorId: "d1",
        source: "drupal_request",
        externalId: "0000-7",
        link: "https://support.example/jsonapi/node/issue_request/0000-7",
        label: "Drupal issue request 0000-7",
      },
    ],
    noticeDraft: {
      title: "Verona Vittles: Invoice 77 rejected",
      affected: "Invoice documents exchanged with Verona Vittles (CASE-2026-000042).",
      nextSteps: "We are working on it.",
      expectedResolution: "Within one business day.",
    },
    articleDraft: { title: "How we resolved: Invoice 77 rejected", body: "Problem: …", tags: ["Verona Vittles", "Invoice"] },
    noticeTarget: "Partner site (PartnerNotices)",
    articleTarget: null,
  };
}

function basics(cmd: string): unknown {
  if (cmd === "outbox_list") return [];
  if (cmd === "list_users") return [];
  if (cmd === "sync_status")
    return {
      workspaceName: "Acme",
      isDemo: false,
      syncing: false,
      connectivity: "online",
      lastSyncedAt: NOW,
      lastError: null,
      pendingChanges: 0,
      failedChanges: 0,
    };
  return undefined;
}

describe("case notice and article", () => {
  it("previews, edits and publishes the notice, then shows it published; shows where the case came from", async () => {
    let published: PublicationView | null = null;
    const { callsOf } = renderApp((cmd, args) => {
      if (cmd === "get_case") return DETAIL;
      if (cmd === "case_outside") return outside(published ? [published] : []);
      if (cmd === "publish_notice") {
        published = {
          kind: "wix_notice",
          connectorId: "w1",
          state: "published",
          notice: args.notice as PublicationView["notice"],
          article: null,
          remoteId: "pd-notice-c1",
          queued: 1,
          lastError: null,
          updatedAt: NOW,
        };
        return published;
      }
      return basics(cmd);
    }, "#/cases/c1");
    const panel = await screen.findByTestId("case-outside");
    expect(within(panel).getByTestId("case-origin")).toHaveTextContent("Drupal issue request 0000-7");
    expect(within(panel).getByTestId("case-origin-link")).toHaveTextContent("https://support.example/jsonapi/node/issue_request/0000-7");
    const notice = within(panel).getByTestId("notice");
    expect(within(notice).getByTestId("publication-state")).toHaveTextContent("Draft");
    expect(within(panel).getByTestId("article")).toHaveTextContent("Set up a connector for this in Settings");
    fireEvent.click(within(notice).getByTestId("notice-open"));
    const next = await screen.findByTestId("notice-next-steps");
    expect(next).toHaveValue("We are working on it.");
    fireEvent.change(next, { target: { value: "Hold invoices with tax code 0." } });
    expect(screen.getByTestId("notice-preview")).toHaveTextContent("Hold invoices with tax code 0.");
    fireEvent.click(screen.getByTestId("notice-send"));
    await waitFor(() => expect(callsOf("publish_notice")).toHaveLength(1));
    expect(callsOf("publish_notice")[0].args).toMatchObject({
      caseId: "c1",
      notice: { nextSteps: "Hold invoices with tax code 0.", title: "Verona Vittles: Invoice 77 rejected" },
    });
    await waitFor(() => expect(within(screen.getByTestId("notice")).getByTestId("publication-state")).toHaveAttribute("data-state", "published"));
    expect(screen.queryByTestId("notice-editor")).toBeNull();
  });

  it("refuses to publish an incomplete notice and shows a refused write's reason", async () => {
    const refused: PublicationView = {
      kind: "wix_notice",
      connectorId: "w1",
      state: "published",
      notice: outside([]).noticeDraft,
      article: null,
      remoteId: "pd-notice-c1",
      queued: 1,
      lastError: "Wix refused the API key (HTTP 401). Enter the key again.",
      updatedAt: NOW,
    };
    renderApp((cmd) => (cmd === "get_case" ? DETAIL : cmd === "case_outside" ? outside([refused]) : basics(cmd)), "#/cases/c1");
    const notice = await screen.findByTestId("notice");
    expect(within(notice).getByTestId("publication-error")).toHaveTextContent("HTTP 401");
    fireEvent.click(within(notice).getByTestId("notice-open"));
    fireEvent.change(await screen.findByTestId("notice-title"), { target: { value: " " } });
    expect(screen.getByTestId("notice-send")).toBeDisabled();
  });
});

describe("settings: connector work", () => {
  it("lists what each connector imports, its last run, its errors and what it kept aside", async () => {
    const work: ConnectorWorkView = {
      work: {
        connectorId: "x1",
        name: "Integration agent",
        kind: "xconnector",
        enabled: true,
        everySeconds: 60,
        noticesCollection: null,
        requestsCollection: null,
        articleBundle: null,
        requestBundle: null,
        feedUrl: "https://integration.example/feed",
        outboundUrl: null,
        listenPort: 8765,
        partnerInbox: null,
        rules: [],
      },
      imports: "Transaction exceptions and partner updates from the feed https://integration.example/feed",
      runs: [
        {
          connectorId: "x1",
          imports: "feed",
          cursor: "300",
          lastRunAt: NOW,
          lastOkAt: null,
          lastError: "The event feed's page is not JSON.",
          imported: 42n,
        },
      ],
      queued: 2,
      failed: 1,
      tokenSet: true,
    };
    renderApp((cmd) => {
      if (cmd === "connector_work_list") return [work];
      if (cmd === "aside_items")
        return [
          {
            id: 1,
            connectorId: "x1",
            receivedAt: NOW,
            itemType: "com.example.unknown.v1",
            itemId: "ev-9",
            reason: "Unknown event type \"com.example.unknown.v1\": kept aside, not processed.",
            excerpt: "{}",
          },
        ];
      if (cmd === "list_accounts" || cmd === "list_connectors" || cmd === "background_jobs" || cmd === "notices") return [];
      if (cmd === "keychain_status") return { available: true, code: null, message: null };
      return basics(cmd);
    }, "#/settings");
    const row = await screen.findByTestId("work-row");
    expect(within(row).getByTestId("work-imports")).toHaveTextContent("from the feed https://integration.example/feed");
    expect(row).toHaveTextContent("Every 60 s");
    expect(row).toHaveTextContent("42 imported");
    expect(row).toHaveTextContent("1 refused (see Outbox)");
    expect(within(row).getByTestId("work-error")).toHaveTextContent("not JSON");
    expect(await screen.findByTestId("aside-item")).toHaveTextContent("Unknown event type");
  });

  it("sets up a Wix connector's imports with an assignment rule", async () => {
    const { callsOf } = renderApp((cmd, args) => {
      if (cmd === "connector_work_list") return [];
      if (cmd === "aside_items" || cmd === "list_accounts" || cmd === "background_jobs" || cmd === "notices") return [];
      if (cmd === "list_connectors")
        return [{ id: "w1", name: "Partner site", settings: { kind: "wix", site_id: "abc" }, secretSet: true }];
      if (cmd === "keychain_status") return { available: true, code: null, message: null };
      if (cmd === "save_connector_work") {
        const input = args.input as { work: ConnectorWorkView["work"] };
        return { work: input.work, imports: "Partner requests", runs: [], queued: 0, failed: 0, tokenSet: false };
      }
      return basics(cmd);
    }, "#/settings");
    fireEvent.click(await screen.findByTestId("work-setup-wix"));
    fireEvent.change(screen.getByTestId("work-requests"), { target: { value: "PartnerRequests" } });
    fireEvent.click(screen.getByTestId("rule-add"));
    fireEvent.change(screen.getByTestId("rule-kind-0"), { target: { value: "invoice" } });
    fireEvent.change(screen.getByTestId("rule-owner-0"), { target: { value: "billing.lead" } });
    fireEvent.click(screen.getByTestId("work-save"));
    await waitFor(() => expect(callsOf("save_connector_work")).toHaveLength(1));
    expect(callsOf("save_connector_work")[0].args).toMatchObject({
      input: {
        work: {
          connectorId: "w1",
          kind: "wix",
          requestsCollection: "PartnerRequests",
          rules: [{ kind: "invoice", partnerId: null, owner: "billing.lead", setKind: null }],
        },
        token: null,
      },
    });
  });
});
