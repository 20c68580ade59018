"""Pattern recognizers for PII with a fixed shape: email, phone, card, SSN, IBAN, IP, MAC, crypto ...

Every recognizer is a function ``(text, out)`` that appends candidate tuples
``(entity_type, start, end, score, recognizer)`` to ``out``.  Each one is guarded by a cheap
prefilter (a substring test) so that texts without the anchor characters cost nothing, and every
regex uses bounded quantifiers only, so the cost stays linear on adversarial input (long digit
runs, ``@.@.@.``, ``a-a-a-``...).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

from guardllm.detect.validators import (
    IBAN_LENGTHS,
    base58check_ok,
    bech32_ok,
    card_iin_ok,
    dea_ok,
    iban_ok,
    luhn_ok,
    ssn_ok,
    vin_ok,
)

Cand = tuple[str, int, int, float, str]
Recognizer = Callable[[str, list[Cand]], None]

# Words that, just before a number, say it is *not* personal (an order, a build, a version...).
_NEG_WORDS = frozenset(
    "order ord ticket invoice build version ver release sku isbn ref reference tracking artifact checksum commit "
    "sha hash issue pr job run txn transaction batch serial part model item case request req session trace span "
    "id".split()
)
_SEP_CHARS = " \t\n:#=.-"


def _neg_before(text: str, start: int) -> bool:
    window = text[max(0, start - 16) : start]
    if not window:
        return False
    if window.rstrip(" \t:=.-").endswith("#"):
        return True  # "#4111 1111 ..." is a reference number
    words = window.rstrip(_SEP_CHARS).rsplit(None, 1)
    return bool(words) and words[-1].lstrip("([{'\"").lower() in _NEG_WORDS


# -- local gating -------------------------------------------------------------------------------
#: Texts up to twice this size are gated as a whole; beyond it a hint word opens only the window of
#: this many characters around itself, so a 10 MB input does not run every word-gated recognizer
#: over all of its bytes because one "wallet" or "Mr" appears somewhere in it.
HINT_RADIUS = 2048


def hint_windows(lower: str, hints: tuple[str, ...], radius: int = HINT_RADIUS) -> list[tuple[int, int]]:
    """Spans of ``lower`` within ``radius`` of any of ``hints`` (the whole text when it is short).

    Window ends are moved out to a line break (or a blank) so no match is cut in two.
    """
    n = len(lower)
    if n <= 2 * radius:
        for h in hints:
            if h in lower:
                return [(0, n)]
        return []
    hits: list[int] = []
    for h in hints:
        i = lower.find(h)
        while i != -1:
            hits.append(i)
            i = lower.find(h, i + 1)
    if not hits:
        return []
    hits.sort()
    spans: list[tuple[int, int]] = []
    for i in hits:
        lo = i - radius
        hi = i + radius
        if spans and lo <= spans[-1][1]:
            spans[-1] = (spans[-1][0], hi)
        else:
            spans.append((lo, hi))
    out: list[tuple[int, int]] = []
    for lo, hi in spans:
        lo = _snap_back(lower, lo)
        hi = _snap_forward(lower, hi)
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def matches_at(
    text: str,
    pat: re.Pattern[str],
    hay: str,
    hints: tuple[str, ...],
    offsets: tuple[int, ...] = (0,),
    gate: re.Pattern[str] | None = None,
) -> list[re.Match[str]]:
    """What ``pat.finditer(text)`` finds when every match starts ``offsets`` before a hint in ``hay``.

    ``hay`` is ``text`` or its same-length lower-case copy.  Patterns that open with an alternation
    of words get no prefix help from the regex engine (it tries every branch at every position);
    anchoring them at the hint words costs a ``str.find`` per hint instead.
    """
    starts: list[int] = []
    if gate is not None:
        # One pass of a literal alternation finds every hint (when no hint can begin inside
        # another's occurrence, non-overlapping matches are all of them).
        for g in gate.finditer(hay):
            i = g.start()
            for off in offsets:
                if i >= off:
                    starts.append(i - off)
    else:
        for h in hints:
            i = hay.find(h)
            while i != -1:
                for off in offsets:
                    if i >= off:
                        starts.append(i - off)
                i = hay.find(h, i + 1)
    if not starts:
        return []
    starts.sort()
    found: list[re.Match[str]] = []
    last = 0
    for st in starts:
        if st < last:
            continue
        m = pat.match(text, st)
        if m is not None:
            found.append(m)
            last = m.end() if m.end() > st else st + 1
    return found


def _snap_back(s: str, i: int) -> int:
    if i <= 0:
        return 0
    j = s.rfind("\n", max(0, i - 512), i)
    if j == -1:
        j = max(s.rfind(" ", max(0, i - 512), i), s.rfind("\t", max(0, i - 512), i))
    return j + 1 if j != -1 else 0


def _snap_forward(s: str, i: int) -> int:
    n = len(s)
    if i >= n:
        return n
    j = s.find("\n", i, i + 512)
    if j == -1:
        cands = [k for k in (s.find(" ", i, i + 512), s.find("\t", i, i + 512)) if k != -1]
        j = min(cands) if cands else -1
    return j if j != -1 else n


# -- email ---------------------------------------------------------------------------------------
_EMAIL = re.compile(
    r"(?<![\w.+%-])[\w][\w.+%-]{0,63}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,6}[A-Za-z]{2,24}(?![\w-]|\.[A-Za-z0-9])"
)


# The pieces of _EMAIL, matched from each '@' outwards instead of letting a regex search a window
# around it: a search retries every start position (quadratic on "a@b.a@b.a@b." runs), while the
# local part is simply the run of local-part characters that ends at the '@'.
_LOCAL_RUN_REV = re.compile(r"[\w.+%-]{1,65}")
_DOMAIN = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,6}[A-Za-z]{2,24}(?![\w-]|\.[A-Za-z0-9])"
)
_LOCAL_FIRST_BAD = frozenset(".+%-")


# Characters a URL's authority cannot hold as written in text (RFC 3986 userinfo/host characters
# and the raw '@' people leave in passwords are all allowed): any of them between '://' and an '@'
# means the '@' is not in that URL's authority (JSON after a URL, HTML, a URL path).
_NOT_USERINFO = re.compile(r"[\s/?#\[\]\"'<>,(){}\\|`^]")


def _is_url_host_at(text: str, j: int, i: int) -> bool:
    """Whether the '@' at ``i`` separates a URL's userinfo from its host (``scheme://u:pw@host``).

    Then the "address" is a user or password fragment glued to a host name, not an email. It must
    be the LAST '@' of the authority: in ``postgres://a@b.com:pw@db`` the user is a real address
    and is reported (the URL-password rule masks ``pw``). ``j`` is where that '://' starts.
    """
    if _NOT_USERINFO.search(text, j + 3, i):
        return False
    # The authority ends at the first character userinfo and host cannot hold; a later '@' before
    # it means this '@' is inside the userinfo. Bounded (host names are <= 253 characters) so a
    # long run of addresses with no separator stays linear.
    stop = min(len(text), i + 300)
    end = _NOT_USERINFO.search(text, i + 1, stop)
    return text.find("@", i + 1, end.start() if end else stop) == -1


def find_emails(text: str, out: list[Cand]) -> None:
    i = text.find("@")
    n = len(text)
    last = 0
    while i != -1:
        if not (
            0 < i < n - 3 and text[i + 1].isalnum() and (text[i - 1].isalnum() or text[i - 1] in "._+-%")
        ):
            i = text.find("@", i + 1)
            continue
        # Local part: the whole run of [\w.+%-] before the '@' (at most 64 chars, starting with \w);
        # it cannot begin inside the previous address.
        lo = max(last, i - 66)
        rm = _LOCAL_RUN_REV.match(text[lo:i][::-1])
        run = rm.end() if rm else 0
        s = i - run
        if (
            run == 0
            or run > 64
            or s < last
            or text[s] in _LOCAL_FIRST_BAD
            or (s > 0 and s == lo and _LOCAL_RUN_REV.match(text, s - 1, s) is not None)
        ):
            i = text.find("@", i + 1)
            continue
        dm = _DOMAIN.match(text, i + 1)
        if dm is None:
            i = text.find("@", i + 1)
            continue
        e = dm.end()
        last = e
        # Most addresses have no '://' shortly before them: test that inline, the rest in a call.
        j = text.rfind("://", max(0, s - 200), s)
        if j == -1 or not _is_url_host_at(text, j, i):
            out.append(("EMAIL_ADDRESS", s, e, 0.95, "email"))
        i = text.find("@", max(i + 1, last))


_NON_DIGIT = re.compile(r"\D+")


# -- phone ---------------------------------------------------------------------------------------
_PHONE = re.compile(
    r"(?<![\w+/#.=-])(?<!\d:)(?:"
    r"(?P<intl>\+\d{1,3}(?:[ .-]?\(\d{1,4}\)[ .-]?\d{1,8})?(?:[ .-]\d{1,8}){1,6}|\+\d{8,15})"
    r"|(?P<paren>\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}|\(\d{3}\)\d{3}-\d{4})"
    r"|(?P<nanp>(?:1[ .-])?\d{3}(?P<sep>[ .-])\d{3}(?P=sep)\d{4})"
    r"|(?P<natl>0\d{1,4}(?:[ -]\d{2,8}){1,4})"
    r")(?![\w-]|[.:/]\d)"
)


_PHONE_WORD_LIST = (
    "phone telephone tel mobile cell call fax contact reach text sms whatsapp number ph mob ring".split()
)
# A phone word then at most 20 non-digit characters on the same line, read backwards from the number: one anchored match instead of a search that tries
# the word alternation at each of the 32 window positions (``\n?``: ``$`` also matched before a
# final newline; ``\b`` is the same boundary read from either side).
_PHONE_WORDS_REV = re.compile(
    r"(?i)\n?[^\n\d]{0,20}\b(?:" + "|".join(w[::-1] for w in _PHONE_WORD_LIST) + ")"
)


def _phone_context(text: str, start: int) -> bool:
    return _PHONE_WORDS_REV.match(text[max(0, start - 32) : start][::-1]) is not None


def _nanp_ok(d: str) -> bool:
    """North-American numbering plan: area code and exchange never start with 0 or 1."""
    if len(d) == 11 and d[0] == "1":
        d = d[1:]
    return len(d) == 10 and d[0] >= "2" and d[3] >= "2"


_GROUP_SEP = re.compile(r"[ -]")
# National Drug Codes: 4-4-2, 5-3-2 or 5-4-1 hyphenated groups ("0093-8191-01"), not an international prefix.
_NDC = re.compile(r"\d{4}-\d{4}-\d{2}|\d{5}-\d{3}-\d{2}|\d{5}-\d{4}-\d")


def find_phones(text: str, out: list[Cand], pos: int = 0, endpos: int | None = None) -> None:
    for m in _PHONE.finditer(text, pos, len(text) if endpos is None else endpos):
        s, e = m.span()
        v = m.group()
        d = _NON_DIGIT.sub("", v)
        if m.group("intl"):
            if not 8 <= len(d) <= 15:
                continue
            if d[0] == "1" and len(d) != 11:
                continue
            score = 0.85
        elif m.group("paren"):
            if not _nanp_ok(d) and not _phone_context(text, s):
                continue
            score = 0.9
        elif m.group("nanp"):
            if _neg_before(text, s):
                continue
            if _nanp_ok(d):
                score = 0.8 if m.group("sep") != " " else 0.65
            elif _phone_context(text, s):
                score = 0.6  # "call 555-123-4567": the words say phone even if the plan says no
            else:
                continue
        else:
            if d.startswith("00") and 10 <= len(d) <= 17 and not _NDC.fullmatch(v):
                out.append(("PHONE_NUMBER", s, e, 0.75, "phone"))  # 0049 30 1234567: international prefix
                continue
            if not 10 <= len(d) <= 11 or d[1] == "0":
                continue
            groups = _GROUP_SEP.split(v)
            if any(len(g) > 8 for g in groups) or ("-" in v and len(groups) == 3 and len(groups[0]) == 4):
                continue
            if _neg_before(text, s):
                continue
            score = 0.7
        out.append(("PHONE_NUMBER", s, e, score, "phone"))


# -- payment cards -----------------------------------------------------------------------------
_CARD = re.compile(
    r"(?<![\w.,-])(?:\d{4}(?P<s1>[ -])\d{4}(?P=s1)\d{4}(?P=s1)\d{1,4}(?:(?P=s1)\d{1,3})?"
    r"|\d{4}(?P<s2>[ -])\d{6}(?P=s2)\d{4,5}|\d{12,19})(?![\w-]|[.,]\d)"
)


# A bare digit run that is the value of a cache-buster or time key is a clock reading, not a card:
# "?_=1732871234567" (jQuery's cache-buster is epoch milliseconds), "&ts=...", '"created_at": ...'.
# Luhn-valid runs are rare, so a small search that ends at the value is cheap enough.
_TIME_KEY_BEFORE = re.compile(
    r"(?i)(?:^|(?<=[?&;,{\s\"']))[\"']?(?:_|t|ts|_ts|ms|millis|epoch|time|timestamp|time_?stamp|nonce|rnd|rand|random"
    r"|cb|cachebust|cache_?buster|nocache|bust|(?:created|updated|modified|expires|sent|seen|received)_?at)"
    r"[\"']?[ \t]*[=:][ \t]*$"
)
# Product barcodes: "EAN 4006381333931", "UPC-A 036000291452", "GTIN: 00012345678905".
_BARCODE_WORDS = frozenset(
    "ean ean13 ean-13 upc upc-a gtin gtin13 gtin-13 barcode isbn13 isbn-13 asin".split()
)


def _clock_or_barcode(text: str, s: int) -> bool:
    """Is the digit run at ``s`` a timestamp / cache-buster value or a product barcode?"""
    if _TIME_KEY_BEFORE.search(text, max(0, s - 24), s):
        return True
    words = text[max(0, s - 20) : s].rstrip(_SEP_CHARS).rsplit(None, 1)
    return bool(words) and words[-1].lstrip("([{'\"").lower() in _BARCODE_WORDS


def find_cards(text: str, out: list[Cand], pos: int = 0, endpos: int | None = None) -> None:
    for m in _CARD.finditer(text, pos, len(text) if endpos is None else endpos):
        v = m.group()
        d = v.replace(" ", "").replace("-", "")
        if not card_iin_ok(d) or not luhn_ok(d) or len(set(d)) == 1:
            continue
        s, e = m.span()
        if _neg_before(text, s) or (len(d) == len(v) and _clock_or_barcode(text, s)):
            continue
        out.append(("CREDIT_CARD", s, e, 0.9 if len(d) != len(v) else 0.8, "card"))


# -- US SSN ------------------------------------------------------------------------------------
_SSN = re.compile(r"(?<![\w.,/-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\w-]|[.,/]\d)")


def find_ssns(text: str, out: list[Cand], pos: int = 0, endpos: int | None = None) -> None:
    for m in _SSN.finditer(text, pos, len(text) if endpos is None else endpos):
        if not ssn_ok(m.group(1) + m.group(3) + m.group(4)):
            continue
        s, e = m.span()
        if _neg_before(text, s):
            continue
        out.append(("US_SSN", s, e, 0.85 if m.group(2) == "-" else 0.6, "ssn"))


# -- IBAN --------------------------------------------------------------------------------------
_IBAN = re.compile(r"[A-Z](?<![A-Za-z0-9][A-Z])[A-Z]\d{2}(?:[ -]?[A-Z0-9]){11,32}")


def find_ibans(text: str, out: list[Cand]) -> None:
    for m in _IBAN.finditer(text):
        v = m.group()
        want = IBAN_LENGTHS.get(v[:2])
        if want is None:
            continue
        n = 0
        end = None
        compact = []
        for i, c in enumerate(v):
            if c.isalnum():
                compact.append(c)
                n += 1
                if n == want:
                    end = i + 1
                    break
        if end is None:
            continue
        e = m.start() + end
        if e < len(text) and text[e].isalnum():
            continue
        if iban_ok("".join(compact)):
            out.append(("IBAN_CODE", m.start(), e, 0.95, "iban"))


# -- IP addresses ------------------------------------------------------------------------------
_OCT = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]\d|\d)"
_IPV4 = re.compile(rf"(?<![\w.-])(?:{_OCT}\.){{3}}{_OCT}(?![\w-]|\.\d)")
_IPV6 = re.compile(
    r"(?<![\w:.])(?=[0-9A-Fa-f]{0,4}::?[0-9A-Fa-f]{0,4}:)[0-9A-Fa-f:]{2,39}(?:\.\d{1,3}){0,3}(?![\w:])"
)
_VERSION_BEFORE = re.compile(r"(?i)(?:version|ver|release|v|build|firmware|fw|sdk|api)[\s:=]{0,3}$")
# "Chrome/124.0.0.0", "Version/17.4.1.2", "agent=curl/8.4.0.1": a dotted quad right after a product
# token and a slash is that product's version (user agents, Server headers), not an address.  The
# token must start the word (so a URL path "host.com/10.0.0.1" is not read as one), and words that
# name an address ("ip/10.0.0.1", "src/...") keep the quad an address.
_PRODUCT_SLASH_BEFORE = re.compile(r"(?:^|(?<=[\s(\[;,=\"'+]))([A-Za-z][A-Za-z0-9_+-]{0,40})/$")
_ADDRESS_WORDS = frozenset(
    "ip ipv4 ip4 addr address host hostname src source dst dest destination client server peer remote "
    "gw gateway via from to nat net subnet route proxy upstream origin".split()
)


def _product_version(text: str, s: int) -> bool:
    """Is the dotted quad at ``s`` the version after a ``Product/`` token?"""
    if s == 0 or text[s - 1] != "/":
        return False
    m = _PRODUCT_SLASH_BEFORE.search(text, max(0, s - 42), s)
    return m is not None and m.group(1).lower() not in _ADDRESS_WORDS


def find_ipv4(text: str, out: list[Cand], pos: int = 0, endpos: int | None = None) -> None:
    for m in _IPV4.finditer(text, pos, len(text) if endpos is None else endpos):
        s, e = m.span()
        v = m.group()
        if v in ("0.0.0.0", "255.255.255.255") or v.startswith("255.255."):
            continue
        if _VERSION_BEFORE.search(text, max(0, s - 12), s) or _product_version(text, s):
            continue
        out.append(("IP_ADDRESS", s, e, 0.9, "ipv4"))


_IPV6_GATE = re.compile(r":[0-9A-Fa-f]{0,4}:")


_HEX_COLON_REV = re.compile(r"[0-9A-Fa-f:]*")


def find_ipv6(text: str, out: list[Cand]) -> None:
    if text.count(":") < 2:
        return
    # _IPV6 has no literal prefix, so a finditer would try it at every position.  Every match
    # holds a ':hex{0,4}:' (found by a literal-led search) and can only start where the run of
    # hex digits and colons around it starts (its look-behind forbids a hex digit or colon before).
    pos = 0
    n = len(text)
    while True:
        g = _IPV6_GATE.search(text, pos)
        if g is None:
            return
        gs = g.start()
        back = _HEX_COLON_REV.match(text[pos:gs][::-1])
        start = gs - (back.end() if back else 0)
        run_end = _HEX_COLON_REV.match(text, gs).end()
        pos = run_end if run_end > gs else gs + 1
        if start > 0 and _IPV6_BEFORE_BAD.match(text, start - 1):
            continue
        m = _IPV6.match(text, start)
        if m is None:
            continue
        if m.end() > pos:
            pos = m.end()
        v = m.group()
        if v.count(":") < 2 or sum(c.isalnum() for c in v) < 3:
            continue
        try:
            ipaddress.IPv6Address(v)
        except ValueError:
            continue
        out.append(("IP_ADDRESS", m.start(), m.end(), 0.9, "ipv6"))
        if pos >= n:
            return


_IPV6_BEFORE_BAD = re.compile(r"[\w:.]")


# -- numbers: one cheap pass finds digit clusters; the typed recognizers run only inside them ------
_BARE_PHONE = re.compile(r"1?\d{10}(?![\w-]|[.,]\d)")
# At least 7 digits (phones, cards, SSNs) or a dotted quad (IPv4); the leading \d lets the regex
# engine skip straight to digits.
_CLUSTER = re.compile(r"\d(?:(?:[ .()/+-]{0,2}\d){6,40}|\d{0,2}\.\d{1,3}\.\d{1,3}\.\d{1,3})")


def find_numbers(text: str, out: list[Cand], want: frozenset[str]) -> None:
    """Phones, cards, SSNs and IPv4 addresses, looked for only where enough digits cluster."""
    n = len(text)
    phone = "PHONE_NUMBER" in want
    card = "CREDIT_CARD" in want
    ssn = "US_SSN" in want
    ipv4 = "IP_ADDRESS" in want
    for m in _CLUSTER.finditer(text):
        cs, ce = m.span()
        v = m.group()
        # The regex guarantees >= 7 digits or a dotted quad; one C call counts the digits.
        nd = len(_NON_DIGIT.sub("", v))
        # One char either side so look-behind/look-ahead see the real neighbours.
        lo = cs - 2 if cs > 2 else 0
        hi = ce + 1 if ce < n else n
        if nd >= 7 and phone:
            prev = text[cs - 1] if cs else ""
            # Cheap shape test first: every phone form starts with '+', '(', a trunk '0', or NNN-sep.
            if (
                prev in "+("
                or v[0] == "0"
                or ")" in v
                or (len(v) >= 12 and v[3] in " .-")
                or (v[0] == "1" and v[1] in " .-")
            ):
                find_phones(text, out, lo, hi)
            elif (nd == 10 or nd == 11) and _phone_context(text, cs):
                bm = _BARE_PHONE.match(text, cs)
                if bm and _nanp_ok(bm.group()):
                    out.append(("PHONE_NUMBER", cs, bm.end(), 0.65, "phone"))
        if nd >= 12 and card:
            find_cards(text, out, lo, hi)
        if nd >= 9 and ssn and ("-" in v or " " in v):
            find_ssns(text, out, lo, hi)
        if ipv4 and v.count(".") >= 3:
            find_ipv4(text, out, lo, hi)


# -- MAC addresses -----------------------------------------------------------------------------
_MAC = re.compile(
    r"[0-9A-Fa-f](?<![\w:.-][0-9A-Fa-f])[0-9A-Fa-f](?P<sep>[:-])[0-9A-Fa-f]{2}(?:(?P=sep)[0-9A-Fa-f]{2}){4}(?![\w:-])"
)
# Literal-first gates: the regex engine finds ':'/'-' fast, then checks two hex digits and the next separator.
_MAC_COLON = re.compile(r":[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}:")
_MAC_DASH = re.compile(r"-[0-9A-Fa-f]{2}-[0-9A-Fa-f]{2}-")
_MAC_DOT = re.compile(r"\.[0-9A-Fa-f]{4}\.")
_MAC_CISCO = re.compile(r"(?<![\w:.-])[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}(?![\w:.-])")


def _gated_matches(
    text: str, pat: re.Pattern[str], gates: list[re.Pattern[str]], offsets: tuple[int, ...]
) -> list[re.Match[str]]:
    """What ``pat.finditer(text)`` finds, trying ``pat`` only at ``offsets`` before each gate hit.

    ``pat`` starts with a character class, so a plain finditer would attempt it at almost every
    position; the gates are literal-led (fast C search) and every match of ``pat`` contains one.
    """
    starts: set[int] = set()
    for g in gates:
        first = g.search(text)
        if first is None:
            continue  # the common case: no gate hit at all
        for gm in g.finditer(text, first.start()):
            gs = gm.start()
            for off in offsets:
                if gs - off >= 0:
                    starts.add(gs - off)
    found: list[re.Match[str]] = []
    last = 0
    for st in sorted(starts):
        if st < last:
            continue
        m = pat.match(text, st)
        if m is not None:
            found.append(m)
            last = m.end()
    return found


def find_macs(text: str, out: list[Cand]) -> None:
    hits = []
    gates = []
    if text.count(":") >= 5:
        gates.append(_MAC_COLON)
    if text.count("-") >= 5:
        gates.append(_MAC_DASH)
    if gates:
        # The gate ":hh:hh:" covers separators 1-3, 2-4 or 3-5 of a MAC.
        hits.extend(_gated_matches(text, _MAC, gates, (2, 5, 8)))
    if "." in text and _MAC_DOT.search(text):
        hits.extend(_gated_matches(text, _MAC_CISCO, [_MAC_DOT], (4, 9)))
    for m in hits:
        v = m.group().lower()
        if v in ("00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff", "00-00-00-00-00-00", "ff-ff-ff-ff-ff-ff"):
            continue
        out.append(("MAC_ADDRESS", m.start(), m.end(), 0.85, "mac"))


# -- crypto wallets ----------------------------------------------------------------------------
_BTC = re.compile(r"(?<![\w])(?:[13][1-9A-HJ-NP-Za-km-z]{25,34}|(?:bc|tb)1[02-9ac-hj-np-z]{11,71})(?!\w)")
_ETH = re.compile(r"(?<![\w])0x[0-9a-fA-F]{40}(?![0-9a-zA-Z])")
_ETH_CONTEXT = re.compile(
    r"(?i)\b(?:eth|ether|ethereum|wallet|crypto|usdt|usdc|send|address|metamask|token)\b"
)


_BTC_HINTS = ("btc", "bitcoin", "wallet", "crypto", "bc1", "tb1")


def find_crypto(text: str, out: list[Cand], lower: str | None = None) -> None:
    if lower is None:
        lower = text.lower()
    for lo, hi in hint_windows(lower, _BTC_HINTS):
        for m in _BTC.finditer(text, lo, hi):
            v = m.group()
            if (v[0] in "13" and base58check_ok(v)) or (v[0] in "bt" and bech32_ok(v)):
                out.append(("CRYPTO", m.start(), m.end(), 0.95, "btc"))
    if "0x" in text:
        i = text.find("0x")
        while i != -1:
            # Literal-led: only where "0x" occurs (the regex alone would try every position).
            m = _ETH.match(text, i)
            if m:
                ctx = _ETH_CONTEXT.search(text, max(0, i - 40), i)
                out.append(("CRYPTO", i, m.end(), 0.85 if ctx else 0.55, "eth"))
                i = text.find("0x", m.end())
            else:
                i = text.find("0x", i + 1)


# -- DEA registration numbers (MEDICAL_LICENSE) ------------------------------------------------
_DEA = re.compile(r"(?<![\w-])[ABCDEFGHJKLMPRSTUX][A-Z9]\d{7}(?![\w-])")
_DEA_CONTEXT = re.compile(r"(?i)\b(?:dea|prescriber|license|licence|registration|npi|provider)\b")
_DEA_HINTS = ("dea", "prescri", "licen", "registration")


def find_dea(text: str, out: list[Cand], lower: str | None = None) -> None:
    if lower is None:
        lower = text.lower()
    for lo, hi in hint_windows(lower, _DEA_HINTS):
        for m in _DEA.finditer(text, lo, hi):
            if dea_ok(m.group()):
                ctx = _DEA_CONTEXT.search(text, max(0, m.start() - 40), m.start())
                out.append(("MEDICAL_LICENSE", m.start(), m.end(), 0.85 if ctx else 0.55, "dea"))


# -- VIN ---------------------------------------------------------------------------------------
_VIN = re.compile(r"(?<![\w-])[A-HJ-NPR-Z0-9]{17}(?![\w-])")
_VIN_HINTS = ("vin", "vehicle", "chassis")


def find_vins(text: str, out: list[Cand], lower: str | None = None) -> None:
    if lower is None:
        lower = text.lower()
    for lo, hi in hint_windows(lower, _VIN_HINTS):
        for m in _VIN.finditer(text, lo, hi):
            if vin_ok(m.group()):
                out.append(("VEHICLE_ID", m.start(), m.end(), 0.75, "vin"))


# -- URLs that carry personal data --------------------------------------------------------------
_URL = re.compile(r"\b(?:https?|ftp)://[^\s<>\"'`)\]}]{1,2048}")
_URL_PII = re.compile(
    r"(?i)[?&;](?:e-?mail|mail|email_address|phone|tel|mobile|name|first_?name|last_?name|full_?name|"
    r"ssn|dob|birth_?date|address|street|zip|postcode|user_?name|login|patient|customer)=[^&#\s]"
)


_SCHEME_SEP = re.compile("://")


def find_urls(text: str, out: list[Cand]) -> None:
    if "://" not in text:
        return
    for m in _gated_matches(text, _URL, [_SCHEME_SEP], (3, 4, 5)):
        v = m.group().rstrip(".,;:!?")
        if _URL_PII.search(v) or "%40" in v or ("@" in v.split("?", 1)[-1] and "?" in v):
            out.append(("URL", m.start(), m.start() + len(v), 0.8, "url"))


#: (name, entity types, function) for the recognizers that scan the whole text on their own.
RECOGNIZERS: list[tuple[str, tuple[str, ...], Recognizer]] = [
    ("iban", ("IBAN_CODE",), find_ibans),
    ("ipv6", ("IP_ADDRESS",), find_ipv6),
    ("mac", ("MAC_ADDRESS",), find_macs),
    ("url", ("URL",), find_urls),
]
#: Recognizers gated by words: they take the lower-cased text the engine already made.
LOWER_RECOGNIZERS: list[tuple[str, tuple[str, ...], Callable[[str, list[Cand], str], None]]] = [
    ("crypto", ("CRYPTO",), find_crypto),
    ("dea", ("MEDICAL_LICENSE",), find_dea),
    ("vin", ("VEHICLE_ID",), find_vins),
]
NUMBER_TYPES = frozenset(("PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "IP_ADDRESS"))
