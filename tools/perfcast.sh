#!/usr/bin/env bash
# Runs the perfcast command-line program, building it first when needed:
#   bash tools/perfcast.sh predict resnet50 --device h100 --batch 32
# Installs the Debian 12 packages it needs (when missing) and builds only the
# `perfcast` target in build/ (PERFCAST_BUILD_DIR overrides).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# shellcheck source=../.ci/deps.sh
source .ci/deps.sh
perfcast_install_deps >&2

build_dir=${PERFCAST_BUILD_DIR:-build}
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
    cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >&2
fi
cmake --build "$build_dir" --target perfcast_cli -j "${PERFCAST_JOBS:-2}" >&2
exec "$build_dir/bin/perfcast" "$@"
