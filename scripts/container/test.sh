#!/usr/bin/env bash
# Builds the project's Dockerfile and runs the image for real (issue 14; .ci/run runs this):
#  1. makes or reuses the local base image (scripts/container/base-image.sh);
#  2. builds the Dockerfile (TFJS_NODE=0 by default: libtensorflow's download is unreachable here;
#     SIGNALBASE_CONTAINER_TFJS_NODE=1 builds the default image) and checks the image: runs as
#     `node`, has a HEALTHCHECK, no compilers or npm, no dev dependencies, linux-x64 binaries only;
#  3. embedded store on a named volume: /healthz 200, /readyz 200 within a minute, signals at
#     ws://…/v1/stream, no process runs as root, HEALTHCHECK healthy in `podman inspect`, the first
#     model trained and served; `podman stop` → exit 0 and "outbox stopped, fully drained";
#  4. a new container on the same volume resumes after the stored candles: no second history import,
#     no second first-model training, the same model serving, no signal seen twice;
#  5. the server Postgres through DATABASE_URL, in a database this script creates and drops:
#     `migrate`, then `run` → ready, signals, predictions stored, stop → exit 0 and drained.
# Where podman cannot run it says SKIPPED and exits 0, unless SIGNALBASE_TEST_CONTAINER=required
# (CI), when a skip is a failure. Needs root to install podman/runc/debootstrap when missing.
# A summary (times, image size) goes to test-artifacts/container-summary.txt.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
here="$repo/scripts/container"
# shellcheck source=lib.sh
. "$here/lib.sh"
cd "$repo"
t_start=$(date +%s)

IMAGE="${SIGNALBASE_CONTAINER_IMAGE:-localhost/signalbase:ci}"
TFJS_NODE="${SIGNALBASE_CONTAINER_TFJS_NODE:-0}"
PG_ADMIN_URL="${SIGNALBASE_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
READY_S=60
run_id="$$"
work="$(mktemp -d /tmp/signalbase-container.XXXXXX)"
mkdir -p test-artifacts
summary="test-artifacts/container-summary.txt"
: >"$summary"
note() { log "$*"; echo "$*" >>"$summary"; }

skip() {
  if [ "${SIGNALBASE_TEST_CONTAINER:-}" = required ]; then
    die "container test could not run here and SIGNALBASE_TEST_CONTAINER=required: $*"
  fi
  echo "[container] SKIPPED: $* (set SIGNALBASE_TEST_CONTAINER=required to make this a failure)"
  exit 0
}

# podman prints an error per healthcheck timer it cannot create without systemd; the checks run
# on demand here (`podman healthcheck run`), so that noise is dropped.
pm() { "${PODMAN[@]}" "$@" 2> >(grep -v 'systemd connection' >&2); }

containers=()
volumes=()
pg_db=""
cleanup() {
  local rc=$?
  for c in "${containers[@]}"; do pm rm -f -v "$c" >/dev/null 2>&1 || true; done
  for v in "${volumes[@]}"; do pm volume rm -f "$v" >/dev/null 2>&1 || true; done
  if [ -n "$pg_db" ]; then pg_sql "$PG_ADMIN_URL" "DROP DATABASE IF EXISTS \"$pg_db\" WITH (FORCE)" >/dev/null 2>&1 || true; fi
  jobs -p | xargs -r kill 2>/dev/null || true
  [ $rc -eq 0 ] || { log "failed; logs and stream captures kept in $work"; return; }
  rm -rf "$work"
}
trap cleanup EXIT

# ---------------------------------------------------------------- 0. can podman run here?
# The set that works on this machine (Debian bookworm; --no-install-recommends).
need podman podman runc containernetworking-plugins iptables uidmap slirp4netns fuse-overlayfs \
  || skip "podman is not installed and could not be installed"
[ -x "$PODMAN_RUNTIME" ] || need runc runc || skip "$PODMAN_RUNTIME is missing and runc could not be installed"
pm info >/dev/null 2>&1 || skip "podman info fails here: $("${PODMAN[@]}" info 2>&1 | tail -1)"

