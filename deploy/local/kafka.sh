#!/usr/bin/env bash
# Local Apache Kafka (KRaft, combined broker+controller nodes) for development, tests and CI.
# The broker comes from Maven Central (deploy/local/kafka-pom.xml); no Docker, no tarball.
#
# Usage: bash deploy/local/kafka.sh COMMAND [ARGS] [--nodes N] [--dir DIR] [--timeout SEC]
#
#   start              start all nodes (N from --nodes, default 1; an existing DIR keeps its N),
#                      wait until every log says "Kafka Server started" and a client sees all
#                      N brokers; the LAST stdout line is BOOTSTRAP=127.0.0.1:PORT[,...]
#                      (stdout carries nothing else: eval "$(bash deploy/local/kafka.sh start)").
#                      Already running: prints BOOTSTRAP again. Partly running: starts the rest.
#   stop               SIGTERM the recorded pids, SIGKILL after 20 s. Data is kept.
#   status             per node running/paused/stopped, then BOOTSTRAP=...
#                      exit 0 all running, 1 some not running, 3 none running / no cluster
#   kill NODE [-9]     SIGTERM (clean shutdown; SIGKILL after 20 s) or SIGKILL (crash) one node
#   pause NODE         SIGSTOP one node          resume NODE   SIGCONT one node
#   restart NODE       stop that node if running, start it again with its same config and
#                      wait until it is back in the cluster
#   clean              stop, then delete the cluster (configs, data, logs); keeps the jars
#
# Options / environment:
#   --dir DIR          state directory (default ${RISKSTREAM_KAFKA_DIR:-/tmp/riskstream-kafka})
#   --nodes N          cluster size for a new cluster (default ${RISKSTREAM_KAFKA_NODES:-1})
#   --timeout SEC      start/restart readiness timeout (default ${RISKSTREAM_KAFKA_START_TIMEOUT:-120})
#   --fresh            (start) delete the cluster's data first, like `clean` + `start`
#
# Every node also has a SASL_PLAINTEXT listener (mechanism PLAIN; user `riskstream`, password
# `riskstream-dev-secret` — development credentials for the SASL tests, never for production);
# its addresses are in DIR/sasl-bootstrap.
#
# Layout of DIR: libs/ (jars, cached; re-fetched when kafka-pom.xml changes), cluster.env
# (node count, cluster id, ports, version), bootstrap (host:port,...), sasl-bootstrap, kafka.env
# (RISKSTREAM_KAFKA_BROKERS=...), node-I/{server.properties,data/,server.log,kafka.pid}.
#
# Broker settings (see write_node_config): auto.create.topics.enable=false — every topic must be
# created explicitly (admin createTopics); a misspelt topic name then fails instead of silently
# creating a 1-partition topic. Offsets/transaction/share-state topics are replicated on all N
# nodes, min.insync.replicas=2 when N>=3 else 1, unclean leader election off,
# group.initial.rebalance.delay.ms=0.
set -euo pipefail
unset COLUMNS # KAFKA-15413: Kafka's tools choke on a non-numeric/odd COLUMNS

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
POM="$SCRIPT_DIR/kafka-pom.xml"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
HOST=127.0.0.1
DEFAULT_BROKER_PORT=19092     # node i: 19092+i-1 broker, 19192+i-1 controller (when all free)
DEFAULT_CONTROLLER_PORT=19192
DEFAULT_SASL_PORT=19292       # node i: 19292+i-1 SASL_PLAINTEXT (PLAIN) listener
SASL_USER=riskstream
SASL_PASSWORD=riskstream-dev-secret
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
KAFKA_JVM_OPTS="${KAFKA_JVM_OPTS:--XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true}"
STOP_GRACE=20

