// Settings → Retention: which S3 connector's bucket receives the exports, the Object Lock mode,
// how long they are kept (a default and per case kind), export on close, and the schedule for
// cases closed more than N days ago.
import { useEffect, useState } from "react";
import type { CaseKind, LockMode, RetentionPolicy } from "../../bindings";
import { ErrorBanner, Options, Select } from "../../components/form";
import { Spinner } from "../../components/bits";
import { useConnectors } from "../settings/hooks";
import { useRetentionPolicy, useSaveRetentionPolicy } from "./hooks";

const KINDS: readonly CaseKind[] = ["shipment", "invoice", "order", "compliance", "onboarding", "other"];
const MODES: readonly LockMode[] = ["governance", "compliance"];
const MODE_LABELS: Record<LockMode, string> = {
  governance: "Governance (an administrator with a special permission may shorten it)",
  compliance: "Compliance (nobody can shorten it, not even the account's root user)",
};

function PolicyForm({ initial }: { initial: RetentionPolicy }) {
  const connectors = useConnectors();
  const save = useSaveRetentionPolicy();
  const [policy, setPolicy] = useState(initial);
  useEffect(() => setPolicy(initial), [initial]);
  const s3 = (connectors.data ?? []).filter((c) => c.settings.kind === "s3");
  const connectorValue = policy.connectorId ?? "";
  const days = (kind: CaseKind) => policy.periods.find((p) => p.kind === kind)?.days ?? null;
  const setDays = (kind: CaseKind, value: string) => {
    const n = Number.parseInt(value, 10);
    const periods = policy.periods.filter((p) => p.kind !== kind);
    if (value.trim() !== "" && Number.isFinite(n)) periods.push({ kind, days: n });
    setPolicy({ ...policy, periods });
  };
  return (
    <form
      className="settings-form"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate(policy);
      }}
      data-testid="retention-form"
    >
      <label htmlFor="retention-connector">Retention bucket (an S3 connector whose bucket has Object Lock)</label>
      <Select
        id="retention-connector"
        value={connectorValue}
        onChange={(v: string) => setPolicy({ ...policy, connectorId: v === "" ? null : v })}
        testId="retention-connector"
      >
        <option value="">Exports off</option>
        {s3.map((c) => (
          <option key={c.id} value={c.id}>
            {c.name}
          </option>
        ))}
      </Select>
      <label htmlFor="retention-mode">Object Lock mode</label>
      <Select
        id="retention-mode"
        value={policy.mode}
        onChange={(mode: LockMode) => setPolicy({ ...policy, mode })}
        testId="retention-mode"
      >
        <Options values={MODES} labels={MODE_LABELS} />
      </Select>
      <label htmlFor="retention-days">Keep exports for (days)</label>
      <input
        id="retention-days"
        className="input"
        inputMode="numeric"
        value={policy.defaultDays}
        onChange={(e) => setPolicy({ ...policy, defaultDays: Number.parseInt(e.target.value, 10) || 0 })}
        data-testid="retention-days"
      />
      <fieldset className="retention-kinds">
        <legend className="small">Per case kind (empty: the default)</legend>
        {KINDS.map((kind) => (
          <label key={kind} className="small">
            {kind}{" "}
            <input
              className="input input-small"
              inputMode="numeric"
              value={days(kind) ?? ""}
              onChange={(e) => setDays(kind, e.target.value)}
              data-testid={`retention-days-${kind}`}
            />
          </label>
        ))}
      </fieldset>
      <label className="small">
        <input
          type="checkbox"
          checked={policy.exportOnClose}
          onChange={(e) => setPolicy({ ...policy, exportOnClose: e.target.checked })}
          data-testid="retention-on-close"
        />{" "}
        Export a case when it is closed
      </label>
      <label htmlFor="retention-schedule">Also export cases closed more than this many days ago (empty: no schedule)</label>
      <input
        id="retention-schedule"
        className="input"
        inputMode="numeric"
        value={policy.exportClosedAfterDays ?? ""}
        onChange={(e) => {
          const n = Number.parseInt(e.target.value, 10);
          setPolicy({ ...policy, exportClosedAfterDays: e.target.value.trim() === "" || !Number.isFinite(n) ? null : n });
        }}
        data-testid="retention-schedule"
      />
      <ErrorBanner error={save.error} />
      {save.isSuccess && (
        <p className="health-detail-ok small" role="status" data-testid="retention-saved">
          Saved.
        </p>
      )}
      <button type="submit" className="btn btn-primary" disabled={save.isPending} data-testid="retention-save">
        {save.isPending ? <Spinner label="Saving" /> : "Save retention settings"}
      </button>
    </form>
  );
}

/** See the module comment. */
export function RetentionSection() {
  const policy = useRetentionPolicy();
  return (
    <section className="settings-section" aria-labelledby="retention-heading" data-testid="retention-section">
      <div className="settings-section-head">
        <div>
          <h2 id="retention-heading">Retention</h2>
          <p className="muted small">
            Closed cases are archived to an S3 bucket under Object Lock, for audit and legal. See them under Retention.
          </p>
        </div>
      </div>
      {policy.isPending && <Spinner label="Loading" />}
      {policy.error && (
        <p className="muted small" role="status" data-testid="retention-policy-error">
          The retention settings could not be read: {policy.error.message}
        </p>
      )}
      {policy.data && <PolicyForm initial={policy.data} />}
    </section>
  );
}
