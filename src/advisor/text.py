"""Dutch text analysis: sentence splitting, normalisation, tokens, stopwords, stemming, compounds, question types."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Callable, Iterable

# --- sentences ---------------------------------------------------------------------------------------------

# Lowercased, without the final period. Dotted letter runs (d.w.z, o.a, i.p.v, J.P) are also caught by
# _INITIALS, but listing them documents what is meant to survive.
ABBREVIATIONS = frozenset("""
    bijv bv o.a dhr mevr mw mln mld mrd art nr nrs blz ca d.w.z e.d enz etc i.p.v m.b.t t.a.v t.o.v c.q incl excl
    max min mr dr drs ir ing prof jl zgn resp vs e.a tel p pag o.b.v z.s.m i.v.m n.a.v t.b.v m.u.v o.l.v t.z.t a.s
    evt vgl zie ong gem afd hfdst par lid sr jr st fa bijl vnl red ed vol o.m m.i m.n jan feb mrt apr jun jul aug
    sep sept okt nov dec
""".split())
# These end lists, so before a capital they almost always close the sentence too.
_SENTENCE_FINAL_ABBREVIATIONS = frozenset({"enz", "etc", "e.d"})
_INITIALS = re.compile(r"^(?:[^\W\d_]\.)*[^\W\d_]$")  # "J", "J.P", "d.w.z"
_ENUMERATION = re.compile(r"^\(?\d+(?:\.\d+)*\)?$")  # "1", "2.3": a list or heading number at line start
_OPENERS = "\"'“‘„«([{"
_CLOSERS = "\"'”’»)]}"
_BOUNDARY = re.compile(r"(?:\.\.\.|…|[.!?])+[\"'”’»)\]}]*(?=\s+\S)")


def _is_boundary(line: str, m: re.Match[str]) -> bool:
    """Whether a terminator run (plus closing quotes/brackets) followed by whitespace ends a sentence."""
    nxt = line[m.end():].lstrip()[:1]
    if not (nxt.isupper() or nxt.isdigit() or nxt in _OPENERS):
        return False
    if m.group().rstrip(_CLOSERS) != ".":  # ! ? and ellipses always end a sentence before a capital
        return True
    before = line[:m.start()]
    chunk = before.split()[-1] if before.strip() else ""
    word = chunk.lstrip(_OPENERS).lower()
    if not word:
        return True
    if word in _SENTENCE_FINAL_ABBREVIATIONS:
        return not nxt.isdigit()
    if word in ABBREVIATIONS or _INITIALS.match(word):
        return False
    # "1. Inleiding": a numbered heading or list item, not a sentence "1."
    return not (_ENUMERATION.match(word) and before.strip() == chunk)


def split_sentences(text: str) -> list[str]:
    """Sentences of text, each a stripped verbatim substring of it; every line break ends a sentence."""
    sentences: list[str] = []
    for line in re.split(r"\r\n|\r|\n", text):
        start = 0
        for m in _BOUNDARY.finditer(line):
            if _is_boundary(line, m):
                if piece := line[start:m.end()].strip():
                    sentences.append(piece)
                start = m.end()
        if piece := line[start:].strip():
            sentences.append(piece)
    return sentences


# --- normalisation and tokens ------------------------------------------------------------------------------

_CHAR_MAP = str.maketrans({
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "`": "'", "´": "'",
    "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"',
    "‐": "-", "‑": "-",
    "\u00ad": None, "\u200b": None, "\ufeff": None,  # soft hyphens and zero-width spaces come from PDFs
})


def normalize(text: str) -> str:
    """Lowercase, accents folded ("één" -> "een"), straight quotes, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_CHAR_MAP))
    folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(folded.casefold().translate(_CHAR_MAP).split())


# Letters/digits, joined by internal apostrophes ("collega's") or hyphens, and decimals/dates ("3.5", "20.01.2022").
_TOKEN = re.compile(r"[^\W_]+(?:(?:['-]|(?<=\d)[.,](?=\d))[^\W_]+)*")


def tokenize(text: str) -> list[str]:
    """Normalised word tokens; "informatie-uitwisseling" gives its parts and the joined word."""
    tokens: list[str] = []
    for token in _TOKEN.findall(normalize(text)):
        if "-" not in token:
            tokens.append(token)
            continue
        parts = [p for p in token.split("-") if p]
        tokens.extend(parts)
        # The solid spelling ("email", "covid19") may be used elsewhere; a number range ("2020-2022") is not a word.
        if any(c.isalpha() for c in token):
            tokens.append("".join(parts))
    return tokens


