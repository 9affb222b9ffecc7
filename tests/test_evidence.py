"""Evidence that proves itself: signed packages, exports that refuse altered evidence, a store whose cut tail shows.

Each tamper case asserts the exact problem lines: the damage is named once, with no derived noise.
"""

import json
import os
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from store_factory import event, put_event, vector

from surveil import signing
from surveil.hashing import file_sha256, sha256
from surveil.media.export import ExportRefused, clean_partial_exports, export_incidents, verify_export
from surveil.media.export_partial import LIST_FILE
from surveil.paths import app_paths
from surveil.store.audit import AuditEntry, checkpoint_path
from surveil.store.layout import AUDIT, EMBEDDINGS, EVENTS, STATE, THUMBNAILS, audit_key
from surveil.store.records import encode
from surveil.store.store import EventStore
from surveil.store.verify import verify_store

HERE = Path(__file__).parent


def _surveil(*args):
    return subprocess.run([sys.executable, "-m", "surveil", *args], capture_output=True, text=True, timeout=120)


def _thumb(i: int) -> bytes:
    return b"\xff\xd8" + os.urandom(200) + bytes([i])


def _fill(tmp_path, n=3) -> tuple[Path, list]:
    """A store of ``n`` events, each with a clip, a thumbnail and an embedding; the first acknowledged."""
    folder, records = tmp_path / "store", []
    with EventStore(folder) as store:
        for i in range(n):
            clip = tmp_path / "clips" / f"clip{i}.mp4"
            clip.parent.mkdir(exist_ok=True)
            clip.write_bytes(os.urandom(3000))
            record = event(i, clip_path=str(clip), clip_sha256=file_sha256(clip), clip_state="written")
            put_event(store, record, _thumb(i), vector(i))
            records.append(record)
        store.set_state(records[0].event_id, acknowledged=True)
    return folder, records


def _export(folder, dest, **kwargs):
    with EventStore(folder) as store:
        return export_incidents(store, dest, **kwargs)


def _verified(folder) -> list[str]:
    with EventStore(folder, read_only=True) as store:
        return verify_store(store).problems


def _rehash(package: Path, name: str, data: bytes) -> None:
    """Replace a file of a folder package and its sha256 in the manifest (not the signature)."""
    (package / name).write_bytes(data)
    manifest = json.loads((package / "manifest.json").read_text())
    manifest["files"][name] = sha256(data)
    (package / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))


# -- packages ------------------------------------------------------------------------------


