// Generated from the Rust types in crates/compilar-core by `typescript_bindings()`.
// Do not edit: run `UPDATE_BINDINGS=1 cargo test -p compilar-core bindings` after changing a type.

export type ErrorCode =
  | "unknown_pillar"
  | "unknown_mode"
  | "pillar_mode_mismatch"
  | "unknown_question"
  | "question_not_in_assessment"
  | "assessment_not_completed"
  | "report_not_found"
  | "conversation_not_found"
  | "conversation_deleted"
  | "nothing_to_regenerate"
  | "question_not_found"
  | "assessment_not_found"
  | "invalid_id"
  | "value_out_of_range"
  | "assessment_completed"
  | "assessment_deleted"
  | "not_deleted"
  | "no_answers"
  | "payload_too_large"
  | "invalid_argument"
  | "empty_input"
  | "out_of_range"
  | "invalid_job_id"
  | "already_running"
  | "unknown_force"
  | "unknown_category"
  | "invalid_settings"
  | "invalid_api_key"
  | "embeddings_unsupported"
  | "unknown_embedding_model"
  | "embedding_model_unavailable"
  | "search_model_changed"
  | "path_not_chosen"
  | "document_unreadable"
  | "framework_invalid"
  | "database_busy"
  | "database_error"
  | "disk_full"
  | "data_folder_not_writable"
  | "no_usable_backup"
  | "database_damaged"
  | "migration_failed"
  | "io_error"
  | "internal"
  | "circuit_open"
  | "rate_limited"
  | "no_provider"
  | "all_providers_failed"
  | "keychain_unavailable"
  | "unknown_provider"
  | "unsupported_document"
  | "document_empty"
  | "document_undecodable"
  | "document_expands_too_far"
  | "cancelled"
  | "document_not_found"
  | "passage_not_found"
  | "profile_not_found"
  | "profile_complete"
  | "archive_invalid"
  | "archive_too_large"
  | "archive_newer_version"
  | "export_target_exists"
  | "output_in_data_folder"
  | "output_exists"
  | "output_folder_missing"
  | "database_healthy"
  | "not_comparable"
  | "goal_not_found"
  | "goal_closed"
  | "backup_unusable"
  | "nothing_to_undo"
  | "confirmation_mismatch"
  | "not_signed_in"
  | "sign_in_failed"
  | "session_expired"
  | "sync_unreachable"
  | "sync_refused"
  | "account_mismatch"
  | "local_data_needs_consent"
  | "team_not_found"
  | "not_facilitator"
  | "last_facilitator"
  | "invite_invalid"
  | "too_many_tries"
  | "team_limit"
  | "team_results_hidden"
  | "provider_rate_limited"
  | "provider_auth"
  | "context_too_long"
  | "model_not_found"
  | "provider_timeout"
  | "provider_server_error"
  | "provider_unreachable"
  | "provider_malformed_response"
  | "provider_bad_request"
  | "provider_unsupported"
  | "provider_not_configured";

export type ErrorPayload = { 
/**
 * Stable machine code, e.g. `unknown_pillar` (one of [`error_codes`]).
 */
code: ErrorCode, 
/**
 * A sentence for a person.
 */
message: string, 
/**
 * Whether the same action may succeed if tried again.
 */
retryable: boolean, 
/**
 * How long to wait before trying again, when the core knows (rate limit, open breaker).
 */
retry_after_ms?: number, 
/**
 * The AI provider the error is about, when there is one.
 */
provider?: string, 
/**
 * The input a validation error is about (shown at that field).
 */
field?: string, };

export type Mode = { id: string, name: string, summary: string, description: string, };

export type Letter = { id: string, letter: string, name: string, 
/**
 * The question this letter asks of a group.
 */
question: string, };

export type Pillar = { id: string, mode: string, letter: string, name: string, description: string, };

export type Force = { id: string, letter: string, name: string, description: string, 
/**
 * What a group sees when the force is strong.
 */
strong: string, 
/**
 * What a group sees when the force is weak.
 */
weak: string, 
/**
 * A practical step that strengthens the force.
 */
action: string, };

export type ConnectionKind = "reinforcing" | "inverse" | "discretionary";

export type Connection = { mode: string, from: string, to: string, kind: ConnectionKind, name: string, explanation: string, };

export type Framework = { version: number, modes: Array<Mode>, letters: Array<Letter>, pillars: Array<Pillar>, forces: Array<Force>, connections: Array<Connection>, };

export type Scale = { min: number, max: number, 
/**
 * One label per point of the scale, from `min` to `max`.
 */
labels: Array<string>, };

export type Question = { 
/**
 * `<pillar>.<force>.<n>`
 */
id: string, pillar: string, mode: string, force: string, text: string, 
/**
 * A fresh question written by a model (and checked) rather than one of the reviewed bank's.
 */
generated: boolean, };

export type Band = "strong" | "mixed" | "strained";

export type ConfidenceLevel = "low" | "medium" | "high";

export type ForceScore = { force: string, name: string, 
/**
 * 0–100, `null` when none of the force's questions were answered.
 */
score: number | null, 
/**
 * The score's band, `null` with the score.
 */
band: Band | null, answered: number, total: number, };

export type Recommendation = { force: string, title: string, text: string, };

export type Highlight = { kind: HighlightKind, 
/**
 * The forces named (two or more: a tie), in framework order; empty for `even`.
 */
forces: Array<string>, 
/**
 * The score the label is about (the highest or lowest), `null` for `even`.
 */
score: number | null, 
/**
 * The band the words were chosen for (the colour to show), `null` for `even`.
 */
band: Band | null, 
/**
 * A short label: "Strongest force", "Ahead of the others", "Most under strain", "No single force
 * stands out"…
 */
label: string, 
/**
 * One sentence for people.
 */
text: string, };

export type HighlightKind = "top" | "bottom" | "even";

export type Results = { pillar: string, mode: string, 
/**
 * 0–100.
 */
pillar_score: number, band: Band, 
/**
 * The band in words ("Working well").
 */
band_label: string, 
/**
 * 0–1: share of questions answered.
 */
confidence: number, confidence_level: ConfidenceLevel, answered: number, total: number, 
/**
 * One entry per force of the pillar, in framework order.
 */
forces: Array<ForceScore>, 
/**
 * The highest and lowest scored forces when each stands out alone (see [`highlights`]); `null` otherwise.
 */
strongest: string | null, weakest: string | null, 
/**
 * What stands out (or that nothing does); empty when fewer than two forces were scored.
 */
highlights: Array<Highlight>, 
/**
 * Said before the figures when confidence is not high ("A first reading: 3 of 12 questions answered…").
 */
caveat: string | null, insights: Array<string>, recommendations: Array<Recommendation>, };

export type Stage = "quiz" | "completed";

export type Category = { id: string, label: string, };

