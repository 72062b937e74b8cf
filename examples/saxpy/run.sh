#!/bin/sh
# Builds saxpy.cu and runs it. With nvcc (from PATH, else /usr/local/cuda/bin) the program uses
# the GPU when one answers; without nvcc, or when nvcc cannot build here, it is compiled as plain
# C++ and computes on the CPU. The build goes to .build/ next to this script and is redone only
# when saxpy.cu or the compiler changed. SAXPY_N (element count) passes through to the program.
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
cd "$here"
mkdir -p .build

nvcc=${NVCC:-}
if [ -z "$nvcc" ]; then
    if command -v nvcc >/dev/null 2>&1; then
        nvcc=$(command -v nvcc)
    elif [ -x /usr/local/cuda/bin/nvcc ]; then
        nvcc=/usr/local/cuda/bin/nvcc
    fi
fi
cxx=${CXX:-c++}

# What the last build used; a different compiler means a rebuild.
wanted="nvcc:$nvcc"
[ -n "$nvcc" ] || wanted="c++:$cxx"
built=$(cat .build/compiler 2>/dev/null || true)

if [ ! -x .build/saxpy ] || [ saxpy.cu -nt .build/saxpy ] || [ "$built" != "$wanted" ]; then
    rm -f .build/saxpy .build/compiler
    built=""
    if [ -n "$nvcc" ]; then
        echo "run.sh: building with $nvcc"
        # nvcc hands the source's full path to sh inside double quotes, so a folder name with
        # $ ` " or \ in it would be expanded; compile a copy from a plain temporary folder then.
        src=saxpy.cu
        tmp=""
        case $here in
            *[\$\`\"\\]*)
                tmp=$(mktemp -d)
                trap 'rm -rf "$tmp"' EXIT
                cp saxpy.cu "$tmp/saxpy.cu"
                src=$tmp/saxpy.cu
                ;;
        esac
        # No -arch: nvcc's default embeds PTX that newer GPUs compile when the program loads.
        if "$nvcc" -O2 -std=c++17 -o .build/saxpy "$src"; then
            built=nvcc
        else
            echo "run.sh: nvcc could not build saxpy.cu; building for the CPU with $cxx instead"
        fi
        if [ -n "${tmp:-}" ]; then
            rm -rf "$tmp"
            trap - EXIT
        fi
    else
        echo "run.sh: nvcc not found (PATH, /usr/local/cuda/bin); building for the CPU with $cxx"
    fi
    if [ -z "$built" ]; then
        "$cxx" -O2 -std=c++17 -x c++ -o .build/saxpy saxpy.cu
    fi
    # Record what was asked for, not what worked: a failing nvcc is not retried on every run.
    printf '%s\n' "$wanted" > .build/compiler
fi

exec ./.build/saxpy
