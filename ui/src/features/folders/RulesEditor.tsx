// The routing rules editor: the rules in the order they are asked, between the fixed first step
// (recognition) and the fixed fallback (unmatched document). Each rule can be switched on or off
// and moved (buttons, or Alt+Up/Down on the row); the rules that match something the analyst
// chose (a sender's EDI address, a kind of reference, a document type) can be edited and removed.
// Every change saves the whole list at once; Rust checks it and answers with the words to show.
import { useState, type FormEvent, type KeyboardEvent } from "react";
import type { RoutingFixedStep, RoutingRuleSetting, RoutingRuleView, RuleDocument, RuleReference } from "../../bindings";
import { EmptyState, ErrorState, SkeletonRows, Spinner } from "../../components/bits";
import { PartnerOptions } from "../partners/PartnerOptions";
import { useRoutingRules, useSaveRoutingRules } from "./hooks";

/** The kinds of rule the analyst can add, and what each asks for. */
type AddKind = "edi_partner_address" | "edi_reference" | "edi_new_case";

const ADD_KINDS: Record<AddKind, string> = {
  edi_partner_address: "Partner by EDI address",
  edi_reference: "Case by a kind of reference",
  edi_new_case: "New case for a document type",
};

const REFERENCES: Record<RuleReference, string> = {
  purchase_order: "PO number",
  invoice: "Invoice number",
  shipment: "Shipment number",
};

const DOCUMENTS: Record<RuleDocument, string> = {
  order: "Orders (850, ORDERS)",
  invoice: "Invoices (810, INVOIC)",
  shipment: "Ship notices (856, DESADV)",
};

function editable(kind: RoutingRuleSetting["kind"]): kind is AddKind {
  return kind === "edi_partner_address" || kind === "edi_reference" || kind === "edi_new_case";
}

function blank(kind: AddKind): RoutingRuleSetting {
  return {
    kind,
    enabled: true,
    reference: kind === "edi_reference" ? "purchase_order" : null,
    document: kind === "edi_new_case" ? "order" : null,
    address: kind === "edi_partner_address" ? "" : null,
    partnerId: kind === "edi_partner_address" ? "" : null,
  };
}

function FixedStep({ step, place }: { step: RoutingFixedStep; place: string }) {
  return (
    <li className="rule-row rule-fixed" data-testid="rule-fixed">
      <span className="rule-pos muted">{place}</span>
      <div className="rule-main">
        <strong>{step.label}</strong> <span className="pill">always</span>
        <p className="muted small">{step.description}</p>
      </div>
    </li>
  );
}

