// Documents on a case (Open, Save as, Copy link, available offline) and the Transfers view with
// its status-bar indicator: each action calls its command with the document's ids only, and the
// view says in words what failed.
import { afterEach, describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import type { TransferView } from "../../bindings";
import { renderApp } from "../../test/render";
import { createMockBackend } from "../../mock/backend";
import { resetTransfersStream } from "./hooks";

const CASE_WITH_DOCUMENT = "00000000-0000-4000-8000-000000000014";

function transfer(patch: Partial<TransferView>): TransferView {
  return {
    id: "upload:1",
    direction: "upload",
    name: "POD_SH93859163.pdf",
    caseId: CASE_WITH_DOCUMENT,
    state: "running",
    doneBytes: 50 * 1024 * 1024,
    totalBytes: 200 * 1024 * 1024,
    bytesPerSecond: 10 * 1024 * 1024,
    secondsLeft: 15,
    error: null,
    queuedAt: new Date().toISOString(),
    ...patch,
  };
}

afterEach(() => resetTransfersStream());

describe("documents", () => {
  it("opens and saves a document by its ids and then shows it available offline", async () => {
    const backend = createMockBackend();
    const { callsOf } = renderApp((cmd, args) => backend.handle(cmd, args), `#/cases/${CASE_WITH_DOCUMENT}`);
    const row = await screen.findByTestId("document");
    expect(row).toHaveTextContent("receiving_4500048639.csv");
    expect(within(row).queryByTestId("document-offline")).not.toBeInTheDocument();
    expect(within(row).queryByTestId("document-link")).not.toBeInTheDocument();
    fireEvent.click(within(row).getByTestId("document-open"));
    await waitFor(() => expect(callsOf("open_document")).toHaveLength(1));
    const documentId = row.dataset.documentId;
    expect(callsOf("open_document")[0].args).toEqual({ caseId: CASE_WITH_DOCUMENT, documentId });
    expect(await within(row).findByTestId("document-offline")).toHaveTextContent("Available offline");
    fireEvent.click(within(row).getByTestId("document-save"));
    await waitFor(() => expect(callsOf("save_document_as")).toHaveLength(1));
    expect(callsOf("save_document_as")[0].args).toEqual({ caseId: CASE_WITH_DOCUMENT, documentId });
  });

  it("shares the case package and says until when its link works", async () => {
    const backend = createMockBackend();
    const { callsOf } = renderApp((cmd, args) => backend.handle(cmd, args), `#/cases/${CASE_WITH_DOCUMENT}`);
    fireEvent.click(await screen.findByTestId("share-package"));
    await waitFor(() => expect(callsOf("share_case_package")).toHaveLength(1));
    expect(callsOf("share_case_package")[0].args).toEqual({ caseId: CASE_WITH_DOCUMENT, connectorId: null });
    expect(await screen.findByTestId("package-outcome")).toHaveTextContent("Package posted on the case for the partner (47 KB); its link works until");
  });

  it("says in words why a document could not be opened", async () => {
    const backend = createMockBackend();
    renderApp((cmd, args) => {
      if (cmd === "open_document")
        throw { code: "document.offline", message: "receiving_4500048639.csv has not been downloaded to this computer yet, and the server can't be reached." };
      return backend.handle(cmd, args);
    }, `#/cases/${CASE_WITH_DOCUMENT}`);
    fireEvent.click(await screen.findByTestId("document-open"));
    expect(await screen.findByTestId("document-outcome")).toHaveTextContent("has not been downloaded to this computer yet");
  });
});

describe("transfers", () => {
  it("lists transfers with progress, speed, time left and the error in words, with their buttons", async () => {
    const backend = createMockBackend({
      transfers: [
        transfer({}),
        transfer({ id: "upload:2", name: "photo.jpg", state: "failed", doneBytes: 0, error: { code: "auth.forbidden", message: "S3 refused the upload (403): check the connector's access key." } }),
        transfer({ id: "download:3", direction: "download", name: "invoice.pdf", state: "done", doneBytes: 1000, totalBytes: 1000 }),
      ],
    });
    const { callsOf } = renderApp((cmd, args) => backend.handle(cmd, args), "#/transfers");
    const rows = await screen.findAllByTestId("transfer");
    expect(rows.map((r) => r.dataset.state)).toEqual(["running", "failed", "done"]);
    expect(within(rows[0]).getByTestId("transfer-detail")).toHaveTextContent("Transferring · 50 MB of 200 MB · 10 MB/s · 15 s left");
    expect(within(rows[1]).getByTestId("transfer-error")).toHaveTextContent("S3 refused the upload (403)");
    expect(within(rows[2]).queryByRole("button")).not.toBeInTheDocument();
    fireEvent.click(within(rows[0]).getByTestId("transfer-pause"));
    fireEvent.click(within(rows[1]).getByTestId("transfer-retry"));
    await waitFor(() => expect(callsOf("transfer_action")).toHaveLength(2));
    expect(callsOf("transfer_action").map((c) => c.args)).toEqual([
      { transferId: "upload:1", action: "pause" },
      { transferId: "upload:2", action: "retry" },
    ]);
    const indicator = screen.getByTestId("transfers-indicator");
    expect(indicator).toHaveTextContent("1 transfer");
    expect(indicator).toHaveTextContent("1 failed");
  });

  it("says when nothing was transferred, and the status bar shows no indicator", async () => {
    const backend = createMockBackend();
    renderApp((cmd, args) => backend.handle(cmd, args), "#/transfers");
    expect(await screen.findByText("No transfers yet")).toBeInTheDocument();
    expect(screen.queryByTestId("transfers-indicator")).not.toBeInTheDocument();
  });
});
