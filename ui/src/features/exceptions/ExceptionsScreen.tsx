// The exceptions inbox: failed and undelivered transactions from Lens, filtered by partner,
// document type and error code, searchable, each one a click away from a case.
import { useMemo, useState } from "react";
import { count } from "../../lib/format";
import { useDebounced } from "../../lib/useDebounced";
import { ExceptionTable } from "./ExceptionTable";
import { EmptyState } from "../../components/bits";
import { Options, SearchBox, Select } from "../../components/form";
import { PartnerOptions } from "../partners/PartnerOptions";
import { emptyExceptionQuery, useExceptionFacets } from "./hooks";

/** See the module comment. */
export function ExceptionsScreen() {
  const [search, setSearch] = useState("");
  const [partnerId, setPartnerId] = useState<string | null>(null);
  const [ediType, setEdiType] = useState<string | null>(null);
  const [errorCode, setErrorCode] = useState<string | null>(null);
  const [total, setTotal] = useState<number | null>(null);
  const debounced = useDebounced(search, 250);
  const facets = useExceptionFacets();
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
        <SearchBox
          placeholder="Search partners, error messages, PO / invoice / shipment numbers"
          value={search}
          onChange={setSearch}
          testId="exception-search"
          label="Search exceptions"
        />
        <Select value={partnerId ?? ""} onChange={(v) => setPartnerId(v || null)} label="Partner" testId="exception-filter-partner">
          <option value="">All partners</option>
          <PartnerOptions />
        </Select>
        <Select value={ediType ?? ""} onChange={(v) => setEdiType(v || null)} label="Document type" testId="exception-filter-type">
          <option value="">All document types</option>
          <Options values={facets.data?.ediTypes ?? []} />
        </Select>
        <Select value={errorCode ?? ""} onChange={(v) => setErrorCode(v || null)} label="Error code" testId="exception-filter-error">
          <option value="">All error codes</option>
          <Options values={facets.data?.errorCodes ?? []} />
        </Select>
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
