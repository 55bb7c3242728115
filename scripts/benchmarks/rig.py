"""The test rig of the product runs: moto server, latency proxies, the splunkd stand-in,
and the built input (or the straightforward one) started as splunkd starts it.

Each run gets a fresh queue (with a dead-letter queue), a fresh checkpoint directory and
a fresh ``SPLUNK_HOME``; the objects are uploaded once and their S3 notifications (as
moto wrote them) are captured once, then sent again to each run's queue, so every run
reads the same objects announced the same way.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import Dict, List

from .common import APP_LIB, OUT, SCRIPTS, cpu_seconds, proc_status

from aws_emulator import TEST_KEY_ID, TEST_SECRET, MotoServer, VendorSide
from modinput_runner import SCRIPT, input_xml

SESSION_KEY = "bench-session-key-51f0"
HERE = os.path.dirname(os.path.abspath(__file__))
_END = b"</event>"


class Counter:
    """Reads a process's stdout as it comes, counting events (the stream is kept only
    when asked: a 1 GB object's stream must not sit in the bench's memory)."""

    def __init__(self, stream, keep: bool):
        self.events = 0
        self.bytes = 0
        self.last = 0.0
        self.kept = bytearray() if keep else None
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream) -> None:
        carry = b""
        while True:
            chunk = stream.read1(1 << 20)
            if not chunk:
                return
            joined = carry + chunk
            found = joined.count(_END)
            carry = joined[-(len(_END) - 1):]
            if carry.count(_END):  # cannot happen (shorter than the tag); kept for clarity
                carry = b""
            self.bytes += len(chunk)
            if self.kept is not None:
                self.kept.extend(chunk)
            if found:
                self.events += found
                self.last = time.perf_counter()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)


class Proc:
    """An input process: its events counted, its stderr tail kept, its memory read."""

    def __init__(self, argv: List[str], stdin: bytes, env: Dict[str, str], cwd: str, keep: bool = False):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=env, cwd=cwd)
        self.proc.stdin.write(stdin)
        self.proc.stdin.close()
        self.out = Counter(self.proc.stdout, keep)
        self.err = bytearray()
        self._err_thread = threading.Thread(target=self._pump_err, daemon=True)
        self._err_thread.start()

    def _pump_err(self) -> None:
        for chunk in iter(lambda: self.proc.stderr.read1(65536), b""):
            self.err.extend(chunk)
            del self.err[:-65536]

    def memory(self) -> Dict[str, float]:
        return proc_status(self.proc.pid)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> int:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.out.join(10)
        return self.proc.returncode


def _env(splunk_home: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON"))}
    env.update(SPLUNK_HOME=splunk_home, PYTHONDONTWRITEBYTECODE="1", BENCH_KEY_ID=TEST_KEY_ID, BENCH_SECRET=TEST_SECRET)
    return env


class Rig:
    """Use as a context manager: ``rig.proxy(delay_ms)`` is an endpoint adding that delay."""

    def __init__(self, python: str):
        self.python = python
        self.moto = MotoServer()
        self._proxies: Dict[tuple, tuple] = {}
        self._fast_sqs = None  # the SQS stand-in (scripts/sqs_standin.py), started when first asked for
        self._runs = 0
        self.work = tempfile.mkdtemp(prefix="rig-", dir=OUT)

    def __enter__(self) -> "Rig":
        from harness import seed_splunkd
        from splunkd_standin import SplunkdStandIn

        self.moto.start()
        self.vendor = VendorSide(self.moto.endpoint)
        self.splunkd = seed_splunkd(SplunkdStandIn(session_key=SESSION_KEY))
        self.splunkd.start()
        return self

    def __exit__(self, *exc) -> None:
        for proc, _endpoint in self._proxies.values():
            proc.terminate()
            proc.wait(10)
        if self._fast_sqs is not None:
            self._fast_sqs[0].terminate()
            self._fast_sqs[0].wait(10)
        self.splunkd.stop()
        self.moto.stop()
        shutil.rmtree(self.work, ignore_errors=True)

    def proxy(self, delay_ms: int, upstream: str = "") -> str:
        """The endpoint of a latency proxy (its own process, its own GIL) adding ``delay_ms``
        in front of ``upstream`` (moto by default)."""
        upstream = upstream or self.moto.endpoint
        if (delay_ms, upstream) not in self._proxies:
            proc = subprocess.Popen([sys.executable, os.path.join(SCRIPTS, "latency_proxy.py"), "--upstream",
                                     upstream, "--delay-ms", str(delay_ms)], stdout=subprocess.PIPE, text=True)
            port = proc.stdout.readline().split()[1]
            self._proxies[(delay_ms, upstream)] = (proc, f"http://127.0.0.1:{port}")
        return self._proxies[(delay_ms, upstream)][1]

    def fast_sqs(self) -> str:
        """The endpoint of the SQS stand-in (its own process): O(1) receive, so a small-object
        run measures the input rather than moto's SQS. Put :meth:`proxy` in front for latency."""
        if self._fast_sqs is None:
            import boto3

            proc = subprocess.Popen([sys.executable, os.path.join(SCRIPTS, "sqs_standin.py")], stdout=subprocess.PIPE,
                                    text=True)
            endpoint = f"http://127.0.0.1:{proc.stdout.readline().split()[1]}"
            client = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=TEST_KEY_ID,
                                  aws_secret_access_key=TEST_SECRET)
            self._fast_sqs = (proc, endpoint, client)
        return self._fast_sqs[1]

    def _sqs_for(self, queue_url: str):
        if self._fast_sqs is not None and queue_url.startswith(self._fast_sqs[1]):
            return self._fast_sqs[2]
        return self.vendor.sqs

    # -- data --------------------------------------------------------------------
    def upload(self, bucket: str, objects: Dict[str, object]) -> List[str]:
        """Put objects (bytes or a file path) into a new bucket; returns the notification
        bodies moto sent for them, in order (the s3:TestEvent dropped)."""
        capture = self.vendor.create_feed(bucket, bucket + "-capture", with_dlq=False)
        self.vendor.drain(capture.queue_url)
        for key, body in objects.items():
            if isinstance(body, str):
                with open(body, "rb") as handle:
                    self.vendor.s3.put_object(Bucket=bucket, Key=key, Body=handle)
            else:
                self.vendor.put_object(bucket, key, body)
        bodies: List[str] = []
        while len(bodies) < len(objects):
            got = self.vendor.drain(capture.queue_url)
            bodies += [m["Body"] for m in got if "TestEvent" not in m["Body"]]
            if not got:
                time.sleep(0.05)
        return bodies

    def fresh_queue(self, bodies: List[str], fast: bool = False) -> str:
        """A new queue (with a dead-letter queue) holding ``bodies``: on moto, or on the SQS
        stand-in when ``fast``."""
        self._runs += 1
        name = f"bench-run-{self._runs}"
        if fast:
            client = self._fast_sqs[2] if self._fast_sqs else None
            if client is None:
                self.fast_sqs()
                client = self._fast_sqs[2]
            dlq = client.create_queue(QueueName=name + "-dlq")["QueueUrl"]
            arn = client.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            url = client.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "120", "RedrivePolicy": (
                '{"deadLetterTargetArn": "%s", "maxReceiveCount": "3"}' % arn)})["QueueUrl"]
        else:
            client = self.vendor.sqs
            url, _arn, _dlq = self.vendor.create_queue(name, visibility_timeout=120)
        for i in range(0, len(bodies), 10):
            entries = [{"Id": str(j), "MessageBody": b} for j, b in enumerate(bodies[i:i + 10])]
            client.send_message_batch(QueueUrl=url, Entries=entries)
        return url

    # -- runs --------------------------------------------------------------------
    def start_input(self, queue_url: str, endpoint: str, workers: int, keep: bool = False,
                    kind: str = "addon", sqs_endpoint: str = "") -> tuple:
        """(process, seconds it took to be polling); the queue is full already."""
        home = tempfile.mkdtemp(prefix=f"run{self._runs}-", dir=self.work)
        name = f"bench{self._runs}"
        if kind == "naive":
            argv = [self.python, os.path.join(HERE, "naive_input.py"), APP_LIB, endpoint, queue_url]
            stdin = b""
        else:
            params = {"account": "acct", "sqs_queue_url": queue_url, "aws_region": "us-east-1",
                      "sqs_endpoint_url": sqs_endpoint or endpoint, "s3_endpoint_url": endpoint, "index": "main",
                      "max_workers": str(workers), "interval": "60"}
            stdin = input_xml(self.splunkd.base_url, SESSION_KEY, os.path.join(home, "ckpt"), name, params).encode()
            argv = [self.python, SCRIPT]
        began = time.perf_counter()
        proc = Proc(argv, stdin, _env(home), home, keep)
        log = os.path.join(home, "var", "log", "splunk", f"ta_sqs_s3_audit_{name}.log")
        deadline = began + 60
        while time.perf_counter() < deadline:
            if kind == "naive" and b"started" in proc.err:
                break
            if kind != "naive" and os.path.exists(log) and "action=started" in open(log, errors="replace").read():
                break
            if not proc.alive():
                raise SystemExit(f"{kind} input exited at start: {proc.err.decode(errors='replace')[-2000:]}")
            time.sleep(0.01)
        else:
            proc.stop()
            raise SystemExit(f"{kind} input did not start: {proc.err.decode(errors='replace')[-2000:]}")
        proc.home = home
        return proc, time.perf_counter() - began

    def depth(self, queue_url: str) -> int:
        attrs = self._sqs_for(queue_url).get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])

    def run(self, bodies: List[str], endpoint: str, workers: int, expected_events: int, *, kind: str = "addon",
            keep: bool = False, budget: float = 600.0, sample_memory: bool = True, sqs_endpoint: str = "") -> dict:
        """One run: a fresh queue holding ``bodies``; the input until every event is written
        and the queue is empty (or ``budget`` seconds); timing from the first poll.
        ``sqs_endpoint``: SQS there (the stand-in's proxy), S3 at ``endpoint``."""
        queue_url = self.fresh_queue(bodies, fast=bool(sqs_endpoint))
        proc, startup = self.start_input(queue_url, endpoint, workers, keep, kind, sqs_endpoint)
        start = time.perf_counter()
        cpu_at_start = cpu_seconds(proc.proc.pid)
        deadline = start + budget
        peak_rss = 0.0
        complete = False
        while time.perf_counter() < deadline and proc.alive():
            if sample_memory:
                peak_rss = max(peak_rss, proc.memory().get("VmRSS", 0.0))
            if proc.out.events >= expected_events and self.depth(queue_url) == 0:
                complete = True
                break
            time.sleep(0.05)
        end = time.perf_counter()
        memory = proc.memory()
        cpu = cpu_seconds(proc.proc.pid) - cpu_at_start  # the run's CPU time, start-up left out
        rc = proc.stop()
        result = {"kind": kind, "workers": workers, "objects": len(bodies), "events": proc.out.events,
                  "expected_events": expected_events, "complete": complete, "seconds": end - start,
                  "startup_seconds": startup, "stream_mb": proc.out.bytes / 1e6, "vmhwm_mb": memory.get("VmHWM", 0.0),
                  "rss_peak_sampled_mb": peak_rss, "exit_status": rc, "cpu_seconds": cpu}
        result["objects_per_s"] = len(bodies) / result["seconds"] if complete else 0.0
        result["events_per_s"] = proc.out.events / result["seconds"]
        if keep:
            result["stream"] = bytes(proc.out.kept)
        if rc not in (0, None) or (not complete and budget >= 600):
            result["stderr_tail"] = proc.err.decode(errors="replace")[-1500:]
        shutil.rmtree(proc.home, ignore_errors=True)
        return result

    def ceiling(self, bucket: str, keys: List[str], endpoint: str, threads: int) -> dict:
        """The bare GetObject loop with ``threads`` threads (the input's Python and boto3)."""
        out = subprocess.run([self.python, os.path.join(HERE, "getobject_loop.py"), APP_LIB, endpoint, bucket,
                              str(threads)] + keys, capture_output=True, text=True, env=_env(self.work), timeout=900)
        if out.returncode:
            raise SystemExit(f"GetObject loop failed: {out.stderr[-2000:]}")
        count, seconds, size, cpu = out.stdout.split()
        return {"kind": "getobject", "workers": threads, "objects": int(count), "seconds": float(seconds),
                "objects_per_s": int(count) / float(seconds), "bytes": int(size), "cpu_seconds": float(cpu)}

    def queue_ceiling(self, bodies: List[str], endpoint: str, threads: int, sqs_endpoint: str = "") -> dict:
        """The bare queue loop with ``threads`` threads on a fresh queue holding ``bodies``
        (the notifications each input run gets): receive 10, GetObject each, delete the batch.
        ``sqs_endpoint``: SQS there (the stand-in's proxy), S3 at ``endpoint``."""
        queue_url = self.fresh_queue(bodies, fast=bool(sqs_endpoint))
        out = subprocess.run([self.python, os.path.join(HERE, "queue_loop.py"), APP_LIB, endpoint, queue_url,
                              str(threads), str(len(bodies))] + ([sqs_endpoint] if sqs_endpoint else []),
                             capture_output=True, text=True, env=_env(self.work), timeout=900)
        if out.returncode:
            raise SystemExit(f"queue loop failed ({out.stdout.strip()}): {out.stderr[-2000:]}")
        count, seconds, size, receive, get, delete, per_receive, cpu = out.stdout.split()
        return {"kind": "queue", "workers": threads, "objects": int(count), "seconds": float(seconds),
                "objects_per_s": int(count) / float(seconds), "bytes": int(size), "receive_ms": 1e3 * float(receive),
                "getobject_ms": 1e3 * float(get), "delete_ms": 1e3 * float(delete), "messages_per_receive": float(per_receive),
                "cpu_seconds": float(cpu)}
