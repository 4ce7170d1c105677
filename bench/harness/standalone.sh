#!/usr/bin/env bash
# Builds the harness without CMake and without system-wide nlohmann-json or Google Benchmark,
# e.g. on a GPU machine that has a C++20 compiler and PyTorch's pip wheels but no -dev packages.
#
#   On a machine that has them (Debian: nlohmann-json3-dev libbenchmark-dev):
#     bash bench/harness/standalone.sh pack DEPS_DIR
#       -> DEPS_DIR/include/{nlohmann,benchmark}, DEPS_DIR/lib/libbenchmark.so*
#   Carry DEPS_DIR and the repository to the GPU machine, then:
#     bash bench/harness/standalone.sh gpu DEPS_DIR [OUT_DIR]
#       -> OUT_DIR/perfcast-harness-gpu with libbenchmark beside it (OUT_DIR default: build-harness)
#     bash bench/harness/standalone.sh cpu DEPS_DIR [OUT_DIR]     (needs oneDNN: DNNL_ROOT=...)
#
# CUDA, cuBLAS and cuDNN headers and libraries are taken from CUDA_DIRS (space-separated
# prefixes holding include/ and lib/ or lib64/) when set, else from the nvidia/* folders of the
# pip install that `python3 -c "import nvidia"` finds (PyTorch's wheels), else /usr/local/cuda.
# Environment: CXX (default g++), CXXFLAGS (default -O2).
set -euo pipefail
mode=${1:-}
deps=${2:-}
out=${3:-build-harness}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
CXX=${CXX:-g++}
CXXFLAGS=${CXXFLAGS:--O2}

usage() { sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2; }
[ -n "$mode" ] && [ -n "$deps" ] || usage

first_existing() { for f in "$@"; do [ -e "$f" ] && { echo "$f"; return 0; }; done; return 1; }

case "$mode" in
pack)
    mkdir -p "$deps/include" "$deps/lib"
    for h in nlohmann benchmark; do
        src=$(first_existing "/usr/include/$h" "/usr/local/include/$h") || { echo "no $h headers found" >&2; exit 1; }
        cp -r "$src" "$deps/include/"
    done
    lib=$(first_existing /usr/lib/x86_64-linux-gnu/libbenchmark.so /usr/lib64/libbenchmark.so /usr/local/lib/libbenchmark.so) ||
        { echo "no libbenchmark.so found" >&2; exit 1; }
    soname=$(objdump -p "$lib" | awk '/SONAME/ {print $2}')
    cp -L "$lib" "$deps/lib/$soname"
    ln -sf "$soname" "$deps/lib/libbenchmark.so"
    echo "packed into $deps: include/nlohmann include/benchmark lib/$soname"
    ;;
gpu | cpu)
    mkdir -p "$out"
    common=(-std=c++20 $CXXFLAGS -I"$root/include" -I"$here" -isystem "$deps/include" -L"$deps/lib" -Wl,-rpath,'$ORIGIN')
    cp -P "$deps"/lib/libbenchmark.so* "$out/"
    if [ "$mode" = cpu ]; then
        dnnl=()  # system oneDNN unless DNNL_ROOT says otherwise (never -isystem /usr/include)
        if [ -n "${DNNL_ROOT:-}" ]; then
            dnnl=(-isystem "$DNNL_ROOT/include" -L"$DNNL_ROOT/lib" -L"$DNNL_ROOT/lib64" -Wl,-rpath,"$DNNL_ROOT/lib")
        fi
        "$CXX" "${common[@]}" -fopenmp "${dnnl[@]}" "$here/cpu_onednn.cpp" -o "$out/perfcast-harness-cpu" \
            -ldnnl -lbenchmark -lpthread
        "$CXX" "${common[@]}" "$here/check_main.cpp" -o "$out/perfcast-harness-check"
        echo "built $out/perfcast-harness-cpu and $out/perfcast-harness-check"
        exit 0
    fi
    prefixes=()
    if [ -n "${CUDA_DIRS:-}" ]; then
        read -r -a prefixes <<<"$CUDA_DIRS"
    elif nv=$(python3 -c 'import nvidia, os; print(list(nvidia.__path__)[0])' 2>/dev/null); then
        for d in cudnn cublas cuda_runtime cuda_nvrtc; do [ -d "$nv/$d" ] && prefixes+=("$nv/$d"); done
    else
        prefixes=(/usr/local/cuda)
    fi
    incs=() libdirs=()
    for p in "${prefixes[@]}"; do
        [ -d "$p/include" ] && incs+=(-isystem "$p/include")
        for l in lib lib64; do [ -d "$p/$l" ] && libdirs+=("$p/$l"); done
    done
    # the libraries by file name (pip wheels ship libcublas.so.12, not libcublas.so)
    link=()
    for name in cudnn cublasLt cublas cudart; do
        found=""
        for d in "${libdirs[@]}"; do
            f=$(ls "$d"/lib$name.so* 2>/dev/null | grep -E "lib$name\.so(\.[0-9]+)?$" | sort | tail -1) || true
            [ -n "$f" ] && { found="$f"; break; }
        done
        [ -n "$found" ] || { echo "lib$name.so not found under: ${libdirs[*]}" >&2; exit 1; }
        link+=("-l:$(basename "$found")")
    done
    rp=()
    for d in "${libdirs[@]}"; do rp+=(-L"$d" -Wl,-rpath,"$d"); done
    "$CXX" "${common[@]}" "${incs[@]}" "$here/gpu_cuda.cpp" -o "$out/perfcast-harness-gpu" "${rp[@]}" "${link[@]}" \
        -lbenchmark -lpthread
    "$CXX" "${common[@]}" "$here/check_main.cpp" -o "$out/perfcast-harness-check"
    echo "built $out/perfcast-harness-gpu and $out/perfcast-harness-check"
    echo "if cuDNN cannot load its sub-libraries at run time: export LD_LIBRARY_PATH=$(IFS=:; echo "${libdirs[*]}")"
    ;;
*) usage ;;
esac
