"""Keys and encryption for the vault.

* The **master key** (32 bytes) comes from ``Guard(key=...)``, the environment
  variable ``GUARDLLM_KEY`` (base64 or hex), or a key file named by
  ``GUARDLLM_KEY_FILE``.  It never lives in the database.  Create one with
  ``guardllm keygen``.  ``GUARDLLM_KEY_PREVIOUS`` (same formats) is accepted for
  reading during a key rotation.
* **Data keys** (one per scope, or per data subject when ``subject=`` is given)
  encrypt the values with AES-256-GCM.  They are stored in the store *wrapped*
  (AES-GCM encrypted) by the master key.  Deleting a data key is crypto-shredding:
  its ciphertexts become noise.
* The **fingerprint** and **hash** keys are derived with HKDF from an index secret
  that is itself derived from the master key the first time a store is used and
  kept wrapped in the store, so fingerprints stay stable across processes *and*
  across master-key rotations.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from guardllm.errors import KeyMissingError, VaultError

KEY_ENV = "GUARDLLM_KEY"
KEY_FILE_ENV = "GUARDLLM_KEY_FILE"
KEY_PREVIOUS_ENV = "GUARDLLM_KEY_PREVIOUS"
_NONCE = 12
_WRAP_VERSION = b"g1"

HOW_TO_CREATE = (
    "create one with `guardllm keygen > ~/.guardllm.key && chmod 600 ~/.guardllm.key` and set "
    'GUARDLLM_KEY_FILE=~/.guardllm.key (or export GUARDLLM_KEY="$(guardllm keygen)", or pass '
    "Guard(key=...)); keep it outside the database -- losing it makes stored tokens unrecoverable"
)


def generate_key() -> str:
    """A new random master key, base64-encoded (what ``guardllm keygen`` prints)."""
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def parse_key(material: str | bytes, *, source: str = "key") -> bytes:
    """32 raw bytes from raw bytes, base64 or hex text.  Errors never echo the material."""
    if isinstance(material, bytes | bytearray) and len(material) == 32:
        return bytes(material)
    text = material.decode("ascii", "replace") if isinstance(material, bytes | bytearray) else material
    text = text.strip()
    if len(text) == 64:
        try:
            return bytes.fromhex(text)
        except ValueError:
            pass
    try:
        raw = base64.b64decode(
            text + "=" * (-len(text) % 4),
            altchars=b"-_" if "-" in text or "_" in text else None,
            validate=True,
        )
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise KeyMissingError(f"{source} is not a 32-byte key in base64 or hex; {HOW_TO_CREATE}")
    return raw


def load_master_key(explicit: str | bytes | os.PathLike[str] | None = None) -> bytes | None:
    """The configured master key, or ``None`` when none is configured."""
    if explicit is not None:
        if isinstance(explicit, os.PathLike):
            return _read_key_file(Path(explicit))
        return parse_key(explicit, source="Guard(key=...)")
    env = os.environ.get(KEY_ENV)
    if env:
        return parse_key(env, source=KEY_ENV)
    path = os.environ.get(KEY_FILE_ENV)
    if path:
        return _read_key_file(Path(path).expanduser())
    return None


def load_previous_key() -> bytes | None:
    env = os.environ.get(KEY_PREVIOUS_ENV)
    return parse_key(env, source=KEY_PREVIOUS_ENV) if env else None


def _read_key_file(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyMissingError(f"cannot read key file {path}: {exc.strerror}; {HOW_TO_CREATE}") from None
    return parse_key(data, source=f"key file {path}")


def hkdf(key: bytes, info: str, length: int = 32) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info.encode()).derive(key)


def key_id_of(master: bytes) -> str:
    """A short public identifier of a master key (which key wrapped a data key)."""
    return hashlib.sha256(b"guardllm-key-id\0" + master).hexdigest()[:12]


class KeyRing:
    """The master key (plus an optional previous one) and the AES-GCM operations."""

    def __init__(self, master: bytes, previous: bytes | None = None, *, ephemeral: bool = False) -> None:
        self._master = master
        self._previous = previous
        self.ephemeral = ephemeral
        self.master_id = key_id_of(master)

    def __repr__(self) -> str:
        return f"KeyRing(master_id={self.master_id!r}, ephemeral={self.ephemeral})"

    # wrapping data keys --------------------------------------------------------
    def wrap(self, data_key: bytes, key_id: str, master: bytes | None = None) -> bytes:
        master = master or self._master
        nonce = secrets.token_bytes(_NONCE)
        ct = AESGCM(master).encrypt(nonce, data_key, key_id.encode())
        return _WRAP_VERSION + bytes.fromhex(key_id_of(master)) + nonce + ct

    def unwrap(self, wrapped: bytes, key_id: str) -> bytes:
        if not wrapped.startswith(_WRAP_VERSION) or len(wrapped) < 2 + 6 + _NONCE + 16:
            raise VaultError(f"wrapped data key {key_id!r} has an unknown format")
        mid = wrapped[2:8].hex()
        body = wrapped[8:]
        for master in (self._master, self._previous):
            if master is None or key_id_of(master) != mid:
                continue
            try:
                return AESGCM(master).decrypt(body[:_NONCE], body[_NONCE:], key_id.encode())
            except InvalidTag:
                break
        raise VaultError(
            f"data key {key_id!r} was wrapped by master key {mid}, which is not configured "
            f"(current key {self.master_id}); set {KEY_ENV} to that key or {KEY_PREVIOUS_ENV} during rotation"
        )

    def new_data_key(self, key_id: str) -> bytes:
        return self.wrap(AESGCM.generate_key(bit_length=256), key_id)

    def index_secret_wrapped(self) -> bytes:
        """The wrapped index secret for a store that has none yet (derived, so reproducible)."""
        return self.wrap(hkdf(self._master, "guardllm index v1"), "root:index")

    def rewrap(self, wrapped: bytes, key_id: str, new_master: bytes) -> bytes:
        return self.wrap(self.unwrap(wrapped, key_id), key_id, master=new_master)


def encrypt(data_key: bytes, plaintext: str, aad: bytes) -> bytes:
    nonce = secrets.token_bytes(_NONCE)
    return nonce + AESGCM(data_key).encrypt(nonce, plaintext.encode("utf-8"), aad)


def decrypt(data_key: bytes, blob: bytes, aad: bytes) -> str:
    try:
        return AESGCM(data_key).decrypt(blob[:_NONCE], blob[_NONCE:], aad).decode("utf-8")
    except InvalidTag:
        raise VaultError("a vault entry failed authentication (tampered row or wrong key)") from None


def hmac_hex(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()


class KeyedHmac:
    """HMAC-SHA256 under one fixed key, with the keyed pads hashed once (RFC 2104).

    ``hmac.new`` re-derives both pads for every message (~7 us); copying the two
    pre-keyed SHA-256 states costs ~1.5 us.  A fingerprint is taken for every value of
    every masked text and two MACs for every audit record.  Same output as
    ``hmac.new(key, msg, sha256)``.
    The states hold the key material only, never a message; no repr shows them.
    """

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes) -> None:
        if len(key) > 64:  # SHA-256's block size: longer keys are hashed first
            key = hashlib.sha256(key).digest()
        key = key.ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def __repr__(self) -> str:
        return "KeyedHmac(<key hidden>)"

    def hexdigest(self, message: str) -> str:
        inner = self._inner.copy()
        inner.update(message.encode("utf-8"))
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()


__all__ = [
    "HOW_TO_CREATE",
    "KEY_ENV",
    "KEY_FILE_ENV",
    "KEY_PREVIOUS_ENV",
    "KeyRing",
    "KeyedHmac",
    "decrypt",
    "encrypt",
    "generate_key",
    "hkdf",
    "hmac_hex",
    "key_id_of",
    "load_master_key",
    "load_previous_key",
    "parse_key",
]
