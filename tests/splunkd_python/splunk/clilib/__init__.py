"""Stand-in for splunkd's ``splunk.clilib`` (tests only): see ../../README.md."""
