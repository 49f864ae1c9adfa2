// Settings, Connector work: per connector, what it imports and publishes in this workspace, how
// often, its last run and its errors, and what it kept aside (unknown or broken events and items,
// listed, never dropped). Adds an xConnector (feed, outbound endpoint, loopback listener, token)
// or the work of an existing Wix or Drupal connector, or an SFTP connector's partner inbox (where
// "Send to partner…" delivers documents).
import { useState } from "react";
import type { AssignmentRule, CaseKind, ConnectorView, ConnectorWork, ConnectorWorkView, WorkKind } from "../../bindings";
import { QueryView } from "../../components/form";
import { dateTime, relativeTime } from "../../lib/format";
import { useConnectors } from "../settings/hooks";
import { useAsideItems, useConnectorWork, useSaveConnectorWork } from "./hooks";

const KIND_LABEL: Record<WorkKind, string> = {
  xconnector: "xConnector",
  wix: "Wix site",
  drupal: "Drupal site",
  sftp: "SFTP partner inbox",
};

function blank(kind: WorkKind, connectorId: string, name: string): ConnectorWork {
  return {
    connectorId,
    name,
    kind,
    enabled: true,
    everySeconds: 300,
    noticesCollection: null,
    requestsCollection: null,
    articleBundle: null,
    requestBundle: null,
    feedUrl: null,
    outboundUrl: null,
    listenPort: null,
    rules: [],
    partnerInbox: null,
  };
}

const KINDS: CaseKind[] = ["shipment", "invoice", "order", "compliance", "onboarding", "other"];

/** Who gets an imported request: one line per rule, the first that matches wins. */
function RulesEditor({ rules, onChange }: { rules: AssignmentRule[]; onChange: (rules: AssignmentRule[]) => void }) {
  const set = (i: number, patch: Partial<AssignmentRule>) => onChange(rules.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const kindSelect = (id: string, value: CaseKind | null, label: string, onPick: (k: CaseKind | null) => void) => (
    <select
      id={id}
      className="input"
      aria-label={label}
      value={value ?? ""}
      onChange={(e) => onPick(e.target.value === "" ? null : (e.target.value as CaseKind))}
      data-testid={id}
    >
      <option value="">{label === "Kind" ? "Any kind" : "Keep"}</option>
      {KINDS.map((k) => (
        <option key={k} value={k}>
          {k}
        </option>
      ))}
    </select>
  );
  return (
    <>
      <span>Assignment rules</span>
      <div className="form-field outside-rules" data-testid="work-rules">
        {rules.length === 0 && <span className="muted small">No rule: imported cases are unassigned.</span>}
        {rules.map((r, i) => (
          <div key={i} className="outside-rule" data-testid="work-rule">
            {kindSelect(`rule-kind-${i}`, r.kind, "Kind", (k) => set(i, { kind: k }))}
            <input
              className="input"
              aria-label="Partner id"
              placeholder="Any partner"
              value={r.partnerId ?? ""}
              onChange={(e) => set(i, { partnerId: e.target.value === "" ? null : e.target.value })}
              data-testid={`rule-partner-${i}`}
            />
            <span className="muted small">→</span>
            <input
              className="input"
              aria-label="Owner"
              placeholder="Owner login"
              value={r.owner ?? ""}
              onChange={(e) => set(i, { owner: e.target.value === "" ? null : e.target.value })}
              data-testid={`rule-owner-${i}`}
            />
            {kindSelect(`rule-set-kind-${i}`, r.setKind, "Set kind", (k) => set(i, { setKind: k }))}
            <button type="button" className="btn btn-small btn-ghost-danger" onClick={() => onChange(rules.filter((_, j) => j !== i))}>
              Remove
            </button>
          </div>
        ))}
        <button
          type="button"
          className="btn btn-small"
          onClick={() => onChange([...rules, { kind: null, partnerId: null, owner: null, setKind: null }])}
          data-testid="rule-add"
        >
          Add a rule
        </button>
      </div>
    </>
  );
}

function Text({
  id,
  label,
  value,
  onChange,
  hint,
}: {
  id: string;
  label: string;
  value: string | null;
  onChange: (v: string | null) => void;
  hint?: string;
}) {
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <div className="form-field">
        <input
          id={id}
          className="input"
          value={value ?? ""}
          onChange={(e) => onChange(e.target.value === "" ? null : e.target.value)}
          data-testid={id}
          spellCheck={false}
        />
        {hint && <span className="muted small">{hint}</span>}
      </div>
    </>
  );
}

