"""Checksums and structural rules that turn a pattern match into a validated value.

Each function takes the raw matched text and answers ``True`` only when the value could be real.
They are pure, cheap and safe on any input (never raise on garbage).
"""

from __future__ import annotations

import hashlib
import re

__all__ = [
    "IBAN_LENGTHS",
    "aba_routing_ok",
    "base58check_ok",
    "bech32_ok",
    "card_iin_ok",
    "dea_ok",
    "digits",
    "iban_ok",
    "luhn_ok",
    "nhs_ok",
    "ssn_ok",
    "vin_ok",
]


_NOT_ASCII_DIGIT = re.compile(r"[^0-9]+")
# Luhn doubling of one digit character, precomputed: the check runs on every long digit run.
_LUHN_DOUBLE = {str(i): (2 * i - 9 if 2 * i > 9 else 2 * i) for i in range(10)}


def digits(s: str) -> str:
    """Only the ASCII digits of ``s``."""
    if s.isdigit() and s.isascii():
        return s
    return _NOT_ASCII_DIGIT.sub("", s)


def luhn_ok(number: str) -> bool:
    """Luhn (mod 10) check over the digits of ``number``."""
    d = digits(number)
    if len(d) < 2:
        return False
    dbl = _LUHN_DOUBLE
    total = sum(map(int, d[-1::-2])) + sum([dbl[c] for c in d[-2::-2]])
    return total % 10 == 0


def card_iin_ok(d: str) -> bool:
    """Issuer prefix and length agree with a real card scheme (Visa, Mastercard, Amex, ...)."""
    n = len(d)
    if n < 12 or n > 19:
        return False
    p2 = int(d[:2])
    p4 = int(d[:4])
    if d[0] == "4":  # Visa
        return n in (13, 16, 19)
    if 51 <= p2 <= 55 or 2221 <= p4 <= 2720:  # Mastercard
        return n == 16
    if p2 in (34, 37):  # Amex
        return n == 15
    if p2 == 36 or 300 <= int(d[:3]) <= 305 or p2 in (38, 39):  # Diners
        return 14 <= n <= 19
    if p4 == 6011 or 644 <= int(d[:3]) <= 649 or p2 == 65:  # Discover
        return 16 <= n <= 19
    if p2 == 35:  # JCB (3528-3589 today; test generators use the whole 35 range)
        return 16 <= n <= 19
    if p2 == 62 or p2 == 81:  # UnionPay
        return 16 <= n <= 19
    if 2200 <= p4 <= 2204:  # Mir
        return 16 <= n <= 19
    if p2 == 50 or 56 <= p2 <= 69:  # Maestro and other 5/6 ranges
        return 12 <= n <= 19
    return d[0] == "1" and n == 15  # UATP


def ssn_ok(d: str) -> bool:
    """US SSN rules: 9 digits, area not 000/666/9xx, group not 00, serial not 0000, no known fakes."""
    if len(d) != 9 or not d.isdigit():
        return False
    area, group, serial = d[:3], d[3:5], d[5:]
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    if d in ("078051120", "219099999", "123456789") or len(set(d)) == 1:
        return False
    return True


#: IBAN length per country (ISO 13616 registry).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24,
    "AE": 23,
    "AL": 28,
    "AT": 20,
    "AZ": 28,
    "BA": 20,
    "BE": 16,
    "BG": 22,
    "BH": 22,
    "BI": 27,
    "BR": 29,
    "BY": 28,
    "CH": 21,
    "CR": 22,
    "CY": 28,
    "CZ": 24,
    "DE": 22,
    "DJ": 27,
    "DK": 18,
    "DO": 28,
    "EE": 20,
    "EG": 29,
    "ES": 24,
    "FI": 18,
    "FK": 18,
    "FO": 18,
    "FR": 27,
    "GB": 22,
    "GE": 22,
    "GI": 23,
    "GL": 18,
    "GR": 27,
    "GT": 28,
    "HR": 21,
    "HU": 28,
    "IE": 22,
    "IL": 23,
    "IQ": 23,
    "IS": 26,
    "IT": 27,
    "JO": 30,
    "KW": 30,
    "KZ": 20,
    "LB": 28,
    "LC": 32,
    "LI": 21,
    "LT": 20,
    "LU": 20,
    "LV": 21,
    "LY": 25,
    "MC": 27,
    "MD": 24,
    "ME": 22,
    "MK": 19,
    "MN": 20,
    "MR": 27,
    "MT": 31,
    "MU": 30,
    "NI": 28,
    "NL": 18,
    "NO": 15,
    "OM": 23,
    "PK": 24,
    "PL": 28,
    "PS": 29,
    "PT": 25,
    "QA": 29,
    "RO": 24,
    "RS": 22,
    "RU": 33,
    "SA": 24,
    "SC": 31,
    "SD": 18,
    "SE": 24,
    "SI": 19,
    "SK": 24,
    "SM": 27,
    "SO": 23,
    "ST": 25,
    "SV": 28,
    "TL": 23,
    "TN": 24,
    "TR": 26,
    "UA": 29,
    "VA": 22,
    "VG": 24,
    "XK": 20,
    "YE": 30,
}


