"""A question without its conversational wrapping: "Could you tell me what a VVB is?" asks "what a VVB is".

Users do not write in the form the question cues expect. Before this step "What's an ITMO?",
"Could you tell me what a validation/verification body is?" and "What is leakage, exactly?" were not
read as asking for a definition, so the glossary entry that answers them was never offered.
"""
from __future__ import annotations

import re

# The words a question opens with: a wh-word or an auxiliary.
_ASKING = (r"(?:what|which|who|whom|whose|when|where|why|how|is|are|was|were|does|do|did|can|could|must|should|"
           r"shall|may|might|will|would|has|have|had)\b")
_ASKS = re.compile(_ASKING, re.I)
_CONTRACTIONS = (
    (re.compile(r"\b(what|who|how|where|when|which)['’]s\b", re.I), r"\1 is"),
    (re.compile(r"\b(what|who|which)['’]re\b", re.I), r"\1 are"),
)
# Openers that only set the tone: "So,", "Quick question:", "In plain words,", "Briefly,". Without punctuation
# only before the question word: "So far, how many…" and "Now that the CCTS is notified, …" keep theirs.
_OPENER = re.compile(
    r"^(?:(?:so|ok(?:ay)?|well|hi|hello|hey|also|and|now|quick question|briefly|in short|in a nutshell|simply put|"
    r"in (?:plain|simple|layman['’]?s?) (?:words|terms|english|language))"
    rf"(?:\s*[,:;!]+\s*|\s+[-–—]+\s+|\s+(?={_ASKING})))+", re.I)
# Requests that wrap the question itself: "Could you please tell me what …", "I'd like to know how …". Taken
# off only before the question they wrap; "Could you explain leakage?" keeps its verb (`_ASK_VERB`).
_REQUEST = re.compile(
    r"^(?:(?:please\s+)?(?:could|can|would|will) you (?:please\s+)?(?:tell me|explain(?: to me)?|clarify|say|"
    r"let (?:me|us) know)|(?:i|we)(?:['’]d| would) like to (?:know|understand)|(?:i|we) (?:want|need) to "
    r"(?:know|understand)|(?:i|we) (?:am|are|was|were) wondering|i wonder|do you know|(?:please\s+)?tell (?:me|us))"
    r"\s*[,:]?\s+(?=(?:what|who|whom|which|when|where|how|why)\b)", re.I)
_ASK_VERB = re.compile(r"^(?:please\s+)?(?:(?:could|can|would|will) you (?:please\s+)?)?(?=(?:explain|define|describe)\b)",
                       re.I)
# Hedges at the end: "…, exactly?", "… in simple terms?", "… please?".
_TAIL = re.compile(
    r"\s*,?\s*\b(?:exactly|precisely|briefly|please|in (?:plain|simple|layman['’]?s?) (?:words|terms|english|language)|"
    r"in a nutshell|in short|in one sentence)\s*(?=[?.!]*$)", re.I)
# "Leakage: what is it?" / "Leakage - what does it mean?": the term stands before the question.
_TERM_THEN_ASK = re.compile(
    r"^(?P<term>[^:?,]{2,60}?)\s*(?::|,|\s[-–—]+)\s*what (?:is|are|does|do) (?:it|they|that|this)(?: (?:mean|means))?"
    r"\s*(?P<end>[?.!]*)$", re.I)
# An indirect question left by a request: "what leakage means" asks "what does leakage mean".
_INDIRECT_MEANS = re.compile(r"^what (?P<term>.{2,60}?) (?:means|stands for|refers to)\s*(?P<end>[?.!]*)$", re.I)


def plain(question: str) -> str:
    """The question with contractions opened and conversational openers, requests and hedges taken off."""
    q = " ".join(question.split())
    for pat, rep in _CONTRACTIONS:
        q = pat.sub(rep, q)
    before = None
    while before != q:  # "So, could you tell me …" has an opener and a request
        before = q
        q = _ASK_VERB.sub("", _REQUEST.sub("", _OPENER.sub("", q)))
    q = _TAIL.sub("", q)
    m = _TERM_THEN_ASK.match(q)
    if m:
        q = f"What is {m.group('term').strip()}{m.group('end') or '?'}"
    m = _INDIRECT_MEANS.match(q)
    if m:
        q = f"What does {m.group('term')} mean{m.group('end') or '?'}"
    # "what is the ndc target" typed without its mark reads as the question it is (the models saw them with one)
    if q and q[-1] not in "?.!" and _ASKS.match(q):
        q += "?"
    return q[:1].upper() + q[1:] if q else question
