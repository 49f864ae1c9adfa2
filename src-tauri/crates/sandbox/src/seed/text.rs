//! Word lists and sentence templates the seed draws from, so the demo tenant reads like a real
//! partner-operations desk rather than lorem ipsum.

/// Partner companies: name, country, e-mail domain.
pub const PARTNERS: [(&str, &str, &str); 40] = [
    ("Verona Vittles", "IT", "veronavittles.it"),
    ("Sysco Foodservice", "US", "sysco-fs.com"),
    ("Systemax Supply", "US", "systemaxsupply.com"),
    ("Acme Industrial Supply", "US", "acme-industrial.com"),
    ("Northwind Traders", "US", "northwindtraders.com"),
    ("Great Lakes Packaging", "US", "greatlakespkg.com"),
    ("Blue Ridge Apparel", "US", "blueridgeapparel.com"),
    ("Pacific Coast Produce", "US", "pacificcoastproduce.com"),
    ("Summit Home Goods", "US", "summithomegoods.com"),
    ("Lone Star Logistics", "US", "lonestarlogistics.com"),
    ("Cascade Beverages", "US", "cascadebev.com"),
    ("Hudson Valley Dairy", "US", "hudsonvalleydairy.com"),
    ("Midwest Hardware Distributors", "US", "mwhd.com"),
    ("Evergreen Paper Co.", "CA", "evergreenpaper.ca"),
    ("Maple Leaf Electronics", "CA", "mapleleafelec.ca"),
    ("Rocky Mountain Outfitters", "US", "rmoutfitters.com"),
    ("Bayou Spice Company", "US", "bayouspice.com"),
    ("Atlantic Seafood Exchange", "US", "atlanticseafood.com"),
    ("Keystone Tool Works", "US", "keystonetool.com"),
    ("Golden Gate Cosmetics", "US", "ggcosmetics.com"),
    ("Rheinland Kunststoff GmbH", "DE", "rheinland-kunststoff.de"),
    ("Bavaria Brautechnik AG", "DE", "bavaria-brautechnik.de"),
    ("Lyon Textiles SA", "FR", "lyontextiles.fr"),
    ("Provence Conserves SARL", "FR", "provence-conserves.fr"),
    ("Nordic Timber AB", "SE", "nordictimber.se"),
    ("Delft Ceramics BV", "NL", "delftceramics.nl"),
    ("Iberia Olive Oils SL", "ES", "iberiaolive.es"),
    ("Milano Moda SpA", "IT", "milanomoda.it"),
    ("Thames Valley Foods Ltd", "GB", "thamesvalleyfoods.co.uk"),
    ("Highland Wool Mills Ltd", "GB", "highlandwool.co.uk"),
    ("Shenzhen Bright Lighting Co.", "CN", "brightlighting.cn"),
    ("Osaka Precision Parts", "JP", "osakaprecision.jp"),
    ("Monterrey Steel Components", "MX", "monterreysteel.mx"),
    ("Sao Paulo Coffee Exporters", "BR", "spcoffee.com.br"),
    ("Queensland Fresh Farms", "AU", "qldfreshfarms.com.au"),
    ("Carolina Furniture Makers", "US", "carolinafurniture.com"),
    ("Prairie Grain Millers", "US", "prairiegrain.com"),
    ("Harbor Freight Forwarding", "US", "harborff.com"),
    ("Silver Creek Pet Supply", "US", "silvercreekpet.com"),
    ("Tidewater Marine Hardware", "US", "tidewatermarine.com"),
];

/// Given names.
pub const FIRST_NAMES: [&str; 24] = [
    "Anna", "Brian", "Carla", "David", "Elena", "Frank", "Grace", "Hector", "Ines", "Jamal",
    "Keiko", "Liam", "Maria", "Noah", "Olivia", "Priya", "Quentin", "Rosa", "Samuel", "Tara",
    "Umar", "Vera", "Wei", "Yusuf",
];

/// Family names.
pub const LAST_NAMES: [&str; 24] = [
    "Keller",
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Tanaka",
    "Hughes",
    "Patel",
    "Rossi",
    "Schmidt",
    "Nguyen",
    "Garcia",
    "Brennan",
    "Kowalski",
    "Haddad",
    "Silva",
    "Fischer",
    "Novak",
    "Larsen",
    "Dubois",
    "Murphy",
    "Kim",
    "Costa",
    "Weber",
    "Adeyemi",
];

/// Trading Grid roles given to colleagues.
pub const ROLES: [&str; 8] = [
    "Lens All custom",
    "Lens Standard role",
    "Community Viewer",
    "Partner Admin",
    "Account Admin",
    "TGMS Reports",
    "Active Documents custom",
    "Security Admin",
];

