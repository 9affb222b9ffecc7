"""The installation's Ed25519 key: it signs export manifests and the store's audit checkpoint.

The private key is made on first use and kept in the config folder (mode 0600) beside its
public half. A recipient checks a signature with the public key that travels in the package
and compares its fingerprint with the one the sender reads from ``surveil config paths``.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

logger = logging.getLogger(__name__)

PRIVATE_FILE = "signing-key.pem"
PUBLIC_FILE = "signing-key.pub.pem"


class SigningError(OSError):
    """The key cannot be made, read or used; the message says which file and why (an OSError, like its causes)."""


@dataclass(frozen=True)
class Signer:
    """A private key with its public half, ready to sign."""

    key: Ed25519PrivateKey

    @property
    def public_pem(self) -> bytes:
        """The public key as PEM (what goes into a package)."""
        return self.key.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo)

    @property
    def fingerprint(self) -> str:
        """The short name of the public key (see ``fingerprint``)."""
        return fingerprint(self.public_pem)

    def sign(self, data: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``data``."""
        return self.key.sign(data)


def key_paths(config_dir: Path) -> tuple[Path, Path]:
    """(private, public) key files in a config folder."""
    return Path(config_dir) / PRIVATE_FILE, Path(config_dir) / PUBLIC_FILE


def load_or_create(config_dir: Path) -> Signer:
    """The installation's key, made on first use (two processes racing agree on one key)."""
    private, public = key_paths(config_dir)
    if not private.exists():
        _create(private)
    signer = _load(private)
    if not public.exists() or public.read_bytes() != signer.public_pem:
        _write_atomic(public, signer.public_pem, 0o644)
    return signer


def existing(config_dir: Path) -> Signer | None:
    """The installation's key if it was made already (nothing is created), else None."""
    private, _ = key_paths(config_dir)
    return _load(private) if private.exists() else None


def existing_fingerprint(config_dir: Path) -> str | None:
    """The installation's key fingerprint, None where no key was made yet (or it cannot be read)."""
    try:
        signer = existing(config_dir)
    except SigningError:
        return None
    return signer.fingerprint if signer else None


def fingerprint(public_pem: bytes) -> str:
    """sha256 of the raw 32-byte public key, first 16 hex digits in groups of four: ``1a2b 3c4d 5e6f 7a8b``."""
    raw = _public(public_pem).public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    digest = hashlib.sha256(raw).hexdigest()[:16]
    return " ".join(digest[i:i + 4] for i in range(0, 16, 4))


def verify(public_pem: bytes, data: bytes, signature: bytes) -> bool:
    """True when ``signature`` is the signature of ``data`` by the key in ``public_pem``.

    Raises SigningError when ``public_pem`` is not an Ed25519 public key.
    """
    try:
        _public(public_pem).verify(signature, data)
    except InvalidSignature:
        return False
    return True


def _public(public_pem: bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(public_pem)
    except (ValueError, TypeError) as exc:
        raise SigningError(f"not a PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SigningError("not an Ed25519 public key")
    return key


def _load(private: Path) -> Signer:
    try:
        key = serialization.load_pem_private_key(private.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise SigningError(f"cannot read the signing key {private}: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(f"the signing key {private} is not an Ed25519 key")
    return Signer(key)


def _create(private: Path) -> None:
    pem = Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                      serialization.NoEncryption())
    try:
        private.parent.mkdir(parents=True, exist_ok=True)
        temp = _write_temp(private, pem, 0o600)
        try:
            os.link(temp, private)  # never replaces a key another process made meanwhile
            logger.info("made this installation's signing key %s (fingerprint %s)", private,
                        fingerprint(_load(private).public_pem))
        except FileExistsError:
            pass
        finally:
            temp.unlink(missing_ok=True)
    except OSError as exc:
        raise SigningError(f"cannot create the signing key {private}: {exc}") from None


def _write_temp(path: Path, data: bytes, mode: int) -> Path:
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(temp, mode)  # O_CREAT's mode is cut by the umask; a left-over temp keeps its old mode
    return temp


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    try:
        os.replace(_write_temp(path, data, mode), path)
    except OSError as exc:
        logger.warning("cannot write the public key %s: %s", path, exc)