def test_a_package_is_signed_with_this_installations_key_and_records_the_chain_head(tmp_path):
    folder, records = _fill(tmp_path)
    result = _export(folder, tmp_path / "case.zip")
    check = verify_export(result.path)
    own = signing.existing(app_paths().config_dir)
    key_file = app_paths().config_dir / signing.PRIVATE_FILE
    assert check.ok, check.problems
    assert check.fingerprint == result.fingerprint == own.fingerprint and key_file.stat().st_mode & 0o777 == 0o600
    assert check.chain == {"entries": 4, "last_seq": 3, "last_hash": check.chain["last_hash"]}
    assert check.files == 3 * 3 + 1  # record, thumbnail, clip per event, and the audit entries
    with zipfile.ZipFile(result.path) as archive:
        body = json.loads(archive.read(f"events/{records[1].event_id}.json"))
        assert body["thumbnail_sha256"] == sha256(archive.read(f"thumbnails/{records[1].event_id}.jpg"))
    done = _surveil("verify", str(result.path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"signed by key {own.fingerprint}: this installation's own key" in done.stdout
    paths = _surveil("config", "paths").stdout
    assert f"signing_key      {app_paths().config_dir / signing.PUBLIC_FILE} (fingerprint {own.fingerprint})" in paths


def test_an_edited_record_with_a_rehashed_manifest_fails_the_signature(tmp_path):
    folder, records = _fill(tmp_path)
    package = _export(folder, tmp_path / "case").path
    name = f"events/{records[1].event_id}.json"
    body = json.loads((package / name).read_text())
    body["event"]["severity"] = "low"
    _rehash(package, name, json.dumps(body).encode())
    assert verify_export(package).problems == [
        "manifest.sig does not match manifest.json: the manifest was changed after it was signed"]


def test_a_swapped_clip_fails_the_signature_and_its_own_record(tmp_path):
    folder, records = _fill(tmp_path)
    package = _export(folder, tmp_path / "case").path
    name = f"clips/{records[2].event_id}.mp4"
    _rehash(package, name, os.urandom(3000))
    assert verify_export(package).problems == [
        "manifest.sig does not match manifest.json: the manifest was changed after it was signed",
        f"{name} does not match the clip_sha256 in events/{records[2].event_id}.json"]


def test_a_file_added_to_a_package_is_named(tmp_path):
    folder, _ = _fill(tmp_path)
    package = _export(folder, tmp_path / "case").path
    (package / "clips" / "extra.mp4").write_bytes(b"planted")
    assert verify_export(package).problems == ["clips/extra.mp4 is not in the manifest (added later)"]


def test_a_corrupt_zip_and_a_garbled_manifest_give_one_line_and_no_traceback(tmp_path):
    folder, _ = _fill(tmp_path, n=1)
    data = _export(folder, tmp_path / "case.zip").path.read_bytes()
    (tmp_path / "cut.zip").write_bytes(data[: len(data) // 2])
    garbled = _export(folder, tmp_path / "garbled").path
    (garbled / "manifest.json").write_text('{"files": [not json')
    bad_sig = _export(folder, tmp_path / "bad-sig").path
    (bad_sig / "manifest.sig").write_text("@@ not base64 @@")
    assert verify_export(bad_sig).problems == ["manifest.sig is garbled (not base64)"]
    for package, named in ((tmp_path / "cut.zip", "cut.zip is not a readable zip"),
                           (garbled, "manifest.json is garbled")):
        done = _surveil("verify", str(package))
        problems = [line for line in done.stdout.splitlines() if line.startswith(("BROKEN:", "also:"))]
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        assert len(problems) == 1 and named in problems[0], done.stdout


# -- exporting from a damaged store --------------------------------------------------------


def test_export_refuses_a_clip_altered_in_the_store(tmp_path):
    folder, records = _fill(tmp_path)
    clip = Path(records[1].clip_path)
    clip.write_bytes(clip.read_bytes()[:-1] + b"\x00")
    done = _surveil("export", "--store", str(folder), "-o", str(tmp_path / "case.zip"))
    assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
    assert f"the clip of event {records[1].event_id} ({clip}) does not match the sha256 in its record" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clips", "store", "surveil-home"], "nothing left behind"
    with EventStore(folder, read_only=True) as store:
        assert not [e for e in store.audit_entries() if e.action == "export"]


def test_a_thumbnail_edited_in_the_store_is_found_and_not_exported(tmp_path):
    folder, records = _fill(tmp_path)
    with EventStore(folder) as store:
        store.db.get_column_family(THUMBNAILS)[b"e" + records[0].event_id.encode()] = b"\xff\xd8edited"
        with pytest.raises(ExportRefused, match=f"the thumbnail of event {records[0].event_id} does not match"):
            export_incidents(store, tmp_path / "case")
    assert _verified(folder) == [f"thumbnail of event {records[0].event_id} was changed after it was written "
                                 "(digest mismatch)"]
    assert not (tmp_path / "case").exists() and not (tmp_path / "case.partial").exists()


# -- the store: cut tails, breaks, what is covered -------------------------------------------


def _cut(folder: Path, keep: int) -> None:
    """Delete every audit entry from #keep on, and the records (with thumbnails, embeddings) they vouch for."""
    with EventStore(folder) as store:
        audit = store.db.get_column_family(AUDIT)
        families = {name: store.db.get_column_family(name) for name in (EVENTS, STATE, THUMBNAILS, EMBEDDINGS)}
        for seq in range(keep, store.head.seq + 1):
            entry = json.loads(audit[audit_key(seq)])
            del audit[audit_key(seq)]
            key = entry["subject"].encode()
            if entry["action"] == "state":
                families[STATE].delete(key)
            else:
                for name in (EVENTS, THUMBNAILS, EMBEDDINGS):
                    families[name].delete(key if name == EVENTS else b"e" + key)
        del audit, families  # column family handles keep the database open


def test_a_cut_tail_of_the_audit_chain_is_found(tmp_path):
    folder, records = _fill(tmp_path, n=8)  # entries #0-#7 the events, #8 the acknowledgement
    with EventStore(folder) as store:
        put_event(store, event(20), _thumb(20))  # #9
    _cut(folder, keep=6)  # four entries and the three events they hold go
    assert _verified(folder) == ["the newest 4 audit entries are missing (chain ends at #5, checkpoint says #9)"]
    done = _surveil("verify", "--store", str(folder))
    assert done.returncode == 1 and "BROKEN: the newest 4 audit entries are missing" in done.stdout
    assert "also:" not in done.stdout, done.stdout
    with EventStore(folder) as store:  # writing on does not paper over the cut: the checkpoint is kept
        put_event(store, event(30))
    assert _verified(folder) == ["the newest 3 audit entries are missing (chain ends at #6, checkpoint says #9)"]


def test_a_deleted_newest_entry_is_one_line_with_its_consequences_counted(tmp_path):
    folder, records = _fill(tmp_path)
    with EventStore(folder) as store:
        put_event(store, event(9), _thumb(9))
        del_key = audit_key(store.head.seq)
        store.db.get_column_family(AUDIT).delete(del_key)  # the record and its thumbnail stay
    assert _verified(folder) == [
        "the newest 1 audit entries are missing (chain ends at #3, checkpoint says #4); what is left of it no longer "
        f"vouches for 2 stored items: event {event(9).event_id} (in no audit entry), thumbnail of event "
        f"{event(9).event_id} (of no audited record)"]


@pytest.mark.parametrize("damage", ["back-dated", "re-hashed", "deleted"])
def test_a_broken_link_is_reported_once_without_false_changes_after_it(tmp_path, damage):
    folder = tmp_path / "store"
    with EventStore(folder) as store:
        for i in range(6):
            put_event(store, event(i), _thumb(i))
        for i in range(6):  # each event ends: a new audited version, after the break below
            put_event(store, event(i, end=event(i).start + 30))
        audit = store.db.get_column_family(AUDIT)
        forged = AuditEntry.decode(audit[audit_key(2)])
        forged = replace(forged, time=forged.time - 3600)
        if damage == "re-hashed":  # made whole again: now the next entry's link shows it
            forged = replace(forged, hash=forged.expected_hash())
        if damage == "deleted":
            audit.delete(audit_key(2))
        else:
            audit[audit_key(2)] = forged.encode()
        del audit
    expected = {
        "back-dated": f"audit entry 2 (event {event(2).event_id}) is altered or out of order: the chain breaks here",
        "re-hashed": "audit entry 3 does not link to entry 2: that entry was rewritten or replaced",
        "deleted": "audit entry #2 is missing: the chain breaks here"}[damage]
    assert _verified(folder) == [expected]


def test_a_record_planted_without_an_audit_entry_is_found(tmp_path):
    folder, _ = _fill(tmp_path, n=2)
    with EventStore(folder) as store:
        planted = event(7)
        store.db.get_column_family(EVENTS)[planted.event_id.encode()] = encode(planted)
    assert _verified(folder) == [f"1 record in the store but in no audit entry: event {planted.event_id}"]


def test_thumbnails_stored_before_they_were_audited_are_one_note(tmp_path):
    folder = tmp_path / "store"
    with EventStore(folder) as store:
        for i in range(3):  # how an older surveil wrote them: no thumbnail_sha256 in the entry
            record = event(i)
            data = encode(record)
            store.audit("event", record.event_id, {}, sha256(data),
                        staged=[(record.event_id.encode(), data, EVENTS), (b"e" + data[:0] + record.event_id.encode(),
                                                                          _thumb(i), THUMBNAILS)])
        report = verify_store(store)
    assert report.ok and report.notes == ["3 thumbnails or embeddings were written before their sha256 went into the "
                                          "audit chain: not covered"]


def test_a_store_is_verified_without_writing_a_byte(tmp_path):
    folder, _ = _fill(tmp_path)

    def snapshot():
        return sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in folder.iterdir())

    before = snapshot()
    with EventStore(folder, read_only=True) as store:
        report = verify_store(store)
    assert report.ok and report.entries == 4 and report.blobs == 6, report
    assert snapshot() == before
    mount = tmp_path / "read-only"
    mount.mkdir()
    if subprocess.run(["mount", "--bind", "-o", "ro", str(folder), str(mount)], capture_output=True).returncode:
        return  # no mounting here (not root): the snapshot above is the check
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(mount)], check=True, capture_output=True)
        with EventStore(mount, read_only=True) as store:
            assert verify_store(store).ok
    finally:
        subprocess.run(["umount", str(mount)], check=True)


# -- killed exports -------------------------------------------------------------------------


@pytest.mark.parametrize("dest_name, stage", [("case", "files"), ("case", "sign"), ("case.zip", "sign")])
def test_a_killed_export_leaves_nothing_that_verifies_and_is_cleaned_next_time(tmp_path, dest_name, stage):
    folder, _ = _fill(tmp_path)
    dest = tmp_path / dest_name
    done = subprocess.run([sys.executable, str(HERE / "export_child.py"), str(folder), str(dest), stage],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == -9 and "not killed" not in done.stdout, done.stderr
    left = [p for p in (dest, tmp_path / f"{dest_name}.partial", tmp_path / f"{dest_name}.partial.zip") if p.exists()]
    assert left and (folder / LIST_FILE).exists(), "the kill left something, and the list names it"
    assert (dest in left) == (stage == "sign"), "killed before the signature: in place, but unsigned"
    assert not [p for p in left if verify_export(p).ok], "nothing a killed export left verifies"
    if stage == "files":  # what the engine calls at start-up
        assert sorted(clean_partial_exports(folder)) == sorted(left)
        assert not any(p.exists() for p in left) and not (folder / LIST_FILE).exists()
    assert verify_export(_export(folder, dest).path).ok, "the next export cleans up and may use the same name"
    assert not [p for p in left if p != dest and p.exists()] and not (folder / LIST_FILE).exists()


def test_the_checkpoint_sits_in_the_store_folder_and_is_signed(tmp_path):
    folder, _ = _fill(tmp_path, n=1)
    document = json.loads(checkpoint_path(folder).read_text())
    own = signing.existing(app_paths().config_dir).fingerprint
    assert document["head"]["seq"] == 1 and document["fingerprint"] == own
    document["head"]["seq"] = 5
    checkpoint_path(folder).write_text(json.dumps(document))
    problems = _verified(folder)
    assert len(problems) == 1 and "does not match its signature" in problems[0], problems
