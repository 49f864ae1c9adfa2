//! Small valid interchanges the tests build on (written for these tests; the public samples are
//! in `tests/samples`, their sources in `tests/samples/SOURCES.md`).
#![allow(dead_code)]

/// A padded ISA for `sender`/`receiver` (ZZ qualifiers) with control number `control`.
pub fn isa(sender: &str, receiver: &str, control: &str) -> String {
    format!(
        "ISA*00*          *00*          *ZZ*{sender:<15}*ZZ*{receiver:<15}*240105*0930*U*00401*{control:0>9}*0*P*>~"
    )
}

/// An 850 for PO `po` in one interchange.
pub fn x12_850(sender: &str, receiver: &str, control: &str, po: &str) -> String {
    format!(
        "{}\nGS*PO*{sender}*{receiver}*20240105*0930*17*X*004010~\nST*850*0001~\nBEG*00*SA*{po}**20240105~\nN1*ST*ACME DC 4*92*0004~\nPO1*1*10*EA*9.5**VP*WIDGET-1~\nCTT*1~\nSE*6*0001~\nGE*1*17~\nIEA*1*{control:0>9}~\n",
        isa(sender, receiver, control)
    )
}

/// An 856 for shipment `shipment` of PO `po`.
pub fn x12_856(shipment: &str, po: &str) -> String {
    format!(
        "{}\nGS*SH*GLOBEX*ACME*20240106*1015*31*X*004010~\nST*856*0042~\nBSN*00*{shipment}*20240106*1015~\nHL*1**S~\nTD5*O*2*FEDX*A~\nHL*2*1*O~\nPRF*{po}***20240105~\nHL*3*2*I~\nLIN*1*VP*WIDGET-1~\nSN1*1*10*EA~\nCTT*1~\nSE*11*0042~\nGE*1*31~\nIEA*1*000000777~",
        isa("GLOBEX", "ACME", "777")
    )
}

/// An EDIFACT DESADV and an ORDERS in one interchange (default separators, no UNA).
pub fn edifact_pair() -> String {
    "UNB+UNOC:3+4012345000009:14+5412345000013:14+240105:0930+REF0001'\
UNH+M1+ORDERS:D:96A:UN'BGM+220+PO-ED-1+9'DTM+137:20240105:102'UNT+4+M1'\
UNH+M2+DESADV:D:96A:UN'BGM+351+DN-77+9'RFF+ON:PO-ED-1'UNT+4+M2'\
UNZ+2+REF0001'"
        .to_owned()
}

/// A CONTRL rejecting message `msg` of interchange `interchange`.
pub fn contrl_reject(interchange: &str, msg: &str) -> String {
    format!(
        "UNA:+.? 'UNB+UNOA:3+5412345000013:14+4012345000009:14+240105:1000+ACK1'\
UNH+C1+CONTRL:D:3:UN'UCI+{interchange}+4012345000009:14+5412345000013:14+4'UCM+{msg}+INVOIC:D:96A:UN+4'UNT+4+C1'UNZ+1+ACK1'"
    )
}

/// The public samples (see `tests/samples/SOURCES.md`).
pub fn sample(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/samples")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
