# shellcheck shell=bash
# bench/lib.sh — what bench/run and bench/reload share: messages, the
# processes a script starts (and stops on exit), the tools they install when
# missing, free loopback ports, and a few numbers helpers.
#
# Sourced, not run. The sourcing script sets BENCH_NAME (for messages) and
# REPO_ROOT before sourcing it, and calls install_cleanup once.
#
# Every process is started through start_process, which records its pid;
# the EXIT trap stops exactly those pids (TERM, then KILL after 5 s), never
# anything found by name.

# Where the load generator and the peer are installed when missing: under
# target/, so `cargo clean` removes them and a second run reuses them.
BENCH_TOOLS="${BENCH_TOOLS:-$REPO_ROOT/target/bench-tools}"
# Pinned so every run measures with the same load generator and peer.
OHA_VERSION="${OHA_VERSION:-1.16.0}"
NODE_RED_SPEC="${NODE_RED_SPEC:-node-red@4}"
OHA="$BENCH_TOOLS/bin/oha"
NODE_RED_JS="$BENCH_TOOLS/node-red/node_modules/node-red/red.js"

# shellcheck disable=SC2034 # used by the sourcing scripts
SERVER_CORE=0
CLIENT_CORE=1

WORKDIR=""              # the script's temp dir, removed on exit
STARTED=()              # pids of every process the script started

log() { printf '==> %s\n' "$*" >&2; }
die() { printf '%s: %s\n' "$BENCH_NAME" "$*" >&2; exit 1; }

# ---------------------------------------------------------------- processes

# stop_process PID — TERM, up to 5 s to exit, then KILL; reaps it.
stop_process() {
    local pid="$1" waited=0
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && ((waited < 50)); do
        sleep 0.1
        waited=$((waited + 1))
    done
    kill -KILL "$pid" 2>/dev/null || true
    # Braces: bash warns about an already reaped pid outside the builtin's
    # own stderr.
    { wait "$pid"; } 2>/dev/null || true
}

# stop_all — stops every process start_process started, newest first (so a
# client goes before the servers it talks to).
stop_all() {
    local i
    for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do
        stop_process "${STARTED[i]}"
    done
    STARTED=()
}

cleanup() {
    local status=$?
    stop_all
    [[ -n "$WORKDIR" ]] && rm -rf "$WORKDIR"
    exit "$status"
}