export type FrameworkInfo = { framework: Framework, scale: Scale, 
/**
 * Number of questions in an assessment of each pillar.
 */
questions_per_pillar: Record<string, number>, 
/**
 * The kinds of knowledge-base passage, with their labels (for search filters).
 */
categories: Array<Category>, };

export type CreateAssessmentRequest = { pillar: string, mode: string, 
/**
 * Mix in the fresh questions stored for this pillar (at most one per force), scored like bank items.
 */
include_fresh?: boolean, 
/**
 * The group it is about ("Product team"): 1–80 characters.
 */
group_label?: string, 
/**
 * A short note (at most 2,000 characters).
 */
note?: string, 
/**
 * The team round it answers (its id, from the team's rounds): it counts towards the round's team
 * results once it is completed and synced, if its owner shares their results with that team.
 */
round_id?: string, };

export type AboutRequest = { assessment_id: string, group_label?: string, note?: string, };

export type GroupLabel = { label: string, 
/**
 * Live assessments carrying it.
 */
assessments: number, last_used: string, };

export type AnswerRequest = { assessment_id: string, question_id: string, value: number, };

export type AnswerAck = { assessment_id: string, question_id: string, value: number, };

export type Assessment = { id: string, pillar: string, mode: string, stage: Stage, questions: Array<Question>, 
/**
 * Question id → value on the scale.
 */
answers: Record<string, number>, answered: number, total: number, results: Results | null, created_at: string, updated_at: string, completed_at: string | null, deleted_at: string | null, 
/**
 * The group it is about, and a note.
 */
group_label: string | null, note: string | null, 
/**
 * The full profile it is one pillar of.
 */
profile_id: string | null, 
/**
 * The team round it answers.
 */
round_id: string | null, };

export type ListRequest = { pillar?: string, mode?: string, 
/**
 * Only assessments about this group.
 */
group?: string, 
/**
 * Page size, 1–100 (default 20).
 */
limit?: number, offset?: number, };

export type AssessmentSummary = { id: string, pillar: string, pillar_name: string, mode: string, stage: Stage, answered: number, total: number, pillar_score: number | null, 
/**
 * The score's band and its label, once completed.
 */
band: Band | null, band_label: string | null, created_at: string, updated_at: string, completed_at: string | null, group_label: string | null, };

export type AssessmentPage = { items: Array<AssessmentSummary>, 
/**
 * All live assessments matching the filter.
 */
total: number, limit: number, offset: number, };

export type AssessmentRef = { id: string, };

export type StartProfileRequest = { mode: string, group_label?: string, note?: string, 
/**
 * The team round (of a full profile) it answers: each of its pillars carries the round.
 */
round_id?: string, };

export type ProfilePillar = { pillar: string, pillar_name: string, 
/**
 * "P · Prospects".
 */
letter: string, 
/**
 * Its assessment, once started.
 */
assessment_id: string | null, stage: Stage | null, score: number | null, band: Band | null, };

export type FullProfile = { id: string, mode: string, group_label: string | null, note: string | null, pillars: Array<ProfilePillar>, 
/**
 * Pillars completed, of five.
 */
done: number, complete: boolean, 
/**
 * The first pillar not completed yet.
 */
next_pillar: string | null, created_at: string, 
/**
 * When the fifth pillar was completed.
 */
completed_at: string | null, };

export type LetterInModes = { letter: string, letter_name: string, egalitarian: ModeSide | null, hierarchical: ModeSide | null, 
/**
 * The letter's forces, with their latest score in each mode.
 */
forces: Array<ForceInModes>, };

export type ModeSide = { pillar: string, pillar_name: string, assessment_id: string, completed_at: string, score: number, band: Band, };

export type ForceInModes = { force: string, name: string, egalitarian: number | null, hierarchical: number | null, };

export type ModeComparison = { group_label: string | null, letters: Array<LetterInModes>, };

export type CompareModesRequest = { 
/**
 * The group (none: assessments about no named group).
 */
group?: string, };

export type ReportFormat = "html" | "pdf";

export type ReportFile = { path: string, bytes: number, };

export type ArchiveFormat = "folder" | "zip";

export type ExportRequest = { path: string, 
/**
 * Default: a zip archive when the path ends in `.zip`, else a folder.
 */
format?: ArchiveFormat, 
/**
 * Names the job, so that the caller can stop it.
 */
request_id: string, 
/**
 * Replace an existing zip archive at `path` (the user confirmed; `--force`). A folder export always goes
 * into a new or empty folder.
 */
overwrite?: boolean, };

export type ExportProgress = { 
/**
 * `reading`, `tables`, `reports`, `conversations`, `writing`.
 */
stage: string, done: number, total: number, };

export type TableCount = { table: string, rows: number, };

export type ExportSummary = { path: string, format: ArchiveFormat, tables: Array<TableCount>, documents: number, reports: number, conversations: number, bytes: number, };

export type ImportRequest = { path: string, dry_run: boolean, };

export type TableImport = { table: string, 
/**
 * New here.
 */
added: number, 
/**
 * Newer in the export than here.
 */
updated: number, 
/**
 * Assessments answered in both places, merged question by question.
 */
merged: number, 
/**
 * Already here, the same or newer.
 */
unchanged: number, 
/**
 * The id belongs to another profile here; left alone.
 */
skipped: number, };

export type ImportSummary = { dry_run: boolean, exported_at: string, tables: Array<TableImport>, 
/**
 * Documents listed in the export: their text is not part of it, so they are not imported.
 */
documents_listed: number, };

export type BackupSettings = { 
/**
 * A copy a day (at start-up and hourly while the app runs, when the newest is a day old).
 */
automatic: boolean, 
/**
 * Automatic copies kept, 1–60 (older ones are removed; copies taken by hand are never removed).
 */
keep: number, };

export type Theme = "system" | "light" | "dark";

export type Appearance = { theme: Theme, 
/**
 * The zoom factor, 0.5–2 (1 is 100 %).
 */
zoom: number, };

export type Backups = { folder: string, settings: BackupSettings, 
/**
 * Newest first.
 */
backups: Array<BackupInfo>, 
/**
 * A restore can be undone (the database as it was before the newest restore is kept).
 */
can_undo: boolean, };

export type BackupRequest = { 
/**
 * A file outside the data folder (default: a new backup in the backups folder).
 */
file?: string, 
/**
 * Replace `file` if it exists (the user confirmed; `--force`).
 */
overwrite?: boolean, };

export type RestoreOutcome = { restored_from: string, 
/**
 * The database as it was before, kept for undo (`null` after an undo).
 */
set_aside: BackupInfo | null, 
/**
 * The restored database's version before it was brought up to date.
 */
schema_version: number, };

export type DeleteOutcome = { assessments: number, goals: number, conversations: number, documents: number, backups_removed: number, };

