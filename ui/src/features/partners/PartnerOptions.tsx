// Partners as `<option>`s of a partner select (value: partner company id).
import type { PartnerRow } from "../../bindings";
import { usePartners } from "./hooks";

/** One option per partner: the given rows, or else the whole directory. */
export function PartnerOptions({ rows }: { rows?: readonly PartnerRow[] }) {
  const partners = usePartners(null);
  return (
    <>
      {(rows ?? partners.data ?? []).map((p) => (
        <option key={p.partner.partnerCompanyId} value={p.partner.partnerCompanyId}>
          {p.partner.partnerCompanyName}
        </option>
      ))}
    </>
  );
}
