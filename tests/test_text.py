"""Dutch text analysis: sentences, normalisation, tokens, stopwords, stemming, compounds, question types."""

from __future__ import annotations

import pytest

from advisor.text import (
    STEMMER_ALGORITHM,
    STOPWORDS,
    CompoundSplitter,
    analyze,
    detect_question_type,
    expand_tokens,
    make_stemmer,
    normalize,
    split_sentences,
    stem,
    tokenize,
)

# --- split_sentences ---------------------------------------------------------------------------------------

ABBREVIATIONS = [
    "bijv.", "bv.", "o.a.", "dhr.", "mevr.", "mln.", "mld.", "art.", "nr.", "blz.", "ca.", "d.w.z.", "e.d.", "enz.",
    "etc.", "i.p.v.", "m.b.t.", "t.a.v.", "t.o.v.", "c.q.", "incl.", "excl.", "max.", "min.", "mr.", "dr.", "drs.",
    "ir.", "prof.", "jl.", "zgn.", "resp.", "vs.", "e.a.", "tel.", "p.", "o.b.v.", "z.s.m.",
]


@pytest.mark.parametrize("abbr", ABBREVIATIONS)
@pytest.mark.parametrize("follow", ["Amsterdam", "12"])
def test_abbreviation_does_not_end_sentence(abbr: str, follow: str) -> None:
    text = f"Wij noemen {abbr} {follow} als voorbeeld. Dit is de tweede zin."
    assert split_sentences(text) == [f"Wij noemen {abbr} {follow} als voorbeeld.", "Dit is de tweede zin."]


@pytest.mark.parametrize("abbr", ["Dhr.", "Mevr.", "Prof.", "Bijv.", "Art."])
def test_capitalised_abbreviation_at_sentence_start(abbr: str) -> None:
    text = f"Eerste zin. {abbr} Jansen kwam. Slot."
    assert split_sentences(text) == ["Eerste zin.", f"{abbr} Jansen kwam.", "Slot."]


def test_initials_and_names() -> None:
    text = "Het stuk is van J. de Vries en A.B. Jansen. Zij werken bij de gemeente."
    assert split_sentences(text) == ["Het stuk is van J. de Vries en A.B. Jansen.", "Zij werken bij de gemeente."]


def test_decimals_dates_and_numbers() -> None:
    text = "Het budget steeg met 3.5 procent op 20.01.2022 tot 1.000.000 euro. Dat was in 2022. Daarna 2023."
    assert split_sentences(text) == [
        "Het budget steeg met 3.5 procent op 20.01.2022 tot 1.000.000 euro.", "Dat was in 2022.", "Daarna 2023."]


def test_phone_numbers() -> None:
    text = "Bel ons op 033 467 77 77. Of bel tel. 033-4677777 voor vragen. Wij helpen graag."
    assert split_sentences(text) == [
        "Bel ons op 033 467 77 77.", "Of bel tel. 033-4677777 voor vragen.", "Wij helpen graag."]


def test_month_abbreviation_before_year_but_name_at_end() -> None:
    text = "Het besluit viel op 1 jan. 2022 al. Ik sprak met Jan. Hij was het eens."
    assert split_sentences(text) == ["Het besluit viel op 1 jan. 2022 al.", "Ik sprak met Jan.", "Hij was het eens."]


def test_ellipsis_question_and_exclamation() -> None:
    assert split_sentences("Hij wachtte... Toen kwam ze. Echt? Ja! Mooi…  Klaar.") == [
        "Hij wachtte...", "Toen kwam ze.", "Echt?", "Ja!", "Mooi…", "Klaar."]
    assert split_sentences("Hij wachtte... en wachtte nog langer.") == ["Hij wachtte... en wachtte nog langer."]


def test_no_split_before_lowercase() -> None:
    assert split_sentences("Zie hoofdstuk 3. daarin staat het.") == ["Zie hoofdstuk 3. daarin staat het."]


def test_quotes_and_brackets_after_full_stop() -> None:
    assert split_sentences('Hij zei: "Klaar." Daarna ging hij.') == ['Hij zei: "Klaar."', "Daarna ging hij."]
    assert split_sentences("Zij zei: ‘Nee.’ Toen ging ze.") == ["Zij zei: ‘Nee.’", "Toen ging ze."]
    assert split_sentences("(Zie art. 5 lid 2.) Het is zo.") == ["(Zie art. 5 lid 2.)", "Het is zo."]
    assert split_sentences('Klaar. "Nee," zei hij.') == ["Klaar.", '"Nee," zei hij.']


def test_line_and_paragraph_breaks_end_sentences() -> None:
    text = "1. Inleiding\nDe gemeente en\nde politie werken samen\n\nNieuwe alinea zonder punt\r\nLaatste regel."
    assert split_sentences(text) == [
        "1. Inleiding", "De gemeente en", "de politie werken samen", "Nieuwe alinea zonder punt", "Laatste regel."]


