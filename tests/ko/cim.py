"""CIM data model requirements the add-on's events are checked against.

Sources: Splunk Common Information Model Add-on manual, "Web", "Network Traffic",
"Change", "Authentication", "Alerts" and "Intrusion Detection" data model reference tables (tags that
constrain each dataset, and the prescribed values of its fields). An event belongs to
a model when it carries all the model's constraint tags; it must then have every
required field, and each field with prescribed values may hold only those values.
The required fields are those the add-on promises (docs/sourcetypes/*.md).
"""

#: HTTP status codes of the Web data model's prescribed values for ``status``.
HTTP_STATUS = {
    "100", "101", "102", "200", "201", "202", "203", "204", "205", "206", "207", "208", "226",
    "300", "301", "302", "303", "304", "305", "306", "307", "308",
    "400", "401", "402", "403", "404", "405", "406", "407", "408", "409", "410", "411", "412",
    "413", "414", "415", "416", "417", "422", "423", "424", "426", "428", "429", "431",
    "500", "501", "502", "503", "504", "505", "506", "507", "508", "510", "511",
}
HTTP_METHODS = {"GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS", "CONNECT", "TRACE", "PATCH"}
CHANGE_ACTIONS = {"acl_modified", "cleared", "created", "deleted", "modified", "read", "stopped",
                  "lockout", "logoff", "updated", "started", "restarted", "unlocked"}
SEVERITIES = {"critical", "high", "medium", "low", "informational", "unknown"}

#: model -> constraint tags, required fields, prescribed values
MODELS = {
    "Web": {
        "tags": {"web"},
        "required": ("action", "url", "status", "src", "dest", "http_method", "uri_path", "bytes"),
        "allowed": {"action": {"allowed", "blocked"}, "status": HTTP_STATUS, "http_method": HTTP_METHODS},
    },
    "Network_Traffic": {
        "tags": {"network", "communicate"},
        "required": ("action", "src", "dest", "src_ip", "dest_ip", "src_port", "dest_port", "transport"),
        "allowed": {"action": {"allowed", "blocked", "teardown"},
                    "transport": {"tcp", "udp", "icmp", "ipv6-icmp", "sctp", "gre", "esp", "ah"}},
    },
    "Change": {
        "tags": {"change"},
        "required": ("action", "change_type", "object", "object_category", "status", "user", "dest"),
        "allowed": {"action": CHANGE_ACTIONS, "status": {"success", "failure"}},
    },
    "Change.Account_Management": {
        "tags": {"change", "account"},
        "required": ("src_user",),
        "allowed": {},
    },
    "Authentication": {
        "tags": {"authentication"},
        "required": ("action", "app", "src", "user", "dest"),
        "allowed": {"action": {"success", "failure"}},
    },
    "Intrusion_Detection": {
        "tags": {"ids", "attack"},
        "required": ("action", "category", "dest", "ids_type", "severity", "signature", "src", "vendor_product"),
        "allowed": {"action": {"allowed", "blocked"}, "ids_type": {"network", "host", "application", "wireless"},
                    "severity": SEVERITIES - {"unknown"}},
    },
    "Alerts": {
        "tags": {"alert"},
        "required": ("app", "dest", "signature", "signature_id", "severity", "type", "description"),
        "allowed": {"severity": SEVERITIES, "type": {"alarm", "alert", "event", "task", "warning"}},
    },
}


def _text(value):
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def models_of(fields):
    """The data models an event is tagged for."""
    tags = set(fields.get("tag") or [])
    return [name for name, model in MODELS.items() if model["tags"] <= tags]


def violations(fields):
    """Every way an event breaks a data model it is tagged for (empty when none)."""
    problems = []
    for name in models_of(fields):
        model = MODELS[name]
        for field in model["required"]:
            value = fields.get(field)
            if value is None or value == "" or value == []:
                problems.append(f"{name}: required field {field} missing")
        for field, allowed in model["allowed"].items():
            value = fields.get(field)
            if value is None:
                continue
            for v in value if isinstance(value, list) else [value]:
                if _text(v) not in allowed:
                    problems.append(f"{name}: {field}={v!r} is not a CIM value")
    return problems
