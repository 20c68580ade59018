"""Person names in free prose: the phrasings that :func:`guardllm.detect.context.find_persons` misses.

``find_persons`` finds a name from a trigger right before it ("my name is", "Dear", "Patient:") or an
email that spells it.  Prose addresses people in more ways: "Please email Dana Whitfield", "Send Priya
Raghunathan the report" (a capitalised verb glued to the front of the name), "Hi Tom,", "@Nadia",
"Tariq Haddad approved the budget".  This module adds that evidence in two cheap hooks:

* :func:`rescore` looks again at every capitalised word sequence ``find_persons`` has already found:
  it peels capitalised everyday words off the front ("Refund Dana Whitfield" -> "Dana Whitfield") and
  scores the rest by the word before it, the word after it, a given-name lexicon and surname shape;
  a sequence made only of everyday words ("Wells Fargo", "Tier Two") is dropped.
* :func:`find_single` finds one-word names ("Hi Tom,", "thanks Kenji!", "@Lindiwe", "Rohan: merged")
  from anchors that a set test on the text's words finds without another full regex pass.

Both lexicons (``data/given_names.txt``, ``data/common_words.txt``) are weak evidence, loaded once on
first use; about a fifth of real names are in no list, so context alone must be able to carry a name.
"""

from __future__ import annotations

import re
import threading
from importlib.resources import files

from guardllm.detect import context

__all__ = ["find_single", "rescore"]

Cand = tuple[str, int, int, float, str]

_LOCK = threading.Lock()
_LEX: tuple[frozenset[str], frozenset[str], frozenset[str]] | None = None
_GREETING_FAMILY: context.Family | None = None


def _read_words(name: str) -> frozenset[str]:
    text = files("guardllm.data").joinpath(name).read_text(encoding="utf-8")
    return frozenset(w for line in text.splitlines() if not line.startswith("#") for w in line.split())


