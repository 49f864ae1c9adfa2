//! Keeps `ui/src/bindings/` generated from these types: the UI never writes an IPC type twice.
//! `cargo test -p pd-domain --test bindings` rewrites the files; CI then fails on `git diff`.

use std::path::PathBuf;

use ts_rs::TS;

#[test]
fn export_typescript_bindings() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../ui/src/bindings");
    std::fs::create_dir_all(&dir).expect("create bindings dir");
    macro_rules! export {
        ($($t:ty),* $(,)?) => { $( <$t>::export_all_to(&dir).expect(stringify!($t)); )* };
    }
    use pd_domain::*;
    export!(
        RoutingRuleKind,
        RoutingRuleSetting,
        RoutingRuleView,
        EdiReferenceView,
        EdiSetSummary,
        EdiSummary,
        LedgerEdiView,
        Partner,
        User,
        Transaction,
        ContentKey,
        Case,
        CaseKind,
        CaseStatus,
        Priority,
        CaseReferences,
        SlaState,
        Visibility,
        Comment,
        DocumentLocation,
        Document,
        DocumentSource,
        NewDocument,
        NewDocumentLink,
        DocumentView,
        CaseBundle,
        CasePage,
        NewCase,
        NewComment,
        CasePatch,
        TransactionLink,
        ApiErrorBody,
        CaseSortField,
        CaseQuery,
        CaseRow,
        CaseListPage,
        StatusCount,
        SendState,
        CommentView,
        ActivityEntry,
        CaseDetail,
        ExceptionQuery,
        ExceptionRow,
        ExceptionPage,
        ExceptionFacets,
        PartnerRow,
        Connectivity,
        SyncStatus,
        ErrorInfo,
        ErrorCode,
        Topic,
        ChangedPayload,
        DroppedFile,
        DropView,
        DragPhase,
        DragPayload,
        TransferDirection,
        TransferState,
        TransferView,
        TransfersUpdate,
        TransferAction,
        DocumentFile,
        CasePackage,
        JobState,
        JobView,
        CacheSalvage,
        ConnectorWrite,
        OutboundEvent,
        CaseChange,
        NoticeText,
        ArticleText,
        WixNoticeWrite,
        DrupalArticleWrite,
        DrupalStatusWrite,
        PublicationKind,
        PublicationState,
        PublicationView,
        CaseOrigin,
        OriginSource,
        AsideItem,
        ImportRun,
        ImportedRequest,
        WorkKind,
        ConnectorWork,
        AssignmentRule,
        ConnectorWorkInput,
        ConnectorWorkView,
        CaseOutside,
        CacheRecoveredNotice,
        NewerFileNotice,
        Notice,
        HostKind,
        AccountHealth,
        AccountView,
        AccountInput,
        CaseServerSettings,
        CaseServerCredentials,
        CaseServerInput,
        CaseServerView,
        Served,
        ServiceProbe,
        ConnectorKind,
        ConnectorSettings,
        SftpSettings,
        SftpAuth,
        SftpHostKey,
        HostKeyFingerprint,
        HostKeyCheck,
        S3Settings,
        WixSettings,
        DrupalSettings,
        DrupalAuth,
        ConnectorView,
        ConnectorInput,
        ConnectionTestResult,
        KeychainStatus,
        OutboxState,
        OutboxOp,
        OutboxEntryView,
        OutboxEdit,
        ConflictView,
        NewCaseInput,
        // Retention exports (issue 15).
        LockMode,
        RetentionPeriod,
        RetentionPolicy,
        ExportState,
        ExportView,
        ExportQuery,
        HoldScope,
        VerifyReport,
        AuditField,
        AuditEntry,
    );
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("read bindings dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".ts") && n != "index.ts")
        .collect();
    names.sort();
    let index: String = names
        .iter()
        .map(|n| format!("export type * from \"./{}\";\n", n.trim_end_matches(".ts")))
        .collect();
    std::fs::write(dir.join("index.ts"), index).expect("write index.ts");
    assert!(names.iter().any(|n| n == "CaseRow.ts"));
}