# ---------------------------------------------------------------- 1. base image
t=$(date +%s)
if [ "$(id -u)" != 0 ] && ! pm image exists "$BASE_IMAGE"; then skip "making the base image $BASE_IMAGE needs root"; fi
"$here/base-image.sh" || die "could not make the base image $BASE_IMAGE"
note "base image: $(( $(date +%s) - t ))s ($BASE_IMAGE)"
pm run --rm "${PODMAN_LIMITS[@]}" "$BASE_IMAGE" true >"$work/probe.log" 2>&1 \
  || skip "podman cannot run a container here: $(tail -1 "$work/probe.log")"

# ---------------------------------------------------------------- 2. build and inspect
t=$(date +%s)
log "podman build --format docker --build-arg TFJS_NODE=$TFJS_NODE -t $IMAGE"
pm build --format docker "${PODMAN_LIMITS[@]}" --build-arg TFJS_NODE="$TFJS_NODE" -t "$IMAGE" . >"$work/build.log" 2>&1 \
  || { tail -30 "$work/build.log" >&2; die "podman build failed (log above)"; }
size=$(pm image inspect --format '{{.Size}}' "$IMAGE")
note "build: $(( $(date +%s) - t ))s, image $IMAGE $(( size / 1000000 )) MB (TFJS_NODE=$TFJS_NODE)"

[ "$(pm image inspect --format '{{.Config.User}}' "$IMAGE")" = node ] || die "the image does not run as user node"
pm image inspect --format '{{json .Config.Healthcheck}}' "$IMAGE" | grep -q healthz || die "the image has no HEALTHCHECK on /healthz (built without --format docker?)"
pm run --rm "${PODMAN_LIMITS[@]}" -v "$repo/package-lock.json:/tmp/package-lock.json:ro" --entrypoint node "$IMAGE" -e '
  const fs = require("fs");
  const bad = [];
  for (const c of ["gcc", "cc", "g++", "make", "python3", "npm", "npx"])
    for (const d of process.env.PATH.split(":")) if (fs.existsSync(`${d}/${c}`)) bad.push(`${d}/${c}`);
  // Dev-only packages as the lockfile marks them (a devDependency another package needs at run
  // time, like @types/ws for supabase-js, is not dev-only).
  const lock = require("/tmp/package-lock.json").packages;
  const dev = Object.keys(lock).filter((p) => p && lock[p].dev);
  for (const d of dev) if (fs.existsSync(d)) bad.push(`dev-only package ${d}`);
  for (const napi of fs.readdirSync("node_modules/onnxruntime-node/bin")) {
    const dir = `node_modules/onnxruntime-node/bin/${napi}`;
    const kept = fs.readdirSync(dir).flatMap((os) => fs.readdirSync(`${dir}/${os}`).map((a) => `${os}/${a}`));
    if (kept.join() !== "linux/x64") bad.push(`onnxruntime-node ${napi}: ${kept.join(" ")}`);
  }
  try { fs.writeFileSync("/app/src/x", ""); bad.push("/app is writable by the daemon"); } catch {}
  if (process.getuid() === 0) bad.push("runs as root");
  if (bad.length) { console.error(bad.join("\n")); process.exit(1); }
  console.log(`image contents: no compilers or npm, none of the ${dev.length} dev-only packages, onnxruntime-node linux/x64 only, /app read-only, uid ${process.getuid()}`);
' | tee -a "$summary" || die "the image holds what it should not (above)"

# ---------------------------------------------------------------- helpers
free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

wait_http() { # wait_http URL SECONDS: until 200
  local i
  for ((i = 0; i < $2 * 2; i++)); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" 2>/dev/null || true)" = 200 ] && return 0
    sleep 0.5
  done
  return 1
}

wait_log() { # wait_log CONTAINER REGEX SECONDS
  local i
  for ((i = 0; i < $3; i++)); do
    pm logs "$1" 2>&1 | grep -qE "$2" && return 0
    sleep 1
  done
  return 1
}

signals_in() { grep -c '"type":"signal"' "$1" 2>/dev/null || true; }

