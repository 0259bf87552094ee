"""The register as answer evidence: obligations that bear on a question about what a rule requires or allows."""
from __future__ import annotations

from typing import Callable

from assistant.answering.question import asked_modality
from assistant.compliance.obligations import ObligationRegister
from assistant.compliance.query import matching_obligations
from assistant.models import Answer

# A register row is shown beside an answer when its match score (share of the question's IDF mass it
# covers, plus actor and modality bonuses) reaches this. Chosen on the dev split's 77 questions about a
# duty or permission: at 0.8, 68 % of the rows shown lie on a gold page or state a key fact and 4 of 37 sit
# under unanswerable questions; at 0.45, 33 % and 38 of 180.
MIN_MATCH = 0.8
PASSAGES = 5  # only documents among the answer's best passages: the register is not a second retriever
FIELDS = ("doc_id", "title", "version", "page", "page_label", "section", "quote", "lead_in", "modality",
          "actor", "actor_surface", "deadline", "condition", "crossrefs")


def obligations_for(answer: Answer, register: Callable[[], ObligationRegister], k: int = 3) -> list[dict]:
    """Up to k register obligations matching the answer's question, strongest first; [] for other questions.

    `register` is called only for such questions (building it takes seconds once per index version).

    "What must the VVB do before the first verification?" asks about a duty: the register lists each
    duty with its actor, deadline and condition, which a quoted sentence alone does not spell out.
    """
    question = answer.standalone_question or answer.question
    if not asked_modality(question):
        return []
    docs = list(dict.fromkeys(p.doc_id for p in answer.passages[:PASSAGES]))
    if not docs:
        return []
    out = []
    for m in matching_obligations(question, register(), docs, k):
        if m.score >= MIN_MATCH:
            row = m.obligation.to_dict()
            out.append({**{f: row[f] for f in FIELDS}, "score": m.score})
    return out
