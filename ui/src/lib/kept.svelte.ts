// What a page keeps while the app runs, so leaving and coming back finds it as it was: the Knowledge search
// (query, filters, results) and the History filters. Not saved to disk: a new start begins fresh.
import type { SearchReply } from "./bindings";

export const knowledgeSearch = $state<{
  query: string;
  mode: string;
  pillar: string;
  category: string;
  source: string;
  reply: SearchReply | null;
}>({ query: "", mode: "", pillar: "", category: "", source: "", reply: null });

export const historyFilters = $state<{ mode: string; pillar: string; group: string }>({ mode: "", pillar: "", group: "" });