export type ProgressRequest = { 
/**
 * Only assessments about this group.
 */
group?: string, mode?: string, 
/**
 * Minutes east of UTC of the calendar the 30-day figures count days in (−840 to 840); this computer's
 * own time zone when left out.
 */
utc_offset_minutes?: number, };

export type ProgressView = { totals: ProgressTotals, 
/**
 * Newest activity first.
 */
tracks: Array<PillarTrack>, 
/**
 * Per mode (in framework order), the pillars without a completed assessment in this view.
 */
not_assessed: Array<NotAssessed>, 
/**
 * Newest first.
 */
milestones: Array<Milestone>, 
/**
 * The group labels in use (whatever the filter), for choosing one.
 */
groups: Array<string>, 
/**
 * Figures across the assessments in view: how they split by mode, each pillar's average, the last 30 days.
 */
analytics: Analytics, };

export type Analytics = { 
/**
 * Completed assessments per mode, in framework order (modes with none included, as 0).
 */
modes: Array<ModeShare>, 
/**
 * Per mode and pillar with a completed assessment, the average pillar score, in framework order.
 */
pillars: Array<PillarAverage>, 
/**
 * The last 30 days, oldest first, one entry per calendar day ending today.
 */
days: Array<DayActivity>, 
/**
 * Completed in the last 30 days and the 30 before them, with their average pillar scores.
 */
last_30: Period, previous_30: Period, 
/**
 * The last 30 days' average minus the 30 before (`null` unless both have an assessment).
 */
change: number | null, };

export type ModeShare = { mode: string, name: string, completed: number, 
/**
 * 0–100, rounded; 0 when nothing is completed.
 */
percent: number, };

export type PillarAverage = { mode: string, pillar: string, pillar_name: string, average: number, band: Band, completed: number, lowest: number, highest: number, };

export type DayActivity = { 
/**
 * `YYYY-MM-DD` in the calendar asked for.
 */
date: string, completed: number, 
/**
 * The average pillar score of that day's completed assessments (`null` with none).
 */
average: number | null, };

export type Period = { completed: number, average: number | null, };

export type ProgressTotals = { 
/**
 * Completed assessments in this view.
 */
completed: number, 
/**
 * Started and not completed (live, in this view).
 */
in_progress: number, 
/**
 * Distinct pillars with a completed assessment, of the ten.
 */
pillars_covered: number, 
/**
 * Modes with a completed assessment, in framework order.
 */
modes_covered: Array<string>, first_completed_at: string | null, last_completed_at: string | null, };

export type NotAssessed = { mode: string, pillars: Array<string>, };

export type PillarTrack = { group_label: string | null, mode: string, pillar: string, pillar_name: string, 
/**
 * Every completed assessment of the track, oldest first (the trend chart's points).
 */
points: Array<TrackPoint>, 
/**
 * The latest pillar score and its change since the previous assessment (`null` with only one).
 */
latest: number, latest_band: Band, change: number | null, 
/**
 * Per force of the pillar, in framework order.
 */
forces: Array<ForceTrack>, };

export type TrackPoint = { assessment_id: string, completed_at: string, pillar_score: number, confidence_level: ConfidenceLevel, 
/**
 * The force scores in the order of the track's `forces` (`null`: not answered that time).
 */
forces: Array<number | null>, };

export type ForceTrack = { force: string, name: string, latest: number | null, previous: number | null, change: number | null, };

export type MilestoneKind = "first_assessment" | "full_profile" | "force_up" | "goal_completed";

export type Milestone = { kind: MilestoneKind, at: string, 
/**
 * In words ("Goal clarity up 25 points in Group Prospects").
 */
title: string, assessment_id: string | null, goal_id: string | null, };

export type CompareRequest = { first: string, second: string, };

export type Direction = "improved" | "slipped" | "steady" | "not_comparable";

export type CompareSide = { assessment_id: string, completed_at: string, group_label: string | null, pillar_score: number, band: Band, confidence: number, confidence_level: ConfidenceLevel, 
/**
 * Fewer than half the questions answered: marked, not hidden.
 */
low_confidence: boolean, answered: number, total: number, };

export type ForceChange = { force: string, name: string, before: number | null, after: number | null, change: number | null, direction: Direction, };

export type Comparison = { pillar: string, pillar_name: string, mode: string, before: CompareSide, after: CompareSide, change: number, direction: Direction, forces: Array<ForceChange>, 
/**
 * Forces that improved / slipped, by name, the largest move first.
 */
improved: Array<string>, slipped: Array<string>, 
/**
 * A move smaller than this many points counts as steady.
 */
steady_within: number, 
/**
 * Either side has low confidence: read the change with care.
 */
low_confidence: boolean, };

export type PracticeSource = "recommendation" | "passage" | "report" | "own";

export type GoalStatus = "active" | "done" | "dropped";

export type NewGoalRequest = { assessment_id: string, force: string, 
/**
 * What to change (1–200 characters).
 */
title: string, 
/**
 * The practice chosen (1–2,000 characters); without one, the result's recommendation for the force.
 */
practice?: string, 
/**
 * Where the practice came from (`own` when not said and a practice is given).
 */
practice_source?: PracticeSource, 
/**
 * The passage id, when the practice is a passage.
 */
practice_ref?: string, 
/**
 * The review date, `YYYY-MM-DD`: today up to a year ahead (four weeks ahead when not given).
 */
review_on?: string, };

export type EditGoalRequest = { goal_id: string, title?: string, practice?: string, review_on?: string, };

export type CheckInRequest = { goal_id: string, rating: number, note?: string, };

export type CloseGoalRequest = { goal_id: string, 
/**
 * `done` or `dropped`.
 */
status: GoalStatus, reason?: string, };

export type GoalListRequest = { 
/**
 * Only goals in this state.
 */
status?: GoalStatus, 
/**
 * Only goals of this pillar (as set from any of its results).
 */
pillar?: string, };

export type CheckIn = { id: string, rating: number, note: string | null, created_at: string, };

export type GoalOutcome = { assessment_id: string, completed_at: string, before: number | null, after: number | null, change: number | null, };

export type Goal = { id: string, 
/**
 * The result it was set from.
 */
assessment_id: string, pillar: string, pillar_name: string, mode: string, force: string, force_name: string, group_label: string | null, title: string, practice: string, practice_source: PracticeSource, practice_ref: string | null, 
/**
 * The force's score in the result it was set from.
 */
baseline: number | null, review_on: string, 
/**
 * Active and its review date has come.
 */
due: boolean, status: GoalStatus, closed_reason: string | null, closed_at: string | null, created_at: string, updated_at: string, deleted_at: string | null, 
/**
 * Newest first.
 */
checkins: Array<CheckIn>, outcome: GoalOutcome | null, };

export type GoalRef = { id: string, };

export type ResultGoals = { 
/**
 * Goals set from this result.
 */
set_here: Array<Goal>, 
/**
 * Goals set earlier for this pillar, mode and group: the force when set and in this result (`outcome`).
 */
followed: Array<Goal>, };

