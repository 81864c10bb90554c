"""Reading a request like a small model does: which words of it fit which kind of parameter.

A parameter's *kind* comes from its name, then its format, then its description: a math expression, a
time zone, a place, a URL, a path, a date, a number... ``Reading`` finds each kind's candidates in the
request, in order and with their positions, so that a tool can be called once per named thing and each
thing can go to the tool named nearest before it.
"""

from __future__ import annotations

import ast
import functools
import re
import unicodedata
from typing import Any, NamedTuple
from zoneinfo import available_timezones


class Found(NamedTuple):
    """A value read from the request, and where it starts in the text."""

    value: Any
    pos: int


_FILLER = (
    "a an and are as at be by can could do does for from get give how i in is it me my of on or please "
    "show tell the this to use what when where which who why will with would you your"
)
STOPWORDS = frozenset(_FILLER.split())
# Kinds whose candidates are specific enough to count as evidence that a tool fits the request.
STRONG = frozenset({"expression", "zone", "place", "url", "path", "date", "email", "command"})
# Kinds that are read from the shape of the text alone: they make a tool worth calling without keywords.
SPECIFIC = frozenset({"expression", "url", "path"})

_NAME_WORDS: tuple[tuple[str, frozenset[str]], ...] = tuple(
    (kind, frozenset(words.split()))
    for kind, words in (
        ("expression", "expression expr formula equation math calculation"),
        ("zone", "timezone tz zone"),
        ("url", "url uri link href website endpoint"),
        ("path", "path file filename filepath dir directory folder"),
        ("email", "email"),
        ("date", "date datetime time timestamp deadline"),
        ("place", "city location place town country region destination"),
        ("command", "command cmd"),
        ("query", "query q search keyword term topic question"),
    )
)
_DESCRIPTION_WORDS = (
    ("date", re.compile(r"iso[ -]?8601")),
    ("expression", re.compile(r"\b(?:expression|formula|arithmetic|equation)")),
    ("zone", re.compile(r"\btime[- ]?zone")),
    ("url", re.compile(r"\burls?\b|https?://")),
    ("path", re.compile(r"\b(?:path|file|folder|directory)\b")),
    ("place", re.compile(r"\b(?:city|location|place)\b")),
    ("date", re.compile(r"\bdate\b")),
)
_FORMAT_KINDS = {"uri": "url", "url": "url", "date": "date", "date-time": "date", "email": "email"}


def name_words(name: str) -> list[str]:
    """``fromTimezone`` / ``from_timezone`` -> ["from", "timezone"], plurals made singular."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)
    return [singular(w) for w in re.split(r"[^0-9A-Za-z]+", spaced.lower()) if w]


def singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def kind_of(name: str, schema: dict[str, Any]) -> str:
    """What sort of value a string parameter wants; ``text`` when nothing says more."""
    words = set(name_words(name))
    for kind, keys in _NAME_WORDS:
        if words & keys:
            return kind
    if schema.get("format") in _FORMAT_KINDS:
        return _FORMAT_KINDS[schema["format"]]
    description = str(schema.get("description", "")).lower()
    for kind, pattern in _DESCRIPTION_WORDS:
        if pattern.search(description):
            return kind
    return "text"


@functools.cache
def _zones_by_city() -> dict[str, str]:
    """``tokyo`` -> ``Asia/Tokyo``, ``new york`` -> ``America/New_York`` (geographic zones only)."""
    areas = {"Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian"}
    areas.add("Pacific")
    found: dict[str, str] = {}
    for zone in sorted(available_timezones()):
        area, _, rest = zone.partition("/")
        if area in areas and rest:
            found.setdefault(rest.rsplit("/", 1)[-1].replace("_", " ").lower(), zone)
    return found


def _plain(text: str) -> str:
    """Lower case without accents, so that ``São Paulo`` finds ``America/Sao_Paulo``."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


_URL = re.compile(r"https?://[^\s<>\"'`]+")
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?\b")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_QUOTED = re.compile(r"[\"'“‘`]([^\"'”’`]{1,200})[\"'”’`]")
_PHRASE = re.compile(r"\b[A-Z][\w'’-]*(?:[ \t]+[A-Z][\w'’-]*)*")
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.]*\d)")
_DOMAIN = re.compile(r"^(?:[\w-]+\.)+(?:com|org|net|io|dev|ai|app|edu|gov|cn|uk|de|jp|fr|co)(?:/\S*)?$")
_ABBREVIATIONS = frozenset({"e.g", "i.e", "etc", "vs"})
_MATH_FUNCTIONS = (
    "sqrt|cbrt|exp|log|log2|log10|sin|cos|tan|asin|acos|atan|abs|round|min|max|pow|floor|ceil|factorial|"
    "gcd|lcm|pi|tau"
)
_MATH_TOKEN = re.compile(rf"\d+(?:\.\d+)?|\*\*|//|[-+*/%^()×÷,]|\b(?:{_MATH_FUNCTIONS})\b")
_WORD_OPERATORS = (
    (re.compile(r"\bto the power of\b"), "**"),
    (re.compile(r"\b(?:multiplied by|times)\b"), "*"),
    (re.compile(r"\bdivided by\b"), "/"),
    (re.compile(r"\bplus\b"), "+"),
    (re.compile(r"\bminus\b"), "-"),
)
# Openers and imperatives: capitalised at the start of a sentence, never a place.
_OPENING = (
    "add also and but compute convert finally find first hello hey hi list look next now ok read run search "
    "so summarise summarize then thanks write"
)
_OPENERS = frozenset(_OPENING.split())


