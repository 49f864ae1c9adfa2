// Partners as `<option>`s of a partner select (value: partner company id).
import type { PartnerRow } from "../../bindings";
import { usePartners } from "./hooks";

/**
 * One option per partner: the given rows, or else the whole directory. With `wait`, the
 * directory is not asked for yet (the case list waits for its first rows: at the app's start
 * the directory's counts competed with them).
 */
export function PartnerOptions({ rows, wait = false }: { rows?: readonly PartnerRow[]; wait?: boolean }) {
  const partners = usePartners(null, { enabled: !wait && rows === undefined });
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
