# Port helpers shared by the local server scripts (sourced; expects $HOST).

# ports_free P1 P2 ... -> exit 0 when every port can be bound on $HOST
ports_free() {
  python3 - "$HOST" "$@" <<'PY' 2>/dev/null
import socket, sys
host = sys.argv[1]
socks = []
try:
    for p in sys.argv[2:]:
        s = socket.socket()
        # like the servers' own listeners: a port left in TIME_WAIT by a stopped server is usable
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, int(p))); socks.append(s)
except OSError:
    sys.exit(1)
PY
}

# random_ports COUNT -> COUNT distinct free ports (held open together while picking)
random_ports() {
  python3 - "$HOST" "$1" <<'PY'
import socket, sys
host, n = sys.argv[1], int(sys.argv[2])
socks = []
for _ in range(n):
    s = socket.socket(); s.bind((host, 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}
