"""The normative-sentence parser: modalities and their look-alikes, actors, deadlines, conditions, references."""
from __future__ import annotations

import pytest

from assistant.normative.actors import family_of, normalise_actor
from assistant.normative.sentence import parse_sentence


@pytest.mark.parametrize("text,modality", [
    ("The project proponent shall submit the monitoring report.", "duty"),
    ("Validation/verification bodies must assess the project.", "duty"),
    ("The project proponent is required to notify Verra.", "duty"),
    ("Evidence has to be provided for each parameter.", "duty"),
    ("Their vintage needs to be determined from the start date.", "duty"),
    ("Projects shall not be eligible for crediting of past periods.", "prohibition"),
    ("The project proponent must not transfer the credits.", "prohibition"),
    ("Projects may not seek credits for natural regeneration.", "prohibition"),
    ("Buffer credits shall never be released back to the project.", "prohibition"),
    ("No logging activities shall take place.", "prohibition"),
    ("The project proponent may request a deviation.", "permission"),
    ("The project developer can add new areas to a project.", "permission"),
    ("Values from literature may be verified against measurements.", "permission"),
    ("The project proponent is permitted to use the older version.", "permission"),
    ("Project proponents should use the latest data sources.", "recommendation"),
])
def test_modalities(text, modality):
    """Each modal maps to its modality, negations to prohibitions."""
    got = parse_sentence(text, "verra")
    assert got is not None and got.modality == modality


@pytest.mark.parametrize("text", [
    "Project means an activity that reduces GHG emissions.",
    "Crediting period shall mean the period for which credits are issued.",
    "Tree planting refers to the activity of putting trees in the ground.",
    "Emissions may increase where the grid expands.",
    "There may be differences between the two approaches.",
    "Biomass carbon stocks can increase as the forest re-grows.",
    "Further specification can be found in the VCS Methodology Requirements.",
    "Updated to clarify that project proponents shall report annually.",
    "It should be read in conjunction with the Claims Guidelines.",
    "At verification, the size of the project becomes fixed.",
    "As of 31 May 2024, the share of non-fossil sources rose.",
])
def test_not_obligations(text):
    """Definitions, possibility, revision notes, reading guidance and plain statements are not obligations."""
    assert parse_sentence(text, "verra") is None


def test_glossary_documents_have_no_obligations():
    """A glossary entry that sounds normative is still a definition."""
    assert parse_sentence("It may be determined based on market data.", "cdm", glossary=True) is None


@pytest.mark.parametrize("text,family,actor", [
    ("The validation/verification body shall use the template.", "verra", "VVB"),
    ("The Project Developer shall analyse the possible effects.", "gold-standard", "project developer"),
    ("Project participants shall identify the relevant electricity system.", "cdm", "project participant"),
    ("Projects shall complete validation by 30 June 2023.", "verra", "project"),
    ("The number of instances included in the project shall be proportional to the sample.", "verra", "unspecified"),
    ("The monitoring report shall be submitted to Verra by the project proponent.", "verra", "project proponent"),
    ("Such areas shall be specified by geodetic polygons.", "verra", "unspecified"),
    ("Credits shall be deposited based on the report assessed by the validation/verification body.", "verra",
     "unspecified"),
    ("The NIM shall be willing to be contacted by the auditor.", "gold-standard", "other"),
    ("If the project participants opt to limit the area, then they shall provide justification.", "cdm",
     "project participant"),
])
def test_actors(text, family, actor):
    """Subject or 'by' agent, normalised per family; passives without an agent stay unspecified."""
    assert parse_sentence(text, family).actor == actor


def test_family_vocabulary():
    """The same role is named in each family's own words."""
    assert normalise_actor("project proponents", "gold-standard") == "project developer"
    assert normalise_actor("the DOE", "cdm") == "DOE"
    assert family_of("verra-vcs-standard-v4.7-2024") == "verra"
    assert family_of("cdm-tool01-additionality-v07.0.0-2012") == "cdm"


@pytest.mark.parametrize("text,deadline", [
    ("The Gold Standard shall notify the Project Developer (within 7 days of submission).", "within 7 days of submission"),
    ("Projects shall complete validation by 30 June 2023.", "by 30 June 2023"),
    ("Project proponents shall pay the fees before the VCUs are labeled.", "before the VCUs are labeled"),
    ("Verification shall be completed at least every 5 years.", "at least every 5 years"),
    ("The build margin emission factor shall be updated annually, ex post.", "annually"),
    ("Releases shall not occur more than once every five years, even if reports are issued.", "once every five years"),
    ("The process shall begin no later than the last date of the cycle.", "no later than the last date of the cycle"),
])
def test_deadlines(text, deadline):
    """Time bounds as written, from their keyword to the end of the phrase."""
    assert parse_sentence(text, "verra").deadline == deadline


def test_deadline_inside_condition_is_not_the_obligations():
    """'within one year' belongs to the condition here, not to the obligation."""
    got = parse_sentence("If the developer fails to submit the request within one year, the component shall not be "
                         "eligible for certification.", "gold-standard")
    assert got.modality == "prohibition" and got.deadline is None
    assert got.condition == "If the developer fails to submit the request within one year"


@pytest.mark.parametrize("text,condition", [
    ("Where the project is not eligible to rejoin the program, the project shall remain withdrawn.",
     "Where the project is not eligible to rejoin the program"),
    ("Assumptions shall not differ across alternatives, unless differences can be well substantiated.",
     "unless differences can be well substantiated"),
])
def test_conditions(text, condition):
    """Leading and trailing conditional clauses."""
    assert parse_sentence(text, "cdm").condition == condition


def test_references_are_kept():
    """Section references travel with the obligation for the resolver."""
    got = parse_sentence("Buffer credits shall be cancelled in accordance with Section 5.3.6 below.", "verra")
    assert got.references == ["Section 5.3.6"]
