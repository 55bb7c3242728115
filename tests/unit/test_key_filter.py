"""Key filters run in time linear in the key, accepting exactly what ``re`` accepts (issue 19, finding 3).

``re`` backtracks: on a 1,024-byte key ``.*.*.*x`` takes about a minute and ``(a+)+$`` longer
than anyone waits, inside one call that holds the GIL. The bound is checked as a bound, not a
timing: a child process must finish every search within a generous limit that today's
``re``-based filter overruns by orders of magnitude.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys

import pytest

from sqs_s3_audit_engine.config import parse_input
from sqs_s3_audit_engine.errors import ConfigError
from sqs_s3_audit_engine.key_filter import MAX_STATES, compile_key_filter

BIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "package", "bin")
QUEUE = "https://sqs.eu-west-1.amazonaws.com/123456789012/audit"
PATTERNS = [r".*/CloudTrail/.*\.json\.gz$", r"^AWSLogs/\d+/CloudTrail/[\w-]+/\d+/.*\.json\.gz$", r"(a+)+$",
            r".*.*.*x", r"/ConfigWritabilityCheckFile$", r"(?i)cloudtrail", r"^a|b$", r"x{2,4}y", r"[^/]+\.log$",
            r"\Aabc\Z", r"(?s)a.b", r"a.b", r"(?i:AB)c", r"^$", r"foo|bar", r"\.(json|gz)$", r"[A-Z]\d{3}",
            r"a*?b", r"(ab|a)*c$", r"\s", r"\W+x", r"CloudTrail-Digest/"]
KEYS = ["AWSLogs/123456789012/CloudTrail/us-east-1/2025/03/04/x.json.gz", "a/b/c", "aaaa", "aaab", "xxxy", "xxxxxy",
        "abc", "abc\n", "a\nb", "AbC", "", "Foo", "q.json", "q.gz\n", "Z123", "\u00e9", "ababc", "a b", "k\n",
        "x/ConfigWritabilityCheckFile", "CLOUDTRAIL", "ba", "/CloudTrail/x.json.gz", "ab!x",
        "AWSLogs/o-1/123456789012/CloudTrail-Digest/us-east-1/2025/03/04/d.json.gz"]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_the_filter_accepts_what_re_accepts(pattern):
    rnd = random.Random(pattern)
    keys = KEYS + ["".join(rnd.choice("ab/\nxyZ1.") for _ in range(rnd.randint(0, 12))) for _ in range(200)]
    compiled, ours = re.compile(pattern), compile_key_filter(pattern, "key_include_regex")
    for key in keys:
        assert ours.search(key) == bool(compiled.search(key)), (pattern, key)


@pytest.mark.parametrize("pattern", [r"(a)\1", r"(?=a)b", r"(?<!a)b", r"\bx", r"(?m)^a", r"(a{1,100}){1,100}",
                                     r"(?(1)a|b)", r"([unclosed"])
def test_constructs_an_automaton_cannot_run_are_refused_naming_the_parameter(pattern):
    with pytest.raises(ConfigError) as info:
        parse_input("in", {"account": "a", "sqs_queue_url": QUEUE, "key_exclude_regex": pattern})
    assert info.value.parameter == "key_exclude_regex"


def test_every_filter_search_on_a_key_s3_can_hold_finishes_within_a_bound():
    # Worst cases for a backtracking engine, on 1,024-byte keys. With re these take a minute
    # (.*.*.*x) to forever ((a+)+$); the child is given 60 s for all of them together.
    script = (
        "import sys; sys.path.insert(0, %r)\n"
        "from sqs_s3_audit_engine.config import parse_input\n"
        "patterns = [r'.*.*.*x', r'(a+)+$', r'(a|a)*b', r'.*/CloudTrail/.*\\.json\\.gz$', r'(.*a){30}y',"
        " r'[^x]{1,%d}x']\n"
        "keys = ['a' * 1023 + '!', '/CloudTrail/' * 85, 'ab' * 512, ''.join(chr(256 + i) for i in range(1024))]\n"
        "for p in patterns:\n"
        "    cfg = parse_input('in', {'account': 'a', 'sqs_queue_url': %r, 'key_include_regex': p,"
        " 'key_exclude_regex': p})\n"
        "    for k in keys:\n"
        "        cfg.wants_key(k)\n"
        "print('done')\n" % (os.path.abspath(BIN), MAX_STATES // 2 - 10, QUEUE))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0 and out.stdout.strip() == "done", out.stderr[-2000:]