export type ReportRequest = { assessment_id: string, 
/**
 * Use the offline coach even when a model is available.
 */
offline?: boolean, 
/**
 * Providers to skip ("retry with another provider").
 */
exclude?: Array<string>, };

export type ReportStatus = "complete" | "stopped" | "error";

export type ReportWriter = "model" | "offline";

export type CoachReport = { id: string, 
/**
 * What the report is about: a completed assessment, or a team's round (a team report, on the round's team
 * results only).
 */
assessment_id: string | null, round_id: string | null, 
/**
 * For a team report: how many members' results the figures it was written on covered.
 */
responses: number | null, status: ReportStatus, writer: ReportWriter, 
/**
 * The provider and model that wrote it (`None` for the offline coach).
 */
provider: string | null, provider_label: string | null, model: string | null, 
/**
 * Markdown; citations are `[n]`, each naming one of `passages`.
 */
content: string, 
/**
 * The passages sent with the prompt (for the offline coach: the ones it drew on), numbered.
 */
passages: Array<Passage>, 
/**
 * The numbers cited in the report, in order of first citation.
 */
citations: Array<number>, 
/**
 * Why the offline coach wrote it, when it was not chosen ("No AI provider is set up.").
 */
notice: string | null, 
/**
 * What went wrong, for a report that ended in an error.
 */
error: ErrorPayload | null, prompt_version: number, usage: Usage, created_at: string, };

export type ReportState = { 
/**
 * The newest complete report (kept while a new one is written).
 */
report: CoachReport | null, 
/**
 * A newer attempt that did not complete (stopped or failed), kept so that its text is not lost.
 */
last_attempt: CoachReport | null, 
/**
 * A report is being written for this assessment now.
 */
running: boolean, 
/**
 * Some AI provider is switched on and has what it needs; without one the offline coach writes reports.
 */
model_available: boolean, };

export type NewConversationRequest = { 
/**
 * Default: "About <pillar>" for a conversation started from a result, else "New conversation".
 */
title?: string, 
/**
 * Completed assessments whose results the coach sees (at most five).
 */
context?: Array<string>, };

export type ContextItem = { assessment_id: string, pillar: string, pillar_name: string, mode: string, pillar_score: number | null, completed_at: string | null, 
/**
 * `false` when the assessment was deleted since (it is then left out of the prompt).
 */
available: boolean, };

export type Conversation = { id: string, title: string, context: Array<ContextItem>, created_at: string, updated_at: string, deleted_at: string | null, 
/**
 * Sent to the signed-in account's project (off until its owner turns it on).
 */
synced: boolean, };

export type AnswerWriter = "model" | "knowledge";

export type Message = { id: string, conversation_id: string, seq: number, role: Role, content: string, status: ReportStatus, 
/**
 * For answers: a model or the knowledge base.
 */
writer: AnswerWriter | null, provider: string | null, provider_label: string | null, model: string | null, 
/**
 * The passages retrieved for the question this answers (numbered as sent).
 */
passages: Array<Passage>, citations: Array<number>, 
/**
 * Why the knowledge base answered instead of a model.
 */
notice: string | null, error: ErrorPayload | null, usage: Usage, 
/**
 * How many earlier messages were left out of the context to fit the token budget.
 */
trimmed: number, created_at: string, };

export type ConversationView = { conversation: Conversation, messages: Array<Message>, 
/**
 * An answer is being written now.
 */
running: boolean, model_available: boolean, };

export type ConversationSummary = { id: string, title: string, messages: number, 
/**
 * The start of the newest message.
 */
last: string | null, context: number, updated_at: string, };

export type ConversationListRequest = { 
/**
 * 1–100 (default 50).
 */
limit?: number, offset?: number, };

export type ConversationPage = { items: Array<ConversationSummary>, total: number, };

export type SendRequest = { conversation_id: string, text: string, 
/**
 * Providers to skip.
 */
exclude?: Array<string>, 
/**
 * Answer from the knowledge base without a model.
 */
offline?: boolean, };

export type RegenerateRequest = { conversation_id: string, exclude?: Array<string>, offline?: boolean, };

export type SendReply = { question: Message | null, answer: Message | null, };

export type RenameRequest = { conversation_id: string, title: string, };

export type SetContextRequest = { conversation_id: string, context: Array<string>, };

export type MessageSearchRequest = { query: string, 
/**
 * 1–50 (default 20).
 */
limit?: number, };

export type MessageHit = { conversation_id: string, conversation_title: string, message_id: string, role: Role, snippet: Array<SnippetPart>, created_at: string, };

export type MessageSearchReply = { hits: Array<MessageHit>, took_us: number, };

export type ExportFormat = "markdown" | "json";

export type ConversationRef = { id: string, };

export type GenerateRequest = { pillar: string, mode: string, 
/**
 * 1–20 (default 10).
 */
count?: number, 
/**
 * `easier`, `standard` (default) or `harder`: how subtle the statements are.
 */
difficulty?: string, 
/**
 * Chosen by the caller; [`crate::capabilities::questions::Questions::cancel`] stops it.
 */
request_id: string, exclude?: Array<string>, };

export type GeneratedQuestion = { id: string, pillar: string, mode: string, force: string, text: string, reverse: boolean, provider: string, model: string, created_at: string, };

export type RejectedItem = { text: string, reason: string, };

export type GenerateReply = { 
/**
 * Stored, in the order written.
 */
accepted: Array<GeneratedQuestion>, rejected: Array<RejectedItem>, 
/**
 * How many of the asked-for questions the built-in bank supplies instead.
 */
from_bank: number, 
/**
 * Model calls made (the second, if any, sent the validation errors back).
 */
attempts: number, provider: string | null, model: string | null, 
/**
 * Why no model wrote them, when none did.
 */
notice: string | null, };

export type GeneratedListRequest = { pillar?: string, mode?: string, };

export type AnalyzeRequest = { 
/**
 * At most 20,000 characters.
 */
text?: string, 
/**
 * One of the user's documents instead (its first 20,000 characters).
 */
document_id?: string, 
/**
 * `egalitarian`, `hierarchical`, or both when absent.
 */
mode?: string, 
/**
 * The offline estimate, without a model.
 */
offline?: boolean, exclude?: Array<string>, 
/**
 * Chosen by the caller; [`crate::capabilities::analysis::Analysis::cancel`] stops it.
 */
request_id: string, };

export type AnalysisMethod = "model" | "estimate";

export type ForceAlignment = { force: string, name: string, 
/**
 * 0–100; `None` when the text says nothing about it.
 */
alignment: number | null, 
/**
 * Quotes from the text, each checked to occur in it.
 */
evidence: Array<string>, };

export type PillarAlignment = { pillar: string, name: string, mode: string, alignment: number | null, evidence: Array<string>, forces: Array<ForceAlignment>, };