log() { printf 'kafka.sh: %s\n' "$*" >&2; }
die() { printf 'kafka.sh: error: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2; }

# ---------------------------------------------------------------- arguments
CMD="${1:-}"; [[ -n "$CMD" ]] || usage; shift
DIR="${RISKSTREAM_KAFKA_DIR:-/tmp/riskstream-kafka}"
NODES_ARG=""
TIMEOUT="${RISKSTREAM_KAFKA_START_TIMEOUT:-120}"
FRESH=0
POS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --nodes) NODES_ARG="${2:?--nodes needs a value}"; shift 2 ;;
    --nodes=*) NODES_ARG="${1#*=}"; shift ;;
    --dir) DIR="${2:?--dir needs a value}"; shift 2 ;;
    --dir=*) DIR="${1#*=}"; shift ;;
    --timeout) TIMEOUT="${2:?--timeout needs a value}"; shift 2 ;;
    --timeout=*) TIMEOUT="${1#*=}"; shift ;;
    --fresh) FRESH=1; shift ;;
    -h|--help) usage ;;
    *) POS+=("$1"); shift ;;
  esac
done
[[ -z "$NODES_ARG" || "$NODES_ARG" =~ ^[1-9][0-9]*$ ]] || die "--nodes must be a positive integer"
[[ "$TIMEOUT" =~ ^[1-9][0-9]*$ ]] || die "--timeout must be a positive integer (seconds)"
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
LIBS="$DIR/libs"
STATE="$DIR/cluster.env"

# One kafka.sh at a time per DIR. The lock fd is closed in every launched JVM (9>&-).
exec 9>"$DIR/.lock"
flock -w 300 9 || die "another kafka.sh holds $DIR/.lock"

