// The routing rules editor and the ledger's EDI panel: the rules listed in order between the
// fixed first step and the fallback; switching a rule off, moving one (button and Alt+Up), adding
// a "Partner by EDI address" rule and removing it each save the whole list; a refusal is shown in
// words; a ledger file's EDI panel shows standard, sender, receiver, control numbers, references,
// the rule that placed it and the segment view; a file that is not EDI says so.
import { describe, expect, it } from "vitest";
import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import type { LedgerEdiView, LedgerRowView, RoutingRuleSetting, RoutingRulesView } from "../../bindings";
import { renderApp } from "../../test/render";
import { createMockBackend } from "../../mock/backend";

const KINDS: RoutingRuleSetting["kind"][] = [
  "edi_validation",
  "edi_acknowledgement",
  "edi_reference",
  "edi_linked_transaction",
  "case_reference_in_name",
  "po_in_name",
  "invoice_in_name",
  "shipment_in_name",
  "edi_new_case",
];

const plain = (kind: RoutingRuleSetting["kind"]): RoutingRuleSetting => ({ kind, enabled: true, reference: null, document: null, address: null, partnerId: null });

function viewOf(rules: RoutingRuleSetting[]): RoutingRulesView {
  return {
    first: { label: "Recognise the file", description: "Every file is read first.", ledgerName: null },
    fallback: { label: "Unmatched document", description: "A file no rule placed opens a case.", ledgerName: "unmatched" },
    rules: rules.map((setting) => ({
      setting,
      label: `Label ${setting.kind}`,
      description: "",
      matches: setting.address ? `from sender ${setting.address}` : `matches ${setting.kind}`,
      ledgerName: setting.kind,
      removable: setting.kind === "edi_partner_address",
    })),
  };
}

const ROWS: LedgerRowView[] = [
  {
    id: 7,
    folderId: "f1",
    folderName: "EDI inbound",
    path: "ORDERS_0001.x12",
    size: 400,
    mediaType: "application/edi-x12",
    seenAt: new Date().toISOString(),
    outcome: "taken",
    detail: null,
    caseId: "case-1",
    caseReference: "CASE-1042",
    documentId: "doc-1",
    rule: "edi_reference",
    ruleLabel: "Reference in the EDI document",
    ruleReason: "the 850 0001 carries PO number 4500099001, on case CASE-1042",
  },
  {
    id: 8,
    folderId: "f1",
    folderName: "EDI inbound",
    path: "scan.pdf",
    size: 400,
    mediaType: "application/pdf",
    seenAt: new Date().toISOString(),
    outcome: "taken",
    detail: null,
    caseId: "case-2",
    caseReference: "CASE-1043",
    documentId: "doc-2",
    rule: "unmatched",
    ruleLabel: "No rule matched",
    ruleReason: "no rule matched",
  },
];

const EDI: LedgerEdiView = {
  summary: {
    standard: "X12",
    error: null,
    sets: [
      {
        setType: "850",
        kindLabel: "purchase order",
        controlNumber: "0001",
        groupControl: "1",
        interchangeControl: "000000001",
        sender: "ZZ:ACME",
        receiver: "ZZ:DEMORETAILER",
        version: "004010",
        references: [{ label: "PO number", value: "4500099001" }],
        rejects: [],
      },
    ],
  },
  segmentView: "     1  ISA  Interchange control header  |  sender id: ACME\n     3  ST   Transaction set header  |  ST01 transaction set: 850\n     4  BEG  Beginning of purchase order  |  BEG03 PO number: 4500099001\n",
};

function setup({ refuse = false }: { refuse?: boolean } = {}) {
  const backend = createMockBackend({ now: Date.now() });
  let rules = KINDS.map(plain);
  const saves: RoutingRuleSetting[][] = [];
  const rendered = renderApp((cmd, args) => {
    switch (cmd) {
      case "list_folders":
        return [];
      case "folder_ledger":
        return ROWS;
      case "ledger_edi":
        return (args.ledgerId as number) === 7 ? EDI : null;
      case "routing_rules":
        return viewOf(rules);
      case "save_routing_rules": {
        const next = args.rules as RoutingRuleSetting[];
        if (refuse) throw { code: "input.invalid", message: 'Rule 1: "ACME" is not an EDI address: write the qualifier and the id with a colon.' };
        saves.push(next);
        rules = next;
        return viewOf(rules);
      }
      default:
        return backend.handle(cmd, args);
    }
  }, "#/folders");
  return { saves, ...rendered };
}

async function openRules() {
  const tab = await screen.findByTestId("folders-tab-rules");
  act(() => tab.click());
  await screen.findByTestId("rules-editor");
  await waitFor(() => expect(screen.getAllByTestId("rule-row")).toHaveLength(9));
}

