//! Notifications through the app as the window runs it: a batch of requests becomes one OS
//! notification, a click on it opens the case through `AppState::notification_clicked` (the
//! path the shell's click handler calls) and the window takes the request once; the tray's
//! pause holds notifications back; a `partnerdesk://case/<reference>` link opens its case.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use pd_app::commands;
use pd_app::notify::{CaseLink, Notification, Shown};
use pd_domain::{CaseQuery, ErrorCode, NotificationKind, OpenRoute};

type Seen = Arc<Mutex<Vec<Shown>>>;

fn collect(state: &pd_app::AppState) -> Seen {
    let seen = Seen::default();
    let sink = seen.clone();
    state
        .notifier
        .connect(move |shown: &Shown| sink.lock().expect("test mutex").push(shown.clone()));
    seen
}

async fn wait_for(seen: &Seen, count: usize) -> Vec<Shown> {
    for _ in 0..100 {
        if seen.lock().expect("test mutex").len() >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    seen.lock().expect("test mutex").clone()
}

/// The demo workspace, synced, with the notifications it shows collected (from before the
/// sync), the first page of cases and its first case; `None` (skipped) without a keychain.
#[allow(clippy::type_complexity)]
async fn synced_demo() -> Option<(
    common::Dirs,
    pd_app::AppState,
    Seen,
    pd_domain::CaseListPage,
    pd_domain::CaseRow,
)> {
    let namespace = common::keychain_namespace()?;
    let dirs = common::Dirs::new(namespace);
    let state = common::start(&dirs).await;
    let seen = collect(&state);
    commands::sync_now(&state).await.expect("demo syncs");
    let page = commands::list_cases(&state, CaseQuery::default())
        .await
        .expect("cases");
    let case = page.rows.first().expect("the demo has cases").clone();
    Some((dirs, state, seen, page, case))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_notification_click_opens_its_case_and_a_burst_is_one_summary() {
    let Some((_dirs, state, seen, page, case)) = synced_demo().await else {
        return;
    };

    state.notifier.notify(Notification {
        kind: NotificationKind::PartnerReply,
        title: format!("{} replied on {}", case.partner_name, case.reference),
        body: "We shipped the rest today.".to_owned(),
        case: Some(CaseLink {
            id: case.id.clone(),
            reference: case.reference.clone(),
        }),
    });
    let shown = wait_for(&seen, 1).await;
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(shown[0].title.contains(&case.reference));

    // The click: the window is asked to open the case, once.
    let route = state.notification_clicked(shown[0].id);
    let expected = OpenRoute::Case {
        id: case.id.clone(),
    };
    assert_eq!(route, Some(expected.clone()));
    assert_eq!(
        commands::take_open_request(&state).await.expect("take"),
        Some(expected)
    );
    assert_eq!(
        commands::take_open_request(&state).await.expect("take"),
        None
    );
    let opened = commands::get_case(&state, case.id.clone())
        .await
        .expect("case");
    assert_eq!(opened.case.reference, case.reference);

    // A sync bringing 300 replies: one summary, which opens the Mine view.
    for row in page.rows.iter().cycle().take(300) {
        state.notifier.notify(Notification {
            kind: NotificationKind::PartnerReply,
            title: format!("Reply on {}", row.reference),
            body: String::new(),
            case: Some(CaseLink {
                id: row.id.clone(),
                reference: row.reference.clone(),
            }),
        });
    }
    let shown = wait_for(&seen, 2).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let all = seen.lock().expect("test mutex").clone();
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(shown[1].title, "300 partner replies on your cases");
    assert_eq!(
        state.notification_clicked(shown[1].id),
        Some(OpenRoute::Mine)
    );
    state.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paused_notifications_are_held_back_and_saved_in_the_settings() {
    let Some(namespace) = common::keychain_namespace() else {
        return;
    };
    let dirs = common::Dirs::new(namespace);
    let state = common::start(&dirs).await;
    let seen = collect(&state);
    let desk = commands::pause_notifications(&state, true)
        .await
        .expect("pause");
    assert!(desk.notifications.paused);
    state.notifier.notify(Notification {
        kind: NotificationKind::FailedAction,
        title: "A change was refused".to_owned(),
        body: String::new(),
        case: None,
    });
    tokio::time::sleep(Duration::from_millis(3000)).await;
    assert!(seen.lock().expect("test mutex").is_empty());
    assert_eq!(state.notifier.held_back(), 1);
    state.shutdown().await;

    // The pause survives a restart.
    let state = common::start(&dirs).await;
    let desk = commands::desk_settings(&state).await.expect("settings");
    assert!(desk.notifications.paused);
    state.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_link_opens_the_case_and_an_unknown_reference_is_refused_in_words() {
    let Some((_dirs, state, _seen, _, case)) = synced_demo().await else {
        return;
    };
    let route = commands::open_link(&state, format!("partnerdesk://case/{}", case.reference))
        .await
        .expect("link opens");
    assert_eq!(
        route,
        OpenRoute::Case {
            id: case.id.clone()
        }
    );
    assert_eq!(
        commands::take_open_request(&state).await.expect("take"),
        Some(route)
    );
    let error = commands::open_link(&state, "partnerdesk://case/CASE-1999-000000".to_owned())
        .await
        .expect_err("unknown case");
    assert_eq!(error.to_info().code, ErrorCode::StoreNotFound);
    assert!(error.to_string().contains("CASE-1999-000000"), "{error}");
    state.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_transfer_is_notified_once_and_its_click_opens_its_case() {
    use pd_app::transfers::NewTransfer;
    use pd_domain::{ErrorInfo, TransferDirection, TransferState};

    let Some((_dirs, state, seen, _, case)) = synced_demo().await else {
        return;
    };
    state.transfers.begin(
        NewTransfer {
            id: "up-1".to_owned(),
            direction: TransferDirection::Upload,
            name: "asn-4711.edi".to_owned(),
            case_id: case.id.clone(),
            total_bytes: 2048,
        },
        None,
    );
    let refused = ErrorInfo {
        code: ErrorCode::NetOffline,
        message: "The server could not be reached.".to_owned(),
    };
    state
        .transfers
        .finish("up-1", TransferState::Failed, Some(refused.clone()));
    // Reported failed again (a retry's progress marks it again): still one notification.
    state
        .transfers
        .finish("up-1", TransferState::Failed, Some(refused));
    let shown = wait_for(&seen, 1).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let all = seen.lock().expect("test mutex").clone();
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(
        shown[0].title,
        format!("Upload of asn-4711.edi failed ({})", case.reference)
    );
    assert!(
        shown[0].body.contains("could not be reached"),
        "{}",
        shown[0].body
    );
    assert_eq!(
        state.notification_clicked(shown[0].id),
        Some(OpenRoute::Case {
            id: case.id.clone()
        })
    );
    state.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_batch_of_uploads_is_one_notification_when_it_ends_and_its_click_opens_the_case() {
    use pd_app::transfers::NewTransfer;
    use pd_domain::{TransferDirection, TransferState};

    let Some((_dirs, state, seen, _, case)) = synced_demo().await else {
        return;
    };
    // The app announces batches over ten seconds; this one is taken as long at once.
    pd_app::notify::notify_transfer_batches_longer_than(&state, Duration::ZERO);
    for name in ["invoice-4711.pdf", "pod-4711.jpg"] {
        state.transfers.begin(
            NewTransfer {
                id: name.to_owned(),
                direction: TransferDirection::Upload,
                name: name.to_owned(),
                case_id: case.id.clone(),
                total_bytes: 4096,
            },
            None,
        );
    }
    state.transfers.progress("invoice-4711.pdf", 2048);
    state
        .transfers
        .finish("invoice-4711.pdf", TransferState::Done, None);
    state
        .transfers
        .finish("pod-4711.jpg", TransferState::Done, None);
    let shown = wait_for(&seen, 1).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let all = seen.lock().expect("test mutex").clone();
    assert_eq!(all.len(), 1, "one notification for the batch: {all:?}");
    assert_eq!(
        shown[0].title,
        format!("2 uploads finished on {}", case.reference)
    );
    assert_eq!(shown[0].body, "invoice-4711.pdf and pod-4711.jpg");
    assert_eq!(
        state.notification_clicked(shown[0].id),
        Some(OpenRoute::Case {
            id: case.id.clone()
        })
    );
    state.shutdown().await;
}
