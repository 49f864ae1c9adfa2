//! Small generated document contents (EDI text, CSV, PDF-like bytes) so the demo's documents
//! open to something believable and hash to something real.

use pd_domain::CaseKind;

use super::Refs;
use crate::rng::SeedRng;

/// `(file name, media type, bytes)` for one evidence document.
pub(crate) fn generate(
    rng: &mut SeedRng,
    kind: CaseKind,
    refs: &Refs,
    partner: &str,
) -> (String, String, Vec<u8>) {
    match rng.below(3) {
        0 => {
            let (st, body) = match kind {
                CaseKind::Invoice => (
                    "810",
                    format!(
                        "BIG*20260101*{}**{}~TDS*{}~",
                        refs.invoice,
                        refs.po,
                        rng.range(1000, 90_000)
                    ),
                ),
                CaseKind::Order => (
                    "850",
                    format!(
                        "BEG*00*SA*{}**20260101~PO1*1*{}*CA*12.50**VP*SKU{}~",
                        refs.po,
                        rng.range(1, 90),
                        rng.digits(6)
                    ),
                ),
                _ => (
                    "856",
                    format!(
                        "BSN*00*{}*20260101*1200~HL*1**S~PRF*{}~",
                        refs.shipment, refs.po
                    ),
                ),
            };
            let control = rng.digits(9);
            let text = format!(
                "ISA*00*          *00*          *ZZ*DEMORETAILER   *ZZ*PARTNER        *260101*1200*U*00401*{control}*0*P*>~\nGS*XX*DEMORETAILER*PARTNER*20260101*1200*1*X*004010~\nST*{st}*0001~\n{body}\nSE*4*0001~\nGE*1*1~\nIEA*1*{control}~\n"
            );
            (
                format!("{st}_{}.edi", rng.digits(6)),
                "application/edi-x12".to_string(),
                text.into_bytes(),
            )
        }
        1 => {
            let mut csv = String::from("line,sku,description,ordered,received\n");
            for line in 1..=rng.range(3, 12) {
                let ordered = rng.range(4, 48);
                let received = ordered.saturating_sub(rng.below(3) * rng.below(5));
                csv.push_str(&format!(
                    "{line},SKU{},Item {line} for {},{ordered},{received}\n",
                    rng.digits(6),
                    refs.po
                ));
            }
            (
                format!("receiving_{}.csv", refs.po),
                "text/csv".to_string(),
                csv.into_bytes(),
            )
        }
        _ => {
            let text = format!(
                "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n3 0 obj << /Type /Page /Parent 2 0 R /Contents 4 0 R >> endobj\n4 0 obj << /Length 80 >> stream\nBT /F1 12 Tf 72 720 Td (Proof of delivery {} for PO {} - {}) Tj ET\nendstream endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
                refs.shipment, refs.po, partner
            );
            (
                format!("POD_{}.pdf", refs.shipment),
                "application/pdf".to_string(),
                text.into_bytes(),
            )
        }
    }
}
