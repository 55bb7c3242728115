"""CrowdStrike Falcon Data Replicator: the notification, the log types by folder, the times,
and the size/MD5 checks, on Elastic's published FDR test data (tests/fixtures/samples/
README-crowdstrike-fdr.md)."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os

import pytest

from sqs_s3_audit_engine import logtypes
from sqs_s3_audit_engine.crowdstrike_fdr import for_path, millis_text, seconds_text
from sqs_s3_audit_engine.decoders import Item
from sqs_s3_audit_engine.errors import NotificationError, ObjectError
from sqs_s3_audit_engine.events import ObjectEvents
from sqs_s3_audit_engine.fdr_checks import CheckedEvents, checked, precheck
from sqs_s3_audit_engine.notification_types import ObjectRef
from sqs_s3_audit_engine.notifications import parse_notification

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "samples",
                       "crowdstrike_fdr")


def sample(name: str) -> bytes:
    with open(os.path.join(SAMPLES, name), "rb") as f:
        return f.read()


def fdr_message(bucket="cs-prod-cannon-0123", files=None, **extra) -> str:
    files = files if files is not None else [
        {"path": "data/f0714ca5-3689-448d-b5cc-582a6f7a56b1/part-00000.gz", "size": 127151,
         "checksum": "4181bff30762315fd386c4a04467836d"},
        {"path": "fdrv2/aidmaster/2021-07-07/part-00000.gz", "size": 4414, "checksum": "a06a88462e6950f0be3bb83230047e87"},
        {"path": "fdrv2/userinfo/2021-07-07/part-00000.gz", "size": 489, "checksum": "349c96ed5531edce2233ad417123736d"},
    ]
    doc = {"cid": "ffffffff15754bcfb5f9152ec7ac90ac", "timestamp": 1625677488615, "fileCount": len(files),
           "totalSize": 0, "bucket": bucket,
           "pathPrefix": "data/f0714ca5-3689-448d-b5cc-582a6f7a56b1", "files": files}
    doc.update(extra)
    return json.dumps(doc)


def test_checksum_is_the_md5_and_size_the_byte_count_of_the_stored_file_as_elastics_fdr_test_feed_sends_them():
    # elastic/integrations packages/crowdstrike/data_stream/fdr/_dev/deploy/tf/main.tf
    assert (len(sample("aidmaster.jsonl")), hashlib.md5(sample("aidmaster.jsonl")).hexdigest()) == (
        4414, "a06a88462e6950f0be3bb83230047e87")
    assert (len(sample("userinfo.jsonl")), hashlib.md5(sample("userinfo.jsonl")).hexdigest()) == (
        489, "349c96ed5531edce2233ad417123736d")


def test_an_fdr_message_names_every_listed_file_with_its_size_checksum_and_folder_log_type():
    note = parse_notification(fdr_message())
    assert note.kind == "crowdstrike_fdr"
    assert [(o.bucket, o.key, o.expected_size, o.checksum, o.log_type) for o in note.objects] == [
        ("cs-prod-cannon-0123", "data/f0714ca5-3689-448d-b5cc-582a6f7a56b1/part-00000.gz", 127151,
         "4181bff30762315fd386c4a04467836d", "crowdstrike_sensor"),
        ("cs-prod-cannon-0123", "fdrv2/aidmaster/2021-07-07/part-00000.gz", 4414,
         "a06a88462e6950f0be3bb83230047e87", "crowdstrike_aidmaster"),
        ("cs-prod-cannon-0123", "fdrv2/userinfo/2021-07-07/part-00000.gz", 489,
         "349c96ed5531edce2233ad417123736d", "crowdstrike_userinfo"),
    ]
    assert note.objects[0].event_time == pytest.approx(1625677488.615)


def test_elastic_minimal_fdr_message_without_cid_or_sizes_is_understood_and_paths_are_not_url_decoded():
    # the shape of the FDR test in Elastic's notification parsing script (aws-s3.yml.hbs)
    body = json.dumps({"bucket": "fdrBucket", "files": [
        {"path": "prefix/data", "size": 89118480, "checksum": "d0f566f37295e46f28c75f71ddce9422"},
        {"path": "prefix/aidmaster+x%2B"}]})
    note = parse_notification(body)
    assert [o.key for o in note.objects] == ["prefix/data", "prefix/aidmaster+x%2B"]
    assert note.objects[1].expected_size is None and note.objects[1].checksum == ""


@pytest.mark.parametrize("files,words", [
    ([{"size": 3}], "files[0] has no path"),
    ([{"path": "data/a.gz", "size": "12"}], "has size '12'"),
    ([{"path": "data/a.gz", "size": -1}], "has size -1"),
    ([{"path": "data/a.gz", "checksum": "sha256:abc"}], "not a hex MD5"),
    (["data/a.gz"], "files[0] has no path"),
])
def test_a_malformed_fdr_entry_refuses_the_message_naming_the_entry(files, words):
    with pytest.raises(NotificationError) as err:
        parse_notification(fdr_message(files=files))
    assert words in str(err.value)


def test_an_fdr_message_without_a_bucket_is_refused():
    with pytest.raises(NotificationError, match="without a bucket"):
        parse_notification(fdr_message(bucket=""))


@pytest.mark.parametrize("path,expected", [
    ("data/f0714ca5-3689-448d-b5cc-582a6f7a56b1/part-00000.gz", "crowdstrike_sensor"),
    ("fdrv2/aidmaster/2021/part-00000.gz", "crowdstrike_aidmaster"),
    ("aidmaster/part-00000.gz", "crowdstrike_aidmaster"),
    ("fdrv2/managedassets/x.gz", "crowdstrike_managedassets"),
    ("fdrv2/notmanaged/x.gz", "crowdstrike_notmanaged"),
    ("fdrv2/appinfo/x.gz", "crowdstrike_appinfo"),
    ("fdrv2/userinfo/x.gz", "crowdstrike_userinfo"),
    ("otherdata/x.gz", ""),
    ("fdrv2/newkind/x.gz", ""),
])
def test_the_folder_names_the_log_type_as_the_splunk_add_on_for_crowdstrike_fdr_does(path, expected):
    assert for_path(path) == expected


def test_sourcetypes_are_the_splunk_add_on_for_crowdstrike_fdr_ones():
    assert {n: logtypes.by_name(n).sourcetype for n in logtypes.names() if n.startswith("crowdstrike_")} == {
        "crowdstrike_sensor": "crowdstrike:events:sensor",
        "crowdstrike_aidmaster": "crowdstrike:inventory:aidmaster",
        "crowdstrike_managedassets": "crowdstrike:inventory:managedassets",
        "crowdstrike_notmanaged": "crowdstrike:inventory:notmanaged",
        "crowdstrike_appinfo": "crowdstrike:inventory:appinfo",
        "crowdstrike_userinfo": "crowdstrike:inventory:userinfo",
    }


@pytest.mark.parametrize("value,expected", [
    ("1625677521.137", "1625677521.137"), ("1697992701.85", "1697992701.85"), ("1619196080.0", "1619196080"),
    (1625677521, "1625677521"), (1625677521.5, "1625677521.5"), ("1625677521.1234567", "1625677521.123456"),
    ("", None), ("abc", None), ("-5", None), (True, None), (None, None), ("0", None), (float("nan"), None),
])
def test_seconds(value, expected):
    assert seconds_text(value) == expected


@pytest.mark.parametrize("value,expected", [
    ("1625677521162", "1625677521.162"), (1625677521162, "1625677521.162"), ("1625677521000", "1625677521"),
    (1625677521162.0, "1625677521.162"), ("16256775211620000000", None), ("x", None), (False, None), (0, None),
])
def test_milliseconds(value, expected):
    assert millis_text(value) == expected


def events_of(body: bytes, log_type: str, key="data/x/part-00000.gz"):
    events = ObjectEvents(io.BytesIO(body), bucket="b", key=key, log_type=log_type, fallback_time="7")
    return list(events), events


def test_sensor_events_time_from_context_timestamp_else_timestamp_and_data_is_exactly_the_record():
    raw = sample("data_sensor.jsonl")
    got, events = events_of(gzip.compress(raw), "crowdstrike_sensor")
    records = [json.loads(line) for line in raw.decode("utf-8").splitlines()]
    assert events.sourcetype == "crowdstrike:events:sensor"
    assert [json.loads(data) for _, data in got] == records
    want = [seconds_text(r["ContextTimeStamp"]) if "ContextTimeStamp" in r else millis_text(r["timestamp"])
            for r in records]
    assert [t for t, _ in got] == want
    assert want[0] == "1625677502.5" and want[1] == "1625677504.982"  # ProcessRollup2: timestamp; accept: context


@pytest.mark.parametrize("name,log_type,field", [
    ("aidmaster.jsonl", "crowdstrike_aidmaster", "Time"),
    ("userinfo.jsonl", "crowdstrike_userinfo", "_time"),
    ("notmanaged.jsonl", "crowdstrike_notmanaged", "_time"),
])
def test_inventory_time_from_its_own_field_in_seconds(name, log_type, field):
    raw = sample(name)
    got, events = events_of(gzip.compress(raw), log_type)
    records = [json.loads(line) for line in raw.decode("utf-8").splitlines()]
    assert events.sourcetype == logtypes.by_name(log_type).sourcetype
    assert [(t, json.loads(d)) for t, d in got] == [(seconds_text(r[field]), r) for r in records]


def test_sensor_records_are_recognised_by_content_and_inventory_is_not_taken_for_sensor_events():
    first = json.loads(sample("data_sensor.jsonl").decode("utf-8").splitlines()[0])
    assert logtypes.by_record(Item(first, None, "")).name == "crowdstrike_sensor"
    aid = json.loads(sample("aidmaster.jsonl").decode("utf-8").splitlines()[0])
    assert logtypes.by_record(Item(aid, None, "")).name == "json"


def ref(size=None, checksum=""):
    return ObjectRef(bucket="b", key="fdrv2/userinfo/x.gz", expected_size=size, checksum=checksum,
                     log_type="crowdstrike_userinfo")


def response_for(body: bytes, etag: str = None, **extra) -> dict:
    etag = hashlib.md5(body).hexdigest() if etag is None else etag
    return dict({"ContentLength": len(body), "ETag": f'"{etag}"', "Body": io.BytesIO(body)}, **extra)


def test_precheck_lets_a_file_whose_length_and_md5_etag_agree_stream_unread():
    raw = sample("userinfo.jsonl")
    response = response_for(raw)
    body = response["Body"]
    precheck(ref(489, "349c96ed5531edce2233ad417123736d"), response)
    assert response["Body"] is body and body.tell() == 0


@pytest.mark.parametrize("size,checksum,reason", [
    (490, "349c96ed5531edce2233ad417123736d", "fdr_size_mismatch"),
    (489, "00000000000000000000000000000000", "fdr_checksum_mismatch"),
])
def test_precheck_refuses_a_file_whose_length_or_md5_differs_naming_it_and_both_readings(size, checksum, reason):
    raw = gzip.compress(sample("userinfo.jsonl"), mtime=0)
    r = ObjectRef(bucket="b", key="fdrv2/userinfo/x.gz", expected_size=size if size != 489 else len(raw),
                  checksum=checksum if checksum.startswith("0") else hashlib.md5(raw).hexdigest())
    with pytest.raises(ObjectError) as err:
        precheck(r, response_for(raw))
    assert err.value.reason == reason and "fdrv2/userinfo/x.gz" in str(err.value) and not err.value.retryable
    assert f"the stored object has {len(raw)} bytes" in str(err.value)
    assert "uncompressed content 489 bytes, MD5 349c96ed5531edce2233ad417123736d" in str(err.value)


def test_a_producer_giving_the_uncompressed_size_and_md5_is_accepted_and_the_file_is_read_from_its_spool():
    content = sample("userinfo.jsonl")
    raw = gzip.compress(content, mtime=0)
    r = ObjectRef(bucket="b", key="fdrv2/userinfo/x.gz", expected_size=len(content),
                  checksum=hashlib.md5(content).hexdigest(), log_type="crowdstrike_userinfo")
    response = response_for(raw)
    precheck(r, response)
    body, check = checked(r, response["Body"])
    assert check is None and getattr(body, "fdr_verified", False)
    events = ObjectEvents(body, bucket="b", key=r.key, log_type=r.log_type)
    assert [json.loads(d) for _, d in events] == [json.loads(content)]


def test_an_etag_that_is_no_md5_defers_the_checksum_to_the_bytes_read_but_a_size_that_differs_is_read_whole():
    raw = sample("userinfo.jsonl")
    good = ref(489, "349c96ed5531edce2233ad417123736d")
    for extra in ({"ETag": '"349c96ed5531edce2233ad417123736d-2"'},
                  {"ETag": '"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"', "ServerSideEncryption": "aws:kms"},
                  {"ETag": '"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"', "SSECustomerAlgorithm": "AES256"}):
        response = response_for(raw, **{k: v for k, v in extra.items() if k != "ETag"},
                                etag=extra["ETag"].strip('"'))
        body = response["Body"]
        precheck(good, response)
        assert response["Body"] is body and body.tell() == 0  # unread: checked while it streams
        with pytest.raises(ObjectError) as err:
            precheck(ref(500, "349c96ed5531edce2233ad417123736d"),
                     response_for(raw, etag=extra["ETag"].strip('"')))
        assert err.value.reason == "fdr_size_mismatch"


def checked_events(raw: bytes, r: ObjectRef):
    body, check = checked(r, io.BytesIO(raw))
    events = ObjectEvents(body, bucket="b", key=r.key, log_type=r.log_type)
    return CheckedEvents(events, check, r)


def test_bytes_read_are_checked_once_the_file_is_read_to_its_end():
    raw = sample("userinfo.jsonl")
    events = checked_events(raw, ref(489, "349c96ed5531edce2233ad417123736d"))
    assert len(list(events)) == 1 and events.sourcetype == "crowdstrike:inventory:userinfo"
    bad = checked_events(raw, ref(489, "11111111111111111111111111111111"))
    seen = []
    with pytest.raises(ObjectError) as err:
        for event in bad:
            seen.append(event)
    assert len(seen) == 1 and err.value.reason == "fdr_checksum_mismatch"
    with pytest.raises(ObjectError) as err:
        list(checked_events(gzip.compress(raw), ref(489)))
    assert err.value.reason == "fdr_size_mismatch"


def test_an_object_without_size_or_checksum_is_not_wrapped():
    body = io.BytesIO(b"x")
    assert checked(ObjectRef(bucket="b", key="k"), body) == (body, None)