# --- stopwords ---------------------------------------------------------------------------------------------

_SNOWBALL_DUTCH = """
    de en van ik te dat die in een hij het niet zijn is was op aan met als voor had er maar om hem dan zou of wat
    mijn men dit zo door over ze zich bij ook tot je mij uit der daar haar naar heb hoe heeft hebben deze u want
    nog zal me zij nu ge geen omdat iets worden toch al waren veel meer doen toen moet ben zonder kan hun dus alles
    onder ja eens hier wie werd altijd doch wordt wezen kunnen ons zelf tegen na reeds wil kon niets uw iemand
    geweest andere
"""
_EXTRA = """
    alle allemaal alleen bent bijna binnen boven da daarbij daardoor daarin daarmee daarna daarom daarop daarvan
    dezelfde dezen des den deed dien doet echter elk elke erg even gij gaan gaat hadden hen hierbij hierin hiervan
    hoewel hoeveel iedereen ieder iedere jij jou jouw jullie kunt konden mag mogen moeten mijne net noch nogal om
    omtrent onze ook opdat per sinds tenzij terwijl tussen vanaf via waar waarbij waardoor waarin waarmee waarom
    waarop waarvan wanneer we wel welk welke werden wiens wij zal zelfs zoals zodat zodra zonder zou zouden zullen
    z'n m'n d'r 's 't
"""
# "andere", "ander" and "overige" change what a question asks for ("andere gemeenten" is not "gemeenten"),
# so they are kept as content words even though Snowball lists "andere".
_NOT_STOPWORDS = frozenset({"andere", "ander", "anderen", "overige", "overig"})

# Question words (wie, wat, waarom, hoe, wanneer, welke, waar, hoeveel) ARE stopwords: for lexical search they
# match everywhere; detect_question_type reads them from the raw question instead.
STOPWORDS: frozenset[str] = frozenset((_SNOWBALL_DUTCH + _EXTRA).split()) - _NOT_STOPWORDS

# --- stemming ----------------------------------------------------------------------------------------------

# Measured with PyStemmer 3: the newer "dutch" algorithm strips the ge- prefix and over-conflates:
# gemeente/gemeenten/menen/mening -> "meen", gemeentelijk -> "meentelijk", gegevens -> "geven",
# relaties -> "releer". "dutch_porter" keeps gemeente -> "gemeent", menen -> "men", mening -> "mening", and
# gegevens -> "gegeven"; its weakness (organisaties/functies/gemeentes stay unstemmed) is patched by
# _fold_plural below. For a corpus about gemeenten, not conflating gemeente with mening matters most.
STEMMER_ALGORITHM = "dutch_porter"

# Singulars ending in -ies that are not plurals of -ie.
_IES_SINGULARS = ("advies", "verlies", "vlies", "wies", "servies", "fries", "precies")


_DEVOICE = {"z": "s", "v": "f"}


def _fold_plural(token: str) -> str:
    """Undo the plurals Porter misses: collega's, organisaties, gemeentes, plaatjes (-> singular)."""
    if token.endswith("'s"):
        return token[:-2]
    if len(token) >= 6 and token.endswith("ies") and not token.endswith(_IES_SINGULARS):
        return token[:-1]
    if len(token) >= 7 and token.endswith(("tes", "jes")) and not token.endswith("diabetes"):
        return token[:-1]
    return token


@lru_cache(maxsize=None)
def make_stemmer(algorithm: str) -> Callable[[str], str]:
    """A cached token -> stem function for a PyStemmer algorithm ("dutch_porter", "dutch")."""
    import Stemmer  # lazy: importing the text module must stay cheap

    stemmer = Stemmer.Stemmer(algorithm)

    @lru_cache(maxsize=200_000)
    def _stem(token: str) -> str:
        if any(c.isdigit() for c in token):  # numbers, dates, article numbers stay as written
            return token
        stemmed = stemmer.stemWord(_fold_plural(token).replace("'", ""))
        # Final devoicing, which Porter leaves alone: adviezen/advies, reizen/reis, brieven/brief, geven/geef.
        return stemmed[:-1] + _DEVOICE[stemmed[-1]] if stemmed[-1:] in _DEVOICE else stemmed

    return _stem


def stem(token: str, algorithm: str | None = None) -> str:
    """Stem one normalised token (default algorithm: STEMMER_ALGORITHM)."""
    return make_stemmer(algorithm or STEMMER_ALGORITHM)(token)


# --- compounds ---------------------------------------------------------------------------------------------