export type AnalysisReply = { method: AnalysisMethod, pillars: Array<PillarAlignment>, themes: Array<string>, recommendations: Array<string>, 
/**
 * Quotes the model gave that do not occur in the text (dropped).
 */
dropped_quotes: number, 
/**
 * Characters analysed, and whether a document was cut to the limit.
 */
chars: number, truncated: boolean, provider: string | null, model: string | null, 
/**
 * Why the estimate was used, when it was not asked for.
 */
notice: string | null, };

export type GuidanceStage = "choosing" | "before_quiz" | "result";

export type GuidanceRequest = { stage: GuidanceStage, 
/**
 * For `before_quiz`.
 */
pillar?: string, mode?: string, 
/**
 * For `result`.
 */
assessment_id?: string, 
/**
 * Tips from the framework without a model (the default: tips are free and instant).
 */
use_model?: boolean, };

export type GuidanceWriter = "model" | "framework";

export type Guidance = { stage: GuidanceStage, 
/**
 * Plain sentences (Markdown allowed), at most three.
 */
tips: Array<string>, writer: GuidanceWriter, provider: string | null, model: string | null, 
/**
 * Why the framework's tips are shown when a model was asked for.
 */
notice: string | null, };

export type Diagnostics = { app_version: string, data_dir: string, database_path: string, log_dir: string, sqlite_version: string, vec_version: string, schema_version: number, framework_version: number, question_bank_version: number, questions: number, 
/**
 * Completed assessments (not in the bin).
 */
assessments: number, 
/**
 * Started, not completed (not in the bin).
 */
in_progress: number, };

export type MigrationInfo = { version: number, name: string, applied_at: string, 
/**
 * Whether this build has the same migration (a `false` means a newer release or a changed file).
 */
matches_build: boolean, };

export type ProviderKind = "openai" | "anthropic" | "ollama" | "openai_compatible";

export type Role = "user" | "assistant";

export type ChatMessage = { role: Role, content: string, };

export type Usage = { input_tokens: number, output_tokens: number, };

export type LlmErrorKind = "rate_limited" | "auth" | "context_too_long" | "model_not_found" | "timeout" | "server" | "network" | "malformed" | "bad_request" | "cancelled" | "unsupported" | "not_configured";

export type Timeouts = { 
/**
 * Connecting to the server.
 */
connect_secs: number, 
/**
 * From sending to the first token (streams) — local models may need to load first.
 */
first_token_secs: number, 
/**
 * Longest silence between two tokens of a stream.
 */
stall_secs: number, 
/**
 * A whole (non-streamed) answer.
 */
request_secs: number, 
/**
 * A call whose first token (or whole answer) takes longer than this counts as a breaker failure, even if
 * it succeeds. 0 turns the rule off.
 */
slow_call_secs: number, };

export type FailureRate = { 
/**
 * The sliding window, in seconds.
 */
window_secs: number, 
/**
 * No decision before this many calls in the window.
 */
min_calls: number, 
/**
 * Open when failures / calls in the window reaches this share (0–1).
 */
threshold: number, };

export type BreakerConfig = { failure_threshold: number, recovery_secs: number, max_recovery_secs: number, half_open_trials: number, failure_rate: FailureRate | null, };

export type BreakerState = "closed" | "open" | "half_open" | "forced_open";

export type FailureRecord = { at: string, code: string, message: string, };

export type BreakerSnapshot = { state: BreakerState, consecutive_failures: number, failure_threshold: number, 
/**
 * Milliseconds until the next trial call is allowed (open state only).
 */
next_trial_in_ms: number | null, 
/**
 * The same as a UTC time.
 */
next_trial_at: string | null, 
/**
 * The same in words ("45 s").
 */
next_trial_in_text: string | null, trial_permits_left: number, trial_successes: number, trials_needed: number, 
/**
 * How many times in a row the circuit opened without closing (drives the back-off).
 */
consecutive_opens: number, successes: number, failures: number, rejections: number, recent_failures: Array<FailureRecord>, };

export type RateLimitConfig = { max_actions: number, window_secs: number, };

export type RateLimitState = { max_actions: number, window_secs: number, used: number, remaining: number, 
/**
 * Milliseconds until the next action is allowed (0 when one is allowed now).
 */
next_allowed_in_ms: number, 
/**
 * The same as a UTC time, when an action is not allowed now.
 */
next_allowed_at: string | null, 
/**
 * The window in words ("15 min").
 */
window_text: string, 
/**
 * The wait in words ("3 min 20 s"), when an action is not allowed now.
 */
next_allowed_in_text: string | null, };

export type ProviderSettings = { 
/**
 * `anthropic`, `openai` or `local`.
 */
id: string, kind: ProviderKind, label: string, enabled: boolean, 
/**
 * Place in the fallback chain (0 first).
 */
position: number, base_url: string, chat_model: string, embedding_model: string | null, timeouts: Timeouts, breaker: BreakerConfig, 
/**
 * Context size asked of an Ollama server (`options.num_ctx`).
 */
num_ctx: number, };

export type AiSettings = { rate_limit: RateLimitConfig, 
/**
 * Store prompts and answers in the call log (off by default).
 */
log_prompts: boolean, 
/**
 * Call-log rows older than this are deleted.
 */
call_log_retention_days: number, };

export type KeySource = "keychain" | "environment" | "none";

export type KeychainStatus = { available: boolean, 
/**
 * e.g. "Secret Service", "macOS Keychain".
 */
backend: string, 
/**
 * Why it is unavailable, in plain words (`null` when available).
 */
message: string | null, 
/**
 * What works instead and how to get a keychain, one step per entry (empty when available).
 */
steps: Array<string>, 
/**
 * The system's own error, for a details line (never shown as the explanation).
 */
technical: string | null, };

export type ProviderView = { settings: ProviderSettings, key_source: KeySource, needs_key: boolean, configured: boolean, 
/**
 * The environment variable that overrides the stored key.
 */
key_env_var: string | null, 
/**
 * What its pill says (configured, reachable, working…).
 */
health: ProviderHealth, };

export type Availability = "off" | "needs_key" | "switched_off" | "paused" | "retrying" | "not_tried" | "failing" | "reachable" | "working";

export type Tone = "off" | "neutral" | "ok" | "warn" | "error";

export type LastCall = { at: string, 
/**
 * `connection_test`, `coach_chat`, `embedding`…
 */
feature: string, ok: boolean, 
/**
 * In words, for people.
 */
message: string | null, 
/**
 * The stable code, for a details line.
 */
code: string | null, };

export type ProviderHealth = { state: Availability, tone: Tone, 
/**
 * "Working", "Needs an API key", "Last call failed"…
 */
label: string, 
/**
 * One line more: why, or what next.
 */
detail: string | null, last_call: LastCall | null, };