def _lexicons() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(given names, common words, Title-case given names), loaded once (at import, see the end of this module)."""
    global _LEX
    lex = _LEX
    if lex is None:
        with _LOCK:
            if _LEX is None:
                given = _read_words("given_names.txt") | context.FIRST_NAMES
                common = _read_words("common_words.txt") | context.STOP
                title = frozenset(g.title() for g in given if len(g) >= 3 and g not in common)
                global _GREETING_FAMILY
                _GREETING_FAMILY = context.Family(_GREETINGS)
                # When the engine reduces a text's words to the trigger vocabulary, given names must be in it.
                vocab = getattr(context, "_VOCAB", None)
                global _LOWER_GIVEN
                _LOWER_GIVEN = frozenset(
                    g
                    for g in given
                    if len(g) >= 4 and g.isalpha() and g not in common and g not in _WORDLIKE_GIVEN
                )
                _build_layout_families()
                if vocab is not None:
                    vocab.update(title)
                    vocab.update(_LOWER_GIVEN)
                _LEX = (given, common, title)
            lex = _LEX
    return lex


# Surnames that are also everyday words: fine as the last word after a known given name ("Alice Young").
_WORD_SURNAMES = frozenset(
    """young green white black brown park hill wood king long bell ward stone price cook baker hall north west
    rich may street lane fox wolf bird love moon star rose field banks house mills ford grant mark wells chase
    morgan stanley jordan dallas austin power little small short strong sharp hunt miller walker carter parker
    mason hunter turner cooper porter fisher taylor bishop knight page frost snow winter summers day rice bush
    gates jobs ball law best hope christian ruby reed weber booker fuller homer decker lister chester browning
    golding harding fielding clement fields brooks woods hills waters rivers powers lord""".split()
)
# Common surnames across cultures: evidence for the last word of a candidate.
_SURNAMES = frozenset(
    """smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez gonzalez wilson
    anderson thomas taylor moore jackson martin lee perez thompson white harris sanchez clark ramirez lewis robinson
    walker young allen king wright scott torres nguyen hill flores green adams nelson baker hall rivera campbell
    mitchell carter roberts gomez phillips evans turner diaz parker cruz edwards collins reyes stewart morris
    morales murphy cook rogers gutierrez ortiz morgan cooper peterson bailey reed kelly howard ramos kim cox ward
    richardson watson brooks chavez wood james bennett gray mendoza ruiz hughes price alvarez castillo sanders
    patel myers long ross foster jimenez powell jenkins perry russell sullivan bell coleman butler henderson barnes
    gonzales fisher vasquez simmons romero jordan patterson alexander hamilton graham reynolds griffin wallace
    moreno west cole hayes bryant herrera gibson ellis tran medina aguilar stevens murray ford castro marshall owens
    harrison fernandez mcdonald woods washington kennedy wells vargas henry chen freeman webb tucker guzman burns
    crawford olson simpson porter hunter gordon mendez silva shaw snyder mason dixon munoz hunt hicks holmes palmer
    wagner black robertson boyd rose stone salazar fox warren mills meyer rice schmidt garza daniels ferguson
    nichols stephens soto weaver ryan gardner payne grant dunn kelley spencer hawkins arnold pierce vazquez hansen
    peters santos hart bradley knight elliott cunningham duncan armstrong hudson carroll lane riley andrews
    singh kumar sharma gupta shah khan ali ahmed hussain iqbal malik chaudhry siddiqui qureshi rahman hossain
    reddy rao nair menon pillai iyer iyengar krishnan subramaniam venkatesan das bose banerjee chatterjee mukherjee
    sen ghosh dutta joshi desai mehta verma agarwal jain kapoor malhotra chopra bhatt pandey mishra tiwari yadav
    wang li zhang liu yang huang zhao wu zhou xu sun ma zhu hu guo he lin luo gao zheng liang xie song tang han
    feng deng cao peng zeng xiao tian dong pan yuan cai jiang yu du ye cheng wei su lu ding ren shen yao lu jiang
    wong chan leung cheung lau ng ho tsang chow lam yip kwok
    park choi jung kang cho yoon jang lim shin han oh seo kwon hwang ahn song hong jeon ko moon yang son baek
    tanaka suzuki sato watanabe takahashi ito yamamoto nakamura kobayashi kato yoshida yamada sasaki yamaguchi
    matsumoto inoue kimura hayashi shimizu yamazaki mori abe ikeda hashimoto ishikawa ogawa fujita okada goto
    hasegawa murakami kondo ishii saito sakamoto endo aoki fujii nishimura fukuda ota miura okamoto matsuda
    pham hoang huynh phan vu vo dang bui do ho ngo duong ly trinh dinh
    muller mueller schmidt schneider fischer weber meyer wagner becker schulz hoffmann schafer koch bauer richter
    klein wolf schroder neumann schwarz zimmermann braun kruger hofmann hartmann lange schmitt werner krause
    meier lehmann schmid schulze maier kohler herrmann konig walter huber kaiser fuchs peters lang scholz vogel
    jansen de jong van dijk bakker visser smit meijer de boer mulder bos vos peeters janssens maes
    rossi russo ferrari esposito bianchi romano colombo ricci marino greco bruno gallo conti de luca mancini costa
    giordano rizzo lombardi moretti barbieri fontana santoro mariani rinaldi caruso ferrara galli martini leone
    silva santos oliveira souza pereira costa ferreira rodrigues almeida nascimento lima araujo fernandes carvalho
    gomes martins rocha ribeiro alves monteiro mendes barros freitas barbosa pinto moura cavalcanti dias castro
    dubois durand lefebvre leroy moreau simon laurent michel garcia david bertrand roux vincent fournier morel
    girard andre mercier dupont lambert bonnet francois martinez legrand garnier faure rousseau blanc guerin
    nowak kowalski wisniewski wojcik kowalczyk kaminski lewandowski zielinski szymanski wozniak dabrowski kozlowski
    jankowski mazur krawczyk piotrowski grabowski nowakowski pawlowski michalski
    ivanov smirnov kuznetsov popov vasiliev petrov sokolov mikhailov novikov fedorov morozov volkov alekseev
    lebedev semenov egorov pavlov kozlov stepanov nikolaev orlov andreev makarov nikitin zakharov
    okafor okeke okonkwo eze nwosu adeyemi adebayo ogunleye olawale mensah owusu boateng asante osei appiah
    addo agyeman diallo traore ndiaye diop sow ba toure keita kamara conteh mwangi kamau otieno ochieng odhiambo
    kariuki wanjiku dlamini nkosi khumalo ndlovu mokoena mthembu zulu sithole moyo ncube
    cohen levi mizrahi peretz biton friedman katz shapiro goldberg rosenberg klein
    yilmaz kaya demir sahin celik yildiz yildirim ozturk aydin ozdemir arslan dogan kilic aslan
    hosseini mohammadi ahmadi rezaei karimi moradi jafari rahimi mousavi tehrani
    murphy kelly obrien byrne ryan walsh oconnor mccarthy doyle gallagher kennedy lynch quinn
    jensen nielsen hansen pedersen andersen christensen larsen sorensen rasmussen johansson karlsson nilsson
    eriksson larsson olsson persson svensson gustafsson lindberg lindqvist berg haugen johansen olsen
    papadopoulos georgiou dimitriou nikolaou""".split()
)
_SURNAME_SHAPE = re.compile(
    r"(?:sson|son|sen|quez|ski|ska|sky|cki|cka|wicz|czyk|ova|ov|eva|ev|enko|chuk|yuk|ian|yan|escu|eanu|opoulos"
    r"|poulos|akis|idis|ini|elli|etti|otti|ucci|berg|stein|mann|feld|baum|ovic|evic|vic|shvili|dze|oglu|zadeh"
    r"|pour|wala|appa|kar|ez|ian|uddin|ullah|adze|yev|yeva|ko|ak|ek|ik|ić|ová|ski)$"
)
_SURNAME_PREFIX = ("Mc", "Mac", "O'", "O’", "Fitz", "Al-", "El-", "Abu", "Ben-", "Van ", "Von ", "De ")

# A word right before a name that says a person follows: verbs of addressing, prepositions, greetings, roles.
_BEFORE = frozenset(
    """email emailed e-mail mail mailed call called calling phone phoned ring rang ask asked asking tell told
    ping pinged pinging cc cc'd bcc dm dm'd message messaged text texted remind reminded notify notified invite
    invited thank thanked thanks meet met meeting contact contacted forward forwarded copy copied loop looped let
    have had could can refund refunded pay paid send sent reach reached reaching brief briefed update updated
    inform informed introduce introduced welcome welcomed congrats congratulate tag tagged mention mentioned
    page paged alert alerted escalate escalated assign assigned reassign reassigned nominate nominated hire hired
    onboard onboarded interview interviewed promote promoted thank-you hi hello hey dear morning afternoon
    evening yo ty thx sorry cheers regards best bye
    to by from with for per w/ via and including incl cc:
    attending daughter son wife husband mother father brother sister nurse doctor dr physician patient pt
    customer client caller user member owner lead champion facilitator host presenter speaker organizer
    reporter maintainer author reviewer approver assignee requester present attendees participants action
    ai decision contact manager colleague teammate boss intern engineer agent rep representative chair
    chairperson secretary treasurer coordinator sponsor stakeholder taker scribe moderator mentor coach trainer
    instructor teacher tutor advisor adviser consultant architect designer developer analyst administrator
    director vp ceo cto cfo coo cio ciso founder cofounder co-founder president chairman apologies
    signed approved submitted reported requested created prepared written handled reviewed raised closed led
    taken owned opened filed logged noted confirmed declined cancelled canceled""".split()
)
_WEAK_BEFORE = frozenset(
    ("to", "by", "from", "with", "for", "per", "via", "w/", "and", "including", "incl", "cc:")
)
# A word right after a name that says it is a person doing something.
_AFTER = frozenset(
    """is was will would can could should has had have and or said says asked asks wants wanted needs needed
    prefers preferred replied replies wrote writes joined joins left leaves raised raises shared shares presented
    presents pushed pushes signed signs demoed approved approves confirmed confirms called calls phoned emailed
    emails texted to mentioned mentions noted notes agreed agrees reported reports requested requests submitted
    submits owns owned took takes gave gives sent sends made makes broke breaks fixed fixes reviewed reviews
    declined declines accepted accepts cancelled canceled churned thinks thought knows knew told tells suggested
    suggests recommended recommends complained complains disputed disputes paid pays owes ordered orders
    visited visits tolerated denies denied reports presented presents arrived arrives leads led manages managed
    handles handled works worked met meets attended attends declined did does didn't doesn't won't can't isn't
    wasn't hasn't cannot just also still may might must""".split()
)
_GREETINGS = (
    "hi",
    "hello",
    "hey",
    "dear",
    "thanks",
    "thank you",
    "ty",
    "thx",
    "cheers",
    "morning",
    "good morning",
    "good afternoon",
    "good evening",
    "welcome",
    "congrats",
    "congratulations",
    "sorry",
    "yo",
    "bye",
    "soon",
    "regards",
    "best",
    "ok",
    "okay",
    "sure",
    "oh",
)
# Every greeting is also a word before a name ("Congratulations Temperance Oakes").
_BEFORE = _BEFORE | frozenset(g.split()[-1] for g in _GREETINGS)
_FILLERS = ("again ", "aboard ", "back ", "so much ", "a lot ", "also ", "everyone and ", "both ")
_NAME_END = ",!.?:;)\n\r"


def _fold(word: str) -> str:
    return context.fold(word)


def _caps(text: str, s: int, e: int) -> list[tuple[int, int]]:
    """Spans of the capitalised words in ``text[s:e]`` (lower-case particles like "van" are skipped)."""
    out = []
    i = s
    for w in text[s:e].split():
        j = text.index(w, i)
        i = j + len(w)
        if w[:1].isupper():
            out.append((j, i))
    return out


def _word_before(lower: str, s: int) -> str:
    window = lower[max(0, s - 24) : s].rstrip(" \t:,-–—(\"'*_")
    if not window:
        return ""
    if window.endswith("\n"):
        return "\n"
    parts = window.rsplit(None, 1)
    return parts[-1] if parts else ""


def _word_after(text: str, e: int) -> str:
    """The next word when it is lower case (a verb after a name); '' otherwise."""
    n = len(text)
    i = e
    while i < n and text[i] in " \t":
        i += 1
    if i == e or i >= n or not text[i].islower():
        return ""
    j = i
    while j < n and (text[j].isalpha() or text[j] in "'’"):
        j += 1
    return text[i:j].replace("’", "'")


def _surname_like(word: str) -> bool:
    f = _fold(word)
    return (
        f in _SURNAMES or word.startswith(_SURNAME_PREFIX) or (len(f) >= 5 and bool(_SURNAME_SHAPE.search(f)))
    )


_DERIVED = (
    "tion",
    "tions",
    "sion",
    "sions",
    "ment",
    "ments",
    "ness",
    "ship",
    "ships",
    "ism",
    "ity",
    "ities",
    "able",
    "ible",
    "ful",
    "less",
    "ization",
    "isation",
    "ology",
    "ware",
)


def _is_common(f: str, common: frozenset[str]) -> bool:
    """``f`` (folded) is an everyday word, inflected forms included ("maintainers", "processed", "rotation")."""
    hit = _COMMON_CACHE.get(f)
    if hit is None:
        hit = _is_common_uncached(f, common)
        if len(_COMMON_CACHE) < 65536:
            _COMMON_CACHE[f] = hit
    return hit


_COMMON_CACHE: dict[str, bool] = {}


def _is_common_uncached(f: str, common: frozenset[str]) -> bool:
    """``f`` (folded) is an everyday word, inflected forms included ("maintainers", "processed", "rotation")."""
    if f in common:
        return True
    n = len(f)
    if n < 4:
        return False
    if f[-1] == "s" and (
        f[:-1] in common
        or (f[-2] == "e" and f[:-2] in common)
        or (f[-3:] == "ies" and f[:-3] + "y" in common)
    ):
        return True
    if n >= 7 and f.endswith(_DERIVED):
        return True  # no given name or surname ends in -tion, -ment, -ness, -ship...
    if f.endswith("ed"):
        return f[:-2] in common or f[:-1] in common or (f[-3] == f[-4] and f[:-3] in common)
    if f.endswith("ing") and n >= 6:
        return f[:-3] in common or f[:-3] + "e" in common or (f[-4] == f[-5] and f[:-4] in common)
    if f.endswith("ly") and n >= 6:
        return f[:-2] in common or f[:-2].endswith(("ful", "al", "ous", "ive", "ent", "ant"))
    if f.endswith("er") and n >= 5:
        return f[:-2] in common or f[:-1] in common
    return False


def _sentence_start(text: str, i: int) -> bool:
    j = i
    while j > 0 and text[j - 1] in " \t":
        j -= 1
    return j == 0 or text[j - 1] in "\n\r.!?:;-–—*>(\"'#/"


_FUNCTION_WORDS = frozenset(("the", "and", "for", "with", "from", "into", "onto", "via", "per", "and", "see"))


def _in_prose(text: str, s: int, e: int) -> bool:
    """``text[s:e]`` sits in a sentence, not in a Title Case heading, a link or emphasis markup."""
    if s > 0 and text[s - 1] in "*`[_<|#":
        return False
    if e < len(text) and text[e] in "*`]_>|":
        return False
    if text[e : e + 1] in (".", ",", ";", "?", "!") and text[e + 1 : e + 2] in ("", " ", "\n", "\r"):
        return True
    lo = text.rfind("\n", max(0, s - 120), s) + 1 or max(0, s - 120)
    hi = text.find("\n", e, e + 120)
    hi = e + 120 if hi == -1 else hi
    for w in (text[lo:s] + " " + text[e:hi]).split():
        w = w.strip(".,;:!?()\"'")
        if len(w) >= 3 and w.isalpha() and w.islower() and w not in _FUNCTION_WORDS:
            return True
    return False


def rescore(text: str, lower: str, s: int, e: int, score: float) -> tuple[int, float]:
    """Peel everyday words off the front of a candidate name ``text[s:e]`` and score it again.

    Returns the new start and score.  A score below the default threshold drops the candidate.
    """
    given, common, _ = _lexicons()
    sp = lower.find(" ", s, e)
    if sp != -1 and (
        (lower[s:sp] in _BRAND_FIRST and _is_brand(text[s:e]))
        or lower[lower.rfind(" ", s, e) + 1 : e] in _ORG_LAST
    ):
        return (
            s,
            0.0,
        )  # "Morgan Stanley", "Globex Industries", "Marketing Ops": a firm or a team  # "Morgan Stanley", "to Charles Schwab": people's names that are a firm
    if score >= 0.6:
        sp = text.find(" ", s, e)
        if not _is_common(_fold(text[s : sp if sp != -1 else e]), common):
            return s, score  # already a name and nothing to peel: the common case, kept cheap
    elif score < 0.5:
        # Nothing to drop, and no name ends in an everyday word ("Quarterly Goals Review"): decided on
        # the last word alone, which is most of the capitalised runs in Title Case text.
        sp = text.rfind(" ", s, e)
        last = _fold(text[sp + 1 if sp != -1 else s : e])
        if last not in _WORD_SURNAMES and _is_common(last, common):
            return s, score
    words = _caps(text, s, e)
    if not words:
        return s, score
    peeled = ""
    # "Send Priya Raghunathan", "Refund Dana Whitfield": a capitalised everyday word glued to the front of a
    # name, at the start of a sentence ("the Royal Albert Hall" keeps its first word, and so stays no name).
    while len(words) > 2:
        w0 = _fold(text[words[0][0] : words[0][1]])
        if w0 in _BEFORE and w0 not in given:
            pass  # "Pt Harold Jennings", "Chair Rotimi Alakija": a role or verb glued to the front
        elif not _is_common(w0, common) or (
            w0 in given and _fold(text[words[1][0] : words[1][1]]) not in given
        ):
            break
        elif not (peeled or _sentence_start(text, words[0][0])):
            break
        peeled = w0
        words.pop(0)
    if peeled:
        s = words[0][0]
    folded = [_fold(text[a:b]) for a, b in words]
    first_given = folded[0] in given
    first_ok = first_given or not _is_common(folded[0], common)
    rest_ok = all(not _is_common(f, common) or (first_given and f in _WORD_SURNAMES) for f in folded[1:])
    if not (first_ok and rest_ok):
        if score >= 0.5 and not first_given and all(_is_common(f, common) for f in folded):
            # "thanks Stack Overflow", "to Tier Two", "spoke to Wells Fargo": only everyday words and brands.
            return s, 0.0
        return s, score
    if score >= 0.6 or len(words) < 2:
        return s, score
    before = peeled or _word_before(lower, s)
    if (before in _BEFORE and before not in _WEAK_BEFORE) or (s > 0 and text[s - 1] == "@"):
        return s, 0.6
    if first_given and len(folded[0]) >= 2:
        return s, 0.6
    last = text[words[-1][0] : words[-1][1]]
    if before in _WEAK_BEFORE and (_surname_like(last) or (before != "and" and _in_prose(text, s, e))):
        # A preposition is weak evidence: "Sessions with Cookie Persistence" (a heading) and
        # "alternative to **Universal Charset Detector**" (markup) are no names; "Thanks to Ottoline
        # Marsh for the slides." is.
        return s, 0.6
    after = _word_after(text, e)
    if after in _AFTER or (
        len(after) > 4 and (after.endswith("ed") or (after[-1] == "s" and _is_common(after, common)))
    ):
        return s, 0.6
    if _surname_like(last):
        return s, max(score, 0.55)
    return s, score


def _single_ok(word: str, given: frozenset[str], common: frozenset[str], *, need_given: bool) -> bool:
    f = _fold(word)
    if context.is_stop(word) or len(f) < 2:
        return False
    if f in given:
        return not need_given or not _is_common(f, common)
    return not need_given and not _is_common(f, common)


def find_single(text: str, lower: str, out: list[Cand], toks: frozenset[str] | None = None) -> None:
    """One-word names: after a greeting, as an @mention, as a chat speaker, or a known given name in a
    phrase that only a person fits ("ping Rasmus about", "Aarav is out sick")."""
    if toks is None:
        toks = context.tokens(text)
    given, common, title = _lexicons()
    n = len(text)
    found: set[int] = set()

    def single_at(q: int) -> tuple[int, int] | None:
        if q >= n or not text[q].isupper():
            return None
        m = context.NAME.match(text, q)
        if not m or " " in m.group() or "\t" in m.group():
            return None
        return m.start(), m.end()

    def add(a: int, b: int, score: float) -> None:
        if a not in found:
            found.add(a)
            out.append(("PERSON", a, b, score, "person-context"))

    # Greetings and sign-offs: "Hi Tom,", "thanks Kenji!", "Cheers, Malak", "Hi Kwame and Adwoa,".
    def _after_greeting(q: int) -> None:
        while q < n and text[q] in " \t,!\n\r":  # "Thanks!\nIvo"
            q += 1
        if q >= n:
            return
        if text[q] in "abse":  # the first letters of _FILLERS
            for filler in _FILLERS:  # "Thanks again Giancarlo!", "thank you so much Ana"
                if lower.startswith(filler, q) or (
                    lower.startswith(filler[:-1], q)
                    and lower[q + len(filler) - 1 : q + len(filler)] in (",", "")
                ):
                    q += len(filler) - 1
                    while q < n and text[q] in " \t,":
                        q += 1
                    break
        while True:
            sp = single_at(q)
            if sp is None:
                up = _UPPER_WORD.match(text, q)  # "Hello ANGUS,": a known given name in capitals
                if up and (up.end() >= n or text[up.end()] in _NAME_END) and _fold(up.group()) in given:
                    if _fold(up.group()) not in common:
                        add(up.start(), up.end(), 0.6)
                return
            a, b = sp
            end_ok = b >= n or text[b] in _NAME_END or text.startswith((" -", " –", " —", " and "), b)
            need_given = not end_ok
            if not _single_ok(text[a:b], given, common, need_given=need_given):
                return
            add(a, b, 0.6)
            if text.startswith(" and ", b):
                q = b + 5
            else:
                return

    assert _GREETING_FAMILY is not None  # built with the lexicons
    for phrase in _GREETING_FAMILY.present(toks):
        p = lower.find(phrase)
        while p != -1:
            q = p + len(phrase)
            if (p == 0 or not lower[p - 1].isalnum()) and (q >= n or not lower[q].isalnum()):
                _after_greeting(q)
            p = lower.find(phrase, q)
    # @mentions: "@Lindiwe pls approve", "@Nadia Rahman can you".
    i = text.find("@")
    while i != -1:
        if (
            i + 1 < n
            and text[i + 1].isupper()
            and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "._-"))
        ):
            m = context.NAME.match(text, i + 1)
            if m and not (m.end() < n and (text[m.end()].isalnum() or text[m.end()] in "-_")):
                folded = [_fold(w) for w in m.group().split() if w[:1].isupper()]
                if (
                    folded
                    and all(f in given or not _is_common(f, common) for f in folded)
                    and not context.is_stop(m.group())
                ):
                    add(m.start(), m.end(), 0.6)
        elif (
            i + 1 < n
            and text[i + 1].islower()
            and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "._-"))
        ):
            # "@harriet to send": a handle that is a known given name (not "@here", not "x@y.com").
            b = i + 1
            while b < n and text[b].isalpha() and text[b].islower():
                b += 1
            if text[i + 1 : b] in _LOWER_GIVEN and not (b < n and (text[b].isalnum() or text[b] in "._-@")):
                add(i + 1, b, 0.6)
        i = text.find("@", i + 1)
    find_layout(text, lower, out, toks, add, found)
    # A known given name on its own: "ping Rasmus about", "Rohan: merged", "Aarav is out sick".
    hits = title & toks
    if not hits:
        return
    if len(hits) <= _FIND_NAMES:
        # A few distinct names: str.find per name (a C scan) is the cheapest way to their positions.
        for name in hits:
            i = text.find(name)
            while i != -1:
                b = i + len(name)
                if i not in found:
                    _given_alone(text, lower, i, b, add)
                i = text.find(name, b)
    else:
        # Many distinct names: one pass over capitalised words instead of one pass per name.
        for m in _CAP_WORD.finditer(text):
            if m.group() in hits and m.start() not in found:
                _given_alone(text, lower, m.start(), m.end(), add)


_FIND_NAMES = 48
_CAP_WORD = re.compile(r"[A-Z][a-z]+")


def _given_alone(text: str, lower: str, i: int, b: int, add) -> None:
    """Report the given name ``text[i:b]`` when it stands alone in a phrase that only a person fits."""
    n = len(text)
    if (i > 0 and text[i - 1].isalnum()) or (b < n and (text[b].isalnum() or text[b] in "-'’")):
        return
    if b + 1 < n and text[b] in " \t" and text[b + 1].isupper():
        return  # the first word of a longer capitalised run: find_persons judged the whole run
    before = _word_before(lower, i)
    line_start = i == 0 or text[i - 1] == "\n" or (text[i - 1] in " *" and _line_start(text, i))
    if (
        (before in _BEFORE and before != "\n")
        or (line_start and text[b : b + 1] == ":")
        or _word_after(text, b) in _AFTER
        or _word_after(text, b) in _ITEM_VERBS
        or _word_after(text, b) in _MEETING_VERBS
        or (text[b : b + 1] == "," and before in ("", "\n"))
    ):
        add(i, b, 0.6)


# -- layouts: labels, lists, checklists, transcripts, sign-offs, lower and UPPER case --------------------------

# Organisations named after people: two given-name-looking words that are a firm, a brand or a fund.
_BRANDS = frozenset(
    """morgan stanley|charles schwab|louis vuitton|goldman sachs|merrill lynch|lehman brothers|edward jones
    |raymond james|john lewis|john deere|calvin klein|ralph lauren|tommy hilfiger|hugo boss|estee lauder
    |estée lauder|michael kors|kate spade|tory burch|tom ford|ted baker|paul smith|jimmy choo|christian dior
    |giorgio armani|yves saint laurent|harley davidson|harley-davidson|rolls royce|rolls-royce|dow jones
    |walt disney|johnnie walker|jack daniels|jack daniel's|charles river|marks spencer|ernst young
    |procter gamble|johnson johnson|ben jerry's|ben jerrys|dolce gabbana|abercrombie fitch|hewlett packard
    |hewlett-packard|baker mckenzie|allen overy|clifford chance|thomson reuters|wolters kluwer|mary kay
    |martha stewart|sherwin williams|sherwin-williams|cushman wakefield|jones lang lasalle|grant thornton
    |lloyds|barclays|schroders|rothschild|franklin templeton|charles tyrwhitt|hugo boss|william hill
    |victoria's secret|max mara|ann taylor|kenneth cole|oscar de la renta|vera wang|tim hortons|wendy's
    |dr martens|dr pepper|ronald mcdonald|mcdonald's|bain capital|arthur andersen|warner bros|warner brothers
    |dean witter|smith barney|jp morgan|j.p. morgan|morgan chase|henry schein|pitney bowes|lockheed martin
    |booz allen|booz allen hamilton|norton rose|herbert smith|simon kucher|roland berger|kurt geiger""".replace(
        "\n", ""
    ).split("|")
)
# Last words of organisation and team names: no person's name ends in them ("Initech Solutions").
_ORG_LAST = frozenset(
    """industries solutions systems technologies technology labs holdings ventures capital consulting logistics
    partners associates enterprises corporation incorporated limited plc llp gmbh ag sa bv nv pty inc llc ltd
    corp co group analytics software networks pharmaceuticals pharma healthcare insurance bank foundation
    institute university college academy agency studios studio media games motors airlines airways
    ops devops operations desk reliability engineering marketing sales support finance legal realty properties
    homes realtors estates clinic clinics pharmacy dental dentistry bakery cafe café motors credit union school
    schools hospital medical mortgage lending financial rentals construction plumbing roofing landscaping
    restaurant bistro salon boutique hotel resort veterinary""".split()
)
_BRAND_FIRST = frozenset(b.split()[0] for b in _BRANDS)
_BRAND_NORM = re.compile(r"[ \t]*&[ \t]*|[ \t]+")


def _is_brand(text: str) -> bool:
    return _BRAND_NORM.sub(" ", text.strip()).lower() in _BRANDS


# Departments and roles that fill the same slots as a name ("- [ ] Finance to send", "cc Legal", "Owner: Ops").
_ROLE_WORDS = frozenset(
    """hr it qa ops devops sre pm pmo eng dev ux ui bd cs am se fe be ml ai bi it's legal finance sales
    marketing engineering support security compliance procurement platform infra infrastructure design product
    data analytics research recruiting talent facilities payroll treasury tax audit risk growth partnerships
    channel here everyone all team teams staff management leadership exec execs board committee owners owner
    tbd tba n/a na none nobody someone anyone whoever everybody volunteers volunteer customer customers client
    clients vendor vendors applicant candidate user users admin admins system bot bots jenkins github gitlab
    dependabot renovate slackbot zapier pagerduty sentry datadog circleci travis opsgenie jira confluence
    notion grafana prometheus kubernetes docker nagios alertmanager cron scheduler server monitor monitoring
    parent parents guardian guardians resident residents student students homeowner homeowners policyholder
    policyholders tenant tenants colleague colleagues member members sir madam neighbor neighbour subscriber
    participant employee shareholder donor supporter
    me myself you us we them self pt pts reception anonymous anon unknown quorum inbound outbound frontdesk helpdesk servicedesk""".split()
)
# Words that, right after a name and a space, continue a person's action item ("Lars to follow up").
_ITEM_VERBS = frozenset(
    """to will should can could would must needs need owns own drafts draft reviews review sends send takes take
    leads lead handles handle checks check confirms confirm updates update books book chases chase follows
    follows-up shares share writes write schedules schedule prepares prepare presents present investigates
    investigate fixes fix tests test circulates circulate sets set owns is was""".split()
)
_LIST_LABELS = frozenset(
    """apologies present absent attendees attendee participants attending guests speakers reviewers owners cc bcc
    to invitees regrets panel panelists team members""".split()
)
# Labels of address blocks, whose name may stand on the next line ("SHIP TO\nMARTA KOWALSKA").
_NEXT_LINE_LABELS = frozenset(
    "ship to,bill to,deliver to,delivered to,sold to,send to,attn,attention,recipient,consignee,addressee".split(
        ","
    )
)
_ONE_LABELS = (
    *sorted(_NEXT_LINE_LABELS),
    "patient",
    "patient name",
    "pt",
    "pt name",
    "name",
    "full name",
    "insured",
    "policyholder",
    "policy holder",
    "claimant",
    "member",
    "assigned to",
    "assignee",
    "owner",
    "reviewer",
    "approver",
    "approved by",
    "reporter",
    "reported by",
    "requester",
    "requested by",
    "facilitator",
    "scribe",
    "chair",
    "host",
    "from",
    "contact",
    "caregiver",
    "next of kin",
    "emergency contact",
    "tenant",
    "driver",
    "speaker",
    "presenter",
    "organizer",
    "organiser",
    "action",
    "ap",
    "ai",
    "todo",
    "to do",
    "note taker",
    "notetaker",
    "on call",
    "on-call",
    "dri",
    "poc",
    "lead",
    "manager",
    "prepared by",
    "signed by",
    "witness",
    "guardian",
    "nok",
    "employee",
    "candidate",
    "customer",
    "client",
    "account holder",
    "cardholder",
    "beneficiary",
    "submitted by",
    "customer name",
    "member name",
    "insured name",
    "interviewer",
    "interviewee",
)
# Labels whose value may stand on the next line (shipping labels, letters).
_WEAK_LABELS = frozenset(
    (
        *"""lead speaker host driver member contact client customer action ap ai todo manager employee candidate
        chair presenter organizer organiser dri poc present recipient from name witness tenant guardian""".split(),
        "to do",
        "on call",
        "on-call",
    )
)
# Phrases inside a sentence that a name (or a list of names) follows.
_INLINE = (
    "apologies from",
    "regrets from",
    "attendees were",
    "attendees included",
    "attendees are",
    "present were",
    "attended by",
    "joined by",
    "decision maker is",
    "decision-maker is",
    "economic buyer is",
    "champion is",
    "point of contact is",
    "main contact is",
    "primary contact is",
    "account owner is",
    "reports to",
    "reporting to",
    "reported to",
    "report to",
)
# "the claimant, X, reported": a role, a comma, a name, a comma.
_APPOSITIVE = (
    "claimant",
    "insured",
    "patient",
    "tenant",
    "driver",
    "caller",
    "customer",
    "complainant",
    "witness",
    "applicant",
    "policyholder",
    "employee",
    "member",
    "beneficiary",
    "client",
    "resident",
    "plaintiff",
    "defendant",
    "victim",
    "passenger",
    "homeowner",
    "landlord",
    "manager",
)
# Kin and carers: the next capitalised word is a person ("daughter Ilona", "Son Dariusz at bedside").
_KIN = frozenset(
    """daughter son wife husband mother father mom mum dad brother sister partner nephew niece grandson
    granddaughter grandmother grandfather caregiver carer guardian friend fiance fiancé fiancee fiancée
    neighbour neighbor cousin aunt uncle boyfriend girlfriend spouse stepson stepdaughter stepmother stepfather
    sibling roommate flatmate""".split()
)
# Verbs of addressing that take a one-word name of any origin ("ping Ludovica", "loop Ludovica in").
_ADDRESS = frozenset(
    """ping pinged pinging cc cc'd dm dm'd email emailed ask asked tell told remind reminded loop looping looped
    message messaged text texted notify notified call phone phoned nudge nudged
    escalate escalated assign assigned poke poked""".split()
)
# Words after a name and "'s" that only a person has.
_POSSESSED = frozenset(
    """approval sign-off signoff manager wife husband daughter son mother father partner desk calendar inbox
    phone flight laptop consent signature birthday leave vacation holiday salary availability assistant boss
    family kids children brother appointment surgery prescription medication""".split()
)
_SIGNOFF_DASHES = ("—", "–", "--", "~")
_CHAT_LINE = re.compile(r"\[\d{1,2}:\d{2}(?::\d{2})?(?:[ \t]?[AaPp][Mm])?\][ \t]*(?:<|@)?")
_CHECK = re.compile(r"[-*+][ \t]+\[[ xX]\][ \t]+@?")
_UPPER_WORD = re.compile(r"[A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ'’-]*[A-ZÀ-ÖØ-Þ]")
_UPPER_RUN = re.compile(
    r"[A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ'’-]*[A-ZÀ-ÖØ-Þ](?:,?[ \t]+[A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ'’-]*[A-ZÀ-ÖØ-Þ]){0,3}(?![\w])"
)
_RUN_END = re.compile(r"[ \t]*(?:$|[,;.!?)\n\r]|[ \t]\(|[ \t](?:and|&|or)[ \t])")
_WORD_END = re.compile(r"(?![\w'’-])")
_LABEL_FAMILY: context.Family | None = None
_INLINE_FAMILY: context.Family | None = None
_EXTRA_FAMILY: context.Family | None = None
_LOWER_GIVEN: frozenset[str] = frozenset()
# Given names that are also English words or places: in lower-case text they say nothing.
_WORDLIKE_GIVEN = frozenset(
    """max will may bill sue rob pat joy ivy guy art ray dean sandy frank june april august mark chase don jack
    ed al eve amber faith hope grace rose lily daisy holly iris dawn summer autumn river sky star sunny rich bob
    drew gene carol ginger penny ruby pearl jade crystal destiny harmony melody victor hunter angel king earl
    prince duke major sterling reed wade miles grant lane dale glen clay cliff heath rocky rusty buck chip coco
    dusty misty brandy candy cherry lee kim jan nick sal val dot bee honey nova page paris florence georgia
    virginia victoria sydney austin dallas phoenix india jordan israel brooklyn savannah chelsea kent lincoln
    orlando houston adelaide charlotte madison regina eugene carter parker mason taylor morgan jean ben tim
    tom pete hank kit sam said van ali ana ada abe amy ann bo jo mo ty al che del eli ian""".split()
)


_TITLE_FAMILY: context.Family | None = None


def _build_layout_families() -> None:
    global _LABEL_FAMILY, _INLINE_FAMILY, _EXTRA_FAMILY, _TITLE_FAMILY
    _TITLE_FAMILY = context.Family(("Mr", "Mrs", "Ms", "Mx", "Dr", "Miss", "Prof"))
    _LABEL_FAMILY = context.Family(tuple(_ONE_LABELS) + tuple(sorted(_LIST_LABELS)))
    _INLINE_FAMILY = context.Family(_INLINE + tuple(_APPOSITIVE))
    _EXTRA_FAMILY = context.Family(tuple(sorted(_KIN | _ADDRESS)))


_CAMEL_OK = ("Mc", "Mac", "De", "Di", "Da", "La", "Le", "Van", "Von", "Fitz", "O'", "O’", "D'", "D’", "St")


def _name_word_ok(word: str, given: frozenset[str], common: frozenset[str], *, first: bool) -> bool:
    f = _fold(word)
    if len(f) < 2 or f in _ROLE_WORDS or context.is_stop(word):
        return False
    if (
        any(map(str.isupper, word[1:]))  # map, not a generator: no Python frame per character
        and not word.startswith(_CAMEL_OK)
        and "-" not in word
        and not word.isupper()
    ):
        return False  # "LangChain", "GitHub": a product; "McAllister", "DeShawn", "O'Neil" stay names
    if f in given and first:
        return True
    return not _is_common(f, common) or (f in _WORD_SURNAMES and not first)


def _run_ok(text: str, a: int, b: int, given: frozenset[str], common: frozenset[str]) -> bool:
    """Every capitalised word of ``text[a:b]`` can be part of a name, and the run is no brand."""
    words = [w for w in text[a:b].replace(",", " ").split() if w[:1].isupper()]
    if not words or len(words) > 4 or any(map(str.isdigit, text[a:b])):
        return False
    if len(words) >= 2 and (_is_brand(text[a:b]) or words[-1].lower() in _ORG_LAST):
        return False  # "Morgan Stanley", "Sunrise Dental": a firm
    return all(_name_word_ok(w, given, common, first=i == 0) for i, w in enumerate(words))


def _name_here(text: str, q: int, given, common, *, upper: bool = True, last_first: bool = False):
    """The name that starts at ``q``: Title Case words, or an UPPER CASE run ("MARTA KOWALSKA",
    "HENDRIKS, JAN" when ``last_first``).  Returns (start, end) or None."""
    n = len(text)
    while q < n and text[q] in " \t":
        q += 1
    if q >= n or not text[q].isupper():
        return None
    m = context.NAME.match(text, q)
    if m:
        a, b = m.span()
        return (a, b) if _run_ok(text, a, b, given, common) else None
    if not upper:
        return None
    m = _UPPER_RUN.match(text, q)
    if not m:
        return None
    a, b = m.span()
    seg = m.group()
    if "," in seg and not last_first:
        b = a + seg.index(",")
        seg = text[a:b]
    words = seg.replace(",", " ").split()
    if not words or any(len(_fold(w)) < 2 for w in words):
        return None
    if len(words) == 1 and _fold(words[0]) not in given:
        return None  # one UPPER CASE word is an acronym more often than a name
    if _is_brand(seg):
        return None
    for w in words:
        f = _fold(w)
        if f in _ROLE_WORDS or context.is_stop(w) or (_is_common(f, common) and f not in given):
            return None
    return a, b


def _ends_item(text: str, b: int) -> bool:
    return bool(_RUN_END.match(text, b)) or text.startswith(("'s ", "’s "), b)


def _after_verb(text: str, b: int) -> bool:
    w = _word_after(text, b)
    return w in _ITEM_VERBS or w in _AFTER


def _list_at(
    text: str, q: int, given, common, add, *, many: bool, last_first: bool = False, weak: bool = False
) -> None:
    """Names from ``q`` on: one, or a list separated by commas and "and" when ``many``.

    After a ``weak`` label ("Lead:", "Speaker:", "Present:") one unknown word alone is a product or a
    status as often as a person ("Lead: Inbound", "Speaker: Bose"): it needs a known given name."""
    n = len(text)
    items: list[tuple[int, int]] = []
    while True:
        sp = _name_here(text, q, given, common, last_first=last_first)
        if sp is None:
            break
        a, b = sp
        if not (_ends_item(text, b) or _after_verb(text, b)):
            break
        items.append((a, b))
        if not many:
            break
        q = b
        while q < n and text[q] in " \t":
            q += 1
        if text.startswith(",", q):
            q += 1
            while q < n and text[q] in " \t":
                q += 1
            if text.startswith("and ", q):
                q += 4
        elif text.startswith(("and ", "& "), q):
            if text[q] == "&":
                nxt = _name_here(text, q + 2, given, common, upper=True)
                if nxt is not None and _is_brand(text[a : nxt[1]]):
                    items.pop()  # "Johnson & Johnson": one firm, not two people
                    break
            q += 4 if text[q] == "a" else 2
        else:
            break
    if weak and len(items) == 1:
        a, b = items[0]
        word = text[a:b]
        if not any(c in word for c in " \t,") and _fold(word) not in given:
            return
    for a, b in items:
        add(a, b, 0.6)


def _line_start(text: str, i: int) -> bool:
    """Only blanks, a bullet or markup between the start of the line and ``i``."""
    j = i
    while j > 0 and text[j - 1] in " \t*-•#>|":
        j -= 1
    return j == 0 or text[j - 1] in "\n\r;|"


def _line_start_after(text: str, i: int, memo: list) -> bool:
    """:func:`_line_start` for positions that only grow: when only blanks/bullets/markup lie between the
    last position asked and ``i``, the walk back from ``i`` ends where that one did.  Walking back
    afresh each time was quadratic on a long run of dashes (a 1 MB "-----" took hours)."""
    prev = memo[0]
    if prev >= 0 and prev <= i and not text[prev:i].strip(_LINE_LEAD):
        memo[0] = i
        return memo[1]
    res = _line_start(text, i)
    memo[0], memo[1] = i, res
    return res


_LINE_LEAD = " \t*-•#>|"


def find_layout(text: str, lower: str, out: list[Cand], toks: frozenset[str], add, found: set[int]) -> None:
    """Names that layouts place: labelled fields, attendee lists, checklists, chat transcripts, sign-offs,
    appositives, kin words, possessives, and names typed all in lower or UPPER case."""
    given, common, _ = _lexicons()
    n = len(text)
    # Names find_persons already reported are not judged again (most names in prose).
    found.update(c[1] for c in out if c[0] == "PERSON")
    assert _LABEL_FAMILY is not None and _INLINE_FAMILY is not None and _EXTRA_FAMILY is not None
    # Labelled fields: "Apologies: A, B", "SHIP TO\nMARTA KOWALSKA", "PATIENT: HENDRIKS, JAN", "To: Wendeline".
    for phrase in _LABEL_FAMILY.present(toks):
        p = lower.find(phrase)
        while p != -1:
            q = p + len(phrase)
            if (
                (p == 0 or not lower[p - 1].isalnum())
                and (q >= n or not lower[q].isalnum())
                and _line_start(text, p)
            ):
                r = q
                while r < n and text[r] in " \t":
                    r += 1
                colon = r < n and text[r] in ":-–—"
                if colon:
                    r += 1
                    while r < n and text[r] in " \t":
                        r += 1
                if r < n and text[r] in "\r\n" and phrase in _NEXT_LINE_LABELS:
                    r += 2 if text.startswith("\r\n", r) else 1
                    colon = True
                if colon:
                    _list_at(
                        text,
                        r,
                        given,
                        common,
                        add,
                        many=phrase in _LIST_LABELS,
                        last_first=phrase not in _LIST_LABELS,
                        weak=phrase in _WEAK_LABELS,
                    )
            p = lower.find(phrase, q)
    # In a sentence: "Attendees were A, B and C", "reports to Y", "the claimant, X, reported".
    for phrase in _INLINE_FAMILY.present(toks):
        p = lower.find(phrase)
        while p != -1:
            q = p + len(phrase)
            if (p == 0 or not lower[p - 1].isalnum()) and (q >= n or not lower[q].isalnum()):
                if phrase in _APPOSITIVE:
                    if text.startswith(", ", q):
                        sp = _name_here(text, q + 2, given, common, upper=False)
                        if sp and text.startswith(",", sp[1]):
                            add(sp[0], sp[1], 0.6)
                else:
                    _list_at(text, q, given, common, add, many=True)
            p = lower.find(phrase, q)
    # Kin words and verbs of addressing take a one-word name of any origin: "daughter Ilona", "ping Ludovica".
    for word in _EXTRA_FAMILY.present(toks):
        p = lower.find(word)
        while p != -1:
            q = p + len(word)
            if (
                (p == 0 or not lower[p - 1].isalnum())
                and q < n
                and text[q] == " "
                and q + 1 not in found
                and q + 1 < n
                and text[q + 1].isupper()
            ):
                sp = _name_here(text, q + 1, given, common, upper=False)
                if sp is not None:
                    a, b = sp
                    if not (text[p].islower() or _sentence_start(text, p)):
                        pass  # "HTTP Message Syntax and Routing": a Title Case heading
                    elif word in _KIN or text[b : b + 1] in (
                        "",
                        ",",
                        ".",
                        "!",
                        "?",
                        ";",
                        ":",
                        ")",
                        "\n",
                        "\r",
                    ):
                        add(a, b, 0.6)
                    elif _word_after(text, b) in _TAIL_WORDS or text.startswith(("'s ", "’s "), b):
                        add(a, b, 0.6)
            p = lower.find(word, q)
    if "?" in text:
        # "Could Valentijn review the draft?": a request to a person, any origin of name.
        for aux in ("Could ", "Can ", "Would ", "Will "):
            i = text.find(aux)
            while i != -1:
                q = i + len(aux)
                if _sentence_start(text, i):
                    sp = _name_here(text, q, given, common, upper=False)
                    if sp is not None and _word_after(text, sp[1]) in _REQUEST_VERBS:
                        qm = text.find("?", sp[1], sp[1] + 160)
                        if qm != -1 and "\n" not in text[sp[1] : qm]:
                            add(sp[0], sp[1], 0.6)
                i = text.find(aux, q)
    if "[" in text:
        # Chat transcripts "[10:42] Mirela: ..." and checklists "- [ ] @Sunniva to send", "- [ ] Kasimir: ...".
        for rx in (_CHAT_LINE, _CHECK):
            for m in rx.finditer(text):
                if not _line_start(text, m.start()):
                    continue
                sp = _name_here(text, m.end(), given, common, upper=False)
                if sp is None:
                    # "[10:42] harriet: ok": a speaker typed in lower case, when a known given name.
                    e = m.end()
                    while e < n and text[e].isalpha() and text[e].islower():
                        e += 1
                    if text.startswith(":", e) and text[m.end() : e] in _LOWER_GIVEN:
                        add(m.end(), e, 0.6)
                    continue
                a, b = sp
                if text.startswith(":", b) or (rx is _CHECK and _after_verb(text, b)):
                    add(a, b, 0.6)
    if "(" in text:
        # "- Odile (Eng)", "with Nadia (caregiver)": a name, then a role or kin word in brackets.
        i = text.find(" (")
        # The line start is carried forward (positions only grow): an rfind back to offset 0 per
        # bracket was quadratic on one long line of " (x)" repeats.
        ls, seen_to = 0, 0
        while i != -1:
            close = text.find(")", i + 2, i + 40)
            if close != -1:
                inner = _fold(text[i + 2 : close])
                nl = text.rfind("\n", seen_to, i)
                if nl != -1:
                    ls = nl + 1
                seen_to = i
                bullet = text[ls : ls + 2] in ("- ", "* ", "• ")
                tail = text[close + 1 : close + 2]
                if inner in _PAREN_ROLES and (
                    tail in ("", ",", ";", ".", ":", "\n", "\r") or _after_verb(text, close + 1)
                ):
                    lo = ls + 2 if bullet else max(ls, i - 60)
                    _name_before(text, lo, i, given, common, add, bullet=bullet)
            i = text.find(" (", i + 2)
    # Sign-offs after a dash: "— Margot".
    for dash in _SIGNOFF_DASHES:
        i = text.find(dash)
        memo = [-1, False]  # [position, _line_start there]
        while i != -1:
            if _line_start_after(text, i, memo) or (i > 0 and text[i - 1] in "\n "):
                q = i + len(dash)
                if dash == "--" and text.startswith((" \n", "\n"), q):
                    q = text.index("\n", q) + 1  # the "-- " line that opens an email signature
                sp = _name_here(text, q, given, common, upper=False)
                if sp is not None and (sp[1] >= n or text[sp[1]] in "\r\n,"):
                    add(sp[0], sp[1], 0.6)
            i = text.find(dash, i + len(dash))
    # Possessives: "Ebo Quansah's approval".
    for apo in ("'s ", "’s "):
        i = text.find(apo)
        while i != -1:
            nxt = lower[i + 3 : i + 20].split(None, 1)
            if nxt and nxt[0].strip(".,;:") in _POSSESSED:
                _name_before(text, max(0, i - 60), i, given, common, add, bullet=False, possessive=True)
            i = text.find(apo, i + 3)
    # "Dear Mr HENDRIKS,": a title, then a surname in capitals.
    for title in _TITLE_FAMILY.present(toks) if _TITLE_FAMILY is not None else ():
        i = text.find(title)
        while i != -1:
            q = i + len(title)
            if (i == 0 or not text[i - 1].isalnum()) and text[q : q + 1] in (".", " "):
                q += 1 if text[q] == "." else 0
                m = _UPPER_RUN.match(text, q + 1) if text[q : q + 1] == " " else None
                if m and m.start() not in found:
                    seg = m.group()  # "Ms. SMITH, JANE": surname first, given name after
                    words = seg.replace(",", " ").split()
                    if all(
                        len(_fold(w)) >= 2 and _fold(w) not in _ROLE_WORDS and not context.is_stop(w)
                        for w in words
                    ):
                        add(m.start(), m.start() + len(seg), 0.6)
            i = text.find(title, q)
    # ``_find_lower`` covers names typed in lower case.
    _find_lower(text, lower, toks, add)

    # "Dear Applicant", "Hi Candidate": a role word where a greeting expects a name.
    def role(c: Cand) -> bool:
        return (
            c[0] == "PERSON"
            and c[4] == "person-context"
            and " " not in text[c[1] : c[2]]
            and _fold(text[c[1] : c[2]]) in _ROLE_WORDS
        )

    if any(map(role, out)):
        out[:] = [c for c in out if not role(c)]


_REQUEST_VERBS = frozenset(
    """review sign check confirm approve send take help join look share update call email ping cover own lead
    present follow draft book chase test circulate forward reply respond double-check proofread""".split()
)
# Bracketed after a name in attendee lists and notes: "- Odile (Eng)", "with Nadia (caregiver)".
_PAREN_ROLES = (
    _ROLE_WORDS
    | _KIN
    | frozenset(
        """cto ceo cfo coo cio ciso vp svp evp director lead manager intern contractor chair host guest remote
        external observer optional organizer organiser facilitator scribe notetaker presenter speaker sponsor
        approver reviewer engineer designer analyst consultant counsel recruiter coach mentor
        nurse doctor physician gp carer hcp pcp rn np md pa sw ot pt""".split()
    )
) - frozenset(("all", "here", "none", "me", "you", "us", "we", "them", "self"))
# Meeting-note verbs after a known given name ("Lorenzo flagged the vendor risk").
_MEETING_VERBS = frozenset(
    """flagged proposed volunteered objected explained walked summarized summarised suggested offered pointed
    highlighted questioned demoed demonstrated clarified recapped outlined walked""".split()
)
_TAIL_WORDS = frozenset(
    """about in on for to when if that whether re today tomorrow asap again too directly know once
    before after now later""".split()
)
_NAME_TAIL = re.compile(rf"(?:{context._WORD})(?:[ \t]+(?:{context._WORD})){{0,3}}$")


def _name_before(
    text: str, lo: int, hi: int, given, common, add, *, bullet: bool, possessive: bool = False
) -> None:
    """A name that ends at ``hi`` (bullet items must be nothing but the name)."""
    m = _NAME_TAIL.search(text, lo, hi)
    if m is None:
        return
    a, b = m.span()
    if bullet and a != lo:
        return
    if (
        possessive
        and " " not in text[a:b]
        and not (_fold(text[a:b]) in given and not _is_common(_fold(text[a:b]), common))
    ):
        return  # "Stripe's approval", "Rich's sister project": one word must be a known given name
    if _run_ok(text, a, b, given, common):
        add(a, b, 0.6)


_LOWER_BEFORE = frozenset(
    """to with ask asked tell told ping pinged message messaged text texted call called email emailed cc
    ty thx thanks hi hey met meet meeting remind reminded and from for by dm dm'd""".split()
)
_LOWER_STOP = frozenset(
    """pls plz asap thx lol re btw fyi rn tmrw tmr tonight today soon again too later now yet ok okay lmk idk
    yesterday tomorrow""".split()
)


def _find_lower(text: str, lower: str, toks: frozenset[str], add) -> None:
    """Known given names typed in lower case after a word that addresses a person: "talked to giulia mensah"."""
    hits = _LOWER_GIVEN & toks
    if not hits:
        return
    _, common, _ = _lexicons()
    n = len(text)
    for name in hits:
        i = text.find(name)
        while i != -1:
            b = i + len(name)
            if (i == 0 or not text[i - 1].isalnum()) and (
                b >= n or not (text[b].isalnum() or text[b] in "-'’")
            ):
                before = _word_before(lower, i)
                if before in _LOWER_BEFORE or before in _ADDRESS:
                    # A surname typed in lower case too: the next word when it is no everyday word.
                    m = re.match(r" ([a-z][a-z'-]{2,})(?![\w])", text[b : b + 40])
                    if (
                        m
                        and not _is_common(m.group(1), common)
                        and m.group(1) not in _LOWER_STOP
                        and not context.is_stop(m.group(1))
                    ):
                        b += m.end()
                    add(i, b, 0.6)
            i = text.find(name, b)


# Loaded at import, not on first use: a Family and the given names must be in the trigger vocabulary
# before the first text's words are reduced to it (a few milliseconds, once).
_lexicons()