# Starts a container: start NAME PORT [podman run options...]; then checks it is up and not root.
start() {
  local name=$1 port=$2; shift 2
  containers+=("$name")
  pm run -d --name "$name" "${PODMAN_LIMITS[@]}" -e PORT="$port" -e LOG_LEVEL=info \
    -e TRAIN_EPOCHS=1 -e TRAIN_UNITS=4 "$@" "$IMAGE" >/dev/null
  local t0; t0=$(date +%s)
  wait_http "http://127.0.0.1:$port/healthz" "$READY_S" || { pm logs "$name" 2>&1 | tail -20; die "$name: /healthz not 200 within ${READY_S}s"; }
  wait_http "http://127.0.0.1:$port/readyz" "$READY_S" || { curl -s "http://127.0.0.1:$port/readyz"; pm logs "$name" 2>&1 | tail -20; die "$name: /readyz not 200 within ${READY_S}s of /healthz"; }
  note "$name: /healthz and /readyz 200 after $(( $(date +%s) - t0 ))s"
  local users; users=$(pm top "$name" user | tail -n +2 | sort -u | tr '\n' ' ')
  case " $users " in *" root "*|*" 0 "*) die "$name: a process runs as root ($users)";; esac
  [ "$(pm exec "$name" id -u)" != 0 ] || die "$name: exec runs as root"
  note "$name: processes run as: $users"
}

# Stops a container with SIGTERM and checks exit code 0 and a drained outbox.
stop() {
  local name=$1
  pm stop -t 30 "$name" >/dev/null
  local code; code=$(pm inspect --format '{{.State.ExitCode}}' "$name")
  [ "$code" = 0 ] || { pm logs "$name" 2>&1 | tail -20; die "$name: exit code $code after podman stop (want 0)"; }
  pm logs "$name" 2>&1 | grep -q 'outbox stopped, fully drained' || { pm logs "$name" 2>&1 | tail -20; die "$name: the log does not say the outbox drained"; }
  note "$name: podman stop → exit 0, outbox fully drained"
}

probe() { # probe PORT KEY OUTFILE [args]: a background subscriber until the socket closes
  local port=$1 key=$2 out=$3; shift 3
  node "$here/stream-probe.mjs" --url "ws://127.0.0.1:$port/v1/stream" --key "$key" --timeout 600 "$@" >"$out" 2>"$out.err" &
}

wait_signals() { # wait_signals FILE N SECONDS
  local i
  for ((i = 0; i < $3; i++)); do
    [ "$(signals_in "$1")" -ge "$2" ] && return 0
    sleep 1
  done
  return 1
}

# ---------------------------------------------------------------- 3. embedded store, named volume
vol="signalbase-ci-$run_id"
pm volume create "$vol" >/dev/null
volumes+=("$vol")
port=$(free_port)
start "sb-ci-embedded-$run_id" "$port" -v "$vol:/var/lib/signalbase"
c1="sb-ci-embedded-$run_id"
pm healthcheck run "$c1" >/dev/null || die "$c1: the HEALTHCHECK command failed"
health=$(pm inspect --format '{{.State.Health.Status}}' "$c1")
[ "$health" = healthy ] || die "$c1: podman inspect says health '$health' (want healthy)"
note "$c1: HEALTHCHECK healthy (podman inspect)"
key=$(pm exec "$c1" cat /var/lib/signalbase/stream-key)
probe "$port" "$key" "$work/run1.ndjson"
wait_signals "$work/run1.ndjson" 1 60 || die "$c1: no signal on ws://127.0.0.1:$port/v1/stream within 60s"
# The first model trains on the sample and goes through the promotion gate: activated, or refused
# with its reason (a model that does not beat doing nothing after fees is refused) while the rules
# keep serving. Either way the training must finish and signals must follow what serves.
wait_log "$c1" 'retrain done: model' 600 || die "$c1: the first model's training did not finish within 600s"
done_line=$(pm logs "$c1" 2>&1 | grep 'retrain done: model' | head -1)
first=$(sed -E 's/.*"version":"([^"]+)".*/\1/' <<<"$done_line")
if grep -q '"activated":true' <<<"$done_line"; then
  model=$first
else
  model=rules
  note "$c1: the first model $first was trained and refused by the gate; the rule consensus keeps serving"
fi
for ((i = 0; i < 60; i++)); do grep -q "\"model_version\":\"$model\"" "$work/run1.ndjson" && break; sleep 1; done
grep -q "\"model_version\":\"$model\"" "$work/run1.ndjson" || die "$c1: no signal from $model (what serves after the first training) within 60s"
stop "$c1"
wait
note "$c1: $(signals_in "$work/run1.ndjson") signals on the websocket, the first training done, $model serving; the socket $(grep -oE 'closed with [0-9]+' "$work/run1.ndjson.err")"