class Reading:
    """The request text, read once per kind and shared by every tool of the request.

    ``vocabulary`` holds the words of the tools' names and descriptions: they are what the request asks
    for ("Weather in Paris"), not the things it names. ``context`` is the whole conversation's user text,
    for choices the last message does not name ("please fix the answer" after a ticket that says "bug").
    """

    def __init__(self, text: str, vocabulary: frozenset[str], context: str = "") -> None:
        self.text = text
        self.context = context
        self.vocabulary = vocabulary
        self.words = {singular(w) for w in re.findall(r"[0-9a-z]+", text.lower())}
        self._cache: dict[str, list[Found]] = {}
        self._math: list[tuple[str, int, int]] = []
        # URLs, e-mail addresses, dates and paths blanked out, for the readers of words and numbers.
        self.rest = text
        for found in [*self._links(), *self._emails(), *self._dates(), *self._paths()]:
            end = found.pos + len(str(found.value))
            self.rest = self.rest[: found.pos] + " " * (end - found.pos) + self.rest[end:]
        self._readers = {
            "expression": self._expressions,
            "zone": self._zones,
            "place": self._phrases,
            "url": lambda: self._links() + self._domains(),
            "path": self._paths,
            "date": self._dates,
            "email": self._emails,
            "command": self._commands,
            "query": self._quoted,
            "number": self._numbers,
        }

    def candidates(self, kind: str) -> list[Found]:
        if kind not in self._cache:
            self._cache[kind] = self._readers.get(kind, self._texts)()
        return self._cache[kind]

    @property
    def prose(self) -> str:
        """The words around the things: the text with URLs, paths, dates and math blanked out."""
        prose = self.rest
        self.candidates("expression")
        for _, start, end in self._math:
            prose = prose[:start] + " " * (end - start) + prose[end:]
        return prose

    def mentions(self, name: str) -> bool:
        """The request names the parameter ("in fahrenheit" for ``fahrenheit``, "3 days" for ``days``)."""
        return bool(set(name_words(name)) & self.words)

    def number_near(self, name: str) -> Found | None:
        """The number written next to the parameter's name: "2 passengers", "max_pages=5"."""
        words = name_words(name)
        if not words:
            return None
        stem = re.escape(words[-1])
        number = r"(-?\d+(?:\.\d+)?)"
        near = re.compile(rf"{number}\s+(?:\w+\s+)?{stem}|{stem}\w*\s*(?:=|:|of|is)?\s*{number}")
        for m in near.finditer(self.rest.lower()):
            pos = m.start(1) if m.group(1) else m.start(2)
            named = next((n for n in self.candidates("number") if n.pos == pos), None)
            if named:
                return named
        return None

    def content(self) -> str:
        """The words that say what the request is about, without filler or the tools' own words."""
        words = [
            w
            for w in re.findall(r"[\w'’-]+", self.rest)
            if w.lower() not in STOPWORDS and singular(w.lower()) not in self.vocabulary
        ]
        return " ".join(words) or self.text.strip() or "example"

    def _links(self) -> list[Found]:
        return [Found(m.group().rstrip(".,;:!?)]'\""), m.start()) for m in _URL.finditer(self.text)]

    def _emails(self) -> list[Found]:
        return [Found(m.group(), m.start()) for m in _EMAIL.finditer(self.text)]

    def _dates(self) -> list[Found]:
        return [Found(m.group().replace(" ", "T"), m.start()) for m in _DATE.finditer(self.text)]

    def _paths(self) -> list[Found]:
        found = []
        for m in re.finditer(r"\S+", self.text):
            token = m.group().lstrip("\"'`(“‘").rstrip(".,;:!?)\"'`”’")
            if "://" in token or "@" in token or not re.search(r"[A-Za-z]", token) or _DATE.fullmatch(token):
                continue
            has_extension = re.fullmatch(r"[\w~./-]*[\w-]\.[A-Za-z][A-Za-z0-9]{0,7}", token)
            if ("/" in token and not re.search(r"[*+^()]", token)) or (
                has_extension and token.lower() not in _ABBREVIATIONS
            ):
                found.append(Found(token, m.start() + m.group().index(token)))
        return found

    def _domains(self) -> list[Found]:
        return [Found("https://" + f.value, f.pos) for f in self._paths() if _DOMAIN.match(f.value)]

    def _runs(self) -> list[list[tuple[str, int]]]:
        """Runs of capitalised words ("New York"), each word with its position."""
        return [
            [(w.group(), m.start() + w.start()) for w in re.finditer(r"\S+", m.group())]
            for m in _PHRASE.finditer(self.rest)
        ]

    def _phrases(self) -> list[Found]:
        """Named things: capitalised runs, less the filler and the tools' own words that lead them."""
        found = []
        for run in self._runs():
            while run and (
                run[0][0].lower() in STOPWORDS
                or singular(run[0][0].lower()) in self.vocabulary
                or run[0][0].lower() in _OPENERS
            ):
                run = run[1:]
            if run and run[0][0].upper() not in ("UTC", "GMT"):
                found.append(Found(" ".join(w for w, _ in run), run[0][1]))
        return found

    def _zones(self) -> list[Found]:
        found = [Found(m.group(), m.start()) for m in re.finditer(r"\b[A-Z]\w+/[A-Z][\w/+-]*", self.text)]
        found = [f for f in found if f.value in available_timezones()]
        found += [Found("UTC", m.start()) for m in re.finditer(r"\b(?:UTC|GMT)\b", self.text)]
        cities = _zones_by_city()
        for run in self._runs():
            i = 0
            while i < len(run):
                for j in range(len(run), i, -1):  # the longest run of words that names a zone
                    zone = cities.get(_plain(" ".join(w for w, _ in run[i:j])))
                    if zone:
                        found.append(Found(zone, run[i][1]))
                        i = j - 1
                        break
                i += 1
        unique: dict[str, Found] = {}
        for f in sorted(found, key=lambda f: f.pos):
            unique.setdefault(f.value, f)
        return list(unique.values())

    def _expressions(self) -> list[Found]:
        """Spans that parse as arithmetic with an operation in them: ``2**10``, ``(3+4)*5``, ``sqrt(16)``."""
        text = self.rest
        for pattern, operator in _WORD_OPERATORS:  # "12 times 7" -> "12  *  7", the same length
            text = pattern.sub(functools.partial(_centred, operator), text)
        found: list[Found] = []
        group: list[re.Match[str]] = []
        for token in [*_MATH_TOKEN.finditer(text), None]:
            if token is not None and (not group or not text[group[-1].end() : token.start()].strip()):
                group.append(token)
                continue
            for piece in _split_commas(group):
                span = _arithmetic(text, piece)
                if span:
                    found.append(Found(span[0], span[1]))
                    self._math.append(span)
            group = [token] if token is not None else []
        return found

    def _numbers(self) -> list[Found]:
        return [Found(float(m.group()), m.start()) for m in _NUMBER.finditer(self.rest)]

    def _commands(self) -> list[Found]:
        """Quoted commands, else what follows "run" or "execute" ("Run ls -la and tell me...")."""
        run = re.compile(r"\b(?:run|execute)\s+([^.;?!,]+?)(?=\s+and\s|[.;?!,]|$)", re.IGNORECASE)
        return self._quoted() or [Found(m.group(1).strip(), m.start(1)) for m in run.finditer(self.text)]

    def _quoted(self) -> list[Found]:
        return [Found(m.group(1), m.start(1)) for m in _QUOTED.finditer(self.text)]

    def _texts(self) -> list[Found]:
        return self._quoted() or self._phrases()


