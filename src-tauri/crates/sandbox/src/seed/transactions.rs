//! Generates Lens transactions: interchanges at Envelope and Document level sharing a
//! correlation id, X12 and EDIFACT, inbound and outbound, about 6% failed or undelivered.

use chrono::Duration;
use pd_domain::Timestamp;

use super::{text, SeedPartner, OUR_ADDRESSES, OUR_NAME};
use crate::db::ts;
use crate::lens::record::TxRecord;
use crate::rng::SeedRng;

/// A purchase order number: mostly SAP-style `45000xxxxx`, some consignment `CV-nnnnn`.
pub(crate) fn po_number(rng: &mut SeedRng) -> String {
    if rng.chance(0.12) {
        format!("CV-{}", rng.digits(5))
    } else {
        format!("45000{}", rng.digits(5))
    }
}

/// Transactions with the index of the partner each one is exchanged with.
pub(crate) fn generate(
    rng: &mut SeedRng,
    partners: &[SeedPartner],
    now: Timestamp,
    total: usize,
) -> Vec<(TxRecord, usize)> {
    let mut out: Vec<(TxRecord, usize)> = Vec::with_capacity(total + 1);
    let mut pos_by_partner: Vec<Vec<String>> = vec![Vec::new(); partners.len()];
    let mut idoc_given = false;
    while out.len() < total {
        let partner_index = rng.below(partners.len() as u64) as usize;
        let partner = &partners[partner_index];
        let x12 = [
            ("850", 25),
            ("855", 10),
            ("810", 22),
            ("856", 23),
            ("997", 20),
        ];
        let roll = rng.below(100);
        let mut acc = 0;
        let mut edi = "850";
        for (t, w) in x12 {
            acc += w;
            if roll < acc {
                edi = t;
                break;
            }
        }
        if partner.edifact {
            edi = match edi {
                "850" => "ORDERS",
                "810" => "INVOIC",
                "856" => "DESADV",
                other => other,
            };
        }
        let outbound = matches!(edi, "850" | "ORDERS") || (edi == "997" && rng.chance(0.5));
        let arrival = now - Duration::seconds(rng.range(60, 60 * 24 * 3600) as i64);
        let correlation = rng.uuid();
        let failed = rng.chance(0.09);
        let delivery_failure = failed && rng.below(3) == 0;
        let error = failed.then(|| {
            if delivery_failure {
                text::ERRORS[text::ERRORS.len() - 1]
            } else {
                let fitting: Vec<_> = text::ERRORS
                    .iter()
                    .filter(|(code, _, _, types)| *code != "DeliveryFailed" && types.contains(&edi))
                    .collect();
                if fitting.is_empty() {
                    text::ERRORS[9]
                } else {
                    **rng.pick(&fitting)
                }
            }
        });
        // Content keys (document level only).
        let mut keys: Vec<(String, String)> = Vec::new();
        let pool = &mut pos_by_partner[partner_index];
        let po = if matches!(edi, "850" | "ORDERS") || pool.is_empty() {
            let po = po_number(rng);
            pool.push(po.clone());
            po
        } else {
            rng.pick(pool).clone()
        };
        let mut total_amount = None;
        match edi {
            "850" | "ORDERS" => {
                keys.push(("purchase order number".into(), po));
                let amount = format!("{}.{}", rng.range(250, 48_000), rng.digits(2));
                total_amount = Some(("pototalamount", amount.clone()));
                keys.push(("total amount".into(), amount));
                if edi == "850" && (!idoc_given || rng.chance(0.25)) {
                    let internal = if idoc_given {
                        rng.digits(6)
                    } else {
                        "938512".to_string()
                    };
                    idoc_given = true;
                    keys.push(("internal number".into(), internal));
                    keys.push(("idoc number".into(), format!("0000000{}", rng.digits(9))));
                    keys.push(("idoc status".into(), "53".into()));
                }
            }
            "855" => keys.push(("purchase order number".into(), po)),
            "810" | "INVOIC" => {
                keys.push(("invoice number".into(), format!("INV{}", rng.digits(7))));
                keys.push(("purchase order number".into(), po));
                let amount = format!("{}.{}", rng.range(250, 48_000), rng.digits(2));
                total_amount = Some(("invoicetotalamount", amount.clone()));
                keys.push(("total amount".into(), amount));
            }
            "856" | "DESADV" => {
                keys.push((
                    "shipment identification".into(),
                    format!("SH{}", rng.digits(8)),
                ));
                keys.push(("purchase order number".into(), po));
                keys.push((
                    "SCAC".into(),
                    (*rng.pick(&["UPSN", "FDEG", "ODFL", "SAIA", "XPOL"])).to_string(),
                ));
                keys.push(("pronum".into(), rng.digits(10)));
                keys.push(("shipment status code".into(), "CL".into()));
                keys.push(("status time".into(), arrival.format("%H%M").to_string()));
            }
            _ => {
                keys.push(("reference number".into(), rng.digits(9)));
                keys.push((
                    "original message".into(),
                    (*rng.pick(&["850", "810", "856"])).to_string(),
                ));
            }
        }
        let control = rng.digits(9);
        keys.push(("sender reference".into(), control.clone()));
        let (sender_name, receiver_name, sender_address, receiver_address) = if outbound {
            (
                OUR_NAME.to_string(),
                partner.name.clone(),
                OUR_ADDRESSES[0].to_string(),
                partner.addresses[0].clone(),
            )
        } else {
            (
                partner.name.clone(),
                OUR_NAME.to_string(),
                partner.addresses[0].clone(),
                OUR_ADDRESSES[0].to_string(),
            )
        };
        let envelope_id = rng.uuid();
        for level in ["Envelope", "Document"] {
            if out.len() >= total {
                break;
            }
            let level_failed = failed && (delivery_failure || level == "Document");
            let id = if level == "Envelope" {
                envelope_id.clone()
            } else {
                rng.uuid()
            };
            let at = if level == "Envelope" {
                arrival
            } else {
                arrival + Duration::milliseconds(rng.range(200, 4000) as i64)
            };
            let mut r = TxRecord::default();
            r.set("transactionid", id);
            r.set("correlationid", correlation.clone());
            if level == "Document" {
                r.set("parenttransactionid", envelope_id.clone());
            }
            r.set("arrivaltime", ts(at));
            r.set("arrivaltimefacetdaily", at.format("%Y-%m-%d").to_string());
            r.set(
                "statusdate",
                ts(at + Duration::seconds(rng.range(1, 90) as i64)),
            );
            r.set("purgedate", ts(at + Duration::days(90)));
            r.set(
                "firstbytetimestamp",
                ts(at - Duration::milliseconds(rng.range(50, 900) as i64)),
            );
            r.set("lastbytetimestamp", ts(at));
            r.set("category", "EDI");
            r.set("platform", "TGMS");
            r.set("clientsource", "TGMS");
            r.set("servicetype", "Trading Grid Messaging Service");
            r.set("solutionid", format!("SOL-{}", 1000 + partner_index));
            r.set("editype", edi);
            r.set("envelopetype", if partner.edifact { "UNB" } else { "ISA" });
            r.set(
                "standardversion",
                if partner.edifact { "D96A" } else { "004010" },
            );
            r.set("informat", if partner.edifact { "EDIFACT" } else { "X12" });
            r.set(
                "outformat",
                if outbound && rng.chance(0.2) {
                    "XML"
                } else if partner.edifact {
                    "EDIFACT"
                } else {
                    "X12"
                },
            );
            r.set("transactionlevel", level);
            r.set("type", if outbound { "Outbound" } else { "Inbound" });
            r.set("sendername", sender_name.clone());
            r.set("receivername", receiver_name.clone());
            r.set("senderaddress", sender_address.clone());
            r.set("receiveraddress", receiver_address.clone());
            r.set(
                "sendermailbox",
                format!("{}.IN", sender_address.replace(':', "_")),
            );
            r.set(
                "receivermailbox",
                format!("{}.OUT", receiver_address.replace(':', "_")),
            );
            r.set(
                "senderip",
                format!(
                    "10.{}.{}.{}",
                    rng.below(255),
                    rng.below(255),
                    rng.range(1, 254)
                ),
            );
            r.set(
                "receiverip",
                format!(
                    "10.{}.{}.{}",
                    rng.below(255),
                    rng.below(255),
                    rng.range(1, 254)
                ),
            );
            r.set("senderreference", control.clone());
            r.set(
                "sendertransactionid",
                format!("{control}-{}", if level == "Envelope" { 0 } else { 1 }),
            );
            let agent = *rng.pick(&["AS2", "SFTP", "VAN", "FTPS"]);
            r.set("inagent", agent);
            r.set("outagent", *rng.pick(&["AS2", "SFTP", "MAILBOX"]));
            r.set("inboundpipelineid", format!("PL-IN-{}", rng.digits(5)));
            r.set("outboundpipelineid", format!("PL-OUT-{}", rng.digits(5)));
            let insize = rng.range(900, 240_000);
            r.set("insize", insize.to_string());
            r.set("outsize", (insize + rng.below(2000)).to_string());
            r.set("processingtime", rng.range(40, 9_000).to_string());
            r.set("processingcell", format!("cell-{:02}", rng.range(1, 12)));
            r.set(
                "processingcomputezone",
                *rng.pick(&["us-east-1a", "us-east-1b", "eu-west-1a"]),
            );
            r.set(
                "processingregion",
                if partner.edifact { "EU" } else { "NA" },
            );
            r.set("processorid", format!("TGPROC-{:02}", rng.range(1, 24)));
            r.set(
                "senderfilename",
                format!(
                    "{}_{control}.{}",
                    edi,
                    if partner.edifact { "edi" } else { "x12" }
                ),
            );
            r.set("receivefilename", format!("{edi}_{control}.dat"));
            if let Some((field, amount)) = &total_amount {
                r.set(field, amount.clone());
            }
            if level_failed {
                let (code, message, kind, _) = error.unwrap_or(text::ERRORS[9]);
                r.set("status", "Failed");
                r.set("clientstatus", "Failed");
                r.set(
                    "deliverystatus",
                    if delivery_failure {
                        if rng.chance(0.7) {
                            "DeliveryFailed"
                        } else {
                            "PartiallyFailed"
                        }
                    } else {
                        "NotDelivered"
                    },
                );
                r.set("errorcode", code);
                r.set("errortype", kind);
                r.set("externalerrormessage", message);
                r.set("errorcount", rng.range(1, 3).to_string());
                r.set(
                    "processingsubstatus",
                    if delivery_failure {
                        "DeliveryError"
                    } else {
                        "ValidationError"
                    },
                );
            } else {
                let in_process = at > now - Duration::minutes(30) && rng.chance(0.5);
                let status = if in_process { "InProcess" } else { "Delivered" };
                r.set("status", status);
                r.set("clientstatus", status);
                r.set(
                    "deliverystatus",
                    if in_process { "InProcess" } else { "Delivered" },
                );
                r.set("processingsubstatus", "Completed");
                if rng.chance(0.3) {
                    r.set("errorcount", "0");
                }
                if !in_process {
                    let done = at + Duration::seconds(rng.range(2, 120) as i64);
                    r.set("deliverycompletedtimestamp", ts(done));
                    r.set("itinerarycompletedtimestamp", ts(done));
                    r.set("readyforpickuptimestamp", ts(done));
                    r.set("deliveryfilename", format!("{edi}_{control}.out"));
                    r.set("deliveryreceipt", "MDN-OK");
                    r.set("deliveryackstatus", "Acknowledged");
                    r.set("deliveryacktimestamp", ts(done + Duration::seconds(3)));
                }
            }
            if edi != "997" && level == "Document" && r.get("status") == Some("Delivered") {
                let accepted = rng.chance(0.95);
                r.set("fastatus", if accepted { "Accepted" } else { "Rejected" });
                r.set("ackcode", if accepted { "A" } else { "R" });
                r.set(
                    "fastatusdate",
                    ts(at + Duration::minutes(rng.range(1, 240) as i64)),
                );
                r.set(
                    "receiveackstatus",
                    if accepted { "Accepted" } else { "Rejected" },
                );
            }
            if level == "Document" {
                r.content_keys = keys.clone();
            }
            out.push((r, partner_index));
        }
    }
    out
}