# Derivational and inflectional endings that are not compound heads even when they are also words
# (heid "heath", lijk "corpse", ster "star", baar "wave"): betrokken+heid, gemeente+lijk are not compounds.
_SUFFIXES = frozenset("""
    heid heden schap schappen lijk lijke lijker lijkheid baar bare baarheid zaam zame zaamheid loos loze achtig
    achtige isch ische ing ingen atie aties isatie isaties iteit iteiten teit teiten isme ende enden ender erij
    erijen ster sters tje tjes ling lingen nis nissen eren elijk elijke elijkheid igheid igheden ders aars eurs
    ties tie matig matige waardig waardige wijs wijze
""".split())
# Separable particles and verb prefixes make derivations, not compounds: onder+steunen, ver+band, uit+voering,
# samen+werking, be+trokken. Splitting them would match "steunen" for "ondersteunen" and "band" for "verband".
_PREFIXES = frozenset("""
    aan af bij door in mee na om onder op over samen tegen terug toe uit voor weg achter neer ver be ge ont her er
    mis te vast los
""".split())
# Spellings that need a hyphen at a compound boundary (zee-egel); a solid word with one of them there is no compound.
_VOWEL_CLASHES = frozenset("aa ae ai au ee ei eu ie ii oe oi oo ou ui uu".split())
_LINKS = ("en", "s", "e", "n")  # linking morphemes, longest first: boek+en+kast, samenwerking+s+verband
_VOWELS = set("aeiouy")


class CompoundSplitter:
    """Right-headed Dutch compound splitting against a corpus vocabulary; split() returns [] for non-compounds."""

    def __init__(self, vocabulary: Iterable[str], *, min_head: int = 4, min_modifier: int = 3,
                 min_known_modifier: int = 5, min_rest: int = 4) -> None:
        # Only plain alphabetic content words are trusted as parts; stopwords as parts make nonsense splits.
        self.vocabulary = frozenset(w for w in vocabulary if len(w) >= 3 and w.isalpha() and w not in STOPWORDS)
        self.min_head = min_head
        self.min_modifier = min_modifier
        self.min_known_modifier = min_known_modifier
        self.min_rest = min_rest
        self._cache: dict[str, list[str]] = {}

    @classmethod
    def from_texts(cls, texts: Iterable[str], **kwargs: int) -> CompoundSplitter:
        """A splitter whose vocabulary is every token of texts."""
        return cls((tok for text in texts for tok in tokenize(text)), **kwargs)

    def split(self, token: str) -> list[str]:
        """[modifier, head] of a compound (linking s/e/en removed when that gives a known word), else []."""
        if token not in self._cache:
            self._cache[token] = self._split(token)
        return list(self._cache[token])

    def _modifier(self, raw: str) -> str:
        """The modifier with its linking morpheme removed when that leaves a known word."""
        for link in _LINKS:
            core = raw[: -len(link)]
            if raw.endswith(link) and len(core) >= self.min_modifier and core in self.vocabulary:
                return core
        return raw

    def _split(self, token: str) -> list[str]:
        if not token.isalpha() or len(token) < self.min_modifier + self.min_head:
            return []
        best: tuple[int, int, list[str]] | None = None
        for i in range(self.min_modifier, len(token) - min(self.min_head, self.min_rest) + 1):
            raw, head = token[:i], token[i:]
            modifier = self._modifier(raw)
            if not self._plausible(raw, modifier, head):
                continue
            head_known = len(head) >= self.min_head and head in self.vocabulary
            modifier_known = modifier in self.vocabulary
            if head_known:
                ok = len(modifier) >= self.min_modifier
            else:
                # An unverified head must look like a word of its own: long enough and not starting with a
                # vowel, because vowel-initial remainders are mostly suffixes (organ+isatie, verantwoord+elijk).
                ok = (modifier_known and len(modifier) >= self.min_known_modifier
                      and len(head) >= self.min_rest and head[0] not in _VOWELS)
            if not ok:
                continue
            score = (len(modifier) if modifier_known else 0) + (len(head) if head_known else 0)
            if best is None or (score, len(head)) > best[:2]:
                best = (score, len(head), [modifier, head])
        return best[2] if best else []

    @staticmethod
    def _plausible(raw: str, modifier: str, head: str) -> bool:
        """Reject splits into a prefix, a suffix, or across a spelling that would need a hyphen."""
        if modifier in _PREFIXES or raw in _PREFIXES or head in _SUFFIXES:
            return False
        if raw[-1] == head[0] and head[1:] in _SUFFIXES:  # verschil+lende, maatschap+pelijk
            return False
        if raw[-1] + head[0] in _VOWEL_CLASHES:
            return False
        return bool(_VOWELS & set(modifier)) and bool(_VOWELS & set(head))