describe("routing rules editor", () => {
  it("lists the rules in order between the fixed steps; switching off and moving save the list", async () => {
    const { saves } = setup();
    await openRules();
    const fixed = screen.getAllByTestId("rule-fixed");
    expect(fixed[0]).toHaveTextContent("Recognise the file");
    expect(fixed[1]).toHaveTextContent("Unmatched document");
    expect(screen.getAllByTestId("rule-row").map((r) => r.getAttribute("data-kind"))).toEqual(KINDS);

    act(() => within(screen.getAllByTestId("rule-row")[3]).getByTestId("rule-enabled").click());
    await waitFor(() => expect(saves).toHaveLength(1));
    expect(saves[0][3]).toMatchObject({ kind: "edi_linked_transaction", enabled: false });
    await waitFor(() => expect(screen.getAllByTestId("rule-row")[3]).toHaveAttribute("data-enabled", "false"));

    act(() => within(screen.getAllByTestId("rule-row")[1]).getByTestId("rule-down").click());
    await waitFor(() => expect(saves).toHaveLength(2));
    expect(saves[1].slice(0, 3).map((r) => r.kind)).toEqual(["edi_validation", "edi_reference", "edi_acknowledgement"]);

    // Keyboard: Alt+Up on the focused row.
    await waitFor(() => expect(screen.getAllByTestId("rule-row")[5]).toHaveAttribute("data-kind", "po_in_name"));
    fireEvent.keyDown(screen.getAllByTestId("rule-row")[5], { key: "ArrowUp", altKey: true });
    await waitFor(() => expect(saves).toHaveLength(3));
    expect(saves[2][4].kind).toBe("po_in_name");
    expect(saves[2][5].kind).toBe("case_reference_in_name");
  });

  it("adds a Partner by EDI address rule before the new-case rule, and removes it", async () => {
    const { saves } = setup();
    await openRules();
    fireEvent.change(screen.getByTestId("rule-add-kind"), { target: { value: "edi_partner_address" } });
    act(() => screen.getByTestId("rule-add").click());
    fireEvent.change(screen.getByTestId("rule-address"), { target: { value: "ZZ:NEWBUYER" } });
    const partner = screen.getByTestId("rule-partner") as HTMLSelectElement;
    await waitFor(() => expect(partner.options.length).toBeGreaterThan(1));
    fireEvent.change(partner, { target: { value: partner.options[1].value } });
    fireEvent.change(screen.getByTestId("rule-document"), { target: { value: "invoice" } });
    act(() => screen.getByTestId("rule-submit").click());
    await waitFor(() => expect(saves).toHaveLength(1));
    expect(saves[0]).toHaveLength(10);
    expect(saves[0][8]).toEqual({
      kind: "edi_partner_address",
      enabled: true,
      reference: null,
      document: "invoice",
      address: "ZZ:NEWBUYER",
      partnerId: partner.options[1].value,
    });
    expect(saves[0][9].kind).toBe("edi_new_case");
    const added = await screen.findByText("from sender ZZ:NEWBUYER");
    await waitFor(() => expect(screen.queryByTestId("rule-form")).not.toBeInTheDocument());

    const row = added.closest("li") as HTMLElement;
    act(() => within(row).getByTestId("rule-remove").click());
    await waitFor(() => expect(saves).toHaveLength(2));
    expect(saves[1].map((r) => r.kind)).toEqual(KINDS);
  });

  it("shows a refusal in words and keeps the form", async () => {
    setup({ refuse: true });
    await openRules();
    act(() => screen.getByTestId("rule-add").click());
    fireEvent.change(screen.getByTestId("rule-address"), { target: { value: "ACME" } });
    act(() => screen.getByTestId("rule-submit").click());
    expect(await screen.findByTestId("rules-error")).toHaveTextContent('Rule 1: "ACME" is not an EDI address');
    expect(screen.getByTestId("rule-form")).toBeInTheDocument();
  });
});

describe("ledger EDI panel", () => {
  it("shows the file's envelopes, references, rule and segments; a file that is not EDI says so", async () => {
    setup();
    const files = await screen.findAllByTestId("ledger-file");
    act(() => files[0].click());
    const panel = await screen.findByTestId("edi-panel");
    expect(await within(panel).findByTestId("edi-standard")).toHaveTextContent("X12");
    expect(within(panel).getByTestId("edi-sender")).toHaveTextContent("ZZ:ACME");
    expect(within(panel).getByTestId("edi-receiver")).toHaveTextContent("ZZ:DEMORETAILER");
    expect(within(panel).getByTestId("edi-controls")).toHaveTextContent("interchange 000000001 · group 1 · set 0001");
    expect(within(panel).getByTestId("edi-references")).toHaveTextContent("PO number 4500099001");
    expect(within(panel).getByTestId("edi-rule")).toHaveTextContent("the 850 0001 carries PO number 4500099001, on case CASE-1042");
    expect(within(panel).getByTestId("edi-rule")).toHaveTextContent("Reference in the EDI document");
    const segments = within(panel).getByTestId("edi-segments").textContent ?? "";
    expect(segments.split("\n").filter(Boolean)).toHaveLength(3);
    expect(segments).toContain("BEG  Beginning of purchase order");

    act(() => screen.getAllByTestId("ledger-file")[1].click());
    expect(await screen.findByTestId("edi-none")).toHaveTextContent("Not an EDI file (application/pdf)");
    act(() => screen.getByTestId("edi-close").click());
    expect(screen.queryByTestId("edi-panel")).not.toBeInTheDocument();
  });
});