def test_sentences_are_verbatim_substrings_in_order() -> None:
    text = ("  Moederorganisaties zijn de organisaties waar de medewerkers van het samenwerkingsverband in dienst "
            "zijn.  Zij moeten o.a. mandaat geven – d.w.z. ruimte om te beslissen.\n\n“Ja,” zei mevr. De Boer. "
            "Bel 033 467 77 77! Zie p. 4 (bijv. tabel 2).  ")
    sentences = split_sentences(text)
    assert len(sentences) == 5
    position = 0
    for sentence in sentences:
        assert sentence == sentence.strip() and sentence
        found = text.find(sentence, position)
        assert found >= 0, sentence
        position = found + len(sentence)
    assert sentences[2] == "“Ja,” zei mevr. De Boer."


def test_empty_and_whitespace() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\n \t") == []


# --- normalize and tokenize --------------------------------------------------------------------------------


def test_normalize_folds_accents_quotes_and_space() -> None:
    assert normalize("Één  coördinatie\tvan Curaçao") == "een coordinatie van curacao"
    assert normalize("‘collega’s’ “zeggen”") == "'collega's' \"zeggen\""
    assert normalize("informa\u00adtie\n\n  ÉÉN") == "informatie een"


def test_tokenize_basic() -> None:
    assert tokenize("Wat zijn de taken van één gemeente?") == ["wat", "zijn", "de", "taken", "van", "een", "gemeente"]


def test_tokenize_apostrophes_consistent() -> None:
    assert tokenize("De collega’s en collega's, thema's.") == ["de", "collega's", "en", "collega's", "thema's"]


def test_tokenize_hyphenated_compounds_keep_parts_and_whole() -> None:
    tokens = tokenize("informatie-uitwisseling via e-mail")
    assert tokens == ["informatie", "uitwisseling", "informatieuitwisseling", "via", "e", "mail", "email"]
    assert tokenize("2020-2022") == ["2020", "2022"]  # a range is not a word


def test_tokenize_numbers_and_dates() -> None:
    assert tokenize("Art. 3.5 geldt sinds 20.01.2022 (€ 1,5 mln.)") == [
        "art", "3.5", "geldt", "sinds", "20.01.2022", "1,5", "mln"]


# --- stopwords ---------------------------------------------------------------------------------------------


def test_stopwords_contain_function_and_question_words() -> None:
    for word in ["de", "het", "een", "en", "van", "is", "wie", "wat", "waarom", "hoe", "wanneer", "welke", "waar",
                 "hoeveel"]:
        assert word in STOPWORDS, word


def test_stopwords_keep_words_that_change_the_question() -> None:
    for word in ["andere", "ander", "overige", "gemeente", "mandaat"]:
        assert word not in STOPWORDS, word


# --- stemming ----------------------------------------------------------------------------------------------


def test_default_stemmer_is_dutch_porter() -> None:
    assert STEMMER_ALGORITHM == "dutch_porter"


def test_dutch_porter_keeps_gemeente_and_mening_apart() -> None:
    assert stem("gemeente") != stem("mening")
    assert stem("gemeente") != stem("menen")
    assert stem("gemeente") == stem("gemeenten") == stem("gemeentes")


def test_newer_dutch_algorithm_conflates_gemeente_and_mening() -> None:
    # The measurement behind STEMMER_ALGORITHM: "dutch" strips ge- and maps these to one stem.
    assert stem("gemeente", "dutch") == stem("mening", "dutch") == stem("menen", "dutch")


@pytest.mark.parametrize("a,b", [
    ("organisatie", "organisaties"), ("samenwerking", "samenwerkingen"), ("mandaat", "mandaten"),
    ("collega", "collega's"), ("functie", "functies"), ("advies", "adviezen"), ("partner", "partners"),
    ("brief", "brieven"),
])
def test_stem_conflates_inflections(a: str, b: str) -> None:
    assert stem(a) == stem(b)


def test_stem_leaves_numbers_and_singular_ies_words() -> None:
    assert stem("20.01.2022") == "20.01.2022"
    assert stem("13b") == "13b"
    assert stem("advies") == "advies"


def test_make_stemmer_is_cached_and_selectable() -> None:
    assert make_stemmer("dutch_porter") is make_stemmer("dutch_porter")
    assert make_stemmer("dutch")("gemeente") == "meen"
    assert make_stemmer("dutch_porter")("gemeente") == "gemeent"


# --- compounds ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("vocabulary,token,parts", [
    (["samenwerking"], "samenwerkingsverband", ["samenwerking", "verband"]),
    (["verband"], "samenwerkingsverband", ["samenwerkings", "verband"]),
    (["organisaties"], "moederorganisaties", ["moeder", "organisaties"]),
    (["moeder", "organisatie"], "moederorganisaties", ["moeder", "organisaties"]),
    (["structuur"], "governancestructuur", ["governance", "structuur"]),
    (["informatie"], "informatiedeling", ["informatie", "deling"]),
    (["deling"], "informatiedeling", ["informatie", "deling"]),
    (["boek", "kast"], "boekenkast", ["boek", "kast"]),
    (["gemeente", "bestuur"], "gemeentebestuur", ["gemeente", "bestuur"]),
    (["samenwerking", "verband"], "samenwerkingsverbanden", ["samenwerking", "verbanden"]),
    (["informatie", "uitwisseling"], "informatieuitwisseling", ["informatie", "uitwisseling"]),
])
def test_compound_splits(vocabulary: list[str], token: str, parts: list[str]) -> None:
    assert CompoundSplitter(vocabulary).split(token) == parts


