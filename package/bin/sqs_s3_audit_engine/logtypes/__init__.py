"""The log-type table: what each log type is, in one place.

Each log type lives in its own module beside this one and defines ``LOG_TYPE``, a
:class:`LogType`: its name (the input's ``log_type`` value), the sourcetype its events get,
the decoder that reads its objects (``json`` or ``lines``), how it is recognised (by the
object's key, by its first record), and ``new_reader``: a factory called once per object
that returns the function giving each record's time, :data:`NOT_EVENT` for a position
that holds no event (a CloudFront ``#Fields`` line, a VPC flow header line), or a
``BadRecord`` for a record it refuses (a CSV row whose time column is no time).
``options`` names input parameters ``new_reader`` takes as keyword arguments
(``csv_time_field``).

With ``log_type = auto`` an object's type is decided once per object:

1. by key, trying the types with a ``key_pattern`` in :data:`DETECTION_ORDER` (a CloudTrail
   digest or an ELB log is known before a byte is read, and is decoded the way its type
   says);
2. otherwise the content is decoded as JSON when it starts like JSON, else as lines, and
   the first record decides, trying ``recognise`` in :data:`DETECTION_ORDER`; ``json`` and
   ``text`` close the list and take any record.

``whole_object`` types (CloudTrail digest files) are no records at all: the collector
hands such an object to their handler, or skips it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Dict, Optional, Tuple

from ..decoders import Item

__all__ = [
    "LogType",
    "NOT_EVENT",
    "DETECTION_ORDER",
    "TABLE",
    "by_name",
    "by_key",
    "by_record",
    "names",
    "sourcetypes",
    "stateless",
    "field_time",
]


class _NotEvent:
    """Marker a record reader returns for a position that holds no event."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_EVENT"


NOT_EVENT = _NotEvent()

#: A record reader: the record's time as epoch text, None (no usable time: the object's
#: LastModified is used), NOT_EVENT, or a BadRecord.
RecordReader = Callable[[Item], object]


def stateless(read_time: Callable[[Item], Optional[str]]) -> Callable[[], RecordReader]:
    """``new_reader`` for a type whose records carry their own time and need no header."""
    return lambda: read_time


def field_time(name: str, parse: Callable[[object], Optional[str]]) -> Callable[[Item], Optional[str]]:
    """A time reader taking one field of a JSON record and parsing it with ``parse``."""

    def read(item: Item) -> Optional[str]:
        value = item.value
        return parse(value.get(name)) if isinstance(value, dict) else None

    return read


def _never(_item: Item) -> bool:
    return False


@dataclass(frozen=True)
class LogType:
    """One log type (see the module docstring).

    Attributes:
        name: the ``log_type`` value (``cloudtrail``).
        sourcetype: the sourcetype of its events (``aws:cloudtrail``).
        title: what the admin sees in Splunk Web.
        decoder: ``json``, ``lines`` or ``csv``: how its objects are read.
        new_reader: called once per object (with the ``options`` as keyword arguments);
            returns the record reader.
        key_pattern: recognised by the S3 key when this matches (``search``), or None.
        recognise: recognised by an object's first record.
        selectable: offered as a ``log_type`` value (digest files are not).
        whole_object: the object is no list of records (CloudTrail digest files).
    """

    name: str
    sourcetype: str
    title: str
    decoder: str
    new_reader: Callable[[], RecordReader]
    key_pattern: Optional["re.Pattern[str]"] = None
    recognise: Callable[[Item], bool] = _never
    selectable: bool = True
    whole_object: bool = False
    options: Tuple[str, ...] = ()


def _load() -> Tuple[LogType, ...]:
    from . import (
        aws_test_file,
        cloudfront,
        cloudtrail,
        cloudtrail_digest,
        config,
        config_notification,
        crowdstrike_aidmaster,
        crowdstrike_appinfo,
        crowdstrike_managedassets,
        crowdstrike_notmanaged,
        crowdstrike_sensor,
        crowdstrike_userinfo,
        csv_rows,
        elb,
        generic_json,
        guardduty,
        iru_activity,
        plain_text,
        s3_access,
        thrive_audit,
        vpcflow,
        waf,
    )

    # The detection order: the one place it is written. Specific types first; json and
    # text last, as they take any record. Key patterns are tried in this order too: AWS's
    # bucket test files before ELB and Config, oversized notifications before the rest of Config/.
    return (
        cloudtrail_digest.LOG_TYPE,
        cloudtrail.LOG_TYPE,
        iru_activity.LOG_TYPE,
        thrive_audit.LOG_TYPE,
        s3_access.LOG_TYPE,
        # AWS logs of issue 13: key first (AWSLogs/<acct>/elasticloadbalancing/,
        # vpcflowlogs/, WAFLogs/, Config/, GuardDuty/, CloudFront's file name), content after
        aws_test_file.LOG_TYPE,
        elb.LOG_TYPE,
        cloudfront.LOG_TYPE,
        vpcflow.LOG_TYPE,
        waf.LOG_TYPE,
        guardduty.LOG_TYPE,
        config_notification.LOG_TYPE,
        config.LOG_TYPE,
        # CrowdStrike FDR (issue 22): sensor events by content; the inventory kinds only
        # by the folder an FDR notification names (crowdstrike_fdr.for_path)
        crowdstrike_sensor.LOG_TYPE,
        crowdstrike_aidmaster.LOG_TYPE,
        crowdstrike_managedassets.LOG_TYPE,
        crowdstrike_notmanaged.LOG_TYPE,
        crowdstrike_appinfo.LOG_TYPE,
        crowdstrike_userinfo.LOG_TYPE,
        csv_rows.LOG_TYPE,  # chosen only (log_type or a rule): recognises nothing by itself
        generic_json.LOG_TYPE,
        plain_text.LOG_TYPE,
    )


DETECTION_ORDER: Tuple[LogType, ...] = _load()
TABLE: Dict[str, LogType] = {lt.name: lt for lt in DETECTION_ORDER}
_BY_KEY = tuple(lt for lt in DETECTION_ORDER if lt.key_pattern is not None)


def by_name(name: str) -> LogType:
    """The log type called ``name``; KeyError when there is none."""
    return TABLE[name]


def names() -> Tuple[str, ...]:
    """The ``log_type`` values an admin can choose, besides ``auto``."""
    return tuple(lt.name for lt in DETECTION_ORDER if lt.selectable)


def sourcetypes() -> Dict[str, str]:
    """log type name -> sourcetype, for every type."""
    return {lt.name: lt.sourcetype for lt in DETECTION_ORDER}


def by_key(key: str) -> Optional[LogType]:
    """The type an S3 key names, or None when the key says nothing."""
    for lt in _BY_KEY:
        if lt.key_pattern.search(key):  # type: ignore[union-attr]
            return lt
    return None


def by_record(item: Item) -> LogType:
    """The type of an object whose first record is ``item``."""
    for lt in DETECTION_ORDER:
        if lt.recognise(item):
            return lt
    return TABLE["json"] if item.origin != "line" else TABLE["text"]
