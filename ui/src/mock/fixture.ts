// Dev/test only: a deterministic, realistic demo tenant (partners, colleagues, cases with threads,
// failed transactions) generated in memory for the mock preview and the component tests.
import type {
  ActivityEntry,
  Case,
  CaseKind,
  CaseStatus,
  CommentView,
  ConflictView,
  Document,
  OutboxEntryView,
  Partner,
  Priority,
  Transaction,
  User,
} from "../bindings";
import { STATUS_LABELS } from "../lib/format";

/** A seeded pseudo-random generator (mulberry32), so every run shows the same tenant. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PARTNER_NAMES = [
  "Verona Vittles", "Northwind Traders", "Blue Harbor Foods", "Cascadia Paper Co.", "Meridian Logistics",
  "Alpine Dairy Cooperative", "Sunfield Produce", "Keystone Hardware Supply", "Lakeside Beverages",
  "Redwood Furniture Works", "Pacific Rim Electronics", "Golden Grain Mills", "Harborview Apparel",
  "Summit Outdoor Gear", "Brightline Pharma Distribution", "Evergreen Home Goods", "Ironbridge Tools",
  "Coastal Seafood Partners", "Prairie Pet Supplies", "Riverbend Packaging", "Silverline Cosmetics",
  "Orchard Valley Juices", "Granite State Building Products", "Beacon Office Supply", "Tidewater Freight",
  "Maple Leaf Confectionery", "Desert Sun Solar", "Heritage Toys & Games", "Copperfield Kitchenware",
  "Bayside Frozen Foods", "Pinecrest Textiles", "Atlas Auto Parts", "Clearwater Bottling", "Foxglove Garden Center",
  "Highland Coffee Roasters", "Stonegate Wines & Spirits", "Nordic Baby Care", "Crescent Moon Bakery",
  "Twin Rivers Sporting Goods", "Lumen Lighting Wholesale",
];

const USERS: [string, string][] = [
  ["Ann", "Keller"], ["Marcus", "Obi"], ["Priya", "Raman"], ["Tom", "Lindqvist"], ["Sofia", "Marquez"],
  ["Daniel", "Cho"], ["Grace", "Okafor"], ["Liam", "Brennan"],
];

const PARTNER_PEOPLE = ["Jordan Blake", "Elena Rossi", "Sam Whitaker", "Mei Lin", "Carlos Mendes", "Hannah Weber"];

const TITLES: Record<CaseKind, string[]> = {
  shipment: [
    "Short shipment on PO {po}: 12 cartons missing",
    "ASN {shp} does not match received quantities",
    "Pallets damaged in transit, PO {po}",
    "Late delivery to DC 4 for PO {po}",
    "Missing proof of delivery for shipment {shp}",
  ],
  invoice: [
    "Invoice {inv} price does not match PO {po}",
    "Duplicate invoice {inv} received",
    "810 rejected: invalid tax amount on {inv}",
    "Freight charge disputed on invoice {inv}",
    "Invoice {inv} billed before goods received",
  ],
  order: [
    "850 for PO {po} rejected by partner translator",
    "No 855 acknowledgement for PO {po}",
    "Item not found in partner catalogue, PO {po}",
    "PO {po} change (860) not applied",
  ],
  compliance: [
    "Label compliance violation on shipment {shp}",
    "ASN sent after goods arrived ({shp})",
    "Chargeback review: carton labels unreadable",
    "Wrong GS1 pallet label format on {shp}",
  ],
  onboarding: [
    "Go-live: EDI 856 testing with partner",
    "New trading address for {partner}",
    "Onboard INVOIC over AS2",
    "Certificate renewal for AS2 connection",
  ],
  other: ["Contact change at {partner}", "Question about holiday shipping schedule", "Portal access request"],
};

const COMMENT_BODIES_US = [
  "We received fewer cartons than the ASN lists. Can you confirm what was loaded on the truck?",
  "Attaching the receiving report from the DC. Please review and advise.",
  "Thanks — we will hold the invoice until the corrected ASN arrives.",
  "Could you resend the 856 with the corrected carton count?",
  "Credit note received, closing this on our side once finance confirms.",
];
const COMMENT_BODIES_INTERNAL = [
  "Finance says the price list was updated on the 1st — check whether the partner has it.",
  "This is the third short shipment this month from this partner. Flagging for the quarterly review.",
  "Escalated to the carrier account manager; waiting for their claim number.",
  "Don't close before the chargeback is reversed.",
];
const COMMENT_BODIES_PARTNER = [
  "Our warehouse confirms 48 cartons were shipped. We are checking the carrier's scan records.",
  "Apologies, the ASN was generated before the final pick. A corrected one is on its way.",
  "We issued credit memo CM-20931 for the difference.",
  "Can you share the photos of the damaged pallets?",
];

const ERRORS: [string, string, string][] = [
  ["850", "E-1021", "Purchase order rejected: unknown ship-to location 0047"],
  ["850", "E-1044", "Item 00088123455 not found in partner catalogue"],
  ["810", "E-2203", "Invoice total does not equal sum of line items"],
  ["810", "E-2210", "Invoice references unknown purchase order"],
  ["856", "E-3101", "ASN quantities exceed ordered quantities"],
  ["856", "E-3150", "Missing SSCC-18 on pallet level"],
  ["ORDERS", "E-1021", "Purchase order rejected: unknown ship-to location"],
  ["INVOIC", "E-2203", "Invoice total does not equal sum of line items"],
  ["DESADV", "DLV-500", "Delivery to partner mailbox failed: connection refused"],
  ["997", "ACK-17", "Functional acknowledgement reports rejected group"],
];

const STATUSES: CaseStatus[] = ["new", "open", "waiting_on_partner", "waiting_on_us", "resolved", "closed"];
const STATUS_WEIGHTS = [0.12, 0.26, 0.22, 0.14, 0.12, 0.14];
const KINDS: CaseKind[] = ["shipment", "invoice", "order", "compliance", "onboarding", "other"];
const PRIORITIES: Priority[] = ["low", "normal", "high", "urgent"];

function weighted<T>(r: () => number, values: T[], weights: number[]): T {
  let x = r();
  for (let i = 0; i < values.length; i += 1) {
    x -= weights[i];
    if (x <= 0) return values[i];
  }
  return values[values.length - 1];
}

function pick<T>(r: () => number, values: T[]): T {
  return values[Math.floor(r() * values.length)];
}

/** The generated tenant. */
export interface Fixture {
  partners: Partner[];
  users: User[];
  cases: Case[];
  /** Per case id: local-only flag, pending and failed change counts. */
  local: Map<string, { localOnly: boolean; pending: number; failed: number }>;
  comments: Map<string, CommentView[]>;
  documents: Map<string, Document[]>;
  transactions: Transaction[];
  /** Transaction id -> partner id. */
  txnPartner: Map<string, string>;
  /** Transaction id -> linked case ids. */
  txnCases: Map<string, string[]>;
  /** Queued changes, oldest first (pending, in flight and refused). */
  outbox: OutboxEntryView[];
  /** Outbox op id -> the local comment it sends. */
  opComment: Map<string, string>;
  /** Per case id: local changes that lost to newer server values. */
  conflicts: Map<string, ConflictView[]>;
}

