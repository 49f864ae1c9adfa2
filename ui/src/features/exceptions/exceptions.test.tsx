// The exceptions inbox: rows with error code and references, filters from the facets, and
// "Open case" creating a case and going to it (or to the case already linked).
import { describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import type { ExceptionQuery } from "../../bindings";
import { renderApp } from "../../test/render";
import { createMockBackend } from "../../mock/backend";

const NOW = Date.parse("2026-03-10T12:00:00Z");

describe("exceptions inbox", () => {
  it("lists failed transactions with error code, partner, document type and references", async () => {
    const backend = createMockBackend({ caseCount: 40, now: NOW });
    renderApp((cmd, args) => backend.handle(cmd, args), "#/exceptions");
    const rows = await screen.findAllByTestId("exception-row");
    const first = backend.fixture.transactions[0];
    expect(rows[0]).toHaveTextContent(first.externalErrorMessage ?? "");
    expect(rows[0]).toHaveTextContent(first.ediType ?? "");
    expect(rows[0]).toHaveTextContent(`PO ${first.contentKeys[0].value}`);
    expect(screen.getByText(`${backend.fixture.transactions.length} failed or undelivered transactions`)).toBeInTheDocument();
  });

  it("filters by error code from exception_facets", async () => {
    const backend = createMockBackend({ caseCount: 40, now: NOW });
    const { callsOf } = renderApp((cmd, args) => backend.handle(cmd, args), "#/exceptions");
    await screen.findAllByTestId("exception-row");
    const select = screen.getByTestId("exception-filter-error");
    await waitFor(() => expect(within(select).getByRole("option", { name: "E-3150" })).toBeInTheDocument());
    fireEvent.change(select, { target: { value: "E-3150" } });
    const expected = backend.fixture.transactions.filter((t) => t.errorCode === "E-3150").length;
    await waitFor(() => expect(screen.getAllByTestId("exception-row")).toHaveLength(expected));
    for (const r of screen.getAllByTestId("exception-row")) expect(r).toHaveTextContent("E-3150");
    expect((callsOf("list_exceptions").at(-1)?.args.query as ExceptionQuery).errorCode).toBe("E-3150");
  });

  it("'Open case' creates a case from the transaction and opens it", async () => {
    const backend = createMockBackend({ caseCount: 40, now: NOW });
    const { callsOf } = renderApp((cmd, args) => backend.handle(cmd, args), "#/exceptions");
    const rows = await screen.findAllByTestId("exception-row");
    const row = rows.find((r) => within(r).queryByTestId("open-case-from-exception"));
    expect(row).toBeDefined();
    const index = Number(row!.dataset.index);
    const txn = backend.fixture.transactions[index];
    fireEvent.click(within(row!).getByTestId("open-case-from-exception"));
    await waitFor(() => expect(window.location.hash).toMatch(/^#\/cases\/case-local-/));
    expect(callsOf("create_case_from_exception")[0].args).toEqual({ transactionId: txn.transactionId });
    expect(await screen.findByTestId("case-title")).toHaveTextContent(txn.externalErrorMessage ?? "");
    expect(screen.getByTestId("local-only-banner")).toBeInTheDocument();
  });

  it("goes to the linked case instead of creating another", async () => {
    const backend = createMockBackend({ caseCount: 40, now: NOW });
    const { callsOf } = renderApp((cmd, args) => backend.handle(cmd, args), "#/exceptions");
    const rows = await screen.findAllByTestId("exception-row");
    const row = rows.find((r) => within(r).queryByTestId("view-linked-case"));
    expect(row).toBeDefined();
    const txn = backend.fixture.transactions[Number(row!.dataset.index)];
    fireEvent.click(within(row!).getByTestId("view-linked-case"));
    await waitFor(() =>
      expect(window.location.hash).toBe(`#/cases/${backend.fixture.txnCases.get(txn.transactionId)![0]}`),
    );
    expect(callsOf("create_case_from_exception")).toHaveLength(0);
  });

  it("says why a case could not be opened", async () => {
    const backend = createMockBackend({ caseCount: 40, now: NOW });
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
