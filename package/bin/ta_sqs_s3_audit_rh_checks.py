"""REST handler classes that check accounts, roles and inputs when they are saved.

UCC's generated handlers (``TA_sqs_s3_audit_rh_*.py``) use these classes through
``restHandlerModule``/``restHandlerClass`` in globalConfig.json. The checks themselves are
in ``sqs_s3_audit_splunk.save_checks`` (plain functions, tested outside Splunk).
"""

import import_declare_test  # noqa: F401  (puts ../lib on sys.path, as UCC's handlers do)

import os
import sys

_BIN = os.path.dirname(os.path.abspath(__file__))
if _BIN not in sys.path:
    sys.path.insert(0, _BIN)

from splunk import admin  # noqa: E402  (only inside splunkd)
from splunktaucclib.rest_handler.admin_external import AdminExternalHandler  # noqa: E402

from sqs_s3_audit_splunk.save_checks import check_account, check_input, check_role  # noqa: E402
from sqs_s3_audit_splunk.splunkd_config import SplunkdConfig  # noqa: E402


def _splunkd(handler) -> SplunkdConfig:
    import splunk

    return SplunkdConfig(splunk.getLocalServerInfo(), handler.getSessionKey())


def _fields(handler) -> dict:
    return {key: (values[0] if isinstance(values, list) and values else values)
            for key, values in handler.payload.items()}


class _Checked(AdminExternalHandler):
    def _check(self):
        raise NotImplementedError

    def handleCreate(self, confInfo):
        self._refuse(self._check())
        AdminExternalHandler.handleCreate(self, confInfo)

    def handleEdit(self, confInfo):
        self._refuse(self._check())
        AdminExternalHandler.handleEdit(self, confInfo)

    @staticmethod
    def _refuse(message):
        if message:
            raise admin.ArgValidationException(message)


class AccountHandler(_Checked):
    def _check(self):
        fields = _fields(self)
        if fields.get("aws_secret_access_key") == "******":  # edit without a new secret
            return None
        return check_account(fields, _splunkd(self))


class RoleHandler(_Checked):
    def _check(self):
        return check_role(_fields(self))


class InputHandler(_Checked):
    def _check(self):
        return check_input(self.callerArgs.id, _fields(self), _splunkd(self))
