// The exceptions inbox: failed and undelivered transactions from Lens, filtered by partner,
// document type and error code, searchable, each one a click away from a case.
import { useMemo, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { emptyExceptionQuery, ipc } from "../lib/ipc";
import { keys } from "../lib/queries";
import { count } from "../lib/format";
import { useDebounced } from "../lib/useDebounced";
import { ExceptionTable } from "../components/ExceptionTable";
import { EmptyState } from "../components/bits";

/** See the module comment. */
export function ExceptionsScreen() {
  const [search, setSearch] = useState("");
  const [partnerId, setPartnerId] = useState<string | null>(null);
  const [ediType, setEdiType] = useState<string | null>(null);
  const [errorCode, setErrorCode] = useState<string | null>(null);
  const [total, setTotal] = useState<number | null>(null);
  const debounced = useDebounced(search, 250);
  const facets = useQuery({ queryKey: keys.exceptionFacets(), queryFn: ipc.exceptionFacets });
  const partners = useQuery({ queryKey: keys.partners(null), queryFn: () => ipc.listPartners(null) });
  const query = useMemo(
    () => ({
      ...emptyExceptionQuery(),
      search: debounced.trim() || null,
      partnerId,
      ediTypes: ediType ? [ediType] : [],
      errorCode,
    }),
    [debounced, partnerId, ediType, errorCode],
  );
  const filtered = search.trim() !== "" || partnerId !== null || ediType !== null || errorCode !== null;
  const clear = () => {
    setSearch("");
    setPartnerId(null);
    setEdiType(null);
    setErrorCode(null);
  };

  return (
    <section className="screen" aria-labelledby="exceptions-heading">
      <div className="screen-head">
        <h1 id="exceptions-heading">Exceptions</h1>
        {total !== null && (
          <span className="screen-count">
            {count(total)} failed or undelivered {total === 1 ? "transaction" : "transactions"}
          </span>
        )}
      </div>
      <div className="filter-bar">
        <div className="search-box">
          <svg viewBox="0 0 20 20" aria-hidden="true">
            <circle cx="8.5" cy="8.5" r="5" />
            <path d="m12.5 12.5 4 4" />
          </svg>
          <input
            type="search"
            className="input"
            placeholder="Search partners, error messages, PO / invoice / shipment numbers"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            data-testid="exception-search"
            aria-label="Search exceptions"
          />
        </div>
        <select
          className="select"
          value={partnerId ?? ""}
          onChange={(e) => setPartnerId(e.target.value || null)}
          aria-label="Partner"
          data-testid="exception-filter-partner"
        >
          <option value="">All partners</option>
          {partners.data?.map((p) => (
            <option key={p.partner.partnerCompanyId} value={p.partner.partnerCompanyId}>
              {p.partner.partnerCompanyName}
            </option>
          ))}
        </select>
        <select
          className="select"
          value={ediType ?? ""}
          onChange={(e) => setEdiType(e.target.value || null)}
          aria-label="Document type"
          data-testid="exception-filter-type"
        >
          <option value="">All document types</option>
          {facets.data?.ediTypes.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
        <select
          className="select"
          value={errorCode ?? ""}
          onChange={(e) => setErrorCode(e.target.value || null)}
          aria-label="Error code"
          data-testid="exception-filter-error"
        >
          <option value="">All error codes</option>
          {facets.data?.errorCodes.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
        {filtered && (
          <button type="button" className="btn btn-ghost btn-small" onClick={clear} data-testid="clear-filters">
            Clear filters
          </button>
        )}
      </div>
      <ExceptionTable
        query={query}
        globalKeys
        onTotal={setTotal}
        empty={
          filtered ? (
            <EmptyState
              title="No exceptions match these filters"
              detail="Try another partner, document type or error code."
              action={
                <button type="button" className="btn" onClick={clear}>
                  Clear filters
                </button>
              }
            />
          ) : (
            <EmptyState
              title="No exceptions"
              detail="Every transaction in the cache was delivered. Failed or undelivered ones show up here."
            />
          )
        }
      />
    </section>
  );
}
