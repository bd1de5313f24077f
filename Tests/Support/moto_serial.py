#!/usr/bin/env python3
"""moto's DynamoDB-API server (pip `moto[server]`), serving one request at a time.

Usage: moto_serial.py HOST PORT PARENT_PID

`moto_server` serves requests on threads, and its TransactWriteItems is not isolated from
concurrent ones: it deep-copies the tables first and restores that copy when a condition fails,
erasing any transaction that committed meanwhile. DynamoDB serializes conflicting transactions,
so AME's tests run moto's application single-threaded, which gives the same isolation. The
server exits when PARENT_PID does, so it never outlives the test run that started it.
"""
import os
import sys

from moto.server import DomainDispatcherApplication, create_backend_app
from parent_watch import exit_with
from werkzeug.serving import run_simple

host, port, parent_pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.environ.setdefault("MOTO_PORT", str(port))


exit_with(parent_pid)
run_simple(host, port, DomainDispatcherApplication(create_backend_app), threaded=False)
