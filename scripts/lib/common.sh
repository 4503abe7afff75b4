# Shared helpers for scripts/*: paths, output, and the one-line error format
# "vigil <tool>: <problem> — fix: <what to do>".
# shellcheck shell=bash

VIGIL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VIGIL_CACHE=${VIGIL_CACHE:-$VIGIL_ROOT/.cache}
KAFKA_VERSION=3.9.1
KAFKA_LIBS=$VIGIL_CACHE/kafka-$KAFKA_VERSION/libs

if [ -t 1 ]; then BOLD=$'\e[1m'; RED=$'\e[31m'; GREEN=$'\e[32m'; DIM=$'\e[2m'; RESET=$'\e[0m'; else BOLD=; RED=; GREEN=; DIM=; RESET=; fi

step() { printf '%s==>%s %s\n' "$BOLD" "$RESET" "$*"; }
info() { printf '    %s%s%s\n' "$DIM" "$*" "$RESET"; }
ok() { printf '    %sok%s %s\n' "$GREEN" "$RESET" "$*"; }

# die TOOL PROBLEM FIX
die() {
  VIGIL_REPORTED=1
  printf '%svigil %s: %s — fix: %s%s\n' "$RED" "$1" "$2" "$3" "$RESET" >&2
  exit 1
}

require_root() {
  [ "$(id -u)" = 0 ] || die "$1" "must run as root (it $2)" "run it as root: sudo scripts/$1"
}

# Node 20.19+ is what vite 8 and the toolchain need.
require_node() {
  command -v node >/dev/null || die "$1" "node is not installed" "install Node.js 20.19 or newer (e.g. the nodejs package from NodeSource) and rerun"
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' ||
    die "$1" "node $(node -v) is too old" "install Node.js 20.19 or newer and rerun"
}
