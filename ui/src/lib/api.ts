// Typed calls to the core. Every command returns its value or rejects with an ErrorPayload.
import { Channel, invoke } from "@tauri-apps/api/core";
import type {
  DocumentInfo,
  EmbeddingModels,
  ImportDocumentRequest,
  ImportProgress,
  SwitchModelRequest,
  SwitchProgress,
  AiSettings,
  AskRequest,
  BreakerControlRequest,
  KnowledgeStatus,
  SearchReply,
  SearchRequest,
  ConnectionTest,
  LlmSettings,
  LlmStatus,
  SaveProvidersRequest,
  SetKeyRequest,
  StreamEvent,
  AnswerAck,
  AnswerRequest,
  Assessment,
  AssessmentPage,
  AssessmentRef,
  CreateAssessmentRequest,
  Diagnostics,
  ErrorPayload,
  FrameworkInfo,
  ListRequest,
} from "./bindings";

/** Turns anything a command may reject with into an ErrorPayload the UI can show. */
export function toErrorPayload(e: unknown): ErrorPayload {
  if (typeof e === "object" && e !== null) {
    const o = e as Record<string, unknown>;
    if (typeof o.code === "string" && typeof o.message === "string") {
      return { code: o.code, message: o.message, retryable: o.retryable === true };
    }
  }
  if (typeof e === "string" && e.length > 0) {
    // Tauri reports argument errors as plain strings; they mean the UI sent something the core cannot read.
    return { code: "invalid_argument", message: e, retryable: false };
  }
  return { code: "internal", message: "Something went wrong inside Compilar.", retryable: false };
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw toErrorPayload(e);
  }
}

export const api = {
  framework: () => call<FrameworkInfo>("framework"),
  createAssessment: (req: CreateAssessmentRequest) => call<Assessment>("create_assessment", { req }),
  answer: (req: AnswerRequest) => call<AnswerAck>("answer", { req }),
  completeAssessment: (id: string) => call<Assessment>("complete_assessment", { id }),
  getAssessment: (id: string) => call<Assessment>("get_assessment", { id }),
  listAssessments: (req: ListRequest) => call<AssessmentPage>("list_assessments", { req }),
  deleteAssessment: (id: string) => call<AssessmentRef>("delete_assessment", { id }),
  restoreAssessment: (id: string) => call<Assessment>("restore_assessment", { id }),
  diagnostics: () => call<Diagnostics>("diagnostics"),
  llmSettings: () => call<LlmSettings>("llm_settings"),
  saveProviderSettings: (req: SaveProvidersRequest) => call<LlmSettings>("save_provider_settings", { req }),
  saveAiSettings: (ai: AiSettings) => call<LlmSettings>("save_ai_settings", { ai }),
  setApiKey: (req: SetKeyRequest) => call<LlmSettings>("set_api_key", { req }),
  removeApiKey: (provider: string) => call<LlmSettings>("remove_api_key", { provider }),
  testProvider: (provider: string) => call<ConnectionTest>("test_provider", { provider }),
  llmStatus: () => call<LlmStatus>("llm_status"),
  controlBreaker: (req: BreakerControlRequest) => call<LlmStatus>("control_breaker", { req }),
  searchKnowledge: (req: SearchRequest) => call<SearchReply>("search_knowledge", { req }),
  knowledgeStatus: () => call<KnowledgeStatus>("knowledge_status"),
  listDocuments: () => call<DocumentInfo[]>("list_documents"),
  deleteDocument: (id: string) => call<null>("delete_document", { id }),
  cancelImport: (importId: string) => call<boolean>("cancel_import", { importId }),
  /** Imports a file; `onProgress` hears every stage. */
  importDocument: (req: ImportDocumentRequest, onProgress: (p: ImportProgress) => void) => {
    const channel = new Channel<ImportProgress>();
    channel.onmessage = onProgress;
    return call<DocumentInfo>("import_document", { req, onProgress: channel });
  },
  embeddingModels: () => call<EmbeddingModels>("embedding_models"),
  cancelModelSwitch: () => call<boolean>("cancel_model_switch"),
  /** Switches the search model; resolves when every passage has been embedded by it. */
  switchEmbeddingModel: (req: SwitchModelRequest, onProgress: (p: SwitchProgress) => void) => {
    const channel = new Channel<SwitchProgress>();
    channel.onmessage = onProgress;
    return call<EmbeddingModels>("switch_embedding_model", { req, onProgress: channel });
  },
  cancelStream: (requestId: string) => call<boolean>("cancel_stream", { requestId }),
  /** Streams an answer: `onEvent` gets every event; resolves with the last one (`done` or `error`). */
  askStream: (req: AskRequest, onEvent: (e: StreamEvent) => void) => {
    const channel = new Channel<StreamEvent>();
    channel.onmessage = onEvent;
    return call<StreamEvent>("ask_stream", { req, onEvent: channel });
  },
};
