// Generated from src-tauri/src/command_list.rs by `commands::typescript()`. Do not edit: run
// `UPDATE_BINDINGS=1 cargo test -p compilar commands` after changing a command.
import type { AiSettings, AnswerAck, AnswerRequest, AskRequest, Assessment, AssessmentPage, AssessmentRef, BreakerControlRequest, ConnectionTest, CreateAssessmentRequest, Diagnostics, DocumentInfo, EmbeddingModels, FrameworkInfo, ImportDocumentRequest, ImportProgress, JobInfo, KnowledgeStatus, ListRequest, LlmSettings, LlmStatus, RecoveryAction, RecoveryOutcome, RecoveryStatus, SaveProvidersRequest, SearchReply, SearchRequest, SetKeyRequest, StreamEvent, SwitchModelRequest, SwitchProgress } from "./bindings";
import { call, channelOf } from "./invoke";

/** Every command of the core, typed. Each resolves with its reply or rejects with an ErrorPayload. */
export const commands = {
  framework: (): Promise<FrameworkInfo> => call<FrameworkInfo>("framework"),
  createAssessment: (req: CreateAssessmentRequest): Promise<Assessment> => call<Assessment>("create_assessment", { req }),
  answer: (req: AnswerRequest): Promise<AnswerAck> => call<AnswerAck>("answer", { req }),
  completeAssessment: (id: string): Promise<Assessment> => call<Assessment>("complete_assessment", { id }),
  getAssessment: (id: string): Promise<Assessment> => call<Assessment>("get_assessment", { id }),
  listAssessments: (req: ListRequest): Promise<AssessmentPage> => call<AssessmentPage>("list_assessments", { req }),
  deleteAssessment: (id: string): Promise<AssessmentRef> => call<AssessmentRef>("delete_assessment", { id }),
  restoreAssessment: (id: string): Promise<Assessment> => call<Assessment>("restore_assessment", { id }),
  diagnostics: (): Promise<Diagnostics> => call<Diagnostics>("diagnostics"),
  llmStatus: (): Promise<LlmStatus> => call<LlmStatus>("llm_status"),
  controlBreaker: (req: BreakerControlRequest): Promise<LlmStatus> => call<LlmStatus>("control_breaker", { req }),
  jobs: (): Promise<Array<JobInfo>> => call<Array<JobInfo>>("jobs"),
  llmSettings: (): Promise<LlmSettings> => call<LlmSettings>("llm_settings"),
  saveProviderSettings: (req: SaveProvidersRequest): Promise<LlmSettings> => call<LlmSettings>("save_provider_settings", { req }),
  saveAiSettings: (ai: AiSettings): Promise<LlmSettings> => call<LlmSettings>("save_ai_settings", { ai }),
  setApiKey: (req: SetKeyRequest): Promise<LlmSettings> => call<LlmSettings>("set_api_key", { req }),
  removeApiKey: (provider: string): Promise<LlmSettings> => call<LlmSettings>("remove_api_key", { provider }),
  testProvider: (provider: string): Promise<ConnectionTest> => call<ConnectionTest>("test_provider", { provider }),
  askStream: (req: AskRequest, onEvent: (event: StreamEvent) => void): Promise<StreamEvent> => call<StreamEvent>("ask_stream", { req, onEvent: channelOf(onEvent) }),
  cancelStream: (requestId: string): Promise<boolean> => call<boolean>("cancel_stream", { requestId }),
  searchKnowledge: (req: SearchRequest): Promise<SearchReply> => call<SearchReply>("search_knowledge", { req }),
  knowledgeStatus: (): Promise<KnowledgeStatus> => call<KnowledgeStatus>("knowledge_status"),
  cancelImport: (importId: string): Promise<boolean> => call<boolean>("cancel_import", { importId }),
  listDocuments: (): Promise<Array<DocumentInfo>> => call<Array<DocumentInfo>>("list_documents"),
  deleteDocument: (id: string): Promise<null> => call<null>("delete_document", { id }),
  embeddingModels: (): Promise<EmbeddingModels> => call<EmbeddingModels>("embedding_models"),
  switchEmbeddingModel: (req: SwitchModelRequest, onProgress: (event: SwitchProgress) => void): Promise<EmbeddingModels> => call<EmbeddingModels>("switch_embedding_model", { req, onProgress: channelOf(onProgress) }),
  cancelModelSwitch: (): Promise<boolean> => call<boolean>("cancel_model_switch"),
  recoveryStatus: (): Promise<RecoveryStatus> => call<RecoveryStatus>("recovery_status"),
  recover: (action: RecoveryAction): Promise<RecoveryOutcome> => call<RecoveryOutcome>("recover", { action }),
  chooseDocuments: (): Promise<Array<string>> => call<Array<string>>("choose_documents"),
  importDocument: (req: ImportDocumentRequest, onProgress: (event: ImportProgress) => void): Promise<DocumentInfo> => call<DocumentInfo>("import_document", { req, onProgress: channelOf(onProgress) }),
  openExternal: (url: string): Promise<null> => call<null>("open_external", { url }),
};
