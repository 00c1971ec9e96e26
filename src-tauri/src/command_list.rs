// Every command the window may call, declared once. From this list come the Tauri handlers (`main.rs`), the
// permission set the main window is granted (`build.rs` writes `capabilities/default.json`), and the typed
// TypeScript wrappers the UI calls (`ui/src/lib/commands.ts`, checked by a test). Each entry: the command's
// name and arguments (a `; name => Event` argument is a channel the UI listens on), its reply, and the one
// core call it makes; the `shell` block's commands work on the shell itself (they need no running core).
// Types are written in full so that `build.rs` can read this file too.
commands! {
    framework() -> compilar_core::api::FrameworkInfo = |app| Ok(app.assessments().framework());

    create_assessment(req: compilar_core::api::CreateAssessmentRequest) -> compilar_core::api::Assessment
        = |app| app.assessments().create(req).await;
    answer(req: compilar_core::api::AnswerRequest) -> compilar_core::api::AnswerAck
        = |app| app.assessments().answer(req).await;
    complete_assessment(id: String) -> compilar_core::api::Assessment
        = |app| app.assessments().complete(&id).await;
    get_assessment(id: String) -> compilar_core::api::Assessment
        = |app| app.assessments().get(&id).await;
    list_assessments(req: compilar_core::api::ListRequest) -> compilar_core::api::AssessmentPage
        = |app| app.assessments().list(req).await;
    delete_assessment(id: String) -> compilar_core::api::AssessmentRef
        = |app| app.assessments().delete(&id).await;
    restore_assessment(id: String) -> compilar_core::api::Assessment
        = |app| app.assessments().restore(&id).await;
    set_assessment_about(req: compilar_core::api::AboutRequest) -> compilar_core::api::Assessment
        = |app| app.assessments().set_about(req).await;
    assessment_groups() -> Vec<compilar_core::api::GroupLabel> = |app| app.assessments().groups().await;

    progress(req: compilar_core::api::ProgressRequest) -> compilar_core::api::ProgressView
        = |app| app.progress().view(req).await;
    compare_assessments(req: compilar_core::api::CompareRequest) -> compilar_core::api::Comparison
        = |app| app.progress().compare(req).await;

    account_status() -> compilar_core::api::AccountStatus = |app| app.account().status().await;
    account_local_data() -> compilar_core::api::LocalData = |app| app.account().local_data().await;
    sign_in(req: compilar_core::api::SignInRequest) -> compilar_core::api::AccountStatus
        = |app| app.account().sign_in(req).await;
    sign_out() -> compilar_core::api::AccountStatus = |app| app.account().sign_out().await;
    check_token() -> compilar_core::api::AccountStatus = |app| app.account().check().await;
    invalidate_token_cache() -> compilar_core::api::AccountStatus = |app| app.account().invalidate().await;
    sync_conversation(req: compilar_core::api::SyncConversationRequest) -> compilar_core::api::Conversation
        = |app| app.chat().set_synced(req).await;
    sync_status() -> compilar_core::api::SyncStatus = |app| app.sync().status().await;
    sync_now() -> compilar_core::api::SyncReport = |app| app.sync().sync_now().await;
    sync_rejected() -> Vec<compilar_core::api::RejectedChange> = |app| app.sync().rejected().await;
    retry_rejected(req: compilar_core::api::RejectedRequest) -> compilar_core::api::SyncStatus
        = |app| app.sync().retry_rejected(req).await;
    retry_all_rejected() -> compilar_core::api::SyncStatus = |app| app.sync().retry_all_rejected().await;
    discard_rejected(req: compilar_core::api::RejectedRequest) -> compilar_core::api::SyncStatus
        = |app| app.sync().discard_rejected(req).await;

    cancel_sync() -> bool = |app| Ok(app.sync().cancel());

    my_teams() -> Vec<compilar_core::api::Team> = |app| app.teams().list().await;
    create_team(req: compilar_core::api::CreateTeamRequest) -> compilar_core::api::Team
        = |app| app.teams().create(req).await;
    update_team(req: compilar_core::api::UpdateTeamRequest) -> compilar_core::api::Team
        = |app| app.teams().update(req).await;
    delete_team(req: compilar_core::api::TeamRequest) -> () = |app| app.teams().delete(req).await;
    create_invite(req: compilar_core::api::InviteRequest) -> compilar_core::api::Invite
        = |app| app.teams().invite(req).await;
    revoke_invite(req: compilar_core::api::RevokeInviteRequest) -> () = |app| app.teams().revoke_invite(req).await;
    join_team(req: compilar_core::api::JoinRequest) -> compilar_core::api::Team = |app| app.teams().join(req).await;
    leave_team(req: compilar_core::api::TeamRequest) -> () = |app| app.teams().leave(req).await;
    team_members(req: compilar_core::api::TeamRequest) -> Vec<compilar_core::api::Member>
        = |app| app.teams().members(req).await;
    remove_member(req: compilar_core::api::MemberRequest) -> Vec<compilar_core::api::Member>
        = |app| app.teams().remove_member(req).await;
    set_member_role(req: compilar_core::api::RoleRequest) -> Vec<compilar_core::api::Member>
        = |app| app.teams().set_role(req).await;
    set_team_consent(req: compilar_core::api::ConsentRequest) -> compilar_core::api::Team
        = |app| app.teams().set_consent(req).await;
    start_round(req: compilar_core::api::StartRoundRequest) -> compilar_core::api::Round
        = |app| app.teams().start_round(req).await;
    close_round(req: compilar_core::api::RoundRequest) -> () = |app| app.teams().close_round(req).await;
    team_rounds(req: compilar_core::api::TeamRequest) -> Vec<compilar_core::api::Round>
        = |app| app.teams().rounds(req).await;
    team_invites(req: compilar_core::api::TeamRequest) -> Vec<compilar_core::api::InviteInfo>
        = |app| app.teams().invites(req).await;
    open_rounds() -> compilar_core::api::OpenRounds = |app| app.teams().open_rounds_or_kept().await;
    round_results(req: compilar_core::api::RoundRequest) -> compilar_core::api::RoundResults
        = |app| app.teams().round_results(req).await;
    team_results(req: compilar_core::api::TeamResultsRequest) -> compilar_core::api::TeamResults
        = |app| app.teams().team_results(req).await;
    team_report(req: compilar_core::api::TeamReportRequest; on_event => compilar_core::llm::StreamEvent)
        -> compilar_core::api::ReportState
        = |app| app.teams().report(req, forward(on_event)).await;
    team_report_state(round_id: String) -> compilar_core::api::ReportState
        = |app| app.teams().report_state(&round_id).await;
    cancel_team_report(round_id: String) -> bool = |app| Ok(app.teams().cancel_report(&round_id));

    backups() -> compilar_core::api::Backups = |app| app.data().backups().await;
    backup_now(req: compilar_core::api::BackupRequest) -> compilar_core::api::BackupInfo = |app| app.data().backup(req).await;
    set_backup_settings(settings: compilar_core::api::BackupSettings) -> compilar_core::api::Backups
        = |app| app.data().set_backup_settings(settings).await;

    cancel_export(request_id: String) -> bool = |app| Ok(app.data().cancel_export(&request_id));

    start_full_profile(req: compilar_core::api::StartProfileRequest) -> compilar_core::api::Assessment
        = |app| app.full_profiles().start(req).await;
    full_profile(id: String) -> compilar_core::api::FullProfile = |app| app.full_profiles().get(&id).await;
    full_profiles() -> Vec<compilar_core::api::FullProfile> = |app| app.full_profiles().list().await;
    next_in_profile(id: String) -> compilar_core::api::Assessment = |app| app.full_profiles().next(&id).await;
    compare_modes(req: compilar_core::api::CompareModesRequest) -> compilar_core::api::ModeComparison
        = |app| app.full_profiles().compare_modes(req).await;

    add_goal(req: compilar_core::api::NewGoalRequest) -> compilar_core::api::Goal = |app| app.goals().add(req).await;
    list_goals(req: compilar_core::api::GoalListRequest) -> Vec<compilar_core::api::Goal>
        = |app| app.goals().list(req).await;
    get_goal(id: String) -> compilar_core::api::Goal = |app| app.goals().get(&id).await;
    result_goals(assessment_id: String) -> compilar_core::api::ResultGoals
        = |app| app.goals().for_result(&assessment_id).await;
    check_in_goal(req: compilar_core::api::CheckInRequest) -> compilar_core::api::Goal
        = |app| app.goals().check_in(req).await;
    edit_goal(req: compilar_core::api::EditGoalRequest) -> compilar_core::api::Goal = |app| app.goals().edit(req).await;
    close_goal(req: compilar_core::api::CloseGoalRequest) -> compilar_core::api::Goal
        = |app| app.goals().close(req).await;
    reopen_goal(id: String) -> compilar_core::api::Goal = |app| app.goals().reopen(&id).await;
    delete_goal(id: String) -> compilar_core::api::GoalRef = |app| app.goals().delete(&id).await;
    restore_goal(id: String) -> compilar_core::api::Goal = |app| app.goals().restore(&id).await;

    diagnostics() -> compilar_core::api::Diagnostics = |app| app.diagnostics().get().await;
    llm_status() -> compilar_core::api::LlmStatus = |app| app.diagnostics().llm_status().await;
    control_breaker(req: compilar_core::api::BreakerControlRequest) -> compilar_core::api::LlmStatus
        = |app| app.diagnostics().control_breaker(req).await;
    jobs() -> Vec<compilar_core::api::JobInfo> = |app| app.diagnostics().jobs().await;

    llm_settings() -> compilar_core::api::LlmSettings = |app| app.settings().get().await;
    appearance() -> compilar_core::api::Appearance = |app| app.settings().appearance().await;
    set_appearance(appearance: compilar_core::api::Appearance) -> compilar_core::api::Appearance
        = |app| app.settings().set_appearance(appearance).await;
    save_provider_settings(req: compilar_core::api::SaveProvidersRequest) -> compilar_core::api::LlmSettings
        = |app| app.settings().save_providers(req).await;
    save_ai_settings(ai: compilar_core::llm::AiSettings) -> compilar_core::api::LlmSettings
        = |app| app.settings().save_ai(ai).await;
    set_api_key(req: compilar_core::api::SetKeyRequest) -> compilar_core::api::LlmSettings
        = |app| app.settings().set_key(req).await;
    remove_api_key(provider: String) -> compilar_core::api::LlmSettings
        = |app| app.settings().remove_key(&provider).await;
    test_provider(provider: String) -> compilar_core::llm::ConnectionTest
        = |app| app.settings().test_provider(&provider).await;

    ask_stream(req: compilar_core::api::AskRequest; on_event => compilar_core::llm::StreamEvent)
        -> compilar_core::llm::StreamEvent
        = |app| app.ai().ask_stream(req, forward(on_event)).await;
    cancel_stream(request_id: String) -> bool = |app| Ok(app.ai().cancel_stream(&request_id));

    coach_report(req: compilar_core::api::ReportRequest; on_event => compilar_core::llm::StreamEvent)
        -> compilar_core::api::ReportState
        = |app| app.coach().report(req, forward(on_event)).await;
    cancel_report(assessment_id: String) -> bool = |app| Ok(app.coach().cancel_report(&assessment_id));
    report_state(assessment_id: String) -> compilar_core::api::ReportState
        = |app| app.coach().state(&assessment_id).await;

    guidance(req: compilar_core::api::GuidanceRequest) -> compilar_core::api::Guidance
        = |app| app.coach().guidance(req).await;
    analyze_text(req: compilar_core::api::AnalyzeRequest) -> compilar_core::api::AnalysisReply
        = |app| app.analysis().analyze(req).await;
    cancel_analysis(request_id: String) -> bool = |app| Ok(app.analysis().cancel(&request_id));
    generate_questions(req: compilar_core::api::GenerateRequest) -> compilar_core::api::GenerateReply
        = |app| app.questions().generate(req).await;
    cancel_questions(request_id: String) -> bool = |app| Ok(app.questions().cancel(&request_id));
    generated_questions(req: compilar_core::api::GeneratedListRequest) -> Vec<compilar_core::api::GeneratedQuestion>
        = |app| app.questions().list(req).await;
    remove_generated_question(id: String) -> () = |app| app.questions().remove(&id).await;

    new_conversation(req: compilar_core::api::NewConversationRequest) -> compilar_core::api::Conversation
        = |app| app.chat().create(req).await;
    list_conversations(req: compilar_core::api::ConversationListRequest) -> compilar_core::api::ConversationPage
        = |app| app.chat().list(req).await;
    open_conversation(id: String) -> compilar_core::api::ConversationView = |app| app.chat().open(&id).await;
    send_message(req: compilar_core::api::SendRequest; on_event => compilar_core::llm::StreamEvent)
        -> compilar_core::api::SendReply
        = |app| app.chat().send(req, forward(on_event)).await;
    regenerate_answer(req: compilar_core::api::RegenerateRequest; on_event => compilar_core::llm::StreamEvent)
        -> compilar_core::api::SendReply
        = |app| app.chat().regenerate(req, forward(on_event)).await;
    cancel_answer(conversation_id: String) -> bool = |app| Ok(app.chat().cancel(&conversation_id));
    rename_conversation(req: compilar_core::api::RenameRequest) -> compilar_core::api::Conversation
        = |app| app.chat().rename(req).await;
    set_conversation_context(req: compilar_core::api::SetContextRequest) -> compilar_core::api::Conversation
        = |app| app.chat().set_context(req).await;
    delete_conversation(id: String) -> compilar_core::api::ConversationRef = |app| app.chat().delete(&id).await;
    restore_conversation(id: String) -> compilar_core::api::Conversation = |app| app.chat().restore(&id).await;
    search_messages(req: compilar_core::api::MessageSearchRequest) -> compilar_core::api::MessageSearchReply
        = |app| app.chat().search(req).await;

    search_knowledge(req: compilar_core::api::SearchRequest) -> compilar_core::api::SearchReply
        = |app| app.knowledge().search(req).await;
    knowledge_status() -> compilar_core::api::KnowledgeStatus = |app| app.knowledge().status().await;
    knowledge_passage(req: compilar_core::api::PassageRequest) -> compilar_core::api::PassageDetail
        = |app| app.knowledge().passage(req.chunk_id).await;

    cancel_import(import_id: String) -> bool = |app| Ok(app.documents().cancel_import(&import_id));
    list_documents() -> Vec<compilar_core::api::DocumentInfo> = |app| app.documents().list().await;
    delete_document(id: String) -> () = |app| app.documents().delete(&id).await;
    embedding_models() -> compilar_core::api::EmbeddingModels = |app| app.documents().embedding_models().await;
    switch_embedding_model(req: compilar_core::api::SwitchModelRequest; on_progress => compilar_core::api::SwitchProgress)
        -> compilar_core::api::EmbeddingModels
        = |app| app.documents().switch_model(req, forward(on_progress)).await;
    cancel_model_switch() -> bool = |app| Ok(app.documents().cancel_switch());

    // The shell's own commands. Recovery works when the core could not start (a damaged database) and reopens
    // it. Documents are imported only from paths the user chose in the file picker or dropped on the window,
    // which the shell records; external links open in the system's browser, http(s) and mailto only; a report
    // is saved where the user says in the save dialog.
    @shell {
        recovery_status() -> compilar_core::recovery::RecoveryStatus = |shell| shell.core.recovery_status();
        recover(action: compilar_core::recovery::RecoveryAction) -> compilar_core::recovery::RecoveryOutcome
            = |shell| shell.core.recover(action).await;
        choose_documents() -> Vec<String> = |shell| shell.choose_documents().await;
        import_document(req: compilar_core::api::ImportDocumentRequest; on_progress => compilar_core::api::ImportProgress)
            -> compilar_core::api::DocumentInfo
            = |shell| shell.import_document(req, forward(on_progress)).await;
        open_external(url: String) -> () = |shell| shell.open_external(&url);
        show_in_folder(path: String) -> () = |shell| shell.show_in_folder(&path);
        date_locale() -> String = |_shell| Ok(compilar_core::util::display_locale(sys_locale::get_locale().as_deref()));
        choose_backup_file() -> Option<String> = |shell| shell.choose_backup_file().await;
        export_data(format: compilar_core::api::ArchiveFormat, request_id: String; on_progress => compilar_core::api::ExportProgress)
            -> Option<compilar_core::api::ExportSummary>
            = |shell| shell.export_data(format, request_id, forward(on_progress)).await;
        choose_import(format: compilar_core::api::ArchiveFormat) -> Option<String> = |shell| shell.choose_import(format).await;
        import_data(req: compilar_core::api::ImportRequest) -> compilar_core::api::ImportSummary
            = |shell| shell.import_data(req).await;
        restore_backup(path: String) -> compilar_core::api::RestoreOutcome = |shell| shell.restore_backup(&path).await;
        undo_restore() -> compilar_core::api::RestoreOutcome = |shell| shell.undo_restore().await;
        delete_all_data(confirmation: String) -> compilar_core::api::DeleteOutcome
            = |shell| shell.delete_all_data(&confirmation).await;
        save_report(assessment_id: String) -> Option<String> = |shell| shell.save_report(&assessment_id).await;
        save_result_report(assessment_id: String, format: compilar_core::api::ReportFormat) -> Option<compilar_core::api::ReportFile>
            = |shell| shell.save_result_report(&assessment_id, format).await;
        save_conversation(id: String, format: compilar_core::api::ExportFormat) -> Option<String>
            = |shell| shell.save_conversation(&id, format).await;
        save_team_results(req: compilar_core::api::TeamResultsRequest, format: String) -> Option<String>
            = |shell| shell.save_team_results(req, &format).await;
        save_team_report(round_id: String) -> Option<String> = |shell| shell.save_team_report(&round_id).await;
        take_opened_link() -> Option<String> = |shell| shell.core.take_opened_link();
    }
}