export type ProviderStatus = { id: string, label: string, kind: ProviderKind, enabled: boolean, 
/**
 * It has what it needs to be called (a key, for cloud providers).
 */
configured: boolean, position: number, model: string, breaker: BreakerSnapshot, 
/**
 * What its pill says (configured, reachable, working…), from its settings, breaker and last real call.
 */
health: ProviderHealth, };

export type ConnectionTest = { provider: string, ok: boolean, latency_ms: number, models: Array<string>, 
/**
 * Whether the configured chat model is among `models` (`None` when the list is empty).
 */
model_available: boolean | null, message: string, error: ErrorPayload | null, };

export type ChatAnswer = { text: string, provider: string, provider_label: string, model: string, usage: Usage, latency_ms: number, 
/**
 * Providers tried before this one, with why they did not answer.
 */
fallback_from: Array<string>, };

export type Passage = { number: number, chunk_id: number, passage_id: string, title: string, text: string, 
/**
 * Where it comes from: the PILAR knowledge base or one of the user's documents (its title).
 */
source_title: string, 
/**
 * `builtin` or `document`.
 */
source_kind: string, category: string, force: string | null, };

export type StreamEvent = { "event": "started", provider: string, provider_label: string, model: string, fallback_from: Array<string>, } | { "event": "token", text: string, } | { "event": "citation", number: number, passage: Passage, } | { "event": "done", provider: string, provider_label: string, model: string, usage: Usage, latency_ms: number, ttft_ms: number, } | { "event": "error", after_first_token: boolean, 
/**
 * Stable machine code, e.g. `unknown_pillar` (one of [`error_codes`]).
 */
code: ErrorCode, 
/**
 * A sentence for a person.
 */
message: string, 
/**
 * Whether the same action may succeed if tried again.
 */
retryable: boolean, 
/**
 * How long to wait before trying again, when the core knows (rate limit, open breaker).
 */
retry_after_ms?: number, 
/**
 * The AI provider the error is about, when there is one.
 */
provider?: string, 
/**
 * The input a validation error is about (shown at that field).
 */
field?: string, };

export type BreakerAction = "reset" | "force_open" | "force_close";

export type CallLogEntry = { id: number, action_id: string, at: string, feature: string, provider: string, model: string, streamed: boolean, latency_ms: number, ttft_ms: number | null, tokens_in: number, tokens_out: number, 
/**
 * `ok`, `error`, `rejected` (breaker open) or `cancelled`.
 */
outcome: string, error_code: string | null, error_message: string | null, 
/**
 * The provider's breaker state after the call.
 */
breaker_state: string, prompt: string | null, output: string | null, 
/**
 * Whether this action counts against the AI-action limit.
 */
rate_limited: boolean, 
/**
 * The outcome in words ("Answered", "Could not connect", "Skipped: paused"), filled when read.
 */
outcome_text: string, };

export type LlmSettings = { providers: Array<ProviderView>, ai: AiSettings, keychain: KeychainStatus, };

export type SaveProvidersRequest = { providers: Array<ProviderSettings>, };

export type SetKeyRequest = { provider: string, key: string, };

export type AskRequest = { 
/**
 * Chosen by the caller; [`crate::App::cancel_stream`] stops the stream with it.
 */
request_id: string, prompt: string, 
/**
 * Providers to skip ("retry with another provider").
 */
exclude: Array<string>, };

export type LlmStatus = { providers: Array<ProviderStatus>, rate_limit: RateLimitState, keychain: KeychainStatus, calls: Array<CallLogEntry>, };

export type BreakerControlRequest = { provider: string, action: BreakerAction, };

export type JobKind = "import" | "model_switch" | "stream" | "report" | "chat" | "questions" | "analysis" | "backup" | "restore" | "export" | "data_import" | "sync";

export type JobInfo = { id: string, kind: JobKind, 
/**
 * What it works on, in words ("Importing notes.md").
 */
label: string, 
/**
 * What it works on, when that is one thing: the file being imported, the model being switched to.
 */
subject: string | null, 
/**
 * Units done and in all, once known (pages, passages).
 */
done: number | null, total: number | null, 
/**
 * The step it is at, in words, when it has steps.
 */
stage: string | null, started_at: string, 
/**
 * Whether this process runs it; `false` for another Compilar process on the same data folder (the
 * command-line tool while the window is open, say).
 */
here: boolean, };

export type DoctorReport = { diagnostics: Diagnostics, 
/**
 * `ok`, or "damaged (SQLite's check found: …)" with the first problems SQLite's quick check found.
 */
integrity: string, 
/**
 * Whether the database is damaged (then recovery is the way: restore a backup or start fresh).
 */
damaged: boolean, migrations: Array<MigrationInfo>, keychain: KeychainStatus, providers: Array<ProviderStatus>, 
/**
 * Long work running on this data folder now.
 */
jobs: Array<JobInfo>, };

export type SearchMethod = "hybrid" | "vector" | "text";

export type SearchRequest = { query: string, 
/**
 * PILAR mode: `egalitarian` or `hierarchical`.
 */
mode: string | null, pillar: string | null, force: string | null, category: string | null, 
/**
 * `builtin`, `documents`, or one document's id.
 */
source: string | null, 
/**
 * Drop results whose cosine similarity to the query is below this (−1 to 1).
 */
min_score: number | null, 
/**
 * How many results (default 10; more than 50 is capped to 50).
 */
count: number | null, method: SearchMethod | null, };

export type SnippetPart = { text: string, hit: boolean, };

export type MatchStrength = "strong" | "related" | "weak" | "by_meaning";

export type PassageRequest = { chunk_id: number, };

export type PassageDetail = { chunk_id: number, passage_id: string, title: string, text: string, source: SourceRef, mode: string | null, pillar: string | null, force: string | null, category: string, 
/**
 * The closest other passages by meaning (at most [`MAX_RELATED`]), closest first.
 */
related: Array<RelatedPassage>, };

export type RelatedPassage = { chunk_id: number, title: string, source_title: string, similarity: number, };

export type SourceRef = { id: string, kind: string, title: string, };

export type SearchHit = { chunk_id: number, passage_id: string, title: string, text: string, snippet: Array<SnippetPart>, source: SourceRef, mode: string | null, pillar: string | null, force: string | null, category: string, 
/**
 * Fused rank score, 0–1: a position, not a relevance (see `strength`).
 */
score: number, 
/**
 * How well it matches.
 */
strength: MatchStrength, 
/**
 * The same in words ("Strong match", "Weak match"…).
 */
strength_label: string, 
/**
 * Cosine similarity between the query and this passage (−1 to 1).
 */
similarity: number, vector_rank: number | null, text_rank: number | null, };

