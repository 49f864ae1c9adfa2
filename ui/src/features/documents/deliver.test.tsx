// "Send to partner…" on a document row (issue 11): with no SFTP connector that has a partner
// inbox the chooser says so and how to set one up; with one, Send queues the document by its ids
// and the row says "Waiting to send", "Sending n%" (from the Transfers stream), "Sent to …" or
// why it failed, with Retry; a delivery is no incoming upload of the case.
import { afterEach, describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import type { DeliveryTarget, DeliveryView, TransferView } from "../../bindings";
import { renderApp } from "../../test/render";
import { createMockBackend } from "../../mock/backend";
import { resetTransfersStream } from "./hooks";

const CASE_WITH_DOCUMENT = "00000000-0000-4000-8000-000000000014";

const ACME: DeliveryTarget = { connectorId: "c-acme", name: "Acme SFTP", inbox: "/inbound", server: "edi@sftp.acme.example" };

function delivery(documentId: string, patch: Partial<DeliveryView>): DeliveryView {
  return {
    id: "d1",
    caseId: CASE_WITH_DOCUMENT,
    documentId,
    documentName: "receiving_4500048639.csv",
    connectorId: ACME.connectorId,
    connectorName: ACME.name,
    inbox: ACME.inbox,
    remoteName: "receiving_4500048639.csv",
    state: "queued",
    error: null,
    size: 2048,
    queuedAt: new Date().toISOString(),
    sentAt: null,
    ...patch,
  };
}

function transfer(patch: Partial<TransferView>): TransferView {
  return {
    id: "deliver:d1",
    direction: "upload",
    name: "receiving_4500048639.csv → Acme SFTP /inbound",
    caseId: CASE_WITH_DOCUMENT,
    state: "running",
    doneBytes: 1024,
    totalBytes: 2048,
    bytesPerSecond: 1024,
    secondsLeft: 1,
    error: null,
    queuedAt: new Date().toISOString(),
    ...patch,
  };
}

/** The document id of the case's one document, as the recorded answers have it. */
function documentId(): string {
  const backend = createMockBackend();
  const detail = backend.answer("get_case", { id: CASE_WITH_DOCUMENT });
  return detail.documents[0].id;
}

afterEach(() => resetTransfersStream());

describe("send to partner", () => {
  it("says how to set up a partner inbox when there is none", async () => {
    const backend = createMockBackend();
    const { callsOf } = renderApp((cmd, args) => backend.handle(cmd, args), `#/cases/${CASE_WITH_DOCUMENT}`);
    const row = await screen.findByTestId("document");
    fireEvent.click(within(row).getByTestId("document-send"));
    expect(await within(row).findByTestId("send-empty")).toHaveTextContent("No partner inbox is set up");
    expect(within(row).getByTestId("send-empty")).toHaveTextContent("Connector work");
    expect(callsOf("deliver_document")).toHaveLength(0);
    // Escape closes the chooser.
    fireEvent.keyDown(within(row).getByTestId("send-chooser"), { key: "Escape" });
    await waitFor(() => expect(within(row).queryByTestId("send-chooser")).not.toBeInTheDocument());
  });

  it("queues the document for the chosen inbox by its ids and then shows it waiting", async () => {
    const backend = createMockBackend({ deliveryTargets: [ACME] });
    const { callsOf } = renderApp((cmd, args) => backend.handle(cmd, args), `#/cases/${CASE_WITH_DOCUMENT}`);
    const row = await screen.findByTestId("document");
    fireEvent.click(within(row).getByTestId("document-send"));
    const select = await within(row).findByTestId("send-target");
    expect(select).toHaveFocus();
    expect(select).toHaveTextContent("Acme SFTP · /inbound (edi@sftp.acme.example)");
    fireEvent.click(within(row).getByTestId("send-confirm"));
    await waitFor(() => expect(callsOf("deliver_document")).toHaveLength(1));
    expect(callsOf("deliver_document")[0].args).toEqual({ caseId: CASE_WITH_DOCUMENT, documentId: row.dataset.documentId, connectorId: "c-acme" });
    const status = await within(row).findByTestId("document-delivery");
    expect(status).toHaveTextContent("Waiting to send to Acme SFTP /inbound/receiving_4500048639.csv");
    expect(within(row).queryByTestId("send-chooser")).not.toBeInTheDocument();
  });

  it("shows Sending n% from the Transfers stream, and a delivery is no incoming upload", async () => {
    const id = documentId();
    const backend = createMockBackend({ deliveries: [delivery(id, {})], transfers: [transfer({})] });
    renderApp((cmd, args) => backend.handle(cmd, args), `#/cases/${CASE_WITH_DOCUMENT}`);
    const row = await screen.findByTestId("document");
    const status = await within(row).findByTestId("document-delivery");
    await waitFor(() => expect(status).toHaveTextContent("Sending 50% to Acme SFTP /inbound/receiving_4500048639.csv"));
    expect(within(status).getByRole("progressbar")).toBeInTheDocument();
    expect(screen.queryByTestId("incoming-uploads")).not.toBeInTheDocument();
  });

  it("says where it was sent and when, or why it was not, with Retry", async () => {
    const id = documentId();
    const sent = createMockBackend({
      deliveries: [delivery(id, { state: "sent", remoteName: "receiving_4500048639 (2).csv", sentAt: "2026-11-30T23:59:00Z" })],
    });
    const first = renderApp((cmd, args) => sent.handle(cmd, args), `#/cases/${CASE_WITH_DOCUMENT}`);
    const status = await screen.findByTestId("document-delivery");
    expect(status).toHaveAttribute("data-state", "sent");
    expect(status).toHaveTextContent("Sent to Acme SFTP /inbound/receiving_4500048639 (2).csv at");
    first.unmount();
    resetTransfersStream();

    const failed = createMockBackend({
      deliveries: [
        delivery(id, {
          state: "failed",
          error: { code: "auth.forbidden", message: "Signed in to sftp.acme.example as edi, but edi may not use /inbound (permission denied)." },
        }),
      ],
      transfers: [transfer({ state: "failed", doneBytes: 0 })],
    });
    const { callsOf } = renderApp((cmd, args) => failed.handle(cmd, args), `#/cases/${CASE_WITH_DOCUMENT}`);
    const row = await screen.findByTestId("document");
    const failure = await within(row).findByTestId("document-delivery");
    expect(failure).toHaveTextContent("Not sent to Acme SFTP: Signed in to sftp.acme.example as edi, but edi may not use /inbound (permission denied).");
    const retry = within(failure).getByTestId("delivery-retry");
    await waitFor(() => expect(retry).toBeEnabled());
    fireEvent.click(retry);
    await waitFor(() => expect(callsOf("transfer_action")).toHaveLength(1));
    expect(callsOf("transfer_action")[0].args).toEqual({ transferId: "deliver:d1", action: "retry" });
  });

  it("offers a delivery in the Transfers view cancel, never pause", async () => {
    const backend = createMockBackend({ transfers: [transfer({})] });
    renderApp((cmd, args) => backend.handle(cmd, args), "#/transfers");
    const row = await screen.findByTestId("transfer");
    expect(within(row).queryByTestId("transfer-pause")).not.toBeInTheDocument();
    expect(within(row).getByTestId("transfer-cancel")).toBeInTheDocument();
  });
});
