//! EDI files dropped into a folder watched in-process (real files, the real watcher) with the
//! EDI routing rules in the saved order: an 850 lands on the case carrying its PO number; an
//! 810 from an unknown sender opens a new invoice case with its references filled.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pd_domain::{CaseKind, CaseReferences, NewCase};
use pd_ingest::{
    watch_local_blocking, FolderDefaults, IngestContext, LocalFolderSpec, StatusBoard, WatchMode,
};
use pd_store::{LedgerFilter, Store};

fn isa(sender: &str, control: u32) -> String {
    format!("ISA*00*          *00*          *ZZ*{sender:<15}*ZZ*DEMORETAILER   *260105*0930*U*00401*{control:09}*0*P*>~\n")
}

fn drop_file(folder: &Path, name: &str, bytes: &str) {
    let part = folder.join(format!("{name}.part"));
    std::fs::write(&part, bytes).unwrap();
    std::fs::rename(&part, folder.join(name)).unwrap();
}

fn wait_for_rows(store: &Store, n: usize) -> Vec<pd_store::LedgerRow> {
    let started = Instant::now();
    loop {
        let rows = store.ingest_ledger(&LedgerFilter::default()).unwrap();
        if rows.len() >= n {
            return rows;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "waited for {n} ledger rows"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn an_850_dropped_in_a_watched_folder_lands_on_the_case_with_its_po_and_an_unknown_810_opens_an_invoice_case(
) {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("edi-in");
    std::fs::create_dir(&folder).unwrap();
    let store = Store::open(dir.path().join("cache.db")).unwrap();
    let po_case = store
        .create_local_case(
            &NewCase {
                id: String::new(),
                title: "Short shipment on PO 4500099001".into(),
                partner_id: "acme".into(),
                partner_name: None,
                kind: CaseKind::Order,
                priority: None,
                owner: None,
                sla_due: None,
                linked_transactions: vec![],
                references: CaseReferences {
                    po_numbers: vec!["4500099001".into()],
                    ..CaseReferences::default()
                },
                description: None,
            },
            "dana",
            chrono::Utc::now(),
        )
        .unwrap();
    let ctx = IngestContext {
        store: store.clone(),
        router: Arc::new(pd_ingest::edi::router(&store.routing_rules().unwrap())),
        spool_dir: dir.path().join("spool"),
        uploaded_by: "drop folder".into(),
        status: StatusBoard::default(),
        large: pd_ingest::LargeFiles::default(),
    };
    let spec = LocalFolderSpec {
        defaults: FolderDefaults {
            folder_id: "edi".into(),
            folder_name: "EDI inbound".into(),
            partner_id: "acme".into(),
            case_kind: CaseKind::Other,
            owner: None,
        },
        path: folder.clone(),
        subfolders: false,
        mode: WatchMode::Events,
        poll_interval: Duration::from_millis(200),
        settle: Duration::from_millis(300),
        rescan_every: Duration::from_secs(300),
    };
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let stop = stop.clone();
        std::thread::spawn(move || watch_local_blocking(ctx, spec, stop))
    };

    drop_file(
        &folder,
        "ORDERS_0001.x12",
        &format!("{}GS*PO*ACME*DEMORETAILER*20260105*0930*1*X*004010~\nST*850*0001~\nBEG*00*SA*4500099001**20260105~\nPO1*1*10*EA*9.5**VP*WIDGET~\nSE*4*0001~\nGE*1*1~\nIEA*1*000000001~\n", isa("ACME", 1)),
    );
    let rows = wait_for_rows(&store, 1);
    assert_eq!(rows[0].case_id.as_deref(), Some(po_case.as_str()));
    assert_eq!(rows[0].rule.as_deref(), Some("edi_reference"));

    drop_file(
        &folder,
        "INVOIC_0002.x12",
        &format!("{}GS*IN*NOBODY*DEMORETAILER*20260106*1000*2*X*004010~\nST*810*0001~\nBIG*20260106*INV-2026-77**4500077777~\nTDS*9500~\nSE*4*0001~\nGE*1*2~\nIEA*1*000000002~\n", isa("NOBODY", 2)),
    );
    let rows = wait_for_rows(&store, 2);
    let invoice_case = store
        .case(rows[0].case_id.as_deref().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(invoice_case.kind, CaseKind::Invoice);
    assert_eq!(invoice_case.references.invoice_numbers, ["INV-2026-77"]);
    assert_eq!(invoice_case.references.po_numbers, ["4500077777"]);
    assert_eq!(
        invoice_case.title,
        "Unmatched Invoice INV-2026-77 (810) from unknown sender ZZ:NOBODY"
    );
    assert_eq!(rows[0].rule.as_deref(), Some("edi_new_case"));
    let edi = store
        .ingest_ledger_edi(rows[0].id)
        .unwrap()
        .expect("EDI details");
    assert_eq!(edi.summary.sets[0].sender, "ZZ:NOBODY");
    assert!(
        edi.segment_view.contains("BIG  Beginning of invoice"),
        "{}",
        edi.segment_view
    );

    stop.store(true, Ordering::Relaxed);
    watcher.join().unwrap();
}