function WorkForm({ initial, tokenSet, onDone }: { initial: ConnectorWork; tokenSet: boolean; onDone: () => void }) {
  const [work, setWork] = useState<ConnectorWork>(initial);
  const [token, setToken] = useState("");
  const save = useSaveConnectorWork();
  const set = <K extends keyof ConnectorWork>(field: K) => (v: ConnectorWork[K]) => setWork({ ...work, [field]: v });
  return (
    <form
      className="settings-form form-grid"
      data-testid="work-form"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate({ work, token: token === "" ? null : token }, { onSuccess: onDone });
      }}
      onKeyDown={(e) => {
        if (e.key === "Escape") onDone();
      }}
    >
      {work.kind === "xconnector" && (
        <>
          <Text id="work-name" label="Name" value={work.name} onChange={(v) => set("name")(v ?? "")} />
          <Text id="work-feed" label="Event feed address" value={work.feedUrl} onChange={set("feedUrl")} hint="Transaction exceptions and partner updates are pulled from here." />
          <Text id="work-outbound" label="Outbound endpoint" value={work.outboundUrl} onChange={set("outboundUrl")} hint="Case status changes, partner comments and documents are sent here." />
          <Text
            id="work-port"
            label="Listener port (this computer only)"
            value={work.listenPort === null ? null : String(work.listenPort)}
            onChange={(v) => set("listenPort")(v === null || Number.isNaN(Number(v)) ? null : Number(v))}
            hint="A local integration agent posts events to http://127.0.0.1:<port>/events."
          />
          <label htmlFor="work-token">Token</label>
          <div className="form-field">
            <input id="work-token" type="password" className="input" value={token} onChange={(e) => setToken(e.target.value)} data-testid="work-token" />
            <span className="muted small">{tokenSet ? "A token is stored in the keychain; leave empty to keep it." : "Kept in the system keychain only."}</span>
          </div>
        </>
      )}
      {work.kind === "wix" && (
        <>
          <Text id="work-notices" label="Notices collection" value={work.noticesCollection} onChange={set("noticesCollection")} />
          <Text id="work-requests" label="Partner requests collection" value={work.requestsCollection} onChange={set("requestsCollection")} />
          <RulesEditor rules={work.rules} onChange={set("rules")} />
        </>
      )}
      {work.kind === "drupal" && (
        <>
          <Text id="work-article" label="Article content type" value={work.articleBundle} onChange={set("articleBundle")} />
          <Text id="work-request" label="Issue request content type" value={work.requestBundle} onChange={set("requestBundle")} />
          <RulesEditor rules={work.rules} onChange={set("rules")} />
        </>
      )}
      {work.kind === "sftp" && (
        <Text
          id="work-inbox"
          label="Partner inbox folder"
          value={work.partnerInbox}
          onChange={set("partnerInbox")}
          hint="Where “Send to partner…” delivers a case's documents on this server (for example /inbound): written under a temporary name, renamed when complete; a partner's file is never replaced."
        />
      )}
      {work.kind !== "sftp" && (
        <Text
          id="work-every"
          label="Import every (seconds)"
          value={String(work.everySeconds)}
          onChange={(v) => set("everySeconds")(Number(v ?? "0") || 0)}
        />
      )}
      <label htmlFor="work-enabled">Runs</label>
      <div className="form-field">
        <input id="work-enabled" type="checkbox" checked={work.enabled} onChange={(e) => set("enabled")(e.target.checked)} />
      </div>
      {save.error && (
        <p className="inline-banner-error" role="alert">
          {save.error.message}
        </p>
      )}
      <div className="outside-actions">
        <button type="button" className="btn" onClick={onDone}>
          Cancel
        </button>
        <button type="submit" className="btn btn-primary" disabled={save.isPending} data-testid="work-save">
          {save.isPending ? "Saving…" : "Save"}
        </button>
      </div>
    </form>
  );
}

