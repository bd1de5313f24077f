#!/usr/bin/env python3
"""The AWS Lambda Runtime API (2018-06-01) on loopback, for running `ame lambda` in AME's tests.

Usage: lambda_runtime_api.py LISTEN_PORT PARENT_PID

The function side follows AWS's published API:

  GET  /2018-06-01/runtime/invocation/next           waits for an event; answers it with the
       headers Lambda-Runtime-Aws-Request-Id, Lambda-Runtime-Deadline-Ms,
       Lambda-Runtime-Invoked-Function-Arn, Lambda-Runtime-Trace-Id and, when given,
       Lambda-Runtime-Client-Context and Lambda-Runtime-Cognito-Identity
  POST /2018-06-01/runtime/invocation/{id}/response  202; 400 for an id that is not the open
       invocation (unknown, or already answered); 413 above 6 MB
  POST /2018-06-01/runtime/invocation/{id}/error     202 (the body and the
       Lambda-Runtime-Function-Error-Type header are recorded); 400 as above
  POST /2018-06-01/runtime/init/error                202 (recorded)

The test side drives it:

  POST /__invoke {"event_b64": ..., "timeout_ms": N, "trace_id": ...}  queues one event and
       waits until the function answers it (or until its deadline plus 10 s), then answers
       {"request_id", "kind": "response" | "error" | "none", "body", "error_type",
        "before_deadline": bool, "trace_id", "function_ms"}
  GET  /__state  {"init_error": {"type", "body"} | null, "waiting": bool, "served": n}

It exits when PARENT_PID does, so it never outlives the test run that started it.
"""
import base64
import json
import select
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from parent_watch import exit_with

PREFIX = "/2018-06-01/runtime"
MAX_RESPONSE = 6 * 1024 * 1024

listen_port = int(sys.argv[1])
parent_pid = int(sys.argv[2])
condition = threading.Condition()
queue = []  # events not yet handed out
invocations = {}  # request id -> record
open_ids = set()  # handed out, not yet answered
state = {"init_error": None, "waiting": False, "served": 0}


def now_ms():
    return int(time.time() * 1000)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as separate writes: without this, delayed ACKs stall each one.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def answer(self, status, payload, headers=None):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def client_gone(self):
        readable, _, _ = select.select([self.connection], [], [], 0)
        try:
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self):
        if self.path == PREFIX + "/invocation/next":
            with condition:
                state["waiting"] = True
                condition.notify_all()
                # A runtime that went away while waiting (its process was stopped) takes no event.
                while not queue or self.client_gone():
                    if self.client_gone():
                        state["waiting"] = False
                        return
                    condition.wait(timeout=0.2)
                record = queue.pop(0)
                state["waiting"] = False
                open_ids.add(record["request_id"])
                state["served"] += 1
                record["handed_out"] = time.monotonic()
            body = record["event"]
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Lambda-Runtime-Aws-Request-Id", record["request_id"])
            self.send_header("Lambda-Runtime-Deadline-Ms", str(record["deadline_ms"]))
            self.send_header(
                "Lambda-Runtime-Invoked-Function-Arn",
                "arn:aws:lambda:us-east-1:123456789012:function:ame-test",
            )
            self.send_header("Lambda-Runtime-Trace-Id", record["trace_id"])
            if record.get("client_context"):
                self.send_header("Lambda-Runtime-Client-Context", record["client_context"])
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/__state":
            with condition:
                self.answer(200, dict(state))
        else:
            self.answer(404, {"errorMessage": "unknown path " + self.path, "errorType": "NotFound"})

    def do_POST(self):
        body = self.read_body()
        if self.path == PREFIX + "/init/error":
            with condition:
                state["init_error"] = {
                    "type": self.headers.get("Lambda-Runtime-Function-Error-Type"),
                    "body": body.decode("utf-8", "replace"),
                }
                condition.notify_all()
            self.answer(202, {"status": "OK"})
            return
        if self.path.startswith(PREFIX + "/invocation/"):
            parts = self.path[len(PREFIX + "/invocation/"):].split("/")
            if len(parts) != 2 or parts[1] not in ("response", "error"):
                self.answer(404, {"errorMessage": "unknown path", "errorType": "NotFound"})
                return
            request_id, kind = parts
            with condition:
                if request_id not in open_ids:
                    self.answer(400, {"errorMessage": "Invalid request ID", "errorType": "InvalidRequestID"})
                    return
                if kind == "response" and len(body) > MAX_RESPONSE:
                    open_ids.discard(request_id)
                    self.answer(413, {"errorMessage": "Payload too large", "errorType": "RequestEntityTooLarge"})
                    return
                open_ids.discard(request_id)
                record = invocations[request_id]
                record["kind"] = kind
                record["body"] = body.decode("utf-8", "replace")
                record["error_type"] = self.headers.get("Lambda-Runtime-Function-Error-Type")
                record["before_deadline"] = now_ms() < record["deadline_ms"]
                # From handing the event out to the answer: the function's own time.
                record["function_ms"] = (time.monotonic() - record["handed_out"]) * 1000
                condition.notify_all()
            self.answer(202, {"status": "OK"})
            return
        if self.path == "/__invoke":
            request = json.loads(body)
            request_id = str(uuid.uuid4())
            record = {
                "request_id": request_id,
                "event": base64.b64decode(request["event_b64"]),
                "deadline_ms": now_ms() + int(request.get("timeout_ms", 30000)),
                "trace_id": request.get("trace_id") or "Root=1-00000000-%s;Sampled=0" % uuid.uuid4().hex[:24],
                "client_context": request.get("client_context"),
                "kind": "none",
                "body": None,
                "error_type": None,
                "before_deadline": False,
            }
            with condition:
                invocations[request_id] = record
                queue.append(record)
                condition.notify_all()
                give_up = time.time() + int(request.get("timeout_ms", 30000)) / 1000 + 10
                while record["kind"] == "none" and time.time() < give_up:
                    condition.wait(timeout=max(0.01, give_up - time.time()))
                # Lambda forgets an invocation whose time ran out: a late answer is refused.
                open_ids.discard(request_id)
                invocations.pop(request_id, None)
                result = {key: record[key] for key in ("request_id", "kind", "body", "error_type", "before_deadline")}
                result["trace_id"] = record["trace_id"]
                result["function_ms"] = record.get("function_ms")
            self.answer(200, result)
            return
        self.answer(404, {"errorMessage": "unknown path " + self.path, "errorType": "NotFound"})


exit_with(parent_pid)
ThreadingHTTPServer(("127.0.0.1", listen_port), Handler).serve_forever()