install_cleanup() {
    # A command that fails under `set -e` says where, rather than ending the
    # run silently.
    set -o errtrace
    trap 'printf "%s: line %s: \`%s\x27 failed\n" "$BENCH_NAME" "$LINENO" "$BASH_COMMAND" >&2' ERR
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# start_process NAME OUT ERR COMMAND... — starts COMMAND in the background
# with stdout to OUT and stderr to ERR; its pid is left in STARTED_PID.
# COMMAND is usually `taskset -c CORE program ...`, which execs the program
# under the same pid.
STARTED_PID=""
start_process() {
    local name="$1" out="$2" err="$3"
    shift 3
    # Created now, not when the background job gets to its redirections, so
    # the caller can read them at once.
    : >"$out"
    : >"$err"
    "$@" >"$out" 2>"$err" &
    STARTED_PID=$!
    STARTED+=("$STARTED_PID")
}

# wait_http NAME PID URL [CURL_ARGS...] — waits up to READY_TIMEOUT seconds
# for URL to answer 2xx, failing early if PID exits.
READY_TIMEOUT="${READY_TIMEOUT:-60}"
wait_http() {
    local name="$1" pid="$2" url="$3"
    shift 3
    local deadline=$((SECONDS + READY_TIMEOUT))
    until curl -fsS --max-time 2 -o /dev/null "$@" "$url" 2>/dev/null; do
        kill -0 "$pid" 2>/dev/null || die "$name (pid $pid) exited before it answered $url"
        ((SECONDS < deadline)) || die "$name did not answer $url within ${READY_TIMEOUT}s"
        sleep 0.2
    done
}

# free_port — a TCP port on 127.0.0.1 that nothing listens on, below the
# kernel's ephemeral range (32768-60999) so no outgoing connection holds it.
free_port() {
    local port tries=0
    while ((tries++ < 100)); do
        port=$((20000 + RANDOM % 12000))
        # A refused connection means no listener.
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    die "found no free port on 127.0.0.1"
}

# rss_kib PID — the resident memory of PID in KiB (VmRSS).
rss_kib() {
    awk '$1 == "VmRSS:" { print $2; exit }' "/proc/$1/status"
}

# ---------------------------------------------------------------- tools

# apt_install PACKAGE... — installs Debian packages when running as root;
# otherwise says how and fails.
apt_install() {
    if [[ "$(id -u)" -ne 0 ]]; then
        die "missing: $*; install with: sudo apt-get install -y $*"
    fi
    log "installing $* with apt-get"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >&2; then
        # A fresh container may have no package lists yet.
        DEBIAN_FRONTEND=noninteractive apt-get update >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >&2
    fi
}

# ensure_command COMMAND [PACKAGE] — COMMAND on PATH, else its Debian package.
ensure_command() {
    local command="$1" package="${2:-$1}"
    command -v "$command" >/dev/null && return 0
    apt_install "$package"
    command -v "$command" >/dev/null || die "'$command' is still missing after apt-get install $package"
}

# nginx is installed in /usr/sbin, which a non-root PATH may lack.
NGINX=""
ensure_nginx() {
    NGINX="$(command -v nginx || true)"
    [[ -z "$NGINX" && -x /usr/sbin/nginx ]] && NGINX=/usr/sbin/nginx
    if [[ -z "$NGINX" ]]; then
        apt_install nginx
        NGINX=/usr/sbin/nginx
        [[ -x "$NGINX" ]] || die "nginx is still missing after apt-get install nginx"
    fi
}

# oha, the constant-rate load generator, built from crates.io into
# BENCH_TOOLS (a few minutes, once).
ensure_oha() {
    if [[ -x "$OHA" ]] && "$OHA" --version 2>/dev/null | grep -qF "$OHA_VERSION"; then
        return 0
    fi
    log "installing oha $OHA_VERSION into $BENCH_TOOLS (cargo install, once)"
    cargo install --locked --root "$BENCH_TOOLS" --version "$OHA_VERSION" oha >&2 ||
        die "cargo install oha failed"
}

# Node-RED 4.x from npm into BENCH_TOOLS/node-red (once); needs Node.js 18+.
ensure_node_red() {
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        apt_install nodejs npm
    fi
    local major
    major="$(node -p 'process.versions.node.split(".")[0]')"
    ((major >= 18)) || die "Node-RED 4 needs Node.js 18 or later, found $(node --version)"
    [[ -f "$NODE_RED_JS" ]] && return 0
    log "installing $NODE_RED_SPEC into $BENCH_TOOLS/node-red (npm, once)"
    mkdir -p "$BENCH_TOOLS/node-red"
    npm install --prefix "$BENCH_TOOLS/node-red" --no-audit --no-fund "$NODE_RED_SPEC" >&2 ||
        die "npm install $NODE_RED_SPEC failed"
    [[ -f "$NODE_RED_JS" ]] || die "npm installed no $NODE_RED_JS"
}

# ---------------------------------------------------------------- oha

# run_oha LABEL JSON_OUT DURATION RATE URL [oha options...] — RATE requests
# per second for DURATION seconds over CONNECTIONS keep-alive connections,
# from the client core; the JSON summary goes to JSON_OUT. Latencies are
# corrected for coordinated omission (measured from when each request was
# due, not when it was sent). Requests still running at the deadline are
# waited for, so they are not counted as errors.
CONNECTIONS="${CONNECTIONS:-64}"
OHA_ARGV=()
oha_argv() {
    local duration="$1" rate="$2" url="$3"
    shift 3
    OHA_ARGV=(taskset -c "$CLIENT_CORE" "$OHA" --no-tui --output-format json -z "${duration}s"
        -q "$rate" --latency-correction -w -c "$CONNECTIONS" "$@" "$url")
}
run_oha() {
    local label="$1" out="$2" duration="$3" rate="$4" url="$5"
    shift 5
    oha_argv "$duration" "$rate" "$url" "$@"
    timeout $((duration + 30)) "${OHA_ARGV[@]}" >"$out" 2>"$out.err" ||
        { cat "$out.err" >&2; die "$label: oha failed"; }
    jq -e .summary "$out" >/dev/null 2>&1 || { cat "$out" "$out.err" >&2; die "$label: oha wrote no JSON summary"; }
}

# oha_field JSON FIELD — one number from oha's JSON:
#   rps, p50, p99, p999, max (latencies in ms), ok (2xx count), failed
#   (other statuses plus errors), total.
oha_field() {
    local file="$1" field="$2"
    case "$field" in
        rps) jq -r '.summary.requestsPerSec' "$file" ;;
        p50) jq -r '.latencyPercentiles.p50 * 1000' "$file" ;;
        p99) jq -r '.latencyPercentiles.p99 * 1000' "$file" ;;
        p999) jq -r '.latencyPercentiles["p99.9"] * 1000' "$file" ;;
        max) jq -r '.summary.slowest * 1000' "$file" ;;
        ok) jq -r '[.statusCodeDistribution | to_entries[] | select(.key | test("^2")) | .value] | add // 0' "$file" ;;
        failed) jq -r '([.statusCodeDistribution | to_entries[] | select(.key | test("^2") | not) | .value] | add // 0)
                       + ([.errorDistribution | to_entries[] | .value] | add // 0)' "$file" ;;
        total) jq -r '([.statusCodeDistribution[]] | add // 0) + ([.errorDistribution[]] | add // 0)' "$file" ;;
        *) die "oha_field: unknown field $field" ;;
    esac
}

# ---------------------------------------------------------------- numbers

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", a / b }'; }

# fmt NUMBER [DECIMALS] — rounded for the tables.
fmt() { awk -v v="$1" -v d="${2:-2}" 'BEGIN { printf "%.*f\n", d, v }'; }

# median VALUE... — the middle value, or the mean of the two middle values.
median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
        END { if (NR % 2) printf "%.3f\n", v[(NR + 1) / 2]
              else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# meets VALUE TARGET — "pass" when VALUE >= TARGET, else "miss".
meets() { awk -v v="$1" -v t="$2" 'BEGIN { print (v + 0 >= t + 0) ? "pass" : "miss" }'; }

# shell_words ARG... — the arguments as one line that a shell splits back
# into the same arguments (single quotes where needed), for the reports.
shell_words() {
    local arg
    local -a words=()
    for arg in "$@"; do
        if [[ "$arg" =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then
            words+=("$arg")
        else
            words+=("'${arg//\'/\'\\\'\'}'")
        fi
    done
    echo "${words[*]}"
}

# machine_line — cores, CPU model, kernel, for the reports.
machine_line() {
    echo "$(nproc) cores, $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r)"
}