def expand_tokens(tokens: Iterable[str], splitter: CompoundSplitter | None) -> list[str]:
    """Each token followed by its compound parts (the whole word is kept)."""
    out: list[str] = []
    for token in tokens:
        out.append(token)
        if splitter is not None:
            out.extend(p for p in splitter.split(token) if p != token and p not in STOPWORDS)
    return out


# --- lexical pipeline --------------------------------------------------------------------------------------


def _content_tokens(text: str) -> list[str]:
    """Tokens that are not stopwords and not single letters (initials, the "e" of e-mail)."""
    return [t for t in tokenize(text) if t not in STOPWORDS and (len(t) > 1 or t.isdigit())]


def analyze(text: str, splitter: CompoundSplitter | None = None, *, stemmer: str = STEMMER_ALGORITHM) -> list[str]:
    """BM25 terms: tokenize, drop stopwords, add compound parts (keeping the whole word), stem."""
    stem_fn = make_stemmer(stemmer)
    return [stem_fn(t) for t in expand_tokens(_content_tokens(text), splitter)]


def content_terms(text: str, splitter: CompoundSplitter | None = None, *,
                  stemmer: str = STEMMER_ALGORITHM) -> list[str]:
    """Stemmed, de-duplicated content terms of a question (compound parts included when a splitter is given)."""
    return list(dict.fromkeys(analyze(text, splitter, stemmer=stemmer)))


# --- question types ----------------------------------------------------------------------------------------

# Matched on normalised words; the earliest cue wins, and at the same position the longest.
_QUESTION_CUES: list[tuple[str, str]] = [
    (r"waarom|hoezo|wat (?:is|zijn|was|waren) de redenen?|om welke redenen?|met welk doel|"
     r"waarvoor (?:dient|dienen|is|zijn|wordt|worden)|wat is het doel", "why"),
    (r"hoe lang|hoelang|wanneer|sinds wanneer|vanaf wanneer|tot wanneer|(?:op |in |per )?welke datum|"
     r"(?:in |vanaf |sinds )?welk jaar|welke periode|hoe laat", "when"),
    (r"hoe|op welke (?:manier|wijze)|wat (?:moet|moeten|kan|kunnen) (?:ik|je|we|wij|u|men) doen", "how"),
    (r"(?:door |met |bij |aan |van |voor )?wie|welke (?:personen|persoon|organisaties|organisatie|partijen|"
     r"partij|instanties|instantie|mensen|medewerkers|gemeenten|bestuurders)", "who"),
    (r"wat|welke?|hoeveel|waar(?:mee|over|aan|op|in|uit|bij|door|van|naar)", "what"),
]
_CUE_RE = [(re.compile(rf"\b(?:{pattern})\b"), kind) for pattern, kind in _QUESTION_CUES]
_WEAK_CUES = frozenset({"what"})  # "Is er iets wat ...": in a verb-first question "wat" is often relative
_YESNO_VERBS = frozenset("""
    is zijn ben bent was waren moet moeten moest moesten kan kun kunt kunnen kon konden heeft hebben heb hebt had
    hadden mag mogen mocht wil wilt willen zal zult zullen zou zouden wordt worden werd werden geldt gelden bestaat
    bestaan valt vallen krijg krijgt krijgen hoort horen hoef hoeft hoeven telt tellen staat staan klopt doet doen
    gaat gaan speelt spelen werkt werken blijft blijven leidt leiden betekent biedt bieden weet weten vindt vinden
    zit zitten komt komen maakt maken
""".split())
_INDIRECT = re.compile(r"^(?:kan|kun|kunt|wil|wilt|mag) (?:je|jij|u|jullie) (?:mij |me |ons )?(?:uitleggen|aangeven|"
                       r"vertellen|zeggen|noemen|beschrijven|toelichten)\b")


def detect_question_type(question: str) -> str:
    """One of why, how, who, when, what, yesno, other."""
    words = re.findall(r"[^\W_]+", normalize(question))
    text = " ".join(words)
    hits = [(m.start(), -len(m.group()), kind) for pattern, kind in _CUE_RE for m in pattern.finditer(text)]
    verb_first = bool(words) and words[0] in _YESNO_VERBS and not _INDIRECT.match(text)
    if verb_first:
        hits = [h for h in hits if h[2] not in _WEAK_CUES]
    if hits:
        return min(hits)[2]
    return "yesno" if verb_first else "other"
