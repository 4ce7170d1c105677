# shellcheck shell=bash
# Sourced by .ci/test and .ci/run: installs perfcast's build dependencies
# (Debian 12 packages) unless they are all installed already.

PERFCAST_APT_PACKAGES=(
    build-essential cmake python3
    xtensor-dev libxtensor-blas-dev nlohmann-json3-dev
    doctest-dev libbenchmark-dev libopenblas-dev libdnnl-dev
)

perfcast_install_deps() {
    local missing=() pkg
    for pkg in "${PERFCAST_APT_PACKAGES[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$pkg")
        fi
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        echo "deps: all ${#PERFCAST_APT_PACKAGES[@]} packages already installed"
        return 0
    fi
    echo "deps: installing ${missing[*]}"
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo=(sudo)
        else
            echo "deps: not root and no sudo; install these packages first: ${missing[*]}" >&2
            return 1
        fi
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update
    "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
}
