#!/usr/bin/env python3
"""A fault-injecting HTTP proxy in front of a DynamoDB-API server, for AME's tests.

Usage: fault_proxy.py LISTEN_PORT UPSTREAM_URL PARENT_PID

It forwards every request to UPSTREAM_URL, unless a queued fault applies. Faults are queued with
POST /__faults {"faults": [{"fault": KIND, "target": "BatchGetItem"}, ...]} ("reset": true clears
the queue first); each one applies to
the next request for its target (any target when "target" is absent):

  throttle     answer 400 ThrottlingException without forwarding
  error500     answer 500 InternalServerError without forwarding
  denied       answer 400 AccessDeniedException without forwarding (credentials that cannot read)
  drop         close the connection without forwarding or answering
  drop-after   forward, then close the connection without answering (the server applied it)
  unprocessed  BatchGetItem / BatchWriteItem: answer half of the keys or requests (at least one) as
               UnprocessedKeys / UnprocessedItems, forward the rest
  delay        wait "milliseconds" (default 1000), then forward

GET /__stats answers {"requests": {target: count}, "faults_left": n}. The proxy exits when
PARENT_PID does, so it never outlives the test run that started it.
"""
import http.client
import json
import os
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from parent_watch import exit_with

listen_port = int(sys.argv[1])
upstream = urllib.parse.urlparse(sys.argv[2])
parent_pid = int(sys.argv[3])
lock = threading.Lock()
faults = []
requests_by_target = {}


def take_fault(target):
    with lock:
        requests_by_target[target] = requests_by_target.get(target, 0) + 1
        for index, fault in enumerate(faults):
            if fault.get("target") in (None, target):
                return faults.pop(index)
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, payload):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def forward(self, body):
        connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
        connection.request("POST", "/", body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()

    def do_GET(self):
        if self.path == "/__stats":
            with lock:
                self.answer(200, {"requests": dict(requests_by_target), "faults_left": len(faults)})
        else:
            self.answer(404, {})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/__faults":
            request = json.loads(body)
            with lock:
                if request.get("reset"):
                    faults.clear()
                faults.extend(request.get("faults", []))
            self.answer(200, {"queued": len(faults)})
            return
        target = self.headers.get("X-Amz-Target", "").split(".")[-1]
        entry = take_fault(target) or {}
        fault = entry.get("fault")
        if fault == "delay":
            time.sleep(int(entry.get("milliseconds", 1000)) / 1000)
            fault = None
        if fault == "throttle":
            self.answer(400, {"__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException", "message": "slow down"})
        elif fault == "denied":
            self.answer(400, {"__type": "com.amazon.coral.service#AccessDeniedException",
                              "message": "User is not authorized to perform: dynamodb:Scan"})
        elif fault == "error500":
            self.answer(500, {"__type": "com.amazonaws.dynamodb.v20120810#InternalServerError", "message": "oops"})
        elif fault == "drop":
            self.drop()
        elif fault == "drop-after":
            self.forward(body)
            self.drop()
        elif fault == "unprocessed" and target == "BatchWriteItem":
            request = json.loads(body)
            forwarded, unprocessed = {}, {}
            for table, entries in request["RequestItems"].items():
                half = max(1, len(entries) // 2)
                unprocessed[table] = entries[:half]
                if entries[half:]:
                    forwarded[table] = entries[half:]
            if forwarded:
                status, response = self.forward(json.dumps({"RequestItems": forwarded}).encode())
                payload = json.loads(response)
            else:
                status, payload = 200, {}
            payload["UnprocessedItems"] = unprocessed
            self.answer(status, payload)
        elif fault == "unprocessed" and target == "BatchGetItem":
            request = json.loads(body)
            forwarded, unprocessed = {}, {}
            for table, entry in request["RequestItems"].items():
                keys = entry["Keys"]
                half = max(1, len(keys) // 2)
                forwarded[table] = dict(entry, Keys=keys[half:]) if keys[half:] else None
                if keys[:half]:
                    unprocessed[table] = dict(entry, Keys=keys[:half])
            forwarded = {table: entry for table, entry in forwarded.items() if entry}
            if forwarded:
                status, response = self.forward(json.dumps({"RequestItems": forwarded}).encode())
                payload = json.loads(response)
            else:
                status, payload = 200, {"Responses": {}}
            payload["UnprocessedKeys"] = unprocessed
            self.answer(status, payload)
        else:
            status, response = self.forward(body)
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.0")
            self.send_header("Content-Length", str(len(response)))
            self.end_headers()
            self.wfile.write(response)


exit_with(parent_pid)
ThreadingHTTPServer(("127.0.0.1", listen_port), Handler).serve_forever()
