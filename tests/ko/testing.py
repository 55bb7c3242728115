"""Shared pieces of the knowledge-object tests (tests/unit/test_knowledge_objects*.py):
the sourcetypes the add-on defines, and the documented samples rendered and run through
the search-time pipeline once per test session."""

import functools

from .conf import SAMPLES_DIR  # noqa: F401 - re-exported for the tests
from .pipeline import KnowledgeObjects
from .samples import render_samples

SOURCETYPES = ("aws:cloudtrail", "iru:endpoint:activity", "thrive:audit", "aws:s3:accesslogs")

JSON_SOURCETYPES = ("aws:cloudtrail", "iru:endpoint:activity", "thrive:audit")
# AWS logs of issue 13 (Splunk Add-on for AWS sourcetype names)

AWS_LOG_TEXT_SOURCETYPES = ("aws:elb:accesslogs", "aws:cloudfront:accesslogs", "aws:cloudwatchlogs:vpcflow")

AWS_LOG_JSON_SOURCETYPES = ("aws:waf", "aws:config", "aws:config:notification", "aws:cloudwatch:guardduty")
SOURCETYPES += AWS_LOG_TEXT_SOURCETYPES + AWS_LOG_JSON_SOURCETYPES
JSON_SOURCETYPES += AWS_LOG_JSON_SOURCETYPES
# CrowdStrike FDR (issue 22; the Splunk Add-on for CrowdStrike FDR's names)
CROWDSTRIKE_SOURCETYPES = ("crowdstrike:events:sensor", "crowdstrike:inventory:aidmaster",
                           "crowdstrike:inventory:managedassets", "crowdstrike:inventory:notmanaged",
                           "crowdstrike:inventory:appinfo", "crowdstrike:inventory:userinfo")
SOURCETYPES += CROWDSTRIKE_SOURCETYPES
JSON_SOURCETYPES += CROWDSTRIKE_SOURCETYPES

ALL_SOURCETYPES = SOURCETYPES + ("sqs_s3_audit:json", "sqs_s3_audit:text")

CONF_FILES = ("props.conf", "transforms.conf", "eventtypes.conf", "tags.conf")


# Columns each lookup file declares (the contract other searches may rely on).

DECLARED_LOOKUP_COLUMNS = {
    "sqs_s3_audit_cloudtrail_action.csv": ["eventName", "status", "action", "authentication_method"],
    "sqs_s3_audit_cloudtrail_object_category.csv": ["eventName", "object_category"],
    "sqs_s3_audit_iru_action.csv": ["vendor_action", "action"],
    "sqs_s3_audit_thrive_event.csv": ["event_name", "status", "audit_category", "action", "object_category"],
}

# OpenTelemetry attributes the Thrive mapping reads when present (documented in
# docs/sourcetypes/thrive_audit.md) but which the samples do not all carry.

OPTIONAL_THRIVE_ATTRIBUTES = {"server_address", "source_address", "user_name", "error_type",
                              "auth_method", "thrive_tenant_id", "service_name", "target_name",
                              "target_id", "target_type", "eventName"}
# Fields a documented record carries as null (no field in Splunk) but other records fill.
OPTIONAL_JSON_FIELDS = {"aws:waf": {"responseCodeSent"}}


@functools.lru_cache(maxsize=None)
def knowledge_objects():
    return KnowledgeObjects()


@functools.lru_cache(maxsize=None)
def samples():
    """(sample file, sourcetype, _raw, time) of every documented sample record."""
    return tuple(render_samples())


@functools.lru_cache(maxsize=None)
def processed():
    """(sample file, sourcetype, _raw, search-time fields) of every sample record."""
    ko = knowledge_objects()
    return tuple((name, st, raw, ko.search_time(st, raw)) for name, st, raw, _ in samples())


def events_of(processed_events, sample_file):
    return [fields for name, _, _, fields in processed_events if name == sample_file]