function WorkRow({ view }: { view: ConnectorWorkView }) {
  const [editing, setEditing] = useState(false);
  const errors = view.runs.filter((r) => r.lastError);
  const last = view.runs.map((r) => r.lastRunAt).filter((t): t is string => t !== null).sort().at(-1);
  return (
    <li className={`settings-row${errors.length > 0 || view.failed > 0 ? " settings-row-alert" : ""}`} data-testid="work-row">
      <div className="settings-row-main">
        <div className="settings-row-head">
          <span className="settings-row-name">{view.work.name}</span>
          <span className="muted small">{KIND_LABEL[view.work.kind]}</span>
          <span className={`health ${view.work.enabled ? "health-ok" : "health-unknown"}`}>{view.work.enabled ? "On" : "Off"}</span>
        </div>
        <span className="small" data-testid="work-imports">
          {view.imports}
        </span>
        {view.work.kind !== "sftp" && (
        <span className="muted small">
          Every {view.work.everySeconds} s ·{" "}
          <span title={last ? dateTime(last) : undefined}>{last ? `last run ${relativeTime(last)}` : "not run yet"}</span> ·{" "}
          {view.runs.reduce((n, r) => n + Number(r.imported), 0)} imported · {view.queued} queued
          {view.failed > 0 ? ` · ${view.failed} refused (see Outbox)` : ""}
        </span>
        )}
        {errors.map((r) => (
          <span key={r.imports + (r.cursor ?? "")} className="health-detail-alert" data-testid="work-error">
            {r.lastError}
          </span>
        ))}
        {editing && <WorkForm initial={view.work} tokenSet={view.tokenSet} onDone={() => setEditing(false)} />}
      </div>
      {!editing && (
        <button type="button" className="btn btn-small" onClick={() => setEditing(true)}>
          Edit
        </button>
      )}
    </li>
  );
}

function AddWork({ connectors, existing }: { connectors: ConnectorView[]; existing: ConnectorWorkView[] }) {
  const [adding, setAdding] = useState<ConnectorWork | null>(null);
  const free = connectors.filter(
    (c) =>
      (c.settings.kind === "wix" || c.settings.kind === "drupal" || c.settings.kind === "sftp") &&
      !existing.some((w) => w.work.connectorId === c.id),
  );
  if (adding) return <WorkForm initial={adding} tokenSet={false} onDone={() => setAdding(null)} />;
  return (
    <div className="outside-actions">
      <button type="button" className="btn btn-small" onClick={() => setAdding(blank("xconnector", "", "xConnector"))} data-testid="add-xconnector">
        Add an xConnector
      </button>
      {free.map((c) => (
        <button
          key={c.id}
          type="button"
          className="btn btn-small"
          onClick={() => setAdding(blank(c.settings.kind === "wix" ? "wix" : c.settings.kind === "sftp" ? "sftp" : "drupal", c.id, c.name))}
          data-testid={`work-setup-${c.settings.kind}`}
        >
          Set up {c.name}
        </button>
      ))}
    </div>
  );
}

function Aside() {
  const aside = useAsideItems();
  if (!aside.data || aside.data.length === 0) return null;
  return (
    <details className="outside-aside" data-testid="aside-items">
      <summary>{aside.data.length} item(s) kept aside (not processed, not dropped)</summary>
      <ul className="settings-list">
        {aside.data.map((a) => (
          <li key={a.id} className="settings-row small" data-testid="aside-item">
            <div className="settings-row-main">
              <span>
                <strong>{a.itemType ?? "Unreadable"}</strong> {a.itemId ?? ""} · {relativeTime(a.receivedAt)}
              </span>
              <span>{a.reason}</span>
              <code className="muted truncate">{a.excerpt}</code>
            </div>
          </li>
        ))}
      </ul>
    </details>
  );
}

/** See the module comment. */
export function ConnectorWorkSection() {
  const work = useConnectorWork();
  const connectors = useConnectors();
  return (
    <section className="settings-section" aria-labelledby="work-heading" data-testid="work-section">
      <div className="settings-section-head">
        <div>
          <h2 id="work-heading">Connector work</h2>
          <p className="muted small">
            What each connector imports and publishes in this workspace, how often, and how its last run went.
          </p>
        </div>
      </div>
      <QueryView query={work} skeletonRows={1} errorTitle="Could not read the connector work">
        {(data) => (
          <>
            {data.length === 0 ? (
              <p className="settings-empty">No connector does any work yet.</p>
            ) : (
              <ul className="settings-list">
                {data.map((v) => (
                  <WorkRow key={v.work.connectorId} view={v} />
                ))}
              </ul>
            )}
            <AddWork connectors={connectors.data ?? []} existing={data} />
          </>
        )}
      </QueryView>
      <Aside />
    </section>
  );
}
