"""An S3 front that checks presigned URLs as S3 does, then hands the request to moto_server.

moto_server accepts any request, signed or not, so on its own it cannot show that a presigned
URL is refused once it is tampered with or expired. This front verifies each request that carries
`X-Amz-Signature` with botocore's own SigV4 query signer (an implementation independent of the
one under test): the signature must match the request as received, and X-Amz-Date +
X-Amz-Expires must not have passed. Refusals are S3's 403 with an XML error body; everything else
is forwarded to moto unchanged.

Usage: s3_presign_gate.py LISTEN_PORT MOTO_PORT SECRET_ACCESS_KEY PARENT_PID
"""

import datetime
import http.client
import http.server
import signal
import sys
import urllib.parse
from unittest import mock

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import parent_watch

LISTEN_PORT, MOTO_PORT, SECRET, PARENT = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])


def refusal(code, message):
    body = f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    return 403, body.encode()


def check(method, host, raw_path):
    path, _, raw_query = raw_path.partition("?")
    pairs = urllib.parse.parse_qsl(raw_query, keep_blank_values=True)
    params = dict(pairs)
    if "X-Amz-Signature" not in params:
        return None
    try:
        signed_at = datetime.datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
        expires = int(params["X-Amz-Expires"])
        access_key, day, region, service, _ = params["X-Amz-Credential"].split("/")
    except (KeyError, ValueError):
        return refusal("AuthorizationQueryParametersError", "malformed presigned query")
    if datetime.datetime.utcnow() > signed_at + datetime.timedelta(seconds=expires):
        return refusal("AccessDenied", "Request has expired")
    credentials = Credentials(access_key, SECRET, params.get("X-Amz-Security-Token"))
    request = AWSRequest(method=method, url=f"http://{host}{path}", headers={"host": host})
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=signed_at):
        botocore.auth.S3SigV4QueryAuth(credentials, service, region, expires=expires).add_auth(request)
    expected = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(request.url).query))["X-Amz-Signature"]
    if expected != params["X-Amz-Signature"]:
        return refusal("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
    return None


class Gate(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        refused = check(self.command, self.headers.get("Host", ""), self.path)
        if refused:
            status, payload = refused
            self.send_response(status)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        upstream = http.client.HTTPConnection("127.0.0.1", MOTO_PORT, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
        headers["Host"] = self.headers.get("Host", f"127.0.0.1:{LISTEN_PORT}")
        headers["Content-Length"] = str(len(body))
        upstream.request(self.command, self.path, body=body, headers=headers)
        response = upstream.getresponse()
        payload = response.read()
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    # A test runner may leave SIGTERM ignored, and children inherit that: stop when told to.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    parent_watch.exit_with(PARENT)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", LISTEN_PORT), Gate)
    print("ready", flush=True)
    server.serve_forever()
