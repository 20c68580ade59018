"""The token vault: value <-> token per scope, encrypted at rest, cached in process.

The vault turns a detected value into its token (allocating one on first sight)
and a token back into its value.  It never writes a raw value anywhere but into
AES-GCM ciphertext; fingerprints are keyed HMACs and safe to log.

Caches: ``(scope, fingerprint) -> token`` and ``(scope, token) -> entry`` are kept
in bounded LRU maps, plus decrypted values of entries that were revealed.  Every
public call first compares the store's :meth:`~guardllm.stores.base.Store.generation`
with the one the caches were filled under, so an erasure done by any process
empties them.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from guardllm.errors import VaultError
from guardllm.stores.base import Store, VaultEntry
from guardllm.tokens import surrogates
from guardllm.tokens.crypto import KeyedHmac, KeyRing, decrypt, encrypt, hkdf
from guardllm.tokens.format import TokenRef, label_for

_WS = re.compile(r"\s+")
_NON_DIGIT = re.compile(r"[^0-9]")
_NON_ALNUM = re.compile(r"[^0-9A-Za-z]")
_DIGIT_TYPES = frozenset({"PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "US_BANK_NUMBER", "UK_NHS", "US_ITIN"})


def normalise(entity_type: str, value: str) -> str:
    """The form two spellings of one value share (``A@X.com`` == ``a@x.com``)."""
    v = _WS.sub(" ", value.strip())
    if entity_type == "EMAIL_ADDRESS":
        return v.lower()
    if entity_type in _DIGIT_TYPES:
        digits = _NON_DIGIT.sub("", v)
        if entity_type == "PHONE_NUMBER" and len(digits) == 11 and digits.startswith("1"):
            digits = digits[1:]  # +1 country code: the same US number
        return digits or v
    if entity_type in (
        "IBAN_CODE",
        "US_PASSPORT",
        "US_DRIVER_LICENSE",
        "MAC_ADDRESS",
        "MEDICAL_RECORD_NUMBER",
    ):
        return _NON_ALNUM.sub("", v).upper()
    if entity_type in ("IP_ADDRESS", "URL", "CRYPTO"):
        return v.lower() if entity_type != "CRYPTO" else v
    if entity_type == "PERSON":
        return v.casefold()
    return v


class _LRU:
    def __init__(self, size: int) -> None:
        self.size = size
        self.data: OrderedDict[Any, Any] = OrderedDict()

    def get(self, key: Any) -> Any:
        value = self.data.get(key)
        if value is not None:
            self.data.move_to_end(key)
        return value

    def put(self, key: Any, value: Any) -> None:
        self.data[key] = value
        self.data.move_to_end(key)
        if len(self.data) > self.size:
            self.data.popitem(last=False)

    def clear(self) -> None:
        self.data.clear()


class Vault:
    """Token allocation and lookup over a :class:`~guardllm.stores.base.Store`."""

    def __init__(self, store: Store, keyring: KeyRing, *, cache_size: int = 65536) -> None:
        self.store = store
        self.keyring = keyring
        self._lock = threading.RLock()
        try:
            index = keyring.unwrap(
                store.key_get_or_create("root:index", keyring.index_secret_wrapped), "root:index"
            )
        except VaultError:
            raise
        except Exception as exc:
            raise VaultError(f"cannot open the vault in {store.url}: {type(exc).__name__}") from None
        self.fingerprint_key = hkdf(index, "guardllm fingerprint v1")
        self.hash_key = hkdf(index, "guardllm hash v1")
        self._subject_key = hkdf(index, "guardllm subject v1")
        self.audit_key = hkdf(index, "guardllm audit mac v1")
        self._fp_mac = KeyedHmac(self.fingerprint_key)
        self._hash_mac = KeyedHmac(self.hash_key)
        self._subject_mac = KeyedHmac(self._subject_key)
        self._data_keys: dict[str, bytes] = {}
        self._tokens = _LRU(cache_size)  # (scope, fp) -> token
        self._entries = _LRU(cache_size)  # (scope, token) -> VaultEntry
        self._values = _LRU(cache_size)  # (scope, token) -> plaintext
        self._linked = _LRU(cache_size)  # (scope, fp, subject id) already linked in the store
        # (scope, type, value, surrogate) -> TokenRef for values seen again (no subject): skips
        # normalising and the fingerprint HMAC.  Raw values as keys, like _values holds
        # plaintext: process memory only, dropped with the other caches on erasure.
        self._refs = _LRU(cache_size)
        self._generation = store.generation()
        self.issued_labels: frozenset[str] = frozenset()
        self.surrogates_issued = False

    def __repr__(self) -> str:
        return f"Vault(store={self.store.url!r})"

    # identities ----------------------------------------------------------------------
    def fingerprint(self, entity_type: str, value: str) -> str:
        """``fp_`` + 16 hex of HMAC-SHA256(fingerprint key, type NUL normalised value)."""
        return "fp_" + self._fp_mac.hexdigest(f"{entity_type}\0{normalise(entity_type, value)}")[:16]

    def keyed_hash(self, entity_type: str, value: str) -> str:
        """8 hex of a keyed HMAC, for the ``hash`` action (not brute-forceable without the key)."""
        return self._hash_mac.hexdigest(f"{entity_type}\0{normalise(entity_type, value)}")[:8]

    def subject_id(self, subject: str) -> str:
        """Data-subject ids are pseudonymised before they reach the store."""
        return "sub_" + self._subject_mac.hexdigest(subject)[:16]

    @staticmethod
    def scope_key_id(scope: str) -> str:
        return f"scope:{scope}"

    # caches ------------------------------------------------------------------------
    def sync(self) -> None:
        """Drop caches if any process erased data since they were filled."""
        gen = self.store.generation()
        if gen != self._generation:
            with self._lock:
                self._clear()
                self._generation = gen

    def drop_caches(self) -> None:
        """Forget every cached token, entry, value and data key (next calls read the store)."""
        with self._lock:
            self._clear()

    def _clear(self) -> None:
        self._tokens.clear()
        self._entries.clear()
        self._values.clear()
        self._linked.clear()
        self._refs.clear()
        self._data_keys.clear()

    def _data_key(self, key_id: str, *, create: bool) -> bytes | None:
        with self._lock:
            dk = self._data_keys.get(key_id)
        if dk is not None:
            return dk
        if create:
            wrapped = self.store.key_get_or_create(key_id, lambda: self.keyring.new_data_key(key_id))
        else:
            wrapped = self.store.key_get(key_id)
            if wrapped is None:
                return None
        dk = self.keyring.unwrap(wrapped, key_id)
        with self._lock:
            self._data_keys[key_id] = dk
        return dk

    # tokenize ----------------------------------------------------------------------
    def tokenize(
        self,
        scope: str,
        entity_type: str,
        value: str,
        *,
        subject: str | None = None,
        surrogate: bool = False,
        fingerprint: str | None = None,
    ) -> TokenRef:
        """The token (or surrogate) for ``value`` in ``scope``, allocated on first sight."""
        memo = (scope, entity_type, value, surrogate) if subject is None and fingerprint is None else None
        if memo is not None:
            with self._lock:
                ref = self._refs.get(memo)
            if ref is not None:
                return ref
        ref = self._tokenize(scope, entity_type, value, subject, surrogate, fingerprint)
        if memo is not None:
            with self._lock:
                self._refs.put(memo, ref)
        return ref

    def _tokenize(
        self,
        scope: str,
        entity_type: str,
        value: str,
        subject: str | None,
        surrogate: bool,
        fingerprint: str | None,
    ) -> TokenRef:
        fp = fingerprint or self.fingerprint(entity_type, value)
        sid = self.subject_id(subject) if subject is not None else None
        with self._lock:
            token = self._tokens.get((scope, fp))
        created = False
        if token is None:
            gen = surrogates.generator_for(entity_type) if surrogate else None
            label = surrogates.counter_label(entity_type) if gen else label_for(entity_type)
            key_id = f"subject:{sid}" if sid else self.scope_key_id(scope)
            dk = self._data_key(key_id, create=True)
            assert dk is not None

            def make_entry(tok: str) -> tuple[bytes, str, str | None]:
                return encrypt(dk, value, _aad(scope, tok, fp)), key_id, sid

            token, created = self.store.vault_get_or_create(
                scope, fp, entity_type, label, make_entry, render=gen
            )
            with self._lock:
                self._tokens.put((scope, fp), token)
                if created and sid is not None:
                    self._linked.put((scope, fp, sid), True)
        if sid is not None and not created:
            # The row predates this subject (masked earlier without subject= or for
            # someone else): link it, so forget(subject=...) erases it as well.
            with self._lock:
                linked = self._linked.get((scope, fp, sid))
            if linked is None:
                self.store.vault_link_subject(scope, fp, sid)
                with self._lock:
                    self._linked.put((scope, fp, sid), True)
        action = "tokenize"
        if token.startswith("["):
            label = token[1 : token.rindex("_")]
            if label not in self.issued_labels:
                with self._lock:  # readers take frozenset() copies; writers serialise here
                    self.issued_labels = self.issued_labels | {label}
        else:
            action = "surrogate"
            self.surrogates_issued = True
        return TokenRef(token, entity_type, fp, action)

    # lookup ------------------------------------------------------------------------
    def lookup(self, scope: str, tokens: Iterable[str]) -> dict[str, VaultEntry]:
        """Entries this scope issued for ``tokens`` (foreign or unknown ones are absent)."""
        out: dict[str, VaultEntry] = {}
        missing: list[str] = []
        with self._lock:
            for tok in tokens:
                entry = self._entries.get((scope, tok))
                if entry is not None:
                    out[tok] = entry
                else:
                    missing.append(tok)
        if missing:
            found = self.store.vault_lookup(scope, missing)
            with self._lock:
                for tok, entry in found.items():
                    self._entries.put((scope, tok), entry)
            out.update(found)
        return out

    def value(self, entry: VaultEntry) -> str | None:
        """The decrypted value, or ``None`` when its data key was erased."""
        key = (entry.scope, entry.token)
        with self._lock:
            cached = self._values.get(key)
        if cached is not None:
            return cached
        if entry.ciphertext is None:
            return None
        dk = self._data_key(entry.key_id, create=False)
        if dk is None:
            return None
        plain = decrypt(dk, entry.ciphertext, _aad(entry.scope, entry.token, entry.fingerprint))
        with self._lock:
            self._values.put(key, plain)
        return plain

    # erasure and rotation ----------------------------------------------------------
    def forget(self, *, scope: str | None = None, subject: str | None = None) -> int:
        """Crypto-shred a scope's or a data subject's key and delete their rows.

        For a subject this includes values first tokenized without ``subject=`` (or
        for another subject) and later masked for this one: those rows are linked to
        the subject and deleted, even though their ciphertext used another key."""
        n = 0
        if subject is not None:
            sid = self.subject_id(subject)
            self.store.key_delete(f"subject:{sid}")
            n += self.store.vault_delete(subject=sid)
        elif scope is not None:
            self.store.key_delete(self.scope_key_id(scope))
            n += self.store.vault_delete(scope=scope)
        # Read the generation before taking our lock: a thread inside a store batch
        # holds the store's lock and may be waiting for ours (lock order: store, vault).
        gen = self.store.generation()
        with self._lock:
            self._clear()
            self._generation = gen
        return n

    def rotate(self, new_keyring: KeyRing) -> int:
        """Re-wrap every data key (and the index secret) under a new master key."""
        count = 0
        new_master = new_keyring._master
        for key_id in self.store.key_ids():
            wrapped = self.store.key_get(key_id)
            if wrapped is None:
                continue
            self.store.key_put(key_id, self.keyring.rewrap(wrapped, key_id, new_master))
            count += 1
        self.keyring = new_keyring
        with self._lock:
            self._data_keys.clear()
        return count


def _aad(scope: str, token: str, fingerprint: str) -> bytes:
    # Binds a ciphertext to its row: a row copied to another scope or token fails to decrypt.
    return f"{scope}\0{token}\0{fingerprint}".encode()


__all__ = ["Vault", "normalise"]