# ---------------------------------------------------------------- helpers
pom_version() { sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM" | head -1; }
pom_stamp() { sha256sum "$POM" | cut -d' ' -f1; }

ensure_libs() {
  if [[ -d "$LIBS" && -f "$LIBS/.stamp" && "$(cat "$LIBS/.stamp")" == "$(pom_stamp)" ]]; then return 0; fi
  command -v mvn >/dev/null || die "mvn (Maven) is needed to fetch the Kafka jars into $LIBS"
  log "fetching Kafka $(pom_version) jars from Maven Central into $LIBS (cached in ~/.m2) ..."
  local tmp="$DIR/libs.tmp.$$"
  rm -rf "$tmp"
  if ! mvn -q -B -f "$POM" dependency:copy-dependencies -DincludeScope=runtime \
      -DoutputDirectory="$tmp" >"$DIR/mvn.log" 2>&1; then
    tail -n 40 "$DIR/mvn.log" >&2
    rm -rf "$tmp"
    die "mvn dependency:copy-dependencies failed (full log: $DIR/mvn.log)"
  fi
  ls "$tmp"/kafka_2.13-*.jar >/dev/null 2>&1 || die "no kafka_2.13 jar in $tmp"
  pom_stamp >"$tmp/.stamp"
  rm -rf "$LIBS"
  mv "$tmp" "$LIBS"
}

check_java() {
  command -v "$JAVA" >/dev/null || die "java not found (Kafka 4 needs Java 17+)"
  local v
  v=$("$JAVA" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
  [[ -n "$v" && "$v" -ge 17 ]] || die "Kafka 4 needs Java 17+, found: $("$JAVA" -version 2>&1 | head -1)"
}

write_log4j_configs() {
  # Broker: everything to stdout, which is redirected to node-I/server.log.
  cat >"$DIR/log4j2.properties" <<'EOF'
status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.statechange.name = state.change.logger
logger.statechange.level = WARN
logger.zk.name = org.apache.kafka.common.utils.AppInfoParser
logger.zk.level = WARN
EOF
  # Tools (StorageTool, readiness probe): errors only, to stderr.
  cat >"$DIR/log4j2-tools.properties" <<'EOF'
status = error
appender.err.type = Console
appender.err.name = STDERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = ERROR
rootLogger.appenderRef.err.ref = STDERR
EOF
}

# shellcheck source=ports.sh
source "$(dirname "${BASH_SOURCE[0]}")/ports.sh"

load_state() {
  [[ -f "$STATE" ]] || return 1
  # shellcheck disable=SC1090
  source "$STATE"
  BROKER_PORTS=($BROKER_PORTS_S); CONTROLLER_PORTS=($CONTROLLER_PORTS_S); SASL_PORTS=(${SASL_PORTS_S:-})
}

save_state() {
  local tmp="$STATE.tmp"
  {
    echo "NODES=$NODES"
    echo "CLUSTER_ID=$CLUSTER_ID"
    echo "KAFKA_VERSION=$KAFKA_VERSION"
    echo "BROKER_PORTS_S='${BROKER_PORTS[*]}'"
    echo "CONTROLLER_PORTS_S='${CONTROLLER_PORTS[*]}'"
    echo "SASL_PORTS_S='${SASL_PORTS[*]}'"
    echo "BOOTSTRAP=$(bootstrap)"
  } >"$tmp"
  mv "$tmp" "$STATE"
  bootstrap >"$DIR/bootstrap"
  sasl_bootstrap >"$DIR/sasl-bootstrap"
  echo "RISKSTREAM_KAFKA_BROKERS=$(bootstrap)" >"$DIR/kafka.env"
}

bootstrap() {
  local i out=""
  for ((i = 1; i <= NODES; i++)); do out+="${out:+,}$HOST:${BROKER_PORTS[i-1]}"; done
  echo "$out"
}

sasl_bootstrap() {
  local i out=""
  for ((i = 1; i <= NODES; i++)); do out+="${out:+,}$HOST:${SASL_PORTS[i-1]}"; done
  echo "$out"
}

pick_ports() {
  local i want=()
  BROKER_PORTS=(); CONTROLLER_PORTS=(); SASL_PORTS=()
  for ((i = 0; i < NODES; i++)); do want+=($((DEFAULT_BROKER_PORT + i)) $((DEFAULT_CONTROLLER_PORT + i)) $((DEFAULT_SASL_PORT + i))); done
  if ports_free "${want[@]}"; then
    for ((i = 0; i < NODES; i++)); do
      BROKER_PORTS+=($((DEFAULT_BROKER_PORT + i))); CONTROLLER_PORTS+=($((DEFAULT_CONTROLLER_PORT + i))); SASL_PORTS+=($((DEFAULT_SASL_PORT + i)))
    done
  else
    local ps=($(random_ports $((3 * NODES))))
    [[ ${#ps[@]} -eq $((3 * NODES)) ]] || die "could not find $((3 * NODES)) free ports"
    for ((i = 0; i < NODES; i++)); do BROKER_PORTS+=("${ps[3*i]}"); CONTROLLER_PORTS+=("${ps[3*i+1]}"); SASL_PORTS+=("${ps[3*i+2]}"); done
  fi
}

node_dir() { echo "$DIR/node-$1"; }

write_node_config() {
  local id=$1 nd voters="" j rf=$NODES isr=1
  nd=$(node_dir "$id")
  ((NODES >= 3)) && isr=2
  ((rf > 3)) && rf=3 # default RF for new topics; internal topics use all nodes below
  for ((j = 1; j <= NODES; j++)); do voters+="${voters:+,}$j@$HOST:${CONTROLLER_PORTS[j-1]}"; done
  mkdir -p "$nd/data"
  cat >"$nd/server.properties" <<EOF
# generated by deploy/local/kafka.sh — rewritten on every start
process.roles=broker,controller
node.id=$id
controller.quorum.voters=$voters
listeners=PLAINTEXT://$HOST:${BROKER_PORTS[id-1]},CONTROLLER://$HOST:${CONTROLLER_PORTS[id-1]},SASL_PLAINTEXT://$HOST:${SASL_PORTS[id-1]}
advertised.listeners=PLAINTEXT://$HOST:${BROKER_PORTS[id-1]},SASL_PLAINTEXT://$HOST:${SASL_PORTS[id-1]}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT
sasl.enabled.mechanisms=PLAIN
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="$SASL_USER" password="$SASL_PASSWORD" user_$SASL_USER="$SASL_PASSWORD";
log.dirs=$nd/data
num.partitions=1
default.replication.factor=$rf
min.insync.replicas=$isr
offsets.topic.replication.factor=$NODES
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=$NODES
transaction.state.log.min.isr=$isr
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=$NODES
share.coordinator.state.topic.min.isr=$isr
unclean.leader.election.enable=false
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
log.retention.hours=24
EOF
}

format_node() {
  local id=$1 nd out
  nd=$(node_dir "$id")
  [[ -f "$nd/data/meta.properties" ]] && return 0
  if ! out=$("$JAVA" -Xmx256m -XX:+UseSerialGC -Dlog4j2.configurationFile="$DIR/log4j2-tools.properties" \
      -cp "$LIBS/*" kafka.tools.StorageTool format -t "$CLUSTER_ID" -c "$nd/server.properties" \
      --ignore-formatted 2>&1); then
    printf '%s\n' "$out" >&2
    die "formatting node $id failed"
  fi
}

# pid of a node if its recorded process is alive AND is that node's JVM (guards against pid reuse)
node_pid() {
  local id=$1 pf pid
  pf="$(node_dir "$id")/kafka.pid"
  [[ -f "$pf" ]] || return 1
  pid=$(cat "$pf" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$(node_dir "$id")/server.properties" || return 1
  # a zombie is not running
  [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]] || return 1
  echo "$pid"
}

node_state() {
  local pid st
  if pid=$(node_pid "$1"); then
    st=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || echo '?')
    if [[ "$st" == T || "$st" == t ]]; then echo "paused pid=$pid"; else echo "running pid=$pid"; fi
  else
    echo stopped
  fi
}

launch_node() {
  local id=$1 nd
  nd=$(node_dir "$id")
  [[ -f "$nd/server.log" ]] && mv -f "$nd/server.log" "$nd/server.log.1"
  rm -f "$nd/kafka.pid"
  # setsid: own session, so the broker outlives the caller's process group; bash writes its own
  # pid and execs the JVM, so the recorded pid is the JVM's.
  # shellcheck disable=SC2086
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$nd/kafka.pid" \
    "$JAVA" $KAFKA_HEAP_OPTS $KAFKA_JVM_OPTS \
    -Dlog4j2.configurationFile="$DIR/log4j2.properties" -Dkafka.logs.dir="$nd" \
    -cp "$LIBS/*" kafka.Kafka "$nd/server.properties" \
    </dev/null >"$nd/server.log" 2>&1 9>&- &
  local i
  for ((i = 0; i < 50; i++)); do [[ -s "$nd/kafka.pid" ]] && break; sleep 0.1; done
  [[ -s "$nd/kafka.pid" ]] || die "node $id did not start (no pid file)"
  log "node $id launched (pid $(cat "$nd/kafka.pid"), broker $HOST:${BROKER_PORTS[id-1]}, controller $HOST:${CONTROLLER_PORTS[id-1]})"
}

tail_logs() {
  local id
  for id in "$@"; do
    echo "----- node $id: $(node_state "$id"); last lines of $(node_dir "$id")/server.log -----" >&2
    tail -n 30 "$(node_dir "$id")/server.log" 2>/dev/null >&2 || true
  done
}

# wait_ready DEADLINE ID... : each node's log says "Kafka Server started", then a client
# (kafkajs from the repo's node_modules, else Kafka's Java AdminClient) sees those broker ids.
wait_ready() {
  local deadline=$1; shift
  local id pending=("$@") still
  while ((${#pending[@]})); do
    still=()
    for id in "${pending[@]}"; do
      if grep -q "Kafka Server started" "$(node_dir "$id")/server.log" 2>/dev/null; then continue; fi
      if ! node_pid "$id" >/dev/null; then
        log "node $id exited during startup"; tail_logs "$id"; return 1
      fi
      still+=("$id")
    done
    pending=("${still[@]+"${still[@]}"}")
    ((${#pending[@]})) || break
    if ((SECONDS >= deadline)); then
      log "timed out after ${TIMEOUT}s waiting for 'Kafka Server started' on node(s) ${pending[*]}"; tail_logs "${pending[@]}"; return 1
    fi
    sleep 0.3
  done
  local left=$((deadline - SECONDS)); ((left > 0)) || left=1
  local ids; ids=$(IFS=,; echo "$*")
  if (cd "$REPO_ROOT" && node -e 'require.resolve("kafkajs")' >/dev/null 2>&1); then
    (cd "$REPO_ROOT" && node -e "$READY_JS" "$(bootstrap)" "$ids" "$left") || { tail_logs "$@"; return 1; }
  else
    "$JAVA" -Xmx128m -XX:+UseSerialGC -Dlog4j2.configurationFile="$DIR/log4j2-tools.properties" \
      -cp "$LIBS/*" "$SCRIPT_DIR/KafkaReady.java" "$(bootstrap)" "$ids" "$left" || { tail_logs "$@"; return 1; }
  fi
}

READY_JS='
const { Kafka, logLevel } = require("kafkajs");
const [brokers, idsArg, secs] = process.argv.slice(1);
const want = idsArg.split(",").map(Number);
const deadline = Date.now() + Number(secs) * 1000;
let last = "no answer";
(async () => {
  while (Date.now() < deadline) {
    const kafka = new Kafka({ clientId: "kafka.sh-ready", brokers: brokers.split(","), logLevel: logLevel.NOTHING,
      connectionTimeout: 1000, requestTimeout: 3000, retry: { retries: 0 } });
    const admin = kafka.admin();
    try {
      await admin.connect();
      const c = await admin.describeCluster();
      const seen = c.brokers.map((b) => b.nodeId);
      last = "client sees brokers [" + seen.sort().join(",") + "], controller " + c.controller;
      if (want.every((id) => seen.includes(id)) && c.controller != null && c.controller >= 0) {
        console.error("kafka.sh: " + last); process.exit(0);
      }
    } catch (e) { last = String(e && e.message || e); }
    finally { await admin.disconnect().catch(() => {}); }
    await new Promise((r) => setTimeout(r, 500));
  }
  console.error("kafka.sh: timed out waiting for a client to see brokers [" + want + "]: " + last);
  process.exit(1);
})();
'

# stop_nodes SIG ID... : signal recorded pids (SIGCONT too, a paused JVM cannot handle SIGTERM),
# wait up to $STOP_GRACE s, then SIGKILL what is left.
stop_nodes() {
  local sig=$1; shift
  local id pid pids=() ids=()
  for id in "$@"; do
    if pid=$(node_pid "$id"); then
      pids+=("$pid"); ids+=("$id")
      kill "-$sig" "$pid" 2>/dev/null || true
      kill -CONT "$pid" 2>/dev/null || true
    fi
  done
  ((${#pids[@]})) || return 0
  local end=$((SECONDS + STOP_GRACE)) alive
  while :; do
    alive=()
    for id in "${ids[@]}"; do node_pid "$id" >/dev/null && alive+=("$id"); done
    ((${#alive[@]})) || break
    if ((SECONDS >= end)); then
      log "node(s) ${alive[*]} still alive after ${STOP_GRACE}s: SIGKILL"
      for id in "${alive[@]}"; do pid=$(node_pid "$id") && kill -KILL "$pid" 2>/dev/null || true; done
      sleep 0.5
      break
    fi
    sleep 0.2
  done
  for id in "${ids[@]}"; do node_pid "$id" >/dev/null || rm -f "$(node_dir "$id")/kafka.pid"; done
}

need_state() { load_state || die "no cluster in $DIR (run: bash deploy/local/kafka.sh start --dir $DIR)"; }
need_node() {
  [[ "${1:-}" =~ ^[0-9]+$ ]] && (($1 >= 1 && $1 <= NODES)) || die "$CMD needs a node id 1..$NODES"
}
running_ids() { local i; for ((i = 1; i <= NODES; i++)); do node_pid "$i" >/dev/null && echo "$i"; done; return 0; }

# ---------------------------------------------------------------- commands
cmd_start() {
  local t0=$SECONDS
  ((FRESH)) && cmd_clean
  KAFKA_VERSION=$(pom_version)
  if load_state; then
    if [[ -n "$NODES_ARG" && "$NODES_ARG" != "$NODES" ]]; then
      die "$DIR holds a $NODES-node cluster; use --nodes $NODES, another --dir, or 'clean' first"
    fi
  else
    NODES=${NODES_ARG:-${RISKSTREAM_KAFKA_NODES:-1}}
    CLUSTER_ID=""
  fi
  local running; running=$(running_ids | wc -l)
  if ((running == NODES)); then
    local st_ver=$KAFKA_VERSION; load_state
    [[ "$KAFKA_VERSION" == "$st_ver" ]] || log "warning: running cluster is Kafka $KAFKA_VERSION, kafka-pom.xml says $st_ver (restart with 'stop' + 'start')"
    log "already running ($NODES node(s), Kafka $KAFKA_VERSION)"
    echo "BOOTSTRAP=$(bootstrap)"
    return 0
  fi
  check_java
  ensure_libs
  write_log4j_configs
  if ((running == 0)); then
    if [[ -n "$CLUSTER_ID" ]]; then
      local st_ver; st_ver=$(sed -n 's/^KAFKA_VERSION=//p' "$STATE")
      if [[ "$st_ver" != "$KAFKA_VERSION" ]]; then
        log "data in $DIR was formatted by Kafka $st_ver, now $KAFKA_VERSION: wiping it"
        rm -rf "$DIR"/node-*; CLUSTER_ID=""
      fi
    fi
    # fresh ports unless the recorded ones are all still free
    if [[ -z "$CLUSTER_ID" ]] || ((${#SASL_PORTS[@]} != NODES)) || ! ports_free "${BROKER_PORTS[@]}" "${CONTROLLER_PORTS[@]}" "${SASL_PORTS[@]}"; then pick_ports; fi
  fi
  if [[ -z "$CLUSTER_ID" ]]; then
    CLUSTER_ID=$("$JAVA" -Xmx128m -XX:+UseSerialGC -Dlog4j2.configurationFile="$DIR/log4j2-tools.properties" \
      -cp "$LIBS/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)
    [[ "$CLUSTER_ID" =~ ^[A-Za-z0-9_-]{22}$ ]] || die "StorageTool random-uuid gave '$CLUSTER_ID'"
  fi
  save_state
  local id todo=()
  for ((id = 1; id <= NODES; id++)); do node_pid "$id" >/dev/null || todo+=("$id"); done
  # configs are rewritten only for nodes not running (ports unchanged while any node runs)
  for id in "${todo[@]}"; do write_node_config "$id"; done
  for id in "${todo[@]}"; do format_node "$id" & done
  wait_all_or_die "formatting"
  for id in "${todo[@]}"; do launch_node "$id"; done
  local all=(); for ((id = 1; id <= NODES; id++)); do all+=("$id"); done
  if ! wait_ready $((SECONDS + TIMEOUT)) "${all[@]}"; then
    log "start failed after $((SECONDS - t0))s; stopping the node(s) it launched (logs kept in $DIR/node-*/server.log)"
    stop_nodes KILL "${todo[@]}"
    exit 1
  fi
  log "Kafka $KAFKA_VERSION: $NODES node(s) ready in $((SECONDS - t0))s (dir $DIR)"
  echo "BOOTSTRAP=$(bootstrap)"
}

wait_all_or_die() {
  local p rc=0
  for p in $(jobs -p); do wait "$p" || rc=1; done
  ((rc == 0)) || die "$1 failed"
}

cmd_stop() {
  load_state || { log "no cluster in $DIR"; return 0; }
  local ids=(); mapfile -t ids < <(running_ids)
  if ((${#ids[@]} == 0)); then log "not running"; return 0; fi
  stop_nodes TERM "${ids[@]}"
  log "stopped node(s) ${ids[*]}"
}

cmd_status() {
  load_state || { echo "no cluster in $DIR"; return 3; }
  local id n=0
  for ((id = 1; id <= NODES; id++)); do
    local s; s=$(node_state "$id")
    [[ "$s" == stopped ]] || n=$((n + 1))
    echo "node $id: $s broker=$HOST:${BROKER_PORTS[id-1]} controller=$HOST:${CONTROLLER_PORTS[id-1]} log=$(node_dir "$id")/server.log"
  done
  echo "cluster: Kafka $KAFKA_VERSION, $NODES node(s), id $CLUSTER_ID, dir $DIR"
  echo "BOOTSTRAP=$(bootstrap)"
  ((n == NODES)) && return 0
  ((n == 0)) && return 3
  return 1
}

cmd_kill() {
  need_state; need_node "${POS[0]:-}"
  local id=${POS[0]} sig=TERM pid
  case "${POS[1]:-}" in "") ;; -9|-KILL|KILL|-SIGKILL) sig=KILL ;; -15|-TERM|TERM) ;; *) die "kill NODE [-9]" ;; esac
  pid=$(node_pid "$id") || { log "node $id is not running"; return 0; }
  if [[ $sig == KILL ]]; then
    kill -KILL "$pid"
    local i; for ((i = 0; i < 50; i++)); do node_pid "$id" >/dev/null || break; sleep 0.1; done
    rm -f "$(node_dir "$id")/kafka.pid"
  else
    stop_nodes TERM "$id"
  fi
  log "node $id (pid $pid) killed with SIG$sig"
}

cmd_pause() {
  need_state; need_node "${POS[0]:-}"
  local pid; pid=$(node_pid "${POS[0]}") || die "node ${POS[0]} is not running"
  kill -STOP "$pid"; log "node ${POS[0]} (pid $pid) paused (SIGSTOP)"
}

cmd_resume() {
  need_state; need_node "${POS[0]:-}"
  local pid; pid=$(node_pid "${POS[0]}") || die "node ${POS[0]} is not running"
  kill -CONT "$pid"; log "node ${POS[0]} (pid $pid) resumed (SIGCONT)"
}

cmd_restart() {
  need_state; need_node "${POS[0]:-}"
  local id=${POS[0]} t0=$SECONDS
  check_java; ensure_libs; write_log4j_configs
  stop_nodes TERM "$id"
  [[ -f "$(node_dir "$id")/server.properties" ]] || write_node_config "$id"
  format_node "$id"
  launch_node "$id"
  wait_ready $((SECONDS + TIMEOUT)) "$id" || die "node $id did not come back within ${TIMEOUT}s"
  log "node $id restarted in $((SECONDS - t0))s"
  echo "BOOTSTRAP=$(bootstrap)"
}

cmd_clean() {
  if load_state; then
    local ids=(); mapfile -t ids < <(running_ids)
    ((${#ids[@]} == 0)) || stop_nodes TERM "${ids[@]}"
  fi
  rm -rf "$DIR"/node-* "$STATE" "$DIR/bootstrap" "$DIR/kafka.env" "$DIR"/libs.tmp.*
  log "cleaned $DIR (jars kept in $LIBS)"
}

case "$CMD" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  kill) cmd_kill ;;
  pause) cmd_pause ;;
  resume) cmd_resume ;;
  restart) cmd_restart ;;
  clean) cmd_clean ;;
  *) usage ;;
esac
