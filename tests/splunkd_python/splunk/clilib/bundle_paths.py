"""Stand-in for splunkd's ``splunk.clilib.bundle_paths`` (tests only): see ../../README.md."""

import os


def make_splunkhome_path(parts):
    """$SPLUNK_HOME joined with ``parts``, as Splunk's own function does for such paths."""
    return os.path.join(os.environ["SPLUNK_HOME"], *parts)
