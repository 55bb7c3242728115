"""Stand-in for splunkd's ``splunk`` package (tests only): see ../README.md."""


class RESTException(Exception):
    def __init__(self, statusCode, msg=None):
        super().__init__(msg)
        self.statusCode = statusCode
        self.msg = msg
