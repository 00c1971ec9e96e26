// Generated from the Rust types in crates/compilar-core by `typescript_bindings()`.
// Do not edit: run `UPDATE_BINDINGS=1 cargo test -p compilar-core bindings` after changing a type.

export type ErrorPayload = { 
/**
 * Stable machine code, e.g. `unknown_pillar`.
 */
code: string, 
/**
 * A sentence for a person.
 */
message: string, 
/**
 * Whether the same action may succeed if tried again.
 */
retryable: boolean, };

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
id: string, pillar: string, mode: string, force: string, text: string, };

export type ConfidenceLevel = "low" | "medium" | "high";

export type ForceScore = { force: string, name: string, 
/**
 * 0–100, `null` when none of the force's questions were answered.
 */
score: number | null, answered: number, total: number, };

export type Recommendation = { force: string, title: string, text: string, };

export type Results = { pillar: string, mode: string, 
/**
 * 0–100.
 */
pillar_score: number, 
/**
 * 0–1: share of questions answered.
 */
confidence: number, confidence_level: ConfidenceLevel, answered: number, total: number, 
/**
 * One entry per force of the pillar, in framework order.
 */
forces: Array<ForceScore>, strongest: string, weakest: string, insights: Array<string>, recommendations: Array<Recommendation>, };

export type Stage = "quiz" | "completed";

export type FrameworkInfo = { framework: Framework, scale: Scale, 
/**
 * Number of questions in an assessment of each pillar.
 */
questions_per_pillar: Record<string, number>, };

export type CreateAssessmentRequest = { pillar: string, mode: string, };

export type AnswerRequest = { assessment_id: string, question_id: string, value: number, };

export type AnswerAck = { assessment_id: string, question_id: string, value: number, };

export type Assessment = { id: string, pillar: string, mode: string, stage: Stage, questions: Array<Question>, 
/**
 * Question id → value on the scale.
 */
answers: Record<string, number>, answered: number, total: number, results: Results | null, created_at: string, updated_at: string, completed_at: string | null, deleted_at: string | null, };

export type ListRequest = { pillar?: string, mode?: string, 
/**
 * Page size, 1–100 (default 20).
 */
limit?: number, offset?: number, };

export type AssessmentSummary = { id: string, pillar: string, pillar_name: string, mode: string, stage: Stage, answered: number, total: number, pillar_score: number | null, created_at: string, updated_at: string, completed_at: string | null, };

export type AssessmentPage = { items: Array<AssessmentSummary>, 
/**
 * All live assessments matching the filter.
 */
total: number, limit: number, offset: number, };

export type AssessmentRef = { id: string, };

export type Diagnostics = { app_version: string, data_dir: string, database_path: string, log_dir: string, sqlite_version: string, vec_version: string, schema_version: number, framework_version: number, question_bank_version: number, questions: number, assessments: number, };