_OPERATORS = frozenset({"-", "+", "*", "/", "%", "^", "**", "//", "×", "÷", ","})


def _split_commas(group: list[re.Match[str]]) -> list[list[re.Match[str]]]:
    """``3+4, 5*6`` is two expressions; ``max(3, 4)`` is one."""
    depth = 0
    pieces: list[list[re.Match[str]]] = [[]]
    for token in group:
        depth += {"(": 1, ")": -1}.get(token.group(), 0)
        if token.group() == "," and depth <= 0:
            pieces.append([])
        else:
            pieces[-1].append(token)
    return [p for p in pieces if p]


def _arithmetic(text: str, piece: list[re.Match[str]]) -> tuple[str, int, int] | None:
    """The expression a run of math tokens spells, trimmed of dangling operators and parentheses, and
    where it starts and ends."""
    while piece and (piece[-1].group() in _OPERATORS | {"("} or _unbalanced(piece, ")")):
        piece = piece[:-1]
    while piece and (piece[0].group() in _OPERATORS - {"-", "+"} | {")"} or _unbalanced(piece, "(")):
        piece = piece[1:]
    if not piece:
        return None
    expression = text[piece[0].start() : piece[-1].end()]
    expression = re.sub(r"\s+", " ", expression.replace("^", "**").replace("×", "*").replace("÷", "/"))
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError:
        return None
    if not any(isinstance(n, (ast.BinOp, ast.Call)) for n in ast.walk(tree)):
        return None
    return expression, piece[0].start(), piece[-1].end()


def _centred(operator: str, match: re.Match[str]) -> str:
    return operator.center(len(match.group()))


def _unbalanced(piece: list[re.Match[str]], paren: str) -> bool:
    """More ``paren`` than its partner, with ``paren`` at the end (")") or the start ("(") of the piece."""
    tokens = [t.group() for t in piece]
    edge = tokens[-1] if paren == ")" else tokens[0]
    return edge == paren and tokens.count(paren) > tokens.count("(" if paren == ")" else ")")
