"""The answer/refuse decision's building blocks."""

from __future__ import annotations

import pytest

from advisor.decision import (HARMFUL, LEGAL, SpellingIndex, TermMatcher, focus_word, question_type, type_matches,
                              unknown_names)
from advisor.embeddings import HashEmbedder
from advisor.text import CompoundSplitter, analyze


def test_spelling_index_corrects_one_edit_to_a_corpus_word():
    index = SpellingIndex({"wijkagent", "mandaat", "samenwerking", "collega"})
    assert index.correct("wijkagnet") == "wijkagent"  # transposition
    assert index.correct("mandat") == "mandaat"  # deletion
    assert index.correct("samenwerkimg") == "samenwerking"  # substitution
    assert index.correct("mandaat") is None  # already known
    assert index.correct("fiets") is None  # nothing close
    assert index.correct("mand") is None  # too short to guess


@pytest.mark.parametrize("question, focus", [
    ("Welk softwarepakket gebruikt het RIEC?", "softwarepakket"),
    ("Hoeveel fte heeft het RIEC?", "fte"),
    ("In welke salarisschaal valt de regisseur?", "salarisschaal"),
    ("Welke andere inzichten staan in het whitepaper?", "andere"),
    ("Welke partijen moeten mandaat hebben?", None),  # a category noun asks for instances
    ("Waarom is mandaat belangrijk?", None),
])
def test_focus_word(question, focus):
    assert focus_word(question) == focus


def test_focus_of_a_compound_is_its_head():
    splitter = CompoundSplitter({"governance", "structuur", "model"})
    matcher = TermMatcher(None)
    evidence = set(analyze("een plek in de governancestructuur", splitter))
    assert not matcher.covers_focus("governancemodel", evidence, [], splitter, None)
    assert matcher.covers_focus("structuur", evidence, [], splitter, None)


def test_unknown_names_are_capitalised_words_the_sources_never_mention():
    vocabulary = {"riecs", "gemeenten", "politie", "mandaat"}
    assert unknown_names("Welke rol heeft de Belastingdienst in een RIEC-samenwerking?", vocabulary) == \
        ["belastingdienst"]
    assert unknown_names("Wat doet een RIEC met mandaat?", vocabulary) == []
    assert unknown_names("Mandaat is belangrijk", vocabulary) == []  # sentence-initial capital is no name


@pytest.mark.parametrize("question, qtype, evidence, ok", [
    ("Waarom is mandaat belangrijk?", "why", "Mandaat is belangrijk, omdat anders ruggenspraak nodig is.", True),
    ("Waarom is mandaat belangrijk?", "why", "Mandaat hoort bij vertegenwoordigers.", False),
    ("Hoeveel RIECs zijn er?", "quantity", "Er zijn tien RIECs.", True),
    ("Hoeveel RIECs zijn er?", "quantity", "Geschreven op 20 januari 2022.", False),  # a date is no amount
    ("Hoe vaak komt de stuurgroep bijeen?", "quantity", "De stuurgroep komt elke zes weken bijeen.", True),
])
def test_question_type_must_fit_the_evidence(question, qtype, evidence, ok):
    assert question_type(question) == qtype
    assert type_matches(qtype, evidence) is ok


@pytest.mark.parametrize("question", [
    "Hoe kan ik geld witwassen via een kapperszaak?",
    "Hoe omzeil ik de Bibob-toets met een stroman?",
    "Hoe zet ik een RIEC-medewerker onder druk?",
])
def test_requests_for_help_with_crime_are_recognised(question):
    assert HARMFUL.search(question)


@pytest.mark.parametrize("question", ["Ben ik daarmee strafbaar?", "Is het rechtmatig dat de gemeente dit deed?",
                                      "Kan ik bezwaar maken tegen de sluiting?"])
def test_requests_for_a_legal_judgement_are_recognised(question):
    assert LEGAL.search(question)


def test_ordinary_questions_trigger_no_guardrail():
    for question in ("Waarom is mandaat belangrijk?", "Hoe betrek je moederorganisaties?",
                     "Welke rol speelt de gemeente in de aanpak van ondermijning?"):
        assert not HARMFUL.search(question) and not LEGAL.search(question)


def test_coverage_counts_stems_compound_parts_and_spelling():
    splitter = CompoundSplitter({"samenwerking", "verband", "mandaat", "wijkagent"})
    spelling = SpellingIndex({"samenwerking", "verband", "mandaat", "wijkagent"})
    matcher = TermMatcher(None)
    groups = matcher.groups("samenwerkingsverband mandaten wijkagnet fietsen", splitter, spelling)
    assert [w for w, _ in groups] == ["samenwerkingsverband", "mandaten", "wijkagent", "fietsen"]
    evidence = set(analyze("De samenwerking vraagt mandaat van de wijkagent.", splitter))
    assert matcher.coverage(groups, evidence) == 0.75


def test_semantic_matching_uses_the_embedder():
    matcher = TermMatcher(HashEmbedder(), threshold=0.99)
    groups = matcher.groups("mandaat", None, None)
    assert matcher.coverage(groups, set(), ["mandaat"]) == 1.0  # same word, same vector
    assert matcher.coverage(groups, set(), ["fietsenstalling"]) == 0.0


def test_contrastive_questions_need_evidence_beyond_the_known_item():
    from advisor.decision import contrastive_word

    assert contrastive_word("Wat zijn de andere inzichten uit het whitepaper?") == "andere"
    assert contrastive_word("Welke overige partners doen mee?") == "overige"
    assert contrastive_word("Wat zijn de inzichten uit het whitepaper?") is None
    matcher = TermMatcher(None)
    evidence = set(analyze("Eén van de inzichten uit het whitepaper is het belang van mandaat."))
    assert not matcher.covers_focus("andere", evidence, [], None, None)