def iban_ok(compact: str) -> bool:
    """ISO 13616 check: known country, its length, and mod-97 == 1."""
    s = compact.upper()
    if len(s) < 15 or IBAN_LENGTHS.get(s[:2]) != len(s) or not s[2:4].isdigit() or not s.isalnum():
        return False
    moved = s[4:] + s[:4]
    return int(moved.translate(_IBAN_DIGITS)) % 97 == 1


# A=10 ... Z=35, as ISO 13616 spells letters out before the mod-97 check.
_IBAN_DIGITS = str.maketrans({chr(c): str(c - 55) for c in range(65, 91)})


def dea_ok(value: str) -> bool:
    """DEA registration number: 2 letters + 7 digits, weighted checksum in the last digit."""
    v = value.upper()
    if len(v) != 9 or not v[0].isalpha() or not (v[1].isalpha() or v[1] == "9") or not v[2:].isdigit():
        return False
    d = [int(c) for c in v[2:]]
    check = d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])
    return check % 10 == d[6]


def nhs_ok(value: str) -> bool:
    """UK NHS number: 10 digits, mod-11 weighted check digit."""
    d = digits(value)
    if len(d) != 10 or len(set(d)) == 1:
        return False
    total = sum(int(c) * w for c, w in zip(d[:9], range(10, 1, -1), strict=False))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(d[9])


def aba_routing_ok(value: str) -> bool:
    """US ABA routing number: 9 digits, 3-7-1 weighted checksum, valid Federal Reserve prefix."""
    d = digits(value)
    if len(d) != 9 or len(set(d)) == 1:
        return False
    p = int(d[:2])
    if not (0 <= p <= 12 or 21 <= p <= 32 or 61 <= p <= 72 or p == 80):
        return False
    w = (3, 7, 1) * 3
    return sum(int(c) * x for c, x in zip(d, w, strict=False)) % 10 == 0


_VIN_MAP = {
    **{str(i): i for i in range(10)},
    "A": 1,
    "B": 2,
    "C": 3,
    "D": 4,
    "E": 5,
    "F": 6,
    "G": 7,
    "H": 8,
    "J": 1,
    "K": 2,
    "L": 3,
    "M": 4,
    "N": 5,
    "P": 7,
    "R": 9,
    "S": 2,
    "T": 3,
    "U": 4,
    "V": 5,
    "W": 6,
    "X": 7,
    "Y": 8,
    "Z": 9,
}
_VIN_W = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin_ok(value: str) -> bool:
    """North-American VIN: 17 chars without I/O/Q, check digit at position 9."""
    v = value.upper()
    if len(v) != 17 or any(c not in _VIN_MAP for c in v):
        return False
    if v.isdigit() or v.isalpha():
        return False
    total = sum(_VIN_MAP[c] * w for c, w in zip(v, _VIN_W, strict=False))
    r = total % 11
    return v[8] == ("X" if r == 10 else str(r))


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_IDX = {c: i for i, c in enumerate(_B58)}


def base58check_ok(value: str) -> bool:
    """Bitcoin legacy address: base58 with a 4-byte double-SHA256 checksum."""
    n = 0
    for c in value:
        i = _B58_IDX.get(c)
        if i is None:
            return False
        n = n * 58 + i
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    pad = len(value) - len(value.lstrip("1"))
    raw = b"\0" * pad + raw
    if len(raw) != 25:
        return False
    body, check = raw[:-4], raw[-4:]
    return hashlib.sha256(hashlib.sha256(body).digest()).digest()[:4] == check


_BECH = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _bech32_polymod(values: list[int]) -> int:
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        b = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (b >> i) & 1 else 0
    return chk


def bech32_ok(value: str) -> bool:
    """Bitcoin segwit address (bech32 or bech32m checksum)."""
    v = value.lower()
    pos = v.rfind("1")
    if pos < 1 or pos + 7 > len(v) or len(v) > 90:
        return False
    hrp, data = v[:pos], v[pos + 1 :]
    if any(c not in _BECH for c in data):
        return False
    values = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + [_BECH.index(c) for c in data]
    return _bech32_polymod(values) in (1, 0x2BC830A3)