export type SearchReply = { hits: Array<SearchHit>, 
/**
 * The count used (after capping).
 */
count: number, 
/**
 * The requested count was above the maximum and was lowered.
 */
capped: boolean, method: SearchMethod, 
/**
 * The embedding model that ranked the vector list.
 */
model: string, 
/**
 * Something the person should know about this search (the active model could not be reached and the
 * built-in one was used).
 */
notice: string | null, 
/**
 * Hits that are strong or related matches.
 */
good_matches: number, 
/**
 * Nothing passed the threshold: the hits are only the closest there is (say "no good match").
 */
no_good_match: boolean, took_us: number, };

export type KnowledgeStatus = { passages: number, builtin_passages: number, model: string, dims: number, vectors: number, };

export type BackupInfo = { path: string, 
/**
 * When it was written (RFC 3339, from the file's time).
 */
taken_at: string, bytes: number, 
/**
 * `auto` (daily), `manual`, `before_restore` (the database as it was before a restore) or `migration`
 * (taken before the database was upgraded).
 */
kind: string, };

export type RecoveryStatus = { data_dir: string, database: string, 
/**
 * Why the database cannot be used, or `None` when it passes SQLite's check.
 */
damage: string | null, 
/**
 * Newest first.
 */
backups: Array<BackupInfo>, 
/**
 * Damaged files set aside earlier.
 */
set_aside: Array<string>, };

export type RecoveryOutcome = { 
/**
 * Where the damaged database now is (kept, never deleted); `None` if there was no file.
 */
damaged_kept_at: string | null, 
/**
 * The backup restored, when one was.
 */
restored_from: string | null, 
/**
 * A healthy database set aside on request (`--force`): kept as a backup in the backups folder, which
 * undoing a restore brings back.
 */
kept_as_backup: BackupInfo | null, };

export type RecoveryAction = "restore_latest_backup" | "start_fresh";

export type PillarForces = { pillar: Pillar, forces: Array<Force>, };

export type ImportStage = "reading" | "chunking" | "embedding" | "saving" | "done";

export type ImportProgress = { stage: ImportStage, done: number, total: number, };

export type DocumentInfo = { id: string, title: string, file_name: string | null, bytes: number, chunks: number, vectors: number, created_at: string, 
/**
 * The same content was imported before; nothing new was added.
 */
already_imported: boolean, };

export type ImportDocumentRequest = { path: string, 
/**
 * Chosen by the caller; `cancel_import` stops the import with it.
 */
import_id: string, };

export type EmbeddingModelInfo = { 
/**
 * `local:potion-base-8M`, or `provider:model`.
 */
id: string, label: string, 
/**
 * The LLM provider serving it (`None` for the built-in model).
 */
provider: string | null, 
/**
 * Known once the model has been used.
 */
dims: number | null, active: boolean, 
/**
 * Chunks that have a vector from this model.
 */
vectors: number, 
/**
 * Chunks in the knowledge base.
 */
passages: number, 
/**
 * Whether it can embed right now (its provider is on and has what it needs).
 */
available: boolean, 
/**
 * Why not, in words.
 */
note: string | null, };

export type SwitchProgress = { model_id: string, 
/**
 * Chunks that have a vector from the new model, of all chunks.
 */
done: number, total: number, };

export type EmbeddingModels = { models: Array<EmbeddingModelInfo>, 
/**
 * The model searches use.
 */
active: string, switching: SwitchProgress | null, };

export type SwitchModelRequest = { model_id: string, };

export type SignInRequest = { 
/**
 * The project's address, e.g. `https://abcd.supabase.co` (or a self-hosted one).
 */
project_url: string, 
/**
 * The project's publishable (anon) key. It is public by design; it is not a password.
 */
public_key: string, email: string, 
/**
 * Sent to the project once; never stored.
 */
password: string, 
/**
 * This computer already has assessments or goals: they become the account's (`adopt_local` must be
 * true, after the person has said yes). See [`LocalData`].
 */
adopt_local: boolean, };

export type SyncConversationRequest = { conversation_id: string, synced: boolean, };

export type LocalData = { assessments: number, goals: number, reports: number, 
/**
 * Rows of every synced kind together.
 */
total: number, 
/**
 * The account this data folder syncs with already (signing in as anyone else is refused).
 */
linked_email: string | null, };

export type TokenStatus = "valid" | "refresh_soon" | "expired" | "none";

export type TokenState = { state: TokenStatus, expires_in_s: number | null, 
/**
 * How the signature was checked: "local" (the project's published keys), "server" (a project with a
 * shared secret: asked once per token) or null (not checked yet).
 */
verified: string | null, 
/**
 * Token checks answered without any network call, and checks that needed one.
 */
checks: number, network_checks: number, 
/**
 * Share of checks answered locally, 0–1 (null before the first check).
 */
hit_rate: number | null, 
/**
 * Seconds since the project's key set was fetched (null: not fetched).
 */
key_set_age_s: number | null, key_ids: Array<string>, };

export type AccountStatus = { signed_in: boolean, 
/**
 * This data folder is linked to an account (also after signing out).
 */
linked: boolean, email: string | null, user_id: string | null, project_url: string | null, public_key: string | null, device_id: string | null, 
/**
 * Signed out because the session ended (sign in again; nothing waiting to sync was lost).
 */
session_ended: boolean, token: TokenState, };

export type SyncState = "off" | "signed_out" | "synced" | "pending" | "syncing" | "offline" | "error";

export type SyncStatus = { state: SyncState, 
/**
 * The state in words, e.g. "3 changes waiting", "Offline: will try again in 2 min".
 */
label: string, 
/**
 * Changes waiting to be pushed.
 */
pending: number, 
/**
 * Changes the server refused (the "not synced" list).
 */
rejected: number, last_sync_at: string | null, 
/**
 * Why the last sync failed (cleared by the next one that works).
 */
last_error: ErrorPayload | null, email: string | null, };

export type SyncReport = { 
/**
 * Rows the server took, rows it already had newer, rows it refused.
 */
pushed: number, ignored: number, rejected: number, 
/**
 * Push batches sent (a batch sent again after a lost answer counts once).
 */
batches: number, 
/**
 * Rows pulled and applied here, rows pulled but older than what is here, rows that could not be applied.
 */
pulled: number, kept_local: number, skipped: number, duration_ms: number, };

export type SyncProgress = { 
/**
 * "push" or "pull".
 */
stage: string, 
/**
 * The table being pulled (pull only).
 */
table: string | null, done: number, 
/**
 * Rows to push (push only; a pull does not know its total).
 */
total: number | null, };

export type RejectedChange = { table: string, row_id: string, 
/**
 * What it is, in words ("Assessment: Divergent … (12 Nov)").
 */
what: string, 
/**
 * The server's code (e.g. 42501: a row of another account) and reason.
 */
code: string, reason: string, at: string, };

export type RejectedRequest = { table: string, row_id: string, };

export type TeamRole = "facilitator" | "member";

