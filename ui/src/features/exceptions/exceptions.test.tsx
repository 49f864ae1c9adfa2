// The exceptions inbox: rows with error code and references, filters from the facets, and
// "Open case" creating a case and going to it (or to the case already linked).
import { describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import type { ExceptionQuery } from "../../bindings";
import { renderApp } from "../../test/render";
import { createMockBackend, type MockBackend } from "../../mock/backend";
import { PAGE_SIZE } from "../../app/queryKeys";
import { emptyExceptionQuery } from "./hooks";

/** The first page of the inbox (optionally of one error code), as the real code answered it. */
function inbox(backend: MockBackend, errorCode: string | null = null) {
  return backend.answer("list_exceptions", { query: { ...emptyExceptionQuery(), errorCode, offset: 0, limit: PAGE_SIZE } });
}

describe("exceptions inbox", () => {
  it("lists failed transactions with error code, partner, document type and references", async () => {
    const backend = createMockBackend();
    renderApp((cmd, args) => backend.handle(cmd, args), "#/exceptions");
    const rows = await screen.findAllByTestId("exception-row");
    const first = inbox(backend).rows[0].transaction;
    expect(rows[0]).toHaveTextContent(first.externalErrorMessage ?? "");
    expect(rows[0]).toHaveTextContent(first.ediType ?? "");
    expect(rows[0]).toHaveTextContent(`PO ${first.contentKeys[0].value}`);
    expect(screen.getByText(`${inbox(backend).total} failed or undelivered transactions`)).toBeInTheDocument();
  });

  it("filters by error code from exception_facets", async () => {
    const backend = createMockBackend();
    // An error code of the sandbox's with a few failures, so every row of it is rendered.
    const code = backend.answer("exception_facets").errorCodes.find((c) => inbox(backend, c).total <= 12) ?? "";
    const { callsOf } = renderApp((cmd, args) => backend.handle(cmd, args), "#/exceptions");
    await screen.findAllByTestId("exception-row");
    const select = screen.getByTestId("exception-filter-error");
    await waitFor(() => expect(within(select).getByRole("option", { name: code })).toBeInTheDocument());
    fireEvent.change(select, { target: { value: code } });
    const expected = inbox(backend, code).total;
    await waitFor(() => expect(screen.getAllByTestId("exception-row")).toHaveLength(expected));
    for (const r of screen.getAllByTestId("exception-row")) expect(r).toHaveTextContent(code);
    expect((callsOf("list_exceptions").at(-1)?.args.query as ExceptionQuery).errorCode).toBe(code);
  });

  it("'Open case' creates a case from the transaction and opens it", async () => {
    const backend = createMockBackend();
    const { callsOf } = renderApp((cmd, args) => backend.handle(cmd, args), "#/exceptions");
    const rows = await screen.findAllByTestId("exception-row");
    const row = rows.find((r) => within(r).queryByTestId("open-case-from-exception"));
    expect(row).toBeDefined();
    const index = Number(row!.dataset.index);
    const txn = inbox(backend).rows[index].transaction;
    fireEvent.click(within(row!).getByTestId("open-case-from-exception"));
    await waitFor(() => expect(window.location.hash).toMatch(/^#\/cases\/case-local-/));
    expect(callsOf("create_case_from_exception")[0].args).toEqual({ transactionId: txn.transactionId });
    expect(await screen.findByTestId("case-title")).toHaveTextContent(txn.externalErrorMessage ?? "");
    expect(screen.getByTestId("local-only-banner")).toBeInTheDocument();
  });

  it("goes to the linked case instead of creating another", async () => {
    const backend = createMockBackend();
    const { callsOf } = renderApp((cmd, args) => backend.handle(cmd, args), "#/exceptions");
    const rows = await screen.findAllByTestId("exception-row");
    const row = rows.find((r) => within(r).queryByTestId("view-linked-case"));
    expect(row).toBeDefined();
    const linked = inbox(backend).rows[Number(row!.dataset.index)];
    fireEvent.click(within(row!).getByTestId("view-linked-case"));
    await waitFor(() =>
      expect(window.location.hash).toBe(`#/cases/${linked.caseIds[0]}`),
    );
    expect(callsOf("create_case_from_exception")).toHaveLength(0);
  });

  it("says why a case could not be opened", async () => {
    const backend = createMockBackend();
    renderApp((cmd, args) => {
      if (cmd === "create_case_from_exception") throw { code: "store.busy", message: "The local cache is busy." };
      return backend.handle(cmd, args);
    }, "#/exceptions");
    const rows = await screen.findAllByTestId("exception-row");
    const row = rows.find((r) => within(r).queryByTestId("open-case-from-exception"))!;
    fireEvent.click(within(row).getByTestId("open-case-from-exception"));
    expect(await screen.findByTestId("open-case-error")).toHaveTextContent("The local cache is busy.");
    expect(window.location.hash).toBe("#/exceptions");
  });
});
