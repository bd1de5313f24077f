# Helpers the scripts share (sourced, not run).

# A loopback port that was free a moment ago.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Waits up to 30 s for something to accept connections on 127.0.0.1:PORT.
wait_for_port() {
  for _ in $(seq 1 150); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 0.2)" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "$(basename "$0"): FAIL: nothing listens on port $1"
  return 1
}

# Waits up to 30 s for a server's start line in LOG (`ame: serving GraphQL on URL`) and prints the
# URL; prints nothing if it never came.
served_url() {
  for _ in $(seq 1 300); do
    grep -q 'serving GraphQL on' "$1" 2>/dev/null && break
    sleep 0.1
  done
  grep -o 'http://127.0.0.1:[0-9]*/graphql' "$1" 2>/dev/null | head -n 1 || true
}