const COMMENT_REFUSALS = [
  "The case was closed on the server; reopen it before commenting.",
  "The server rejected the comment as malformed (422): it contains an unsupported character.",
];
const PATCH_REFUSALS = [
  "You are not allowed to reassign this case (403 Forbidden).",
  "The owner is not a user of this company any more.",
];

const HOUR = 3_600_000;

/** Builds a tenant with `caseCount` cases, relative to `now`. */
export function makeFixture(caseCount = 400, now = Date.now(), seed = 7): Fixture {
  const r = rng(seed);
  const partners: Partner[] = PARTNER_NAMES.map((name, i) => ({
    partnerCompanyId: `GC${(41543822654 + i * 7919).toString()}`,
    partnerCompanyName: name,
    tradingAddresses: [`ZZ:${name.toUpperCase().replace(/[^A-Z]/g, "").slice(0, 12)}`],
    status: i % 13 === 5 ? "Pending" : i % 17 === 9 ? "Inactive" : "Active",
    countryCode: pick(r, ["US", "US", "US", "CA", "DE", "GB", "MX", "NL"]),
    contactEmail: `edi@${name.toLowerCase().replace(/[^a-z]/g, "").slice(0, 14)}.example`,
  }));
  const users: User[] = USERS.map(([first, last], i) => ({
    userId: `GCP6U3F660I6${i}`,
    loginId: `${first.toLowerCase()}.${last.toLowerCase()}@demoretail.example`,
    firstName: first,
    lastName: last,
    email: `${first.toLowerCase()}.${last.toLowerCase()}@demoretail.example`,
    roles: ["Partner Operations"],
  }));

  const transactions: Transaction[] = [];
  const txnPartner = new Map<string, string>();
  const txnCases = new Map<string, string[]>();
  for (let i = 0; i < Math.max(60, Math.floor(caseCount * 0.6)); i += 1) {
    const [edi, code, message] = pick(r, ERRORS);
    const partner = pick(r, partners);
    const outbound = ["850", "ORDERS"].includes(edi);
    const po = `45000${String(10000 + Math.floor(r() * 89999))}`;
    const keysFor: { key: string; value: string }[] = [{ key: "purchase order number", value: po }];
    if (["810", "INVOIC"].includes(edi)) keysFor.push({ key: "invoice number", value: `INV-${70000 + i}` });
    if (["856", "DESADV"].includes(edi)) keysFor.push({ key: "shipment identification", value: `SH${880000 + i}` });
    const id = `TXN-${(9_100_000 + i * 13).toString(16).toUpperCase()}`;
    const undelivered = code.startsWith("DLV");
    transactions.push({
      transactionId: id,
      correlationId: `COR-${i}`,
      status: undelivered ? "Delivered" : "Failed",
      deliveryStatus: undelivered ? "DeliveryFailed" : "Delivered",
      ediType: edi,
      transactionLevel: "Document",
      senderName: outbound ? "Demo Retailer" : partner.partnerCompanyName,
      receiverName: outbound ? partner.partnerCompanyName : "Demo Retailer",
      senderAddress: outbound ? "ZZ:DEMORETAILER" : partner.tradingAddresses[0],
      receiverAddress: outbound ? partner.tradingAddresses[0] : "ZZ:DEMORETAILER",
      arrivalTime: new Date(now - r() * 14 * 24 * HOUR).toISOString(),
      errorCode: undelivered ? null : code,
      errorType: undelivered ? null : "Validation",
      externalErrorMessage: message,
      contentKeys: keysFor,
    });
    txnPartner.set(id, partner.partnerCompanyId);
  }
  transactions.sort((a, b) => (b.arrivalTime ?? "").localeCompare(a.arrivalTime ?? ""));

  const cases: Case[] = [];
  const local = new Map<string, { localOnly: boolean; pending: number; failed: number }>();
  const comments = new Map<string, CommentView[]>();
  const documents = new Map<string, Document[]>();
  for (let i = 0; i < caseCount; i += 1) {
    const kind = weighted(r, KINDS, [0.3, 0.25, 0.2, 0.12, 0.08, 0.05]);
    const status = weighted(r, STATUSES, STATUS_WEIGHTS);
    const priority = weighted(r, PRIORITIES, [0.15, 0.5, 0.25, 0.1]);
    const partner = pick(r, partners);
    const po = `45000${String(10000 + Math.floor(r() * 89999))}`;
    const inv = `INV-${60000 + Math.floor(r() * 9999)}`;
    const shp = `SH${800000 + Math.floor(r() * 99999)}`;
    const title = pick(r, TITLES[kind])
      .replace("{po}", po)
      .replace("{inv}", inv)
      .replace("{shp}", shp)
      .replace("{partner}", partner.partnerCompanyName);
    const created = now - (2 + r() * 40 * 24) * HOUR;
    const updated = Math.min(now - 60_000, created + r() * (now - created));
    const slaRoll = r();
    const slaDue = slaRoll < 0.1 ? null : new Date(now + (slaRoll - 0.35) * 6 * 24 * HOUR).toISOString();
    const owner = r() < 0.18 ? null : pick(r, users).loginId;
    const id = `case-${String(i + 1).padStart(6, "0")}`;
    const linked = r() < 0.35 ? [pick(r, transactions).transactionId] : [];
    for (const t of linked) txnCases.set(t, [...(txnCases.get(t) ?? []), id]);
    cases.push({
      id,
      reference: `CASE-2026-${String(i + 1).padStart(6, "0")}`,
      title,
      partnerId: partner.partnerCompanyId,
      partnerName: partner.partnerCompanyName,
      kind,
      status,
      priority,
      owner,
      slaDue,
      createdAt: new Date(created).toISOString(),
      updatedAt: new Date(updated).toISOString(),
      linkedTransactions: linked,
      references: {
        poNumbers: kind === "onboarding" || kind === "other" ? [] : [po],
        invoiceNumbers: kind === "invoice" ? [inv] : [],
        shipmentNumbers: kind === "shipment" || kind === "compliance" ? [shp] : [],
      },
      version: 1,
    });
    const roll = r();
    local.set(id, {
      localOnly: roll < 0.01,
      pending: roll < 0.04 ? 1 + Math.floor(r() * 2) : 0,
      failed: roll > 0.985 ? 1 : 0,
    });
    const thread: CommentView[] = [];
    const n = Math.floor(r() * 7);
    let at = created;
    for (let c = 0; c < n; c += 1) {
      at += r() * (updated - created) / Math.max(1, n);
      const who = r();
      const partnerSide = who < 0.35;
      const internal = !partnerSide && who > 0.75;
      thread.push({
        id: `${id}-c${c}`,
        caseId: id,
        author: partnerSide ? pick(r, PARTNER_PEOPLE) : `${pick(r, USERS).join(" ")}`,
        authorIsPartner: partnerSide,
        body: pick(r, partnerSide ? COMMENT_BODIES_PARTNER : internal ? COMMENT_BODIES_INTERNAL : COMMENT_BODIES_US),
        visibility: internal ? "internal" : "partner",
        createdAt: new Date(at).toISOString(),
        sendState: "sent",
      });
    }
    comments.set(id, thread);
    const docs: Document[] = [];
    const docCount = Math.floor(r() * 3);
    for (let d = 0; d < docCount; d += 1) {
      const [name, media] = pick(r, [
        [`receiving-report-${po}.pdf`, "application/pdf"],
        [`${po}.850.edi`, "application/edi-x12"],
        [`damaged-pallet-${d + 1}.jpg`, "image/jpeg"],
        [`price-list-2026.xlsx`, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
        [`pod-${shp}.pdf`, "application/pdf"],
      ] as [string, string][]);
      docs.push({
        id: `${id}-d${d}`,
        caseId: id,
        name,
        size: Math.floor(2_000 + r() * 4_000_000),
        sha256: "0".repeat(64),
        mediaType: media,
        location: { type: "collab" },
        uploadedBy: pick(r, USERS).join(" "),
        uploadedAt: new Date(created + HOUR).toISOString(),
      });
    }
    documents.set(id, docs);
  }
  // Queued changes come from a second generator, so the tenant above stays the same.
  const r2 = rng(seed + 101);
  const outbox: OutboxEntryView[] = [];
  const opComment = new Map<string, string>();
  let op = 0;
  const entry = (c: Case, patch: Partial<OutboxEntryView>): OutboxEntryView => {
    op += 1;
    return {
      opId: `op-${String(op).padStart(4, "0")}`,
      caseId: c.id,
      caseReference: c.reference,
      op: { op: "patch_case", status: c.status },
      summary: "",
      state: "pending",
      attempts: 0,
      lastError: null,
      createdAt: new Date(now - (5 + r2() * 170) * 60_000).toISOString(),
      ...patch,
    };
  };
  const queueComment = (c: Case, state: "pending" | "failed", lastError: string | null) => {
    const body = pick(r2, COMMENT_BODIES_US);
    const commentId = `${c.id}-q${op + 1}`;
    const e = entry(c, {
      op: { op: "add_comment", id: commentId, author: "Ann Keller", body, visibility: "partner" },
      summary: `Comment: \u201c${body.length > 60 ? `${body.slice(0, 60)}\u2026` : body}\u201d`,
      state,
      attempts: state === "failed" ? 1 + Math.floor(r2() * 3) : 0,
      lastError,
    });
    comments.get(c.id)?.push({
      id: commentId,
      caseId: c.id,
      author: "Ann Keller",
      authorIsPartner: false,
      body,
      visibility: "partner",
      createdAt: e.createdAt,
      sendState: state,
    });
    opComment.set(e.opId, commentId);
    outbox.push(e);
  };
  for (const c of cases) {
    const l = local.get(c.id);
    if (!l) continue;
    for (let k = 0; k < l.pending; k += 1) {
      if (k === 0) outbox.push(entry(c, { summary: `Status changed to ${STATUS_LABELS[c.status]}` }));
      else queueComment(c, "pending", null);
    }
    if (l.failed > 0) {
      if (r2() < 0.5) queueComment(c, "failed", pick(r2, COMMENT_REFUSALS));
      else
        outbox.push(
          entry(c, {
            op: { op: "patch_case", priority: c.priority, owner: users[0].loginId },
            summary: `Priority changed to ${c.priority}; Assigned to ${users[0].loginId}`,
            state: "failed",
            attempts: 2,
            lastError: pick(r2, PATCH_REFUSALS),
          }),
        );
    }
  }
  outbox.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  if (outbox[0]) {
    outbox[0].attempts = 3;
    outbox[0].lastError = "The server did not answer within 30 seconds.";
  }
  const newestPending = [...outbox].reverse().find((e) => e.state === "pending");
  if (newestPending) newestPending.state = "in_flight";
  for (const e of outbox) {
    const l = local.get(e.caseId);
    if (l) {
      l.pending = outbox.filter((x) => x.caseId === e.caseId && x.state !== "failed").length;
      l.failed = outbox.filter((x) => x.caseId === e.caseId && x.state === "failed").length;
    }
  }

  // One case whose status change lost to the partner's newer answer.
  const conflicts = new Map<string, ConflictView[]>();
  const overtaken = cases.find((c) => c.status === "waiting_on_partner");
  if (overtaken) {
    conflicts.set(overtaken.id, [
      {
        id: "conflict-1",
        field: "status",
        localValue: JSON.stringify("resolved"),
        serverValue: JSON.stringify("waiting_on_partner"),
        detectedAt: new Date(now - 25 * 60_000).toISOString(),
      },
    ]);
    // ...and a priority change of the analyst's still waiting to be sent.
    overtaken.priority = "high";
    outbox.push(entry(overtaken, { op: { op: "patch_case", priority: "high" }, summary: "Priority changed to high", createdAt: new Date(now - 12 * 60_000).toISOString() }));
  }

  return {
    partners,
    users,
    cases,
    local,
    comments,
    documents,
    transactions,
    txnPartner,
    txnCases,
    outbox,
    opComment,
    conflicts,
  };
}

/** The activity timeline the mock derives for a case, newest first. */
export function activityFor(c: Case, thread: CommentView[], docs: Document[]): ActivityEntry[] {
  const entries: ActivityEntry[] = [
    { at: c.createdAt, actor: null, summary: "Case opened" },
    ...thread.map((m) => ({
      at: m.createdAt,
      actor: m.author,
      summary: m.visibility === "internal" ? "Added an internal note" : "Commented",
    })),
    ...docs.map((d) => ({ at: d.uploadedAt, actor: d.uploadedBy, summary: `Attached ${d.name}` })),
  ];
  return entries.sort((a, b) => b.at.localeCompare(a.at));
}