/** The fields of a rule that matches something the analyst chose. */
function RuleForm({
  initial,
  submitLabel,
  pending,
  onSubmit,
  onCancel,
}: {
  initial: RoutingRuleSetting;
  submitLabel: string;
  pending: boolean;
  onSubmit: (rule: RoutingRuleSetting) => void;
  onCancel: () => void;
}) {
  const [rule, setRule] = useState<RoutingRuleSetting>(initial);
  const set = (patch: Partial<RoutingRuleSetting>) => setRule((r) => ({ ...r, ...patch }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSubmit(rule);
  };
  return (
    <form className="form-grid rule-form" onSubmit={submit} data-testid="rule-form" aria-label="Rule">
      {rule.kind === "edi_partner_address" && (
        <>
          <label>
            Sender's EDI address (qualifier:id)
            <input
              className="input mono"
              value={rule.address ?? ""}
              onChange={(e) => set({ address: e.target.value })}
              placeholder="ZZ:ACME"
              data-testid="rule-address"
              autoFocus
            />
          </label>
          <label>
            Partner
            <select className="select" value={rule.partnerId ?? ""} onChange={(e) => set({ partnerId: e.target.value })} data-testid="rule-partner">
              <option value="">Choose a partner</option>
              <PartnerOptions />
            </select>
          </label>
        </>
      )}
      {rule.kind === "edi_reference" && (
        <label>
          Reference inside the EDI document
          <select
            className="select"
            value={rule.reference ?? ""}
            onChange={(e) => set({ reference: (e.target.value || null) as RuleReference | null })}
            data-testid="rule-reference"
          >
            <option value="">Any reference</option>
            {(Object.keys(REFERENCES) as RuleReference[]).map((r) => (
              <option key={r} value={r}>
                {REFERENCES[r]}
              </option>
            ))}
          </select>
        </label>
      )}
      {(rule.kind === "edi_new_case" || rule.kind === "edi_partner_address") && (
        <label>
          Document type
          <select
            className="select"
            value={rule.document ?? ""}
            onChange={(e) => set({ document: (e.target.value || null) as RuleDocument | null })}
            data-testid="rule-document"
          >
            <option value="">Any document</option>
            {(Object.keys(DOCUMENTS) as RuleDocument[]).map((d) => (
              <option key={d} value={d}>
                {DOCUMENTS[d]}
              </option>
            ))}
          </select>
        </label>
      )}
      <div>
        <button type="submit" className="btn btn-primary" disabled={pending} data-testid="rule-submit">
          {pending ? <Spinner label="Saving" /> : submitLabel}
        </button>{" "}
        <button type="button" className="btn" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** The Folders view's "Routing rules" tab. */
export function RulesEditor() {
  const rules = useRoutingRules();
  const save = useSaveRoutingRules();
  const [editing, setEditing] = useState<number | null>(null);
  const [adding, setAdding] = useState<AddKind | null>(null);
  const [addKind, setAddKind] = useState<AddKind>("edi_partner_address");

  if (rules.isLoading) return <SkeletonRows rows={6} />;
  if (rules.error) return <ErrorState error={rules.error} onRetry={() => void rules.refetch()} />;
  const view = rules.data;
  if (!view) return <EmptyState title="No routing rules" />;
  const settings = view.rules.map((r) => r.setting);

  const commit = (next: RoutingRuleSetting[], after?: () => void) => {
    save.mutate(next, { onSuccess: () => after?.() });
  };
  const move = (i: number, by: -1 | 1) => {
    const j = i + by;
    if (j < 0 || j >= settings.length || save.isPending) return;
    const next = [...settings];
    [next[i], next[j]] = [next[j], next[i]];
    commit(next, () => document.querySelector<HTMLElement>(`[data-rule-index="${j}"]`)?.focus());
  };
  const onRowKey = (i: number) => (e: KeyboardEvent<HTMLLIElement>) => {
    if (!e.altKey || e.target !== e.currentTarget) return;
    if (e.key === "ArrowUp") {
      e.preventDefault();
      move(i, -1);
    } else if (e.key === "ArrowDown") {
      e.preventDefault();
      move(i, 1);
    }
  };

  return (
    <div className="rules-editor" data-testid="rules-editor">
      <p className="muted small">
        Each file is offered to the rules from top to bottom; the first rule that places it decides, and the ledger says which one and why. Move a
        rule with its arrows or Alt+↑/↓.
      </p>
      {save.error && (
        <p className="inline-error" role="alert" data-testid="rules-error">
          {save.error.message}
        </p>
      )}
      <ol className="rule-list" data-testid="rule-list">
        <FixedStep step={view.first} place="first" />
        {view.rules.map((rule: RoutingRuleView, i) => (
          <li
            key={`${i}-${rule.setting.kind}-${rule.matches}`}
            className={`rule-row${rule.setting.enabled ? "" : " rule-off"}`}
            data-testid="rule-row"
            data-kind={rule.setting.kind}
            data-enabled={rule.setting.enabled}
            data-rule-index={i}
            tabIndex={0}
            onKeyDown={onRowKey(i)}
            aria-label={`Rule ${i + 1}: ${rule.label}${rule.setting.enabled ? "" : " (off)"}`}
          >
            <span className="rule-pos">{i + 1}</span>
            <label className="checkbox rule-switch" title={rule.setting.enabled ? "Switch off" : "Switch on"}>
              <input
                type="checkbox"
                checked={rule.setting.enabled}
                disabled={save.isPending}
                onChange={(e) => commit(settings.map((s, k) => (k === i ? { ...s, enabled: e.target.checked } : s)))}
                data-testid="rule-enabled"
                aria-label={`${rule.label} on`}
              />
            </label>
            <div className="rule-main">
              <strong>{rule.label}</strong> <span className="mono small muted">{rule.ledgerName}</span>
              <p className="small" data-testid="rule-matches">
                {rule.matches}
              </p>
              {editing === i && editable(rule.setting.kind) && (
                <RuleForm
                  initial={rule.setting}
                  submitLabel="Save rule"
                  pending={save.isPending}
                  onCancel={() => setEditing(null)}
                  onSubmit={(edited) => commit(settings.map((s, k) => (k === i ? edited : s)), () => setEditing(null))}
                />
              )}
            </div>
            <div className="rule-actions">
              <button type="button" className="btn btn-small" onClick={() => move(i, -1)} disabled={i === 0 || save.isPending} aria-label={`Move ${rule.label} up`} data-testid="rule-up">
                ↑
              </button>
              <button
                type="button"
                className="btn btn-small"
                onClick={() => move(i, 1)}
                disabled={i === settings.length - 1 || save.isPending}
                aria-label={`Move ${rule.label} down`}
                data-testid="rule-down"
              >
                ↓
              </button>
              {editable(rule.setting.kind) && (
                <button type="button" className="btn btn-small" onClick={() => setEditing(i)} data-testid="rule-edit">
                  Edit
                </button>
              )}
              {rule.removable && (
                <button
                  type="button"
                  className="btn btn-small btn-ghost-danger"
                  onClick={() => commit(settings.filter((_, k) => k !== i))}
                  disabled={save.isPending}
                  data-testid="rule-remove"
                >
                  Remove
                </button>
              )}
            </div>
          </li>
        ))}
        <FixedStep step={view.fallback} place="last" />
      </ol>
      {adding ? (
        <div className="rule-add">
          <h3>{ADD_KINDS[adding]}</h3>
          <RuleForm
            initial={blank(adding)}
            submitLabel="Add rule"
            pending={save.isPending}
            onCancel={() => setAdding(null)}
            onSubmit={(rule) => {
              // Added rules go before the built-in "new case" rule so they are asked first.
              const at = settings.findIndex((s) => s.kind === "edi_new_case" && s.document === null);
              const next = [...settings];
              next.splice(at < 0 ? next.length : at, 0, rule);
              commit(next, () => setAdding(null));
            }}
          />
        </div>
      ) : (
        <div className="form-grid" role="group" aria-label="Add a rule">
          <label>
            Add a rule
            <select className="select" value={addKind} onChange={(e) => setAddKind(e.target.value as AddKind)} data-testid="rule-add-kind">
              {(Object.keys(ADD_KINDS) as AddKind[]).map((k) => (
                <option key={k} value={k}>
                  {ADD_KINDS[k]}
                </option>
              ))}
            </select>
          </label>
          <div>
            <button type="button" className="btn" onClick={() => setAdding(addKind)} data-testid="rule-add">
              Add…
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