export type Team = { id: string, name: string, description: string | null, 
/**
 * Team results stay hidden until this many consenting members answered (never fewer than 3).
 */
min_responses: number, 
/**
 * Deleted by a facilitator: shown so members are told; their own data stays theirs.
 */
deleted: boolean, role: TeamRole, 
/**
 * Whether this person's results for the team's rounds count in its team results.
 */
consent: boolean, members: number, open_rounds: number, };

export type CreateTeamRequest = { 
/**
 * 1–80 characters.
 */
name: string, 
/**
 * At most 2,000 characters.
 */
description?: string, 
/**
 * 3–1,000 (default 5).
 */
min_responses?: number, };

export type UpdateTeamRequest = { team_id: string, name?: string, description?: string, min_responses?: number, };

export type TeamRequest = { team_id: string, };

export type InviteRequest = { team_id: string, 
/**
 * How many people may join with it (1–10,000); none: any number until it expires.
 */
max_uses?: number, 
/**
 * How long it works, 1–90 days (default 7).
 */
valid_days?: number, };

export type Invite = { id: string, team_id: string, 
/**
 * "ABCD-EFGH-JKLM" (letters and digits that are not easily confused; case and dashes do not matter).
 */
code: string, 
/**
 * The same code as a link, `compilar://join/ABCD-EFGH-JKLM`, for an email or a chat: the join field (and
 * `compilar-cli team join`) take it pasted as it is.
 */
link: string, expires_at: string, uses_left: number | null, };

export type InviteInfo = { id: string, team_id: string, created_at: string, expires_at: string, 
/**
 * How many more people may join with it; `null`: any number until it expires.
 */
uses_left: number | null, 
/**
 * Made by the signed-in facilitator (otherwise by another facilitator, `made_by`).
 */
made_by_me: boolean, made_by: string | null, };

export type RevokeInviteRequest = { invite_id: string, };

export type JoinRequest = { 
/**
 * The invitation code (at most 64 characters; case, spaces and dashes do not matter), or its link
 * `compilar://join/CODE` (at most 80 characters).
 */
code: string, };

export type MemberRequest = { team_id: string, user_id: string, };

export type RoleRequest = { team_id: string, user_id: string, role: TeamRole, };

export type ConsentRequest = { team_id: string, consent: boolean, };

export type Member = { user_id: string, email: string | null, role: TeamRole, joined_at: string, 
/**
 * Whether they share their results with the team: shown to facilitators and to the member themself,
 * `null` to other members.
 */
consent: boolean | null, 
/**
 * This is the signed-in person.
 */
me: boolean, };

export type StartRoundRequest = { team_id: string, mode: string, 
/**
 * One pillar of the mode; none: a full profile (all five pillars).
 */
pillar?: string, 
/**
 * When answers are due (RFC 3339, in the future).
 */
due_at?: string, 
/**
 * A message to the members (at most 2,000 characters).
 */
message?: string, };

export type RoundRequest = { round_id: string, };

export type MyRoundAnswer = { 
/**
 * The assessment (for a full profile round: the latest of its pillars).
 */
assessment_id: string, completed: boolean, 
/**
 * Whether it still waits to be sent to the team's project.
 */
waiting_to_sync: boolean, };

export type Round = { id: string, team_id: string, team_name: string, 
/**
 * The round's number within its team (1 for the first).
 */
number: number, 
/**
 * None: a full profile of the mode.
 */
pillar: string | null, 
/**
 * The pillar's name ("Group Prospects"), or "Full profile".
 */
title: string, 
/**
 * What tells it apart in a list: "Round 3 · Group Prospects · 7 Dec".
 */
label: string, mode: string, message: string | null, due_at: string | null, created_at: string, closed_at: string | null, 
/**
 * Consenting members who completed it.
 */
responses: number, members: number, 
/**
 * The team's threshold.
 */
needed: number, mine: MyRoundAnswer | null, };

export type OpenRounds = { rounds: Array<Round>, 
/**
 * When the project could not be reached: when this list was read from it (RFC 3339). `null` when it is
 * the project's list now. Response counts in a kept list are as they were then; this person's own
 * answers are read from this computer either way.
 */
kept_from: string | null, };

export type ResultFigure = { pillar: string, pillar_name: string, force: string | null, force_name: string | null, 
/**
 * How many people it is over (one value each; always all of the shown set).
 */
n: number, 
/**
 * The team's mean, in whole points (the server rounds it: no finer figure leaves it).
 */
mean: number, 
/**
 * The mean's band (as a single result's score would be).
 */
band: Band, 
/**
 * The standard deviation of the people's scores, in whole points.
 */
sd: number, 
/**
 * How far apart the people's views are, from the standard deviation.
 */
spread: Spread, 
/**
 * The spread in words: "Views close together", "Views differ somewhat", "Views differ widely".
 */
spread_label: string, 
/**
 * People per band of scores: below 20, 20–40, 40–60, 60–80, 80 and above. (There is no minimum or
 * maximum: those would be someone's own score.)
 */
histogram: Array<number>, 
/**
 * This person's own score for it (from their assessment of the round on this computer).
 */
mine: number | null, };

export type Spread = "close" | "some" | "wide";

export type RoundState = "below_threshold" | "shown" | "shown_earlier" | "held_back";

export type RoundResults = { round_id: string, 
/**
 * The round's number within its team.
 */
number: number, 
/**
 * "Round 3 · Group Prospects · 7 Dec": the round told apart from the team's others.
 */
round_label: string, state: RoundState, 
/**
 * The state in words ("3 of 5 needed").
 */
label: string, responses: number, members: number, needed: number, 
/**
 * How many responses the figures are over.
 */
counted: number | null, pillar: string | null, mode: string, title: string, created_at: string | null, closed_at: string | null, figures: Array<ResultFigure>, };

export type TeamResults = { team_id: string, rounds: Array<RoundResults>, };

export type TeamResultsRequest = { team_id: string, 
/**
 * How many of the latest rounds, 1–50 (default 20).
 */
last?: number, };

export type TeamReportRequest = { team_id: string, round_id: string, 
/**
 * Use the offline coach even when a model is available.
 */
offline?: boolean, 
/**
 * Providers to skip ("retry with another provider").
 */
exclude?: Array<string>, };

/** The most characters a person may type in each text column of the synced tables (from records.rs). */
export const LIMITS = {
  full_profiles: { group_label: 80, note: 2000 },
  assessments: { pillar: 128, group_label: 80, note: 2000 },
  generated_questions: { pillar: 128, force: 128, text: 400, provider: 128, model: 128 },
  coach_reports: { provider: 128, provider_label: 128, model: 128, content: 1000000, notice: 4000 },
  goals: { pillar: 128, force: 128, group_label: 80, title: 200, practice: 2000, practice_ref: 128, review_on: 10, closed_reason: 500 },
  goal_checkins: { note: 1000 },
  conversations: { title: 200 },
  messages: { content: 1000000, provider: 128, provider_label: 128, model: 128, notice: 4000 },
} as const;
