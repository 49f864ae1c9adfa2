//! Writes the answers of the UI's mock backend (`ui/src/mock/generated/answers.json`) from the
//! real code, so the browser preview and the UI tests cannot drift from what the app does: every
//! query the preview and the tests send (case list pages and filters, status counts, case
//! details, the exceptions inbox and its facets, partners, colleagues, the outbox, the sync
//! status) answered by `pd-store` over a real SQLite cache synced from the sandbox, and a few
//! changes (opening a case from an exception, a new case, a field change, linking, retrying the
//! outbox) made by the real code, each with the answers it changed.
//!
//! Keys are the command name and its arguments as the window sends them (JSON with sorted
//! keys), so the mock looks answers up and computes nothing. The sandbox is seeded at a fixed
//! "now", every local change is made at that time with fixed case ids, and the ids the store
//! makes up are replaced by stable ones, so the file changes only when behaviour does. A file
//! that differs is rewritten and the test fails, naming it: commit it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use partnerdesk_sandbox::{Sandbox, SandboxConfig};
use pd_app::api::open_case_for_exception;
use pd_app::error::AppError;
use pd_domain::{
    CaseDetail, CaseKind, CaseListPage, CasePatch, CaseQuery, CaseReferences, CaseStatus,
    CommentView, Connectivity, ExceptionPage, ExceptionQuery, NewCase, NewCaseInput, OutboxOp,
    OutboxState, PartnerRow, Priority, SendState, SyncStatus, Visibility,
};
use pd_store::{RetryTarget, Store};
use pd_sync::{pull, push, PullOptions, PushOptions};
use pd_tradinggrid::{ClientConfig, TradingGridClient};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

/// The UI's page size (`PAGE_SIZE` in ui/src/app/queryKeys.ts).
const PAGE_SIZE: u32 = 100;
/// How many of a partner's exceptions the case page offers to link.
const PARTNER_PICKER: u32 = 20;
/// The analyst of the demo workspace.
const ANALYST: &str = "Demo Analyst";

fn fixed_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 15, 12, 0, 0)
        .single()
        .expect("a date")
}

/// Replaces every UUID in the strings of `value` (whole or within a sentence) by a stable one,
/// numbered in order of appearance.
fn stable_ids(value: &mut Value, seen: &mut HashMap<String, String>) {
    match value {
        Value::String(text) => *text = stable_text(text, seen),
        Value::Array(items) => items.iter_mut().for_each(|v| stable_ids(v, seen)),
        Value::Object(map) => map.values_mut().for_each(|v| stable_ids(v, seen)),
        _ => {}
    }
}

