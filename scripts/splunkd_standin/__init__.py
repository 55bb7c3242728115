"""A small stand-in for splunkd's management REST API, for tests and demos.

Splunk cannot run here, so the add-on's code that reads its configuration the
way solnlib's ``ConfManager`` does is tested against this server over real HTTP.
It answers the requests solnlib 8.x and splunklib 2.1.1 make, in the formats
splunkd documents (Atom XML by default, JSON with ``output_mode=json``):

* ``GET  /services[NS/<owner>/<app>]/properties[/<conf>[/<stanza>]]``
  (solnlib's ``ConfManager.get_conf`` checks here that a conf file exists;
  404 when it does not)
* ``GET  .../configs/conf-<conf>`` (list; ``count``, ``offset``, ``search``,
  ``sort_key``, ``sort_dir``), ``GET .../configs/conf-<conf>/<stanza>``
  (404 with splunkd's ``<response><messages><msg type="ERROR">`` body when the
  stanza is missing), ``POST`` to create or update a stanza, ``DELETE``.
  Stanza names are URL-encoded path segments (``sqs_s3_audit%3A%2F%2Fname``).
* ``GET  .../storage/passwords`` (list with ``count``/``search``),
  ``GET``/``POST``/``DELETE .../storage/passwords/<realm>:<username>:``,
  ``POST .../storage/passwords`` (``name``, ``password``, ``realm``).
* ``.../data/inputs/<kind>[/<name>[/disable|/enable]]``: the ``[<kind>://<name>]``
  stanzas of ``inputs.conf``, as the UCC input handler (splunktaucclib's
  ``DataInputModel``) lists, creates, updates, disables and enables them.

Every request must carry ``Authorization: Splunk <session key>``; otherwise the
answer is splunkd's 401 ``call not properly authenticated``.

Secrets are stored the UCC way (``store.ConfStore.add_stanza``): the conf entry
holds ``******`` for every non-empty encrypted field and storage/passwords holds,
under realm ``__REST_CREDENTIAL__#<app>#configs/conf-<conf>``, one JSON object of
those fields chunked exactly as solnlib's ``CredentialManager.set_password`` writes it.

Modules: ``store`` (stanzas, credentials, seed files), ``routes`` (which request
reads or changes what), ``feeds`` (Atom/JSON feeds, error bodies, search and
paging), ``server`` (:class:`SplunkdStandIn`, the HTTP handler, the command line).

Python use::

    with SplunkdStandIn(session_key="k", app="TA_sqs_s3_audit") as splunkd:
        splunkd.add_stanza("ta_sqs_s3_audit_account", "prod",
                           {"aws_access_key_id": "AKIA..."},
                           encrypted={"aws_secret_access_key": "..."})
        base_url = splunkd.base_url          # http://127.0.0.1:<port>
        ...
        assert ("GET", "/servicesNS/nobody/TA_sqs_s3_audit/storage/passwords") in splunkd.requests

Command line (serves until SIGTERM or SIGINT; first stdout line is the base URL)::

    python scripts/splunkd_standin --seed seed.json [--port N] [--session-key K]
    PYTHONPATH=scripts python -m splunkd_standin --seed seed.json

with ``seed.json`` = ``{"<conf name>": {"<stanza>": {"fields": {...}, "encrypted": {...}}}}``.

Standard library only. Not a security boundary: it binds to 127.0.0.1 only.
"""

from .server import SplunkdStandIn, main
from .store import (
    CRED_END_MARK,
    CRED_LEN_LIMIT,
    CRED_SEP,
    DEFAULT_APP,
    DEFAULT_SESSION_KEY,
    ENCRYPTED_TOKEN,
    ConfStore,
    credential_chunks,
    load_seed,
    ucc_realm,
)

__all__ = [
    "CRED_END_MARK",
    "CRED_LEN_LIMIT",
    "CRED_SEP",
    "DEFAULT_APP",
    "DEFAULT_SESSION_KEY",
    "ENCRYPTED_TOKEN",
    "ConfStore",
    "SplunkdStandIn",
    "credential_chunks",
    "load_seed",
    "main",
    "ucc_realm",
]
