// The Retention view: every export with filters (search, state, held only), failures first in
// red with their reason, and a legal hold for all exports of a partner.
import { useState } from "react";
import type { ExportQuery, ExportState } from "../../bindings";
import { EmptyState } from "../../components/bits";
import { QueryView, SearchBox, Select, Options } from "../../components/form";
import { useDebounced } from "../../lib/useDebounced";
import { ExportList } from "./ExportList";
import { HoldForm } from "./HoldDialog";
import { useExports, useRetentionPolicy } from "./hooks";

type StateFilter = "all" | ExportState;
const STATES: readonly StateFilter[] = ["all", "failed", "queued", "uploading", "done"];
const STATE_LABELS: Record<StateFilter, string> = {
  all: "Any state",
  failed: "Failed",
  queued: "Queued",
  uploading: "Uploading",
  done: "In the bucket",
};

/** See the module comment. */
export function RetentionScreen() {
  const [search, setSearch] = useState("");
  const [state, setState] = useState<StateFilter>("all");
  const [heldOnly, setHeldOnly] = useState(false);
  const debounced = useDebounced(search, 200);
  const query: ExportQuery = {
    caseId: null,
    partnerId: null,
    state: state === "all" ? null : state,
    heldOnly,
    search: debounced.trim() || null,
  };
  const exports = useExports(query);
  const policy = useRetentionPolicy();
  const failed = exports.data?.filter((e) => e.state === "failed").length ?? 0;
  const partners = [...new Map((exports.data ?? []).map((e) => [e.partnerId, e.partnerName])).entries()];
  return (
    <section className="screen screen-scroll" data-testid="retention-screen">
      <header className="screen-head">
        <h1>Retention</h1>
        <p className="muted small">
          Closed cases archived to the retention bucket under S3 Object Lock: they cannot be deleted or overwritten until
          their retention date has passed and no legal hold is on them.
        </p>
      </header>
      {policy.data && !policy.data.connectorId && (
        <p className="inline-banner-error" role="status" data-testid="retention-off">
          Exports are off: choose the retention bucket in <a href="#/settings">Settings → Retention</a>.
        </p>
      )}
      {failed > 0 && (
        <p className="inline-banner-error" role="alert" data-testid="retention-failures">
          {failed === 1 ? "1 export failed" : `${failed} exports failed`}; the reason is on each.
        </p>
      )}
      <div className="filters">
        <SearchBox
          value={search}
          onChange={setSearch}
          placeholder="Case reference or partner"
          label="Search exports"
          testId="retention-search"
        />
        <Select value={state} onChange={setState} label="State" testId="retention-state">
          <Options values={STATES} labels={STATE_LABELS} />
        </Select>
        <label className="small">
          <input
            type="checkbox"
            checked={heldOnly}
            onChange={(e) => setHeldOnly(e.target.checked)}
            data-testid="retention-held"
          />{" "}
          Under legal hold only
        </label>
      </div>
      <QueryView
        query={exports}
        skeletonRows={6}
        errorTitle="Exports could not be read"
        isEmpty={(rows) => rows.length === 0}
        empty={
          <EmptyState
            title="No exports"
            detail="A case is exported when it is closed (Settings → Retention sets the bucket and the periods)."
          />
        }
      >
        {(rows) => <ExportList rows={rows} showCase />}
      </QueryView>
      {partners.length > 0 && (
        <div className="panel">
          <h2 className="panel-title">Legal hold for a partner</h2>
          <ul className="export-list">
            {partners.map(([id, name]) => (
              <li key={id} className="settings-row">
                <span className="settings-row-name">{name}</span>
                <HoldForm
                  scope={{ type: "partner", partner_id: id }}
                  held={(exports.data ?? []).some((e) => e.partnerId === id && e.legalHold)}
                />
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