fn stable_text(text: &str, seen: &mut HashMap<String, String>) -> String {
    const LEN: usize = 36;
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| c.is_ascii_hexdigit()) {
        let candidate = rest.get(start..start + LEN);
        match candidate.filter(|c| c.len() == LEN && uuid::Uuid::try_parse(c).is_ok()) {
            Some(id) => {
                let next = seen.len() + 1;
                let stable = seen
                    .entry(id.to_owned())
                    .or_insert_with(|| format!("00000000-0000-4000-8000-{next:012}"));
                out.push_str(&rest[..start]);
                out.push_str(stable);
                rest = &rest[start + LEN..];
            }
            None => {
                let skip = rest[start..]
                    .find(|c: char| !c.is_ascii_alphanumeric() && c != '-')
                    .map_or(rest.len(), |n| start + n);
                out.push_str(&rest[..skip]);
                rest = &rest[skip..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// JSON with object keys sorted at every level: the mock builds its keys the same way.
fn canonical(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let fields: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical(&map[k])))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical).collect();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}

/// A JSON object with one key and its compact value per line, sorted by key: small, and a
/// change of behaviour shows as the lines it changes.
fn lines(map: &BTreeMap<String, Value>) -> String {
    let entries: Vec<String> = map
        .iter()
        .map(|(key, value)| format!("{}: {}", json!(key), canonical(value)))
        .collect();
    format!("{{\n{}\n}}", entries.join(",\n"))
}

/// One argument of a call, parsed as Tauri parses it for the command.
fn arg<T: DeserializeOwned>(args: &Value, name: &str) -> T {
    serde_json::from_value(args.get(name).cloned().unwrap_or(Value::Null))
        .unwrap_or_else(|e| panic!("argument {name} of {args}: {e}"))
}

type Answer = Result<Value, AppError>;
type Run = Box<dyn Fn(&Store, &Value) -> Answer>;

/// A command as the window calls it, and how the real code answers it.
struct Call {
    command: &'static str,
    args: Value,
    run: Run,
}

fn call<T, E>(
    command: &'static str,
    args: Value,
    run: impl Fn(&Store, &Value) -> Result<T, E> + 'static,
) -> Call
where
    T: Serialize,
    AppError: From<E>,
{
    assert!(
        pd_ipc::COMMAND_NAMES.contains(&command),
        "{command} is not a command"
    );
    Call {
        command,
        args,
        run: Box::new(move |store, args| {
            run(store, args)
                .map(|answer| serde_json::to_value(answer).expect("answer serializes"))
                .map_err(AppError::from)
        }),
    }
}

/// Records what the queries answer, and what each change answers and changes.
struct Recorder {
    now: DateTime<Utc>,
    seen: HashMap<String, String>,
    queries: Vec<Call>,
    /// The answers before any change of `changes`.
    answers: BTreeMap<String, Value>,
    /// The answers as the changes so far left them.
    current: BTreeMap<String, Value>,
    changes: BTreeMap<String, Value>,
}

impl Recorder {
    fn key(&mut self, command: &str, args: &Value) -> String {
        let mut args = args.clone();
        stable_ids(&mut args, &mut self.seen);
        format!("{command} {}", canonical(&args))
    }

    /// `{"ok": answer}` or `{"err": {code, message}}`, as the window receives it.
    fn outcome(&mut self, answer: Answer) -> Value {
        match answer {
            Ok(mut value) => {
                stable_ids(&mut value, &mut self.seen);
                json!({ "ok": value })
            }
            Err(error) => json!({ "err": serde_json::to_value(&error).expect("serializes") }),
        }
    }

    fn snapshot(&mut self, store: &Store) -> BTreeMap<String, Value> {
        let queries = std::mem::take(&mut self.queries);
        let mut out = BTreeMap::new();
        for query in &queries {
            let key = self.key(query.command, &query.args);
            let outcome = self.outcome((query.run)(store, &query.args));
            out.insert(key, outcome);
        }
        self.queries = queries;
        out
    }

    /// Answers every query as the store stands now: the answers before any change.
    fn record_queries(&mut self, store: &Store) {
        self.answers = self.snapshot(store);
        self.current = self.answers.clone();
    }

    /// Makes `change`, adds `then` to the queries, and records the change's answer with the
    /// answers it changed. Returns the answer (as the real code gave it).
    fn record_change(&mut self, store: &Store, change: Call, then: Vec<Call>) -> Value {
        let answer = (change.run)(store, &change.args);
        let raw = answer.as_ref().ok().cloned().unwrap_or(Value::Null);
        let key = self.key(change.command, &change.args);
        let outcome = self.outcome(answer);
        self.queries.extend(then);
        let after = self.snapshot(store);
        let changed: BTreeMap<String, Value> = after
            .iter()
            .filter(|(k, v)| self.current.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        self.current = after;
        self.changes
            .insert(key, json!({ "answer": outcome, "changed": changed }));
        raw
    }
}

/// The status bar's answer for the demo workspace, synced at `now`, with the outbox's counts.
fn demo_status(store: &Store, now: DateTime<Utc>) -> pd_store::Result<SyncStatus> {
    let summary = store.outbox_summary()?;
    Ok(SyncStatus {
        workspace_name: "Demo workspace".to_owned(),
        is_demo: true,
        syncing: false,
        connectivity: Connectivity::Online,
        last_synced_at: Some(now),
        last_error: None,
        pending_changes: summary.pending,
        failed_changes: summary.failed,
        oldest_pending_at: summary.oldest,
        keychain_unavailable: false,
    })
}

/// The case list's query as the UI sends it (`toCaseQuery`), with `fields` set on top.
fn case_query(fields: Value) -> Value {
    let mut query = json!({
        "search": null, "statuses": [], "partnerIds": [], "kinds": [], "owners": [],
        "slaBreached": false, "slaAtRisk": false, "sort": "updated", "descending": true,
        "offset": 0, "limit": 0,
    });
    merge(&mut query, fields);
    query
}

/// The inbox's query as the UI sends it (`emptyExceptionQuery`), with `fields` set on top.
fn exception_query(fields: Value) -> Value {
    let mut query = json!({
        "search": null, "partnerId": null, "ediTypes": [], "errorCode": null, "offset": 0, "limit": 0,
    });
    merge(&mut query, fields);
    query
}

fn merge(into: &mut Value, fields: Value) {
    if let (Value::Object(into), Value::Object(fields)) = (into, fields) {
        into.extend(fields);
    }
}

/// The pages of a list the UI fetches for `query` (one call per window of `PAGE_SIZE`).
fn pages(query: &Value, total: u32) -> Vec<Value> {
    let count = total.div_ceil(PAGE_SIZE).max(1);
    (0..count)
        .map(|page| {
            let mut query = query.clone();
            merge(
                &mut query,
                json!({ "offset": page * PAGE_SIZE, "limit": PAGE_SIZE }),
            );
            query
        })
        .collect()
}

fn list_cases(query: Value) -> Call {
    call("list_cases", json!({ "query": query }), |store, args| {
        store.list_cases(&arg::<CaseQuery>(args, "query"), fixed_now())
    })
}

fn status_counts(query: Value) -> Call {
    call(
        "case_status_counts",
        json!({ "query": query }),
        |store, args| store.status_counts(&arg::<CaseQuery>(args, "query"), fixed_now()),
    )
}

fn list_exceptions(query: Value) -> Call {
    call(
        "list_exceptions",
        json!({ "query": query }),
        |store, args| store.list_exceptions(&arg::<ExceptionQuery>(args, "query")),
    )
}

/// A case's retention exports, as its page asks (and the Retention view's unfiltered list).
fn list_exports(case_id: Option<&str>) -> Call {
    let query = json!({
        "caseId": case_id,
        "partnerId": null,
        "state": null,
        "heldOnly": false,
        "search": null,
    });
    call("list_exports", json!({ "query": query }), |store, args| {
        store
            .list_exports(&arg::<pd_domain::ExportQuery>(args, "query"))
            .map(|rows| {
                rows.iter()
                    .map(pd_store::ExportRecord::view)
                    .collect::<Vec<_>>()
            })
    })
}

/// The retention policy before the analyst sets one.
fn retention_policy() -> Call {
    call("retention_policy", json!({}), |_, _| {
        Ok::<_, pd_store::StoreError>(pd_domain::RetentionPolicy::default())
    })
}

fn get_case(id: &str) -> Call {
    call("get_case", json!({ "id": id }), |store, args| {
        store.case_detail(&arg::<String>(args, "id"), fixed_now())
    })
}

/// Every page of the case list for `query`, and its status counts unless it picks a status.
fn case_list_calls(store: &Store, query: &Value) -> Vec<Call> {
    let typed: CaseQuery = serde_json::from_value(query.clone()).expect("case query");
    let total = store
        .list_cases(&typed, fixed_now())
        .expect("case list")
        .total;
    let mut calls: Vec<Call> = pages(query, total).into_iter().map(list_cases).collect();
    if typed.statuses.is_empty() {
        calls.push(status_counts(query.clone()));
    }
    calls
}

fn exception_list_calls(store: &Store, query: &Value) -> Vec<Call> {
    let typed: ExceptionQuery = serde_json::from_value(query.clone()).expect("exception query");
    let total = store.list_exceptions(&typed).expect("inbox").total;
    pages(query, total)
        .into_iter()
        .map(list_exceptions)
        .collect()
}

/// The queries the preview and the UI tests send, over the cache as it stands.
fn queries(store: &Store, now: DateTime<Utc>) -> Vec<Call> {
    let mut calls = vec![
        call("sync_status", json!({}), move |store, _| {
            demo_status(store, now)
        }),
        call("list_users", json!({}), |store, _| store.list_users()),
        call("exception_facets", json!({}), |store, _| {
            store.exception_facets()
        }),
        call("outbox_list", json!({}), |store, _| store.outbox_views()),
    ];
    // Partners: all, the shell test's search, and each one.
    for search in [Value::Null, json!("verona")] {
        calls.push(call(
            "list_partners",
            json!({ "search": search }),
            |store, args| store.list_partners(arg::<Option<String>>(args, "search").as_deref()),
        ));
    }
    let partners: Vec<PartnerRow> = store.list_partners(None).expect("partners");
    for row in &partners {
        calls.push(call(
            "get_partner",
            json!({ "id": row.partner.partner_company_id }),
            |store, args| store.partner(&arg::<String>(args, "id")),
        ));
    }
    // The case list: everything, each status tab, overdue only, and a search for one case's
    // reference (the 18th of the list, as the case list test searches it).
    let all = case_query(json!({}));
    let everything: CaseListPage = store
        .list_cases(
            &serde_json::from_value(all.clone()).expect("query"),
            fixed_now(),
        )
        .expect("case list");
    let searched = &everything.rows.get(17).expect("18 cases").reference;
    let mut lists = vec![
        all,
        case_query(json!({ "slaBreached": true })),
        case_query(json!({ "search": searched })),
    ];
    for status in [
        "new",
        "open",
        "waiting_on_partner",
        "waiting_on_us",
        "resolved",
        "closed",
    ] {
        lists.push(case_query(json!({ "statuses": [status] })));
    }
    for query in &lists {
        calls.extend(case_list_calls(store, query));
    }
    // "Mine" (issue 14): the open cases of the colleague who owns the most, as `my_open_cases`
    // asks the store for them; the mock answers `my_open_cases` with these rows.
    let mut owners: Vec<String> = everything
        .rows
        .iter()
        .filter(|row| !row.status.is_terminal())
        .filter_map(|row| row.owner.clone())
        .collect();
    owners.sort();
    let busiest = owners
        .chunk_by(|a, b| a == b)
        .max_by_key(|run| run.len())
        .and_then(|run| run.first().cloned())
        .expect("an owner of open cases");
    calls.push(list_cases(case_query(json!({
        "owners": [busiest],
        "statuses": ["new", "open", "waiting_on_partner", "waiting_on_us"],
        "sort": "sla_due",
        "descending": false,
        "limit": 2000,
    }))));
    // Every case's page, and the partner exceptions it offers to link.
    let mut case_partners: Vec<String> = Vec::new();
    calls.push(list_exports(None));
    calls.push(retention_policy());
    for row in &everything.rows {
        calls.push(get_case(&row.id));
        calls.push(list_exports(Some(&row.id)));
        if !case_partners.contains(&row.partner_id) {
            case_partners.push(row.partner_id.clone());
        }
    }
    for partner in case_partners {
        calls.push(list_exceptions(exception_query(
            json!({ "partnerId": partner, "limit": PARTNER_PICKER }),
        )));
    }
    // The inbox: everything, and each error code.
    calls.extend(exception_list_calls(store, &exception_query(json!({}))));
    for code in store.exception_facets().expect("facets").error_codes {
        calls.extend(exception_list_calls(
            store,
            &exception_query(json!({ "errorCode": code })),
        ));
    }
    calls
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ui_fixtures_come_from_the_real_code() {
    let dir = tempfile::tempdir().expect("temp dir");
    let now = fixed_now();
    let config = SandboxConfig {
        data: Some(dir.path().join("sandbox.sqlite")),
        cases: 60,
        comments_per_case: 3,
        seed_now: Some(now),
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config.clone())
        .await
        .expect("sandbox starts");
    let mut client_config = ClientConfig::new(
        url::Url::parse(&sandbox.base_url()).expect("url"),
        config.company_id.clone(),
        config.consumer_key.clone(),
        config.consumer_secret.clone(),
    );
    client_config.request_timeout = Duration::from_secs(10);
    let client = TradingGridClient::new(client_config).expect("client");
    let store = Store::open(dir.path().join("cache.db")).expect("cache");
    pull(&store, &client, &PullOptions::default(), now)
        .await
        .expect("first sync");

    // A change the server refuses (a transaction it does not know), sent and failed.
    let server_case = store
        .list_cases(&CaseQuery::default(), now)
        .expect("case list")
        .rows
        .into_iter()
        .map(|row| row.id)
        .min()
        .expect("a synced case");
    store
        .link_local_transaction(&server_case, "NO-SUCH-TRANSACTION", now)
        .expect("link queued");
    push(&store, &client, &PushOptions::default())
        .await
        .expect("push runs");
    // The case the app opens for the first failed transaction with a known partner (after the
    // push, so that it stays local: the server would stamp it with its own clock).
    let mut exceptions = store
        .list_exceptions(&ExceptionQuery {
            limit: 500,
            ..ExceptionQuery::default()
        })
        .expect("inbox")
        .rows;
    exceptions.sort_by(|a, b| {
        a.transaction
            .transaction_id
            .cmp(&b.transaction.transaction_id)
    });
    let row = exceptions
        .iter()
        .find(|row| row.partner_id.is_some() && row.case_ids.is_empty())
        .expect("a failed transaction with a partner");
    let case_id = open_case_for_exception(
        &store,
        &row.transaction.transaction_id,
        ANALYST,
        "7d2f9c1e-4b5a-4c3d-9e8f-0a1b2c3d4e5f".to_owned(),
        now,
        false,
    )
    .expect("case opened");
    let from_exception = store.case_detail(&case_id, now).expect("case detail");
    assert_eq!(
        from_exception.case.linked_transactions,
        vec![row.transaction.transaction_id.clone()],
        "the case carries the transaction it was opened for"
    );

    // Then one waiting entry of every other kind.
    store
        .create_local_case(
            &NewCase {
                id: "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f".to_owned(),
                title: "Short shipment on PO 4500012345".into(),
                partner_id: row.partner_id.clone().expect("partner"),
                partner_name: None,
                kind: CaseKind::Shipment,
                priority: Some(Priority::High),
                owner: None,
                sla_due: None,
                linked_transactions: Vec::new(),
                references: CaseReferences::default(),
                description: Some("12 cartons arrived, 14 were shipped.".into()),
            },
            ANALYST,
            now,
        )
        .expect("case queued");
    store
        .add_local_comment(
            &server_case,
            ANALYST,
            "Can you resend the ASN?",
            Visibility::Partner,
            now,
        )
        .expect("comment queued");
    store
        .patch_local_case(
            &server_case,
            &CasePatch {
                status: Some(CaseStatus::Resolved),
                ..CasePatch::default()
            },
            now,
        )
        .expect("patch queued");
    store
        .unlink_local_transaction(&server_case, "NO-SUCH-TRANSACTION", now)
        .expect("unlink queued");
    let outbox = store.outbox_views().expect("outbox view");
    sandbox.shutdown().await.expect("sandbox stops");

    let failed: Vec<_> = outbox
        .iter()
        .filter(|entry| entry.state == OutboxState::Failed)
        .collect();
    assert_eq!(failed.len(), 1, "the refused link is failed: {outbox:?}");
    assert!(matches!(failed[0].op, Some(OutboxOp::LinkTransaction(_))));
    assert!(failed[0].last_error.is_some(), "the refusal says why");
    for kind in [
        "create_case",
        "add_comment",
        "patch_case",
        "unlink_transaction",
    ] {
        assert!(
            outbox
                .iter()
                .any(|entry| entry.op.as_ref().map(OutboxOp::name) == Some(kind)),
            "{kind} is in the outbox"
        );
    }

    // What the preview and the UI tests ask, as the cache answers it now.
    let mut recorder = Recorder {
        now,
        seen: HashMap::new(),
        queries: queries(&store, now),
        answers: BTreeMap::new(),
        current: BTreeMap::new(),
        changes: BTreeMap::new(),
    };
    recorder.record_queries(&store);
    record_changes(&mut recorder, &store, failed[0].op_id.clone());

    let text = format!(
        "{{\n\"now\": {},\n\"answers\": {},\n\"changes\": {}\n}}\n",
        json!(recorder.now),
        lines(&recorder.answers),
        lines(&recorder.changes),
    );
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../ui/src/mock/generated");
    std::fs::create_dir_all(&out).expect("fixtures dir");
    let files = [(out.join("answers.json"), text)];
    let stale = common::rewrite_stale(&files);
    assert!(
        stale.is_empty(),
        "these UI fixtures did not match what the code does now and were rewritten; commit them: {stale:?}"
    );
}

/// The changes the UI tests make (and the preview offers), each made by the real code in turn.
fn record_changes(recorder: &mut Recorder, store: &Store, refused_op: String) {
    let now = recorder.now;
    let inbox: ExceptionPage = store
        .list_exceptions(&ExceptionQuery {
            limit: PAGE_SIZE,
            ..ExceptionQuery::default()
        })
        .expect("inbox");
    // "Open case" on the first exception of the inbox without a case.
    let open = inbox
        .rows
        .iter()
        .find(|row| row.case_ids.is_empty())
        .expect("an exception without a case");
    let case_id = "case-local-000001";
    let opened = recorder.record_change(
        store,
        call(
            "create_case_from_exception",
            json!({ "transactionId": open.transaction.transaction_id }),
            move |store, args| {
                open_case_for_exception(
                    store,
                    &arg::<String>(args, "transactionId"),
                    ANALYST,
                    case_id.to_owned(),
                    now,
                    false,
                )
            },
        ),
        vec![get_case(case_id)],
    );
    assert_eq!(
        opened,
        json!(case_id),
        "the inbox's first exception opens a case"
    );

    // A new case typed by the analyst, with the fourth partner of the directory.
    let partners = store.list_partners(None).expect("partners");
    let partner = &partners.get(3).expect("four partners").partner;
    let new_case = "case-local-000002";
    recorder.record_change(
        store,
        call(
            "create_case",
            json!({ "input": {
                "title": "Pallets damaged at DC 4",
                "partnerId": partner.partner_company_id,
                "kind": "shipment",
                "priority": "high",
                "owner": null,
                "description": "Three pallets arrived crushed.",
            }}),
            move |store, args| {
                let input: NewCaseInput = arg(args, "input");
                store.create_local_case(
                    &NewCase {
                        id: new_case.to_owned(),
                        title: input.title,
                        partner_id: input.partner_id,
                        partner_name: None,
                        kind: input.kind,
                        priority: Some(input.priority),
                        owner: input.owner,
                        sla_due: None,
                        linked_transactions: Vec::new(),
                        references: CaseReferences::default(),
                        description: input.description,
                    },
                    ANALYST,
                    now,
                )
            },
        ),
        vec![get_case(new_case)],
    );

    // The first case of the list without links or queued changes, whose partner has failed
    // transactions: its
    // status closed, a transaction of another partner linked by id, one of its partner's linked
    // from the picker, the first unlinked again.
    let cases = store
        .list_cases(&CaseQuery::default(), now)
        .expect("case list")
        .rows;
    let (case, own) = cases
        .iter()
        .filter(|row| {
            !row.id.starts_with("case-local") && row.pending_changes == 0 && row.failed_changes == 0
        })
        .find_map(|row| {
            let detail = store.case_detail(&row.id, now).ok()?;
            let own = inbox
                .rows
                .iter()
                .find(|e| e.partner_id.as_deref() == Some(row.partner_id.as_str()))?;
            detail
                .case
                .linked_transactions
                .is_empty()
                .then(|| (row.clone(), own.transaction.transaction_id.clone()))
        })
        .expect("a case without links whose partner has exceptions");
    let other = inbox
        .rows
        .iter()
        .find(|e| e.partner_id.as_deref() != Some(case.partner_id.as_str()))
        .expect("another partner's exception")
        .transaction
        .transaction_id
        .clone();
    let update = |patch: Value| {
        call(
            "update_case",
            json!({ "caseId": case.id, "patch": patch }),
            move |store, args| -> Result<CaseDetail, AppError> {
                let id: String = arg(args, "caseId");
                store.patch_local_case(&id, &arg::<CasePatch>(args, "patch"), now)?;
                Ok(store.case_detail(&id, now)?)
            },
        )
    };
    recorder.record_change(store, update(json!({ "status": "closed" })), Vec::new());
    for (command, transaction) in [
        ("link_transaction", &other),
        ("link_transaction", &own),
        ("unlink_transaction", &other),
    ] {
        let linking = command == "link_transaction";
        let change = call(
            command,
            json!({ "caseId": case.id, "transactionId": transaction }),
            move |store, args| -> Result<CaseDetail, AppError> {
                let id: String = arg(args, "caseId");
                let transaction: String = arg(args, "transactionId");
                if linking {
                    store.link_local_transaction(&id, &transaction, now)?;
                } else {
                    store.unlink_local_transaction(&id, &transaction, now)?;
                }
                Ok(store.case_detail(&id, now)?)
            },
        );
        recorder.record_change(store, change, Vec::new());
    }

    // A comment on that case (the preview's comment box), then the refused entry sent again.
    recorder.record_change(
        store,
        call(
            "add_comment",
            json!({ "caseId": case.id, "body": "Can you resend the ASN?", "visibility": "partner" }),
            move |store, args| -> Result<CommentView, AppError> {
                let comment = store.add_local_comment(
                    &arg::<String>(args, "caseId"),
                    ANALYST,
                    &arg::<String>(args, "body"),
                    arg(args, "visibility"),
                    now,
                )?;
                Ok(CommentView {
                    comment,
                    send_state: SendState::Pending,
                })
            },
        ),
        Vec::new(),
    );
    for op_id in [Value::String(refused_op), Value::Null] {
        recorder.record_change(
            store,
            call("outbox_retry", json!({ "opId": op_id }), |store, args| {
                let target = match arg::<Option<String>>(args, "opId") {
                    Some(id) => RetryTarget::One(id),
                    None => RetryTarget::All,
                };
                store.outbox_retry(&target).map(|_| ())
            }),
            Vec::new(),
        );
    }
}
