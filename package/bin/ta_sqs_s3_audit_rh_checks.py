"""REST handler classes that check accounts, roles and inputs when they are saved.

UCC's generated handlers (``TA_sqs_s3_audit_rh_*.py``) use these classes through
``restHandlerModule``/``restHandlerClass`` in globalConfig.json. The checks themselves are
in ``sqs_s3_audit_splunk.save_checks`` (plain functions over the doctor's checks, tested
outside Splunk). A refusal raises ``admin.ArgValidationException``, which Splunk Web shows
in the form. Enabling or disabling an input is never checked (a broken input can always be
turned off), and an edit is checked with the stored values the request does not change.

The offline checks (parameter shapes, the add-on's own messages) run first, then UCC's own
validation of the payload (its REST model's validators, the same ones
:meth:`RestHandler.create` runs), and only then the checks that call AWS, so nothing UCC
would refuse reaches AWS; only a payload holding nothing but ``disabled`` is
an enable/disable (any other field in it is checked). Who may save at all is splunkd's
business: ``restmap.conf`` requires ``admin_all_objects`` to create, edit or delete
(globalConfig.json ``capabilities``).
"""

import import_declare_test  # noqa: F401  (puts ../lib on sys.path, as UCC's handlers do)

import os
import sys

_BIN = os.path.dirname(os.path.abspath(__file__))
if _BIN not in sys.path:
    sys.path.insert(0, _BIN)

from splunk import admin  # only inside splunkd (tests stand it in)
from splunktaucclib.rest_handler.admin_external import AdminExternalHandler, get_splunkd_endpoint
from splunktaucclib.rest_handler.error import RestError

from sqs_s3_audit_engine.config import parse_input
from sqs_s3_audit_engine.errors import ConfigError
from sqs_s3_audit_engine.metrics import one_line
from sqs_s3_audit_splunk.save_checks import check_account, check_input, check_role
from sqs_s3_audit_splunk.splunkd_config import SplunkdConfig, SplunkdConfigError

MASKED = ("******", "********")  # what Splunk Web sends back for an unchanged secret


class _Checked(AdminExternalHandler):
    """Runs ``_check`` before UCC saves; a message refuses the save."""

    def _check(self, fields, stored):
        raise NotImplementedError

    def _offline(self, fields):  # noqa: ARG002 - the handlers' shared signature
        """What is wrong with the values without calling anything (None: nothing)."""
        return None

    def _stored(self):
        """The saved stanza (clear secrets) being edited; {} when it cannot be read."""
        return {}

    def _splunkd(self):
        return SplunkdConfig(get_splunkd_endpoint(), self.getSessionKey())

    def _ucc_validation(self, stored, editing):
        """UCC's own validators of the REST model, on the payload as UCC will see it."""
        try:
            self.handler.get_endpoint().validate(self.callerArgs.id, dict(self.payload or {}),
                                                 dict(stored) if editing else None)
        except RestError as exc:
            raise admin.ArgValidationException(str(exc.message)) from None

    def _run_check(self, editing):
        fields = {key: ("" if value is None else str(value)) for key, value in (self.payload or {}).items()}
        stored = {}
        if editing:
            try:
                stored = self._stored()
            except SplunkdConfigError:
                stored = {}
        if any(value in MASKED and not stored.get(key) for key, value in fields.items()):
            self._ucc_validation(stored, editing)
            return  # an unchanged secret that cannot be read back: nothing to check it with
        merged = dict(stored)
        merged.update({key: value for key, value in fields.items() if value not in MASKED})
        message = self._offline(merged)
        if message:
            raise admin.ArgValidationException(message)
        self._ucc_validation(stored, editing)
        message = self._check(merged, stored)
        if message:
            raise admin.ArgValidationException(message)

    def handleCreate(self, confInfo):
        self._run_check(editing=False)
        AdminExternalHandler.handleCreate(self, confInfo)

    def handleEdit(self, confInfo):
        if set(self.payload or {}) - {"disabled"}:  # anything but a bare enable/disable is checked
            self._run_check(editing=True)
        AdminExternalHandler.handleEdit(self, confInfo)


class AccountHandler(_Checked):
    def _stored(self):
        return self._splunkd().account(self.callerArgs.id)

    def _check(self, fields, stored):  # noqa: ARG002 - _Checked._check's signature
        return check_account(fields, self._splunkd(), name=self.callerArgs.id or "account")


class RoleHandler(_Checked):
    def _stored(self):
        return self._splunkd().iam_role(self.callerArgs.id)

    def _offline(self, fields):
        return check_role(fields)

    def _check(self, fields, stored):  # noqa: ARG002 - _Checked._check's signature
        return check_role(fields)


class InputHandler(_Checked):
    def _stored(self):
        return self._splunkd().input_stanza(self.callerArgs.id)

    def _offline(self, fields):
        try:
            parse_input(self.callerArgs.id, fields)
        except ConfigError as exc:
            return one_line(str(exc))
        return None

    def _check(self, fields, stored):  # noqa: ARG002 - _Checked._check's signature
        return check_input(self.callerArgs.id, fields, self._splunkd())