# A vocabulary full of words that make tempting false parts.
TRAP_VOCABULARY = """
    gemeen gemeente gemeenten ten enten organ organisatie organisaties isatie betrokken betrok heid kenheid
    onder steunen steun ondersteunen verschil verschillend verschillende lende lend belang rijk ring raken ding
    man daten mandaat mandaten regio nale samen werking samenwerking werken over leg uit voering voor zitter
    telijk lijk bijeen komst mede werker werkers ver band verband eden mogelijk
""".split()


@pytest.mark.parametrize("token", [
    "gemeenten", "gemeente", "organisatie", "organisaties", "betrokkenheid", "betrokken", "ondersteunen",
    "verschillende", "gemeentelijk", "belangrijk", "mandaten", "regionale", "samenwerking", "overleg",
    "uitvoering", "voorzitter", "bijeenkomst", "medewerkers", "verband", "mogelijkheden", "regering",
    "afspraken", "verantwoordelijkheid",
])
def test_ordinary_words_are_not_split(token: str) -> None:
    assert CompoundSplitter(TRAP_VOCABULARY).split(token) == []


def test_split_edge_cases() -> None:
    splitter = CompoundSplitter(["samenwerking", "de", "het"])
    assert splitter.split("") == []
    assert splitter.split("collega's") == []
    assert splitter.split("covid19") == []
    assert splitter.split("samenwerking") == []  # a known word on its own is not a compound
    assert "de" not in splitter.vocabulary  # stopwords never serve as parts


def test_expand_tokens_keeps_whole_word_and_order() -> None:
    splitter = CompoundSplitter(["samenwerking", "verband"])
    assert expand_tokens(["een", "samenwerkingsverband", "nu"], splitter) == [
        "een", "samenwerkingsverband", "samenwerking", "verband", "nu"]
    assert expand_tokens(["samenwerkingsverband"], None) == ["samenwerkingsverband"]


# --- analyze ---------------------------------------------------------------------------------------------------


def test_analyze_pipeline() -> None:
    assert analyze("Wat is de rol van de gemeenten bij de aanpak?") == ["rol", "gemeent", "aanpak"]


def test_analyze_compound_shares_term_with_its_part() -> None:
    splitter = CompoundSplitter(["samenwerking", "organisaties"])
    whole = analyze("samenwerkingsverband", splitter)
    assert whole[0] == stem("samenwerkingsverband")  # the whole word is kept
    assert set(whole) & set(analyze("samenwerking", splitter))
    assert set(analyze("moederorganisaties", splitter)) & set(analyze("organisatie", splitter))
    # Without a splitter the compound is one opaque term.
    assert not set(analyze("samenwerkingsverband")) & set(analyze("samenwerking"))


def test_analyze_is_deterministic_and_selectable() -> None:
    text = "Moederorganisaties ondersteunen het samenwerkingsverband, d.w.z. zij geven mandaat."
    splitter = CompoundSplitter(["samenwerking", "organisaties"])
    assert analyze(text, splitter) == analyze(text, splitter)
    assert "meen" in analyze("de gemeente", stemmer="dutch")
    assert "meen" not in analyze("de gemeente")


# --- question types ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("question,kind", [
    ("Waarom is mandaat belangrijk?", "why"),
    ("Hoezo is dat nodig?", "why"),
    ("Wat is de reden voor het besluit?", "why"),
    ("Waarvoor dient het RIEC?", "why"),
    ("Hoe kunnen moederorganisaties betrokken worden?", "how"),
    ("Op welke manier werkt de samenwerking?", "how"),
    ("Wat moet ik doen bij een melding?", "how"),
    ("Wie heeft de blog geschreven?", "who"),
    ("Welke organisaties zijn betrokken?", "who"),
    ("Welke personen zitten aan tafel?", "who"),
    ("Wanneer is de blog gepubliceerd?", "when"),
    ("Op welke datum verscheen het?", "when"),
    ("In welk jaar is het RIEC opgericht?", "when"),
    ("Wat zijn moederorganisaties?", "what"),
    ("Welke aspecten zijn belangrijk?", "what"),
    ("Is mandaat belangrijk?", "yesno"),
    ("Moet de gemeente meedoen?", "yesno"),
    ("Kan de politie gegevens delen?", "yesno"),
    ("Heeft het RIEC een rol?", "yesno"),
    ("Wij willen de vergunning weigeren. Is dat juridisch houdbaar?", "yesno"),
    ("Vertel iets over mandaat.", "other"),
    ("Geef me een recept voor erwtensoep.", "other"),
    ("WAAROM  is dát zo?", "why"),
    ("", "other"),
])
def test_detect_question_type(question: str, kind: str) -> None:
    assert detect_question_type(question) == kind
