"""Dutch text analysis: sentence splitting, normalisation, tokens, stopwords, stemming, compounds, question types."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Callable, Iterable

# --- sentences ---------------------------------------------------------------------------------------------

# Lowercased, without the final period. Dotted letter runs (d.w.z, o.a, i.p.v, J.P) are also caught by
# _INITIALS, but listing them documents what is meant to survive. When one really ends a sentence ("enz. De")
# two sentences stay merged, which still quotes verbatim; a wrong split would cut a citation in half.
ABBREVIATIONS = frozenset("""
    bijv bv o.a dhr mevr mw mln mld mrd art nr nrs blz ca d.w.z e.d enz etc i.p.v m.b.t t.a.v t.o.v c.q incl excl
    max min mr dr drs ir ing prof jl zgn resp vs e.a tel p pag o.b.v z.s.m i.v.m n.a.v t.b.v m.u.v o.l.v t.z.t a.s
    evt vgl ong gem afd hfdst par sr jr st fa bijl vnl o.m m.i m.n
""".split())
# Month abbreviations only hold before a day or year ("1 jan. 2022"); "met Jan. Hij" is a name ending a sentence.
_MONTHS = frozenset("jan feb mrt apr jun jul aug sep sept okt nov dec".split())
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
    if word in _MONTHS:
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
    hoewel hoeveel iedereen ieder iedere jij jou jouw jullie kunt konden mag mogen moeten mijne net noch nogal
    omtrent onze opdat per sinds tenzij terwijl tussen vanaf via waar waarbij waardoor waarin waarmee waarom
    waarop waarvan wanneer we wel welk welke werden wiens wij zelfs zoals zodat zodra zouden zullen z'n m'n d'r
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

# Derivational endings and suffix-like words that are not compound heads even when they are also words
# (heid "heath", lijk "corpse", rijk "realm", ster "star"): betrokken+heid, gemeente+lijk, belang+rijk.
_SUFFIXES = frozenset("""
    heid heden schap schappen lijk lijke lijker lijkheid baar bare baarheid zaam zame zaamheid loos loze achtig
    achtige isch ische ing ingen atie aties isatie isaties iteit iteiten teit teiten isme ende enden ender erij
    erijen ster sters tje tjes ling lingen nis nissen eren elijk elijke elijkheid igheid igheden ders aars eurs
    ties tie matig matige waardig waardige wijs wijze rijk rijke zakelijk zakelijke schappelijk schappelijke end
    naal nale neel nele tief tieve sief sieve
""".split())
# A head that is a bare ending on a stub ("telijk", "kenheid", "ring") is no word; "deling" is (minimum stub 3).
_DERIVATIONS = {"heid": 4, "heden": 4, "lijk": 4, "lijke": 4, "ing": 3, "ingen": 3}
# Separable particles and verb prefixes make derivations, not compounds: onder+steunen, ver+band, uit+voering,
# samen+werking, mede+werker. Splitting them would match "steunen" for "ondersteunen", "band" for "verband".
# ("ondersteunen" is technically onder+steunen, but the parts mean something else, so it stays whole.)
_PREFIXES = frozenset("""
    aan af bij door in mee na om onder op over samen tegen terug toe uit voor weg achter neer ver be ge ont her er
    mis te vast los bijeen mede voort tegemoet
