"""The checkpoint journal: durable, torn-line tolerant, bounded."""

from __future__ import annotations

import os

from sqs_s3_audit_engine.delivery.checkpoint import DONE, Checkpoint, object_id


def test_progress_and_finished_objects_survive_a_restart(tmp_path):
    cp = Checkpoint(str(tmp_path), "in1", fsync=False)
    a, b = object_id("bkt", "a", "e1"), object_id("bkt", "b", "e2")
    cp.advance(a, 1000)
    cp.finish(b)
    cp.close()
    again = Checkpoint(str(tmp_path), "in1", fsync=False)
    assert again.position(a) == 1000 and again.position(b) == DONE and again.is_done(b)
    assert again.position(object_id("bkt", "c", "e3")) == 0


def test_a_line_cut_by_a_crash_is_ignored(tmp_path):
    cp = Checkpoint(str(tmp_path), "in1", fsync=False)
    oid = object_id("bkt", "a", "e1")
    cp.advance(oid, 2000)
    cp.close()
    with open(cp.path, "a") as handle:
        handle.write('{"o":"' + oid + '","n":30')  # cut mid-line
    assert Checkpoint(str(tmp_path), "in1", fsync=False).position(oid) == 2000


def test_another_version_of_the_same_key_is_a_new_object():
    assert object_id("bkt", "a", "e1") != object_id("bkt", "a", "e2")


def test_the_journal_is_compacted_and_stays_small(tmp_path):
    cp = Checkpoint(str(tmp_path), "in1", fsync=False)
    oid = object_id("bkt", "big", "e")
    for position in range(1000, 200_001, 1000):
        cp.advance(oid, position)
    cp.finish(oid)
    assert os.path.getsize(cp.path) < 20_000
    assert Checkpoint(str(tmp_path), "in1", fsync=False).is_done(oid)


def test_old_entries_expire_and_the_entry_count_is_capped(tmp_path):
    cp = Checkpoint(str(tmp_path), "in1", max_entries=100, fsync=False)
    ids = [object_id("bkt", str(i), "e") for i in range(3000)]
    for oid in ids:
        cp.finish(oid)
    assert len(cp) == 100
    assert sum(1 for _ in open(cp.path)) <= 1000 + 100
    cp.close()
    again = Checkpoint(str(tmp_path), "in1", max_entries=100, fsync=False)
    assert len(again) == 100 and again.is_done(ids[-1]) and not again.is_done(ids[0])
    expired = Checkpoint(str(tmp_path), "in1", retention=-1, fsync=False)
    assert len(expired) == 0


def test_input_names_become_safe_file_names(tmp_path):
    cp = Checkpoint(str(tmp_path), "../weird name/x", fsync=False)
    assert os.path.dirname(cp.path) == str(tmp_path)


def test_metadata_kept_with_a_finished_object_survives_reload_and_compaction(tmp_path):
    ck = Checkpoint(str(tmp_path), "meta", fsync=False)
    ck.advance("a", 10)
    ck.finish("a", {"sha256": "ab" * 32})
    ck.finish("b")
    assert ck.meta("a") == {"sha256": "ab" * 32} and ck.meta("b") is None and ck.meta("zz") is None
    ck.close()
    again = Checkpoint(str(tmp_path), "meta", fsync=False)
    assert again.is_done("a") and again.meta("a") == {"sha256": "ab" * 32}
    again._compact_if_needed(force=True)
    again.close()
    third = Checkpoint(str(tmp_path), "meta", fsync=False)
    assert third.meta("a") == {"sha256": "ab" * 32} and third.meta("b") is None
    third.close()


def test_the_entry_after_a_torn_last_line_is_kept(tmp_path):
    # Finding 9 of issue 19: power loss or a full disk leaves a last line without its
    # newline; the next entry must not be appended onto it (and then dropped on load).
    cp = Checkpoint(str(tmp_path), "in1", fsync=False)
    a, b = object_id("bkt", "a", "e1"), object_id("bkt", "b", "e2")
    cp.advance(a, 2000)
    cp.close()
    with open(cp.path, "a") as handle:
        handle.write('{"o":"' + a + '","n":30')  # torn mid-line
    again = Checkpoint(str(tmp_path), "in1", fsync=False)
    again.finish(b)
    again.close()
    third = Checkpoint(str(tmp_path), "in1", fsync=False)
    assert third.is_done(b) and third.position(a) == 2000
    with open(cp.path, "rb") as handle:
        assert all(line.endswith(b"\n") for line in handle)


def test_the_directory_is_fsynced_after_the_journal_is_renamed(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync

    def recording_fsync(fd):
        synced.append(os.path.realpath(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    cp = Checkpoint(str(tmp_path), "in1", fsync=True)
    for n in range(1100):  # past the compaction threshold
        cp.advance(object_id("bkt", "k", "e1"), n)
    cp.close()
    assert os.path.realpath(str(tmp_path)) in synced