# ---------------------------------------------------------------- 4. restart on the same volume
port=$(free_port)
start "sb-ci-restart-$run_id" "$port" -v "$vol:/var/lib/signalbase"
c2="sb-ci-restart-$run_id"
# Subscribing `since` the last signal the first run published replays whatever the store holds
# after it, then continues live: the restart's first signal per symbol must be the sample's next
# candle after that one (nothing lost, nothing twice).
last_id=$(grep '"type":"signal"' "$work/run1.ndjson" | tail -1 | sed -E 's/.*"data":\{"id":"([^"]+)".*/\1/')
probe "$port" "$key" "$work/run2.ndjson" --since "$last_id" --signals 12
wait_signals "$work/run2.ndjson" 12 60 || die "$c2: fewer than 12 signals within 60s of the restart"
wait
stop "$c2"
logs2=$(pm logs "$c2" 2>&1)
if grep -q 'first start: storing' <<<"$logs2"; then die "$c2: imported the sample history again"; fi
if grep -q 'training a first model' <<<"$logs2"; then die "$c2: filed a second first-model training"; fi
node "$here/check-resume.mjs" "$work/run1.ndjson" "$work/run2.ndjson" "$model" | tee -a "$summary" || die "$c2: did not resume after the stored candles (above)"
note "$c2: no second history import, no second first-model training"

# ---------------------------------------------------------------- 5. the server Postgres
pg_sql() { # pg_sql URL SQL: one statement through the image's own pg client; prints the rows as JSON
  pm run --rm "${PODMAN_LIMITS[@]}" -e PGURL="$1" -e SQL="$2" --entrypoint node "$IMAGE" -e '
    const { Client } = require("pg");
    const c = new Client(process.env.PGURL);
    c.connect().then(() => c.query(process.env.SQL)).then((r) => { console.log(JSON.stringify(r.rows ?? [])); return c.end(); })
      .catch((e) => { console.error(e.message); process.exit(1); });'
}
pg_sql "$PG_ADMIN_URL" 'SELECT 1' >/dev/null || die "the server Postgres at $PG_ADMIN_URL is not reachable from a container"
pg_db="signalbase_ci_${run_id}_$(date +%s)"
pg_sql "$PG_ADMIN_URL" "CREATE DATABASE \"$pg_db\"" >/dev/null
db_url="$(node -e 'const u=new URL(process.argv[1]);u.pathname="/"+process.argv[2];console.log(u.toString())' "$PG_ADMIN_URL" "$pg_db")"
pm run --rm "${PODMAN_LIMITS[@]}" -e DATABASE_URL="$db_url" "$IMAGE" migrate >"$work/migrate.log" 2>&1 \
  || { cat "$work/migrate.log" >&2; die "migrate against $pg_db failed"; }
note "postgres: created database $pg_db, migrate exit 0 ($(grep -c '^applied ' "$work/migrate.log" || true) migrations applied)"
# On Postgres the operator makes the keys (the daemon writes a local key only on the embedded store).
key=$(pm run --rm "${PODMAN_LIMITS[@]}" -e DATABASE_URL="$db_url" -e LOG_LEVEL=warn "$IMAGE" keys create --name ci-stream --type stream --json 2>"$work/keys.err" \
  | node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>console.log(JSON.parse(s).key))') \
  || { cat "$work/keys.err" >&2; die "keys create against $pg_db failed"; }
port=$(free_port)
start "sb-ci-postgres-$run_id" "$port" -e DATABASE_URL="$db_url"
c3="sb-ci-postgres-$run_id"
pm logs "$c3" 2>&1 | grep -q 'opening the postgres store' || die "$c3: the log does not say it opened the postgres store"
probe "$port" "$key" "$work/run3.ndjson" --signals 4
wait_signals "$work/run3.ndjson" 4 60 || die "$c3: fewer than 4 signals within 60s"
wait
stop "$c3"
stored=$(pg_sql "$db_url" 'SELECT count(*)::int AS n FROM public.ml_predictions' | sed -E 's/.*"n":([0-9]+).*/\1/')
[ "${stored:-0}" -ge 4 ] || die "$c3: only ${stored:-0} predictions stored in $pg_db (saw $(signals_in "$work/run3.ndjson") signals)"
note "$c3: $(signals_in "$work/run3.ndjson") signals on the websocket, $stored predictions stored in Postgres"

note "container test passed in $(( $(date +%s) - t_start ))s"
