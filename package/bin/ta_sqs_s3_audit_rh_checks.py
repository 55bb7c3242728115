"""REST handler classes that check accounts, roles and inputs when they are saved.

UCC's generated handlers (``TA_sqs_s3_audit_rh_*.py``) use these classes through
``restHandlerModule``/``restHandlerClass`` in globalConfig.json. The checks themselves are
in ``sqs_s3_audit_splunk.save_checks`` (plain functions over the doctor's checks, tested
outside Splunk). A refusal raises ``admin.ArgValidationException``, which Splunk Web shows
in the form. Enabling or disabling an input is never checked (a broken input can always be
turned off), and an edit is checked with the stored values the request does not change.
"""

import import_declare_test  # noqa: F401  (puts ../lib on sys.path, as UCC's handlers do)

import os
import sys

_BIN = os.path.dirname(os.path.abspath(__file__))
if _BIN not in sys.path:
    sys.path.insert(0, _BIN)

from splunk import admin  # only inside splunkd (tests stand it in)
from splunktaucclib.rest_handler.admin_external import AdminExternalHandler, get_splunkd_endpoint

from sqs_s3_audit_splunk.save_checks import check_account, check_input, check_role
from sqs_s3_audit_splunk.splunkd_config import SplunkdConfig, SplunkdConfigError

MASKED = ("******", "********")  # what Splunk Web sends back for an unchanged secret


class _Checked(AdminExternalHandler):
    """Runs ``_check`` before UCC saves; a message refuses the save."""

    def _check(self, fields, stored):
        raise NotImplementedError

    def _stored(self):
        """The saved stanza (clear secrets) being edited; {} when it cannot be read."""
        return {}

    def _splunkd(self):
        return SplunkdConfig(get_splunkd_endpoint(), self.getSessionKey())

    def _run_check(self, editing):
        fields = {key: ("" if value is None else str(value)) for key, value in (self.payload or {}).items()}
        stored = {}
        if editing:
            try:
                stored = self._stored()
            except SplunkdConfigError:
                stored = {}
        if any(value in MASKED and not stored.get(key) for key, value in fields.items()):
            return  # an unchanged secret that cannot be read back: nothing to check it with
        merged = dict(stored)
        merged.update({key: value for key, value in fields.items() if value not in MASKED})
        message = self._check(merged, stored)
        if message:
            raise admin.ArgValidationException(message)

    def handleCreate(self, confInfo):
        self._run_check(editing=False)
        AdminExternalHandler.handleCreate(self, confInfo)

    def handleEdit(self, confInfo):
        if "disabled" not in (self.payload or {}):  # enable/disable: nothing to check
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

    def _check(self, fields, stored):  # noqa: ARG002 - _Checked._check's signature
        return check_role(fields)


class InputHandler(_Checked):
    def _stored(self):
        return self._splunkd().input_stanza(self.callerArgs.id)

    def _check(self, fields, stored):  # noqa: ARG002 - _Checked._check's signature
        return check_input(self.callerArgs.id, fields, self._splunkd())
