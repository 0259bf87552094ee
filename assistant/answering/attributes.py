"""The attributes a question can ask for (fee, deadline, body…): the cue that asks, the words that name it, the value it needs.

`question.analyse` takes the first attribute whose cue the question matches, so the order is the
precedence (a question opening with "who" tries the body first). Reorder with care: the cases are
pinned in tests/test_answering_units.py.
"""
from __future__ import annotations

# attribute -> (question cue, words that name the attribute in a sentence, value the answer needs)
# Values: amount (a number with a unit or currency), number, percent, date, duration, actor, country, language.
ATTRIBUTES: list[tuple[str, str, tuple[str, ...], str]] = [
    # "cost" asks for a sum in "what does it cost", "the cost of"; "the simple cost, investment comparison
    # and benchmark approaches" names methods.
    ("fee", r"\b(fees?|charges?|(how much|what)\b[^?]{0,40}\bcosts?(?! analysis| comparison| benefit| effective)|"
            r"costs? (of|to|for|per)|price[sd]?|levy|levies|pay|paid|payable|payment)\b",
     ("fee", "charge", "cost", "price", "levy", "pay", "paid", "payable", "payment", "usd", "us$", "$", "inr", "eur"),
     "amount"),
    ("penalty", r"\b(penalt(y|ies)|fines?|sanctions?|punish\w*)\b",
     ("penalty", "fine", "sanction", "liable", "punish"), "amount"),
    ("percent", r"\b(percentage|percentile|per ?cent|share|proportion|what fraction)\b",
     ("percent", "per cent", "%", "share", "proportion"), "percent"),
    # "How often…" asks for an interval; "periodically" names it without stating one.
    ("frequency", r"\b(how often|how frequently|at what intervals?|how many times)\b",
     ("every", "each", "annual", "annually", "periodic", "periodically", "once", "interval", "frequency", "times"),
     "duration"),
    ("deadline", r"\b(deadlines?|time ?limits?|within how long|"
                 r"within how many (calendar |business |working )?(days|weeks|months|years)|"
                 r"how (many|long) (days|weeks|months|years)|"
                 r"how (soon|quickly)|no later than|by when)\b",
     ("within", "day", "week", "month", "year", "deadline", "later than", "prior to", "before"), "duration"),
    ("duration", r"\b(how long|how far back|what ([\w-]+ ){0,2}(period|duration|length)|for how many years|"
                 r"lifetime|valid for|what is the (\w+ ){0,2}(period|duration|term|lifetime|validity))\b",
     ("year", "month", "day", "period", "duration", "length"), "duration"),
    # "when" asks for a date as the question word ("When did…", "and when was…"), not as a clause
    # ("When we list the alternatives, which scenarios…", "What must a project do when its…").
    ("date", r"\b(when (?=(and|did|does|do|is|was|were|will|can|could|must|should|would|has|have|had|are|may|shall)\b)|"
             r"(what|which) ([\w-]+ ){0,2}(date|year)|on what date|since when|"
             # "the project start date" is a defined term whose definition holds no date.
             r"what (is|was|are|were) (the|its|their|[\w-]+'s) ([\w-]+ ){0,3}(?<!start )(date|day)s?)\b",
     ("date", "year", "signed", "adopted", "entered", "launched", "published"), "date"),
    # "Which countries…" asks for names ("Peru, Ghana and Senegal"), not "3 per cent of Parties".
    # Not "What yardsticks do countries cite…": there the countries are the subject, not the answer.
    ("country", r"\b(which|what) ((?!(do|does|did|have|has|had|must|can|should|will|would|are|is|were|was)\b)"
                r"[\w-]+ ){0,2}(countries|country|nations?)\b",
     ("country", "countries", "nation", "nations", "party", "parties"), "country"),
    ("language", r"\b(which|what) ([\w-]+ ){0,2}languages?\b", ("language", "languages", "translated", "translation"),
     "language"),
    # "Who approves…", "…, and who has to sign off"; not a relative "the expert who substantiates…".
    ("body", r"(?:^|[.?!,;:(]\s*|\b(?:and|or|but|to|by|from|with|for)\s+)(?:who|whom)\b|"
             r"\b(which (body|entity|organi[sz]ation|authority|agency|ministry|institution|committee|"
             r"party|parties|actor|department|board)|which [\w-]+ (ministry|authority|agency|body|institution|"
             r"committee|organi[sz]ation|department|board)|what (body|entity|organi[sz]ation|authority|agency|ministry|"
             r"institution|committee|board))\b",
     ("board", "committee", "ministry", "authority", "agency", "secretariat", "panel", "body", "government",
      "registry", "verra", "vvb", "doe", "party", "parties", "administrator", "bureau", "council"), "actor"),
    ("count", r"\b(how many|number of|what number|quorum)\b", (), "number"),
    # "What information must the notice contain?", "What qualifications must the expert have?": answered by a
    # sentence that sets out the contents ("shall include the following information"), not by one naming the
    # notice. The 13 dev questions that ask so all ask for contents the documents never list.
    ("contents", r"\b(what|which) ([\w-]+ ){0,2}(information|criteria|criterion|details|statements|warranties|"
                 r"indicators|contents|particulars|qualifications?|credentials|test)\b|"
                 r"\bwhat (must|should|shall|does|do|will|has to|have to) [^?]{0,80}\b(contain|include)\b",
     ("include", "includes", "including", "contain", "contains", "following", "comprise", "comprises", "consist",
      "consists", "criteria", "criterion", "information", "qualifications", "qualified", "accredited", "accreditation",
      "specify", "specifies", "details", "particulars"), ""),
    # "How much certainty does reasonable assurance give?", "How much discretion has the Board?" ask how
    # much of a quality: "high, but not absolute" answers, and no figure is missing when none is given.
    ("amount", r"\b(how much(?! (certainty|assurance|discretion|flexibility|latitude|leeway|freedom|autonomy|say|"
               r"influence|control|weight|emphasis|attention|scrutiny|detail|transparency|independence)\b)|"
               r"how (large|big|high|low|far|deep|wide|tall)|what (amount|quantity|volume|threshold|limit|"
               r"minimum|maximum|rate|value|level|target|factor|figure|size|cap|ceiling|floor|benchmark)|"
               r"what ([\w-]+ ){1,4}"
               r"(value|target|factor|threshold|limit|rate|benchmark|cap|level)s?\b"
               # "What is the official combined margin grid emission factor…": the noun comes late.
               r"|what (is|are|was|were) (the|its|their|[\w-]+'s) ([\w-]+ ){0,5}"
               r"(value|factor|threshold|limit|rate|benchmark|cap|ceiling|amount|quantity|volume|size|capacity|"
               # not "area" or "stock": "the project area" and "carbon stock" are defined terms
               r"population)s?\b)"
               # "the per-hectare carbon stock", "emissions per capita": a quantity per unit
               r"|\bper[- ](hectare|ha|capita|head|tonne|unit|mwh|kwh|annum)\b"
               r"|(?<!at a )(?<!as a )\b(minimum|maximum|threshold|at least|at most)\b", (), "number"),
]
