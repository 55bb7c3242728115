"""Stand-in for splunkd's ``splunk.admin`` (tests only): see ../README.md."""

import json
import sys
import traceback

ACTION_CREATE, ACTION_LIST, ACTION_EDIT, ACTION_REMOVE, ACTION_MEMBERS, ACTION_RELOAD = 1, 2, 4, 8, 16, 32
CONTEXT_NONE, CONTEXT_APP_ONLY, CONTEXT_APP_AND_USER = 0, 1, 2
EAI_ENTRY_ACL = "eai:acl"
_ACTIONS = {"create": ACTION_CREATE, "list": ACTION_LIST, "edit": ACTION_EDIT, "remove": ACTION_REMOVE}
_METHODS = {ACTION_CREATE: "handleCreate", ACTION_LIST: "handleList", ACTION_EDIT: "handleEdit",
            ACTION_REMOVE: "handleRemove"}


class AdminManagerException(Exception):
    pass


class ArgValidationException(AdminManagerException):
    """splunkd answers 400 with this message; Splunk Web shows it in the form."""


class NotFoundException(AdminManagerException):
    pass


class InternalException(AdminManagerException):
    pass


class _Args:
    def __init__(self):
        self.required, self.optional = [], []

    def addReqArg(self, name):
        self.required.append(name)

    def addOptArg(self, name):
        self.optional.append(name)


class _CallerArgs:
    def __init__(self, name, data):
        self.id = name
        self.data = data


class _ConfItem(dict):
    def __init__(self):
        super().__init__()
        self.metadata = {}

    def setMetadata(self, key, value):
        self.metadata[key] = value


class _ConfInfo(dict):
    def __getitem__(self, name):
        return self.setdefault(name, _ConfItem())


class MConfigHandler:
    def __init__(self, scriptMode, ctxInfo, request=None):
        request = request or {}
        self.requestedAction = scriptMode
        self.context = ctxInfo
        self.callerArgs = _CallerArgs(request.get("id"), {k: [v] for k, v in request.get("data", {}).items()})
        self.supportedArgs = _Args()
        self.appName = request.get("app", "TA_sqs_s3_audit")
        self.userName = request.get("user", "admin")
        self._session_key = request.get("session_key", "")

    def getSessionKey(self):
        return self._session_key

    def setup(self):
        pass


def _check_arguments(handler):
    args, given = handler.supportedArgs, set(handler.callerArgs.data)
    if handler.requestedAction == ACTION_CREATE:
        missing = [name for name in args.required if name not in given]
        if missing:
            raise ArgValidationException(f"Missing argument(s): {', '.join(missing)}")
    if handler.requestedAction in (ACTION_CREATE, ACTION_EDIT):
        unknown = sorted(given - set(args.required) - set(args.optional))
        if unknown:
            raise ArgValidationException(f"Argument {unknown[0]!r} is not supported by this handler.")


def init(handler_class, ctxInfo):
    request = json.loads(sys.stdin.read())
    action = _ACTIONS[request["action"]]
    try:
        handler = handler_class(action, ctxInfo, request)
        handler.setup()
        _check_arguments(handler)
        info = _ConfInfo()
        getattr(handler, _METHODS[action])(info)
    except ArgValidationException as exc:
        outcome = {"status": 400, "error": "ArgValidationException", "message": str(exc)}
    except Exception as exc:  # noqa: BLE001 - reported to the test as splunkd reports it: a 500
        outcome = {"status": 500, "error": type(exc).__name__, "message": str(exc),
                   "traceback": traceback.format_exc()}
    else:
        outcome = {"status": 200, "entries": {name: dict(item) for name, item in info.items()}}
    print(json.dumps(outcome))
