"""The check a recipient runs on an evidence package (``surveil verify EXPORT``).

A package holds ``manifest.json`` (the sha256 of every other file, the audit chain's head
at export time, the signer's fingerprint), ``manifest.sig`` (the Ed25519 signature of the
manifest, base64) and ``signer.pem`` (the public key). The check: the signature against that
key, every file against the manifest, nothing added, every clip against the ``clip_sha256``
and every thumbnail against the ``thumbnail_sha256`` in its own event record. A package that
cannot be read gives one problem naming the file, never an exception.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from surveil import signing

MANIFEST, SIGNATURE, PUBLIC_KEY = "manifest.json", "manifest.sig", "signer.pem"
PACKAGE_FILES = {MANIFEST, SIGNATURE, PUBLIC_KEY}  # the envelope: not listed in the manifest
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError, ValueError)


class PackageError(Exception):
    """A package or one of its files cannot be read; the message names it."""


@dataclass
class ExportCheck:
    """The recipient's verdict on a package."""

    files: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    manifest_sha256: str | None = None
    fingerprint: str | None = None  # of the key whose signature holds; None when it does not
    chain: dict | None = None  # the audit chain's head when the package was made

    @property
    def ok(self) -> bool:
        """True when the signature holds, every file matches and nothing was added."""
        return not self.problems


def verify_export(path: Path) -> ExportCheck:
    """Check a package received from someone else (a folder or a zip)."""
    check = ExportCheck()
    try:
        package = _Package(Path(path))
    except PackageError as exc:
        check.problems.append(str(exc))
        return check
    with package:
        if MANIFEST not in package.names:
            check.problems.append(f"{path} has no {MANIFEST}: not a surveil export, or one that did not finish")
            return check
        try:
            data = package.read(MANIFEST)
            manifest = _parse_manifest(data)
        except PackageError as exc:
            check.problems.append(str(exc))
            return check
        check.manifest_sha256, check.chain = hashlib.sha256(data).hexdigest(), manifest.get("audit_chain")
        _check_signature(package, data, manifest, check)
        digests = _check_files(package, manifest["files"], check)
        _check_records(package, digests, check)
    return check


def _parse_manifest(data: bytes) -> dict:
    try:
        manifest = json.loads(data)
    except ValueError as exc:
        raise PackageError(f"{MANIFEST} is garbled: {exc}") from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        raise PackageError(f"{MANIFEST} is garbled: it has no list of files with their sha256")
    return manifest


def _check_signature(package: _Package, data: bytes, manifest: dict, check: ExportCheck) -> None:
    try:
        public = package.read(PUBLIC_KEY)
        signature = base64.b64decode(package.read(SIGNATURE).strip(), validate=True)
        holds = signing.verify(public, data, signature)
    except PackageError as exc:
        check.problems.append(f"{exc}: the signature cannot be checked")
        return
    except signing.SigningError as exc:
        check.problems.append(f"{PUBLIC_KEY} is {exc}: the signature cannot be checked")
        return
    except (binascii.Error, ValueError):
        check.problems.append(f"{SIGNATURE} is garbled (not base64)")
        return
    if not holds:
        check.problems.append(f"{SIGNATURE} does not match {MANIFEST}: the manifest was changed after it was signed")
        return
    check.fingerprint = signing.fingerprint(public)
    named = manifest.get("signer")
    if named != check.fingerprint:
        check.problems.append(f"{PUBLIC_KEY} is key {check.fingerprint}, but {MANIFEST} names {named}")


def _check_files(package: _Package, listed: dict[str, str], check: ExportCheck) -> dict[str, str]:
    """Every listed file against its sha256; returns the digests of the files that match."""
    matching = {}
    for name, digest in sorted(listed.items()):
        check.files += 1
        if name not in package.names:
            check.problems.append(f"{name} is listed in the manifest but missing")
            continue
        try:
            actual = package.digest(name)
        except PackageError as exc:
            check.problems.append(str(exc))
            continue
        if actual != digest:
            check.problems.append(f"{name} was altered (sha256 mismatch)")
        else:
            matching[name] = actual
    added = sorted(package.names - set(listed) - PACKAGE_FILES)
    check.problems += [f"{name} is not in the manifest (added later)" for name in added]
    return matching


def _check_records(package: _Package, digests: dict[str, str], check: ExportCheck) -> None:
    """Each clip and thumbnail against the sha256 in its own event record (files that matched the manifest)."""
    uncovered = 0
    for name in sorted(n for n in digests if n.startswith("events/") and n.endswith(".json")):
        event_id = name.removeprefix("events/").removesuffix(".json")
        try:
            body = json.loads(package.read(name))
            recorded = {f"clips/{event_id}.mp4": body["event"].get("clip_sha256"),
                        f"thumbnails/{event_id}.jpg": body.get("thumbnail_sha256")}
        except (PackageError, ValueError, KeyError, TypeError, AttributeError):
            check.problems.append(f"{name} is garbled: not an event record")
            continue
        for file, digest in recorded.items():
            if file not in digests:
                continue  # absent, or already reported as altered
            if digest is None and file.startswith("thumbnails/"):
                uncovered += 1
            elif digest != digests[file]:
                field_name = "clip_sha256" if file.startswith("clips/") else "thumbnail_sha256"
                check.problems.append(f"{file} does not match the {field_name} in {name}")
    if uncovered:
        check.notes.append(f"{uncovered} thumbnails come from events stored before their sha256 was recorded: "
                           "the signed manifest covers them, their records do not")


class _Package:
    """A package's files, from a folder or a zip: names, small reads and streamed digests."""

    def __init__(self, path: Path):
        self.path, self._zip = path, None
        if path.is_dir():
            self.names = {p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()}
            return
        if not path.is_file():
            raise PackageError(f"{path} does not exist")
        try:
            self._zip = zipfile.ZipFile(path)
            self.names = {name for name in self._zip.namelist() if not name.endswith("/")}
        except _ZIP_ERRORS as exc:
            raise PackageError(f"{path} is not a readable zip ({exc})") from None

    def __enter__(self) -> _Package:
        return self

    def __exit__(self, *exc) -> None:
        if self._zip is not None:
            self._zip.close()

    def read(self, name: str) -> bytes:
        """The whole file (the manifest, a record, the key)."""
        if name not in self.names:
            raise PackageError(f"{name} is missing")
        try:
            return self._zip.read(name) if self._zip else (self.path / name).read_bytes()
        except _ZIP_ERRORS as exc:
            raise PackageError(f"{name} cannot be read ({exc})") from None

    def digest(self, name: str) -> str:
        """sha256 of a file, read in 1 MB chunks (clips and recordings can be large)."""
        digest = hashlib.sha256()
        try:
            with self._zip.open(name) if self._zip else open(self.path / name, "rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
        except _ZIP_ERRORS as exc:
            raise PackageError(f"{name} cannot be read ({exc})") from None
        return digest.hexdigest()
