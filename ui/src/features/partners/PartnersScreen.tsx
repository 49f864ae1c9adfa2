// The partner directory with each partner's workload, and a partner's own page with its cases
// and exceptions.
import { useEffect, useMemo, useState } from "react";
import type { PartnerRow } from "../../bindings";
import { emptyCaseQuery } from "../cases/caseListState";
import { emptyExceptionQuery } from "../exceptions/hooks";
import { SearchBox } from "../../components/form";
import { usePartner, usePartners } from "./hooks";
import { count } from "../../lib/format";
import { goBack, navigate, routeHref } from "../../lib/router";
import { useDebounced } from "../../lib/useDebounced";
import { CaseTable } from "../cases/CaseTable";
import { ExceptionTable } from "../exceptions/ExceptionTable";
import { EmptyState, ErrorState, SkeletonRows } from "../../components/bits";
import { InertText } from "../../components/InertText";

function PartnerStatus({ status }: { status: string }) {
  const tone = status.toLowerCase() === "active" ? "ok" : status.toLowerCase() === "pending" ? "warn" : "off";
  return <span className={`partner-status partner-status-${tone}`}>{status}</span>;
}

/** The directory. */
export function PartnersScreen() {
  const [search, setSearch] = useState("");
  const debounced = useDebounced(search.trim(), 250);
  const partners = usePartners(debounced || null, { keepPrevious: true });

  let body;
  if (partners.isPending) body = <SkeletonRows rows={10} />;
  else if (partners.isError)
    body = <ErrorState error={partners.error} onRetry={() => void partners.refetch()} title="Could not load partners" />;
  else if (partners.data.length === 0)
    body = debounced ? (
      <EmptyState
        title="No partners match this search"
        action={
          <button type="button" className="btn" onClick={() => setSearch("")}>
            Clear search
          </button>
        }
      />
    ) : (
      <EmptyState title="No partners yet" detail="Partners appear after the first sync of the partner directory." />
    );
  else
    body = (
      <div className="plain-table-wrap">
        <table className="plain-table" aria-label="Partners">
          <thead>
            <tr>
              <th>Partner</th>
              <th>Company id</th>
              <th>Trading addresses</th>
              <th>Status</th>
              <th className="end">Open cases</th>
              <th className="end">Exceptions</th>
            </tr>
          </thead>
          <tbody>
            {partners.data.map((row: PartnerRow) => (
              <tr
                key={row.partner.partnerCompanyId}
                data-testid="partner-row"
                onClick={() => navigate({ name: "partner", id: row.partner.partnerCompanyId })}
              >
                <td>
                  <a href={routeHref({ name: "partner", id: row.partner.partnerCompanyId })} className="strong-link">
                    <InertText text={row.partner.partnerCompanyName} />
                  </a>
                </td>
                <td className="mono muted">{row.partner.partnerCompanyId}</td>
                <td className="mono small truncate-cell" title={row.partner.tradingAddresses.join(", ")}>
                  {row.partner.tradingAddresses.join(", ") || "—"}
                </td>
                <td>
                  <PartnerStatus status={row.partner.status} />
                </td>
                <td className="end num">{row.openCases > 0 ? count(row.openCases) : <span className="muted">0</span>}</td>
                <td className="end num">
                  {row.exceptions > 0 ? (
                    <span className="num-alert">{count(row.exceptions)}</span>
                  ) : (
                    <span className="muted">0</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    );

  return (
    <section className="screen" aria-labelledby="partners-heading">
      <div className="screen-head">
        <h1 id="partners-heading">Partners</h1>
        {partners.data && (
          <span className="screen-count">
            {count(partners.data.length)} {partners.data.length === 1 ? "partner" : "partners"}
          </span>
        )}
      </div>
      <div className="filter-bar">
        <SearchBox
          placeholder="Search partners by name"
          value={search}
          onChange={setSearch}
          testId="partner-search"
          label="Search partners"
        />
      </div>
      {body}
    </section>
  );
}

/** One partner: who they are, their cases and their exceptions. */
export function PartnerScreen({ id }: { id: string }) {
  const [tab, setTab] = useState<"cases" | "exceptions">("cases");
  const partner = usePartner(id);
  const caseQuery = useMemo(() => ({ ...emptyCaseQuery(), partnerIds: [id] }), [id]);
  const exceptionQuery = useMemo(() => ({ ...emptyExceptionQuery(), partnerId: id }), [id]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (event.key === "Escape" && !(target && ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))) {
        goBack({ name: "partners" });
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  if (partner.isPending)
    return (
      <section className="screen">
        <SkeletonRows rows={6} />
      </section>
    );
  if (partner.isError)
    return (
      <section className="screen">
        <a className="back-link" href={routeHref({ name: "partners" })}>
          ← Partners
        </a>
        <ErrorState error={partner.error} onRetry={() => void partner.refetch()} title="Could not open this partner" />
      </section>
    );
  const p = partner.data.partner;
  return (
    <section className="screen" aria-labelledby="partner-heading">
      <a className="back-link" href={routeHref({ name: "partners" })}>
        ← Partners
      </a>
      <header className="partner-header">
        <div>
          <h1 id="partner-heading" data-testid="partner-name">
            <InertText text={p.partnerCompanyName} />
          </h1>
          <p className="muted small">
            <span className="mono">{p.partnerCompanyId}</span>
            {p.countryCode && ` · ${p.countryCode}`}
            {p.contactEmail && ` · ${p.contactEmail}`}
            {p.tradingAddresses.length > 0 && (
              <>
                {" · "}
                <span className="mono">{p.tradingAddresses.join(", ")}</span>
              </>
            )}
          </p>
        </div>
        <PartnerStatus status={p.status} />
        <span className="top-bar-spacer" />
        <div className="stat">
          <span className="stat-value">{count(partner.data.openCases)}</span>
          <span className="stat-label">open cases</span>
        </div>
        <div className="stat">
          <span className={`stat-value${partner.data.exceptions > 0 ? " num-alert" : ""}`}>
            {count(partner.data.exceptions)}
          </span>
          <span className="stat-label">exceptions</span>
        </div>
      </header>
      <div className="tabs" role="tablist">
        <button
          type="button"
          role="tab"
          aria-selected={tab === "cases"}
          className={`tab${tab === "cases" ? " active" : ""}`}
          onClick={() => setTab("cases")}
          data-testid="partner-tab-cases"
        >
          Cases
        </button>
        <button
          type="button"
          role="tab"
          aria-selected={tab === "exceptions"}
          className={`tab${tab === "exceptions" ? " active" : ""}`}
          onClick={() => setTab("exceptions")}
          data-testid="partner-tab-exceptions"
        >
          Exceptions
        </button>
      </div>
      {tab === "cases" ? (
        <CaseTable
          query={caseQuery}
          hidePartner
          empty={<EmptyState title="No cases with this partner" />}
        />
      ) : (
        <ExceptionTable
          query={exceptionQuery}
          hidePartner
          empty={<EmptyState title="No exceptions for this partner" detail="All its transactions were delivered." />}
        />
      )}
    </section>
  );
}