/// Validation and delivery errors: code, message, error type, the EDI types they hit.
pub const ERRORS: [(&str, &str, &str, &[&str]); 12] = [
    ("E-1201", "Segment BEG missing", "Validation", &["850"]),
    (
        "E-1205",
        "Element BEG03 purchase order number exceeds maximum length",
        "Validation",
        &["850", "855"],
    ),
    (
        "E-1305",
        "Element BIG02 invoice number missing",
        "Validation",
        &["810"],
    ),
    (
        "E-1311",
        "Invoice total TDS01 does not match sum of line items",
        "Validation",
        &["810", "INVOIC"],
    ),
    (
        "E-2207",
        "Segment HL hierarchy out of sequence",
        "Validation",
        &["856", "DESADV"],
    ),
    (
        "E-2214",
        "Element MAN02 SSCC-18 label check digit invalid",
        "Validation",
        &["856"],
    ),
    (
        "E-1102",
        "Invalid date format in DTM segment",
        "Validation",
        &["850", "810", "856", "855"],
    ),
    (
        "E-3104",
        "Invalid qualifier in N1 segment",
        "Validation",
        &["850", "810", "856"],
    ),
    (
        "E-6120",
        "UNH message reference missing",
        "Validation",
        &["ORDERS", "INVOIC", "DESADV"],
    ),
    (
        "E-4410",
        "Translation map not found for sender/receiver pair",
        "Translation",
        &["850", "810", "856", "ORDERS", "INVOIC", "DESADV", "855"],
    ),
    (
        "E-5002",
        "Duplicate interchange control number",
        "Validation",
        &["850", "810", "856", "997", "855"],
    ),
    (
        "DeliveryFailed",
        "DeliveryFailed: partner mailbox unreachable",
        "Delivery",
        &[
            "850", "810", "856", "997", "855", "ORDERS", "INVOIC", "DESADV",
        ],
    ),
];

/// Case titles by kind; `{po}`, `{inv}`, `{ship}`, `{partner}` are filled in.
pub const TITLES: [(&str, &[&str]); 6] = [
    (
        "shipment",
        &[
            "Short shipment on PO {po}",
            "ASN {ship} does not match received cartons",
            "Damaged pallets on shipment {ship}",
            "Late delivery for PO {po}",
            "Missing proof of delivery for {ship}",
        ],
    ),
    (
        "invoice",
        &[
            "Invoice {inv} price mismatch against PO {po}",
            "Invoice {inv} rejected: total does not match lines",
            "Duplicate invoice {inv}",
            "Invoice {inv} billed for units not received",
        ],
    ),
    (
        "order",
        &[
            "PO {po} rejected by {partner}",
            "No 855 acknowledgement for PO {po}",
            "PO {po} change not confirmed",
            "Quantity discrepancy on PO {po} acknowledgement",
        ],
    ),
    (
        "compliance",
        &[
            "Chargeback: non-compliant GS1-128 labels on {ship}",
            "ASN sent after goods arrived for PO {po}",
            "Routing guide violation on shipment {ship}",
        ],
    ),
    (
        "onboarding",
        &[
            "Onboard {partner} for 810 invoices",
            "{partner}: test 856 ship notices before go-live",
            "Set up EDIFACT ORDERS with {partner}",
        ],
    ),
    (
        "other",
        &[
            "{partner} contact change for EDI escalations",
            "Question about remittance timing from {partner}",
            "Holiday shipping calendar with {partner}",
        ],
    ),
];

/// Comments written by our analysts (partner-visible).
pub const OUR_COMMENTS: [&str; 10] = [
    "Received {n} of {m} cartons on PO {po}, please confirm ASN {ship}.",
    "Our receiving team logged {n} damaged cases on shipment {ship}. Photos attached.",
    "Invoice {inv} shows a unit price above the PO {po} price. Please send a credit memo or a corrected 810.",
    "We did not receive an 855 for PO {po}. Can you confirm you can ship by the requested date?",
    "The 856 for {ship} arrived after the truck. Please send ASNs at the time of shipment per the routing guide.",
    "Thanks, we will reprocess the document once the corrected file arrives.",
    "Can you resend the invoice with BIG02 populated? Our translator rejected it.",
    "Please check your AS2 certificate; our last three transmissions to you were not acknowledged.",
    "Confirming we have updated the PO {po} quantity to {m} units.",
    "Closing this out on our side; let us know if anything else comes up.",
];

/// Comments written by the partner.
pub const PARTNER_COMMENTS: [&str; 10] = [
    "We shipped {m} cartons on {ship}; the carrier shows {m} delivered. Can you recount?",
    "Credit memo for invoice {inv} is on its way, sorry for the mix-up.",
    "Corrected 856 for {ship} resent this morning.",
    "Our EDI team found a mapping issue on our side. Fix goes live tonight.",
    "PO {po} will ship in two lots; the second lot leaves the warehouse Friday.",
    "We did not receive PO {po}. Could you resend it to our new mailbox?",
    "The remaining {n} cartons were backordered; ASN to follow.",
    "Attached is the signed proof of delivery for {ship}.",
    "Our invoice used the price from the last contract; we will rebill at the PO price.",
    "Thanks for the quick turnaround, all good on our end.",
];

/// Internal notes (never visible to the partner).
pub const INTERNAL_NOTES: [&str; 8] = [
    "Third short shipment from them this quarter; flag for the vendor scorecard.",
    "Finance is holding payment on {inv} until this is resolved.",
    "Checked the DC receiving log: {n} cartons scanned on {ship}.",
    "Escalated to the buyer; they want the credit before the next PO.",
    "Map change requested from the EDI team, ticket opened.",
    "Partner contact is out this week, following up Monday.",
    "Chargeback approved by compliance, amount per routing guide.",
    "Looks like a duplicate of an older case, keeping open until confirmed.",
];
