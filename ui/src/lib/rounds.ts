// Answering a group round: one's own answer to it when there is one (its result, or the quiz where it
// stopped), otherwise a new assessment tied to the round (a full profile for a round of all five pillars).
// Used by the Round page, and by Home while the team's project cannot be reached.
import type { Round } from "./bindings";
import { commands } from "./commands";
import { go } from "./state.svelte";

export async function answerRound(round: Round): Promise<void> {
  if (round.mine) {
    go(round.mine.completed ? { name: "results", id: round.mine.assessment_id } : { name: "quiz", id: round.mine.assessment_id });
    return;
  }
  const a = round.pillar
    ? await commands.createAssessment({ pillar: round.pillar, mode: round.mode, round_id: round.id })
    : await commands.startFullProfile({ mode: round.mode, round_id: round.id });
  go({ name: "quiz", id: a.id });
}