""".split())
# Spellings that need a hyphen at a compound boundary (zee-egel); a solid word with one of them there is no compound.
_VOWEL_CLASHES = frozenset("aa ae ai au ee ei eu ie ii oe oi oo ou ui uu".split())
_LINKS = ("en", "s", "e", "n")  # linking morphemes, longest first: boek+en+kast, samenwerking+s+verband
_VOWELS = set("aeiouy")
# A modifier the corpus does not know is only trusted with a long known head: short heads (ring, raken, eden)
# are what remains after cutting ordinary words at random (rege+ring, afsp+raken, mogelijkh+eden).
_UNKNOWN_MODIFIER_MIN = 4
_UNKNOWN_MODIFIER_MIN_HEAD = 6
_ONSET = re.compile(r"(?:schr|sch|s[pt]r|spl|[bcdfgkptvw][lr]|[dkt]w|kn|ch|th|zw|s[cjklmnptw]|[^aeiouy])[aeiouy]")
_S_LINK = re.compile(r"s[^aeiouy]")
# Endings no Dutch word has (samenw, verw, mogelijkh, betrokk): a modifier ending so is a cut through a word.
_NOT_WORD_FINAL = re.compile(r"(?:[vzq]|(?<![aeiou])w|(?<![cs])h|(?<!i)j|([^aeiou])\1)$")


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

    def split(self, token: str) -> list[str]:
        """[modifier, head] of a compound (linking s/e/en removed when that gives a known word), else []."""
        if token not in self._cache:
            self._cache[token] = self._split(token)
        return list(self._cache[token])

    def _inflection_base(self, token: str) -> str | None:
        """A known word that token is a plain inflection of (gemeenten -> gemeente, mandaten -> mandaat)."""
        bases: list[str] = []
        if token.endswith("en"):
            root = token[:-2]
            bases += [root, root[:-1] + {"z": "s", "v": "f"}.get(root[-1:], root[-1:])]
            if len(root) > 2 and root[-1] == root[-2] and root[-1] not in _VOWELS:
                bases.append(root[:-1])  # bellen -> bel
            if len(root) > 2 and root[-2] in _VOWELS and root[-3] not in _VOWELS:
                bases.append(root[:-1] + root[-2:])  # mandat -> mandaat
        if token.endswith(("s", "e", "n")):
            bases.append(token[:-1])
        return next((b for b in bases if b != token and b in self.vocabulary), None)

    def _modifier(self, raw: str) -> str:
        """The modifier without a linking s when that is known, else as written when known, else unlinked."""
        if raw.endswith("s") and raw[:-1] in self.vocabulary:
            return raw[:-1]
        if raw in self.vocabulary:
            return raw
        for link in _LINKS:
            core = raw[: -len(link)]
            if raw.endswith(link) and len(core) >= self.min_modifier and core in self.vocabulary:
                return core
        return raw

    def _split(self, token: str) -> list[str]:
        if not token.isalpha() or len(token) < self.min_modifier + self.min_head:
            return []
        # An inflected form is split like its base, so "gemeenten" is never gemeen+ten, nor "mandaten" man+daten.
        base = self._inflection_base(token)
        if base is not None:
            parts = self.split(base)
            # Re-attach the inflection to the head: moederorganisaties -> moeder + organisaties.
            return [parts[0], token[len(base) - len(parts[1]):]] if parts else []
        best: tuple[int, int, list[str]] | None = None
        for i in range(self.min_modifier, len(token) - min(self.min_head, self.min_rest) + 1):
            raw, head = token[:i], token[i:]
            modifier = self._modifier(raw)
            if not self._plausible(raw, modifier, head):
                continue
            # A head also counts as known when it inflects a known word of head size (organisaties).
            head_base = head if head in self.vocabulary else self._inflection_base(head)
            head_known = head_base is not None and min(len(head), len(head_base)) >= self.min_head
            modifier_known = modifier in self.vocabulary
            if head_known and modifier_known:
                ok = len(modifier) >= self.min_modifier
            elif head_known:
                # A doubled consonant at an unverified boundary is spelling, not a seam (betrok+kenheid).
                ok = (len(modifier) >= _UNKNOWN_MODIFIER_MIN and len(head) >= _UNKNOWN_MODIFIER_MIN_HEAD
                      and raw[-1] != head[0] and not _NOT_WORD_FINAL.search(modifier)
                      and raw[-1] + head[0] not in _VOWEL_CLASHES)
            else:
                # An unverified head must look like a word of its own: long enough, and starting with a consonant
                # cluster that can begin a Dutch word, because vowel-initial remainders are mostly suffixes
                # (organ+isatie, verantwoord+elijk) and "tm..." is a cut through a word (uitvaar+tmissen).
                # "sw..." after a known modifier is its linking s (fabriek+swetten is fabrieks+wetten).
                ok = (modifier_known and len(modifier) >= self.min_known_modifier and len(head) >= self.min_rest
                      and _ONSET.match(head) is not None and not (raw == modifier and _S_LINK.match(head)))
            if not ok:
                continue
            score = (len(modifier) if modifier_known else 0) + (len(head) if head_known else 0)
            # On a tie the linking morpheme goes to the modifier: samenwerking(s)+verband, not +sverband.
            if best is None or (score, -len(head)) > best[:2]:
                best = (score, -len(head), [modifier, head])
        return best[2] if best else []

    @staticmethod
    def _plausible(raw: str, modifier: str, head: str) -> bool:
        """Reject splits into a prefix, a suffix, or a head that is a bare derivation ending."""
        if modifier in _PREFIXES or raw in _PREFIXES or head in _SUFFIXES:
            return False
        if raw[-1] == head[0] and head[1:] in _SUFFIXES:  # verschil+lende, maatschap+pelijk
            return False
        if any(head.endswith(d) and len(head) - len(d) < n for d, n in _DERIVATIONS.items()):
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


# --- question types ----------------------------------------------------------------------------------------

# Matched on normalised words; the earliest cue wins, and at the same position the longest.
_QUESTION_CUES: list[tuple[str, str]] = [
    (r"waarom|hoezo|wat (?:is|zijn|was|waren) de reden(?:en)?|om welke reden(?:en)?|met welk doel|"
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
    # Context first, question last ("Wij willen X. Is dat houdbaar?"): the last sentence with a "?" decides.
    sentence = normalize(([s for s in split_sentences(question) if "?" in s] or [question])[-1])
    words = re.findall(r"[^\W_]+", sentence)
    text = " ".join(words)
    hits = [(m.start(), -len(m.group()), kind) for pattern, kind in _CUE_RE for m in pattern.finditer(text)]
    verb_first = bool(words) and words[0] in _YESNO_VERBS and not _INDIRECT.match(text)
    if verb_first:
        hits = [h for h in hits if h[2] not in _WEAK_CUES]
    if hits:
        return min(hits)[2]
    # "..., is dat een probleem?": a yes/no question in the last clause.
    last_clause = re.findall(r"[^\W_]+", re.split(r"[,;:]", sentence)[-1])
    return "yesno" if verb_first or (last_clause and last_clause[0] in _YESNO_VERBS) else "other"


def jaccard(a: set[str] | frozenset[str], b: set[str] | frozenset[str]) -> float:
    """Overlap of two term sets (0..1); used to spot near-duplicate chunks and redundant sentences."""
    return len(a & b) / len(a | b) if a or b else 0.0
