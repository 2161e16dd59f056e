#!/usr/bin/env bash
# Build the `cuda` binary of brainbench on a machine with no GPU and no system CUDA toolkit.
#
# CUDA 13.0 comes from PyPI wheels installed into an ignored venv (.venv-cuda); the `-cu12` nvcc
# wheels contain no nvcc, the 13.0 ones do. The driver library libcuda.so is not in any wheel (it
# ships with the GPU driver), so we link against a stub that only carries the driver API's symbol
# names and the real soname, libcuda.so.1; the GPU machine's driver provides the real one at run
# time. Kernels are compiled for one architecture, CUDA_COMPUTE_CAP (default 90: H100/H200).
#
# Output: dist/bench-cuda (stripped). It needs, on the GPU machine, LD_LIBRARY_PATH pointing at the
# CUDA 13 libraries libcudart.so.13, libcublas.so.13, libcublasLt.so.13, libcurand.so.10 and
# libnvrtc.so.13 (PyTorch's CUDA 13 wheels have them) and a driver >= 580. See scripts/gpu-check.sh.
#
# The build uses its own target dir (target-cuda/) so the normal build is not disturbed. On two
# cores it takes a while: candle's kernels (the quantised-matmul ones above all) are compiled by nvcc.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv-cuda}
export CUDA_COMPUTE_CAP=${CUDA_COMPUTE_CAP:-90}
TARGET_DIR=${CARGO_TARGET_DIR:-target-cuda}
CUDA_PINS=(
  'nvidia-cuda-nvcc==13.0.*' 'nvidia-cuda-crt==13.0.*' 'nvidia-nvvm==13.0.*'
  'nvidia-cuda-runtime==13.0.*' 'nvidia-cuda-cccl==13.0.*' 'nvidia-cublas==13.0.*'
  'nvidia-cuda-nvrtc==13.0.*' 'nvidia-curand==10.4.*'
)

if [ ! -x "$VENV/bin/pip" ]; then
  python3 -m venv "$VENV"
fi
# nvidia-cuda-nvcc pulls nvidia-cuda-crt and nvidia-nvvm unpinned (the newest, not 13.0): pin them
# to the same release as nvcc, or nvcc runs a cicc from another release.
"$VENV/bin/pip" install -q "${CUDA_PINS[@]}"

SITE=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
CUDA_ROOT_DIR="$SITE/nvidia/cu13"
[ -x "$CUDA_ROOT_DIR/bin/nvcc" ] || { echo "error: no nvcc at $CUDA_ROOT_DIR/bin" >&2; exit 2; }
"$CUDA_ROOT_DIR/bin/nvcc" --version | tail -2

# Link directory: unversioned names for the linker (-lcublas etc.) and the libcuda stub.
LINK_DIR="$VENV/link"
mkdir -p "$LINK_DIR"
LINK_DIR=$(cd "$LINK_DIR" && pwd)
for lib in cudart.so.13 cublas.so.13 cublasLt.so.13 curand.so.10 nvrtc.so.13; do
  ln -sf "$CUDA_ROOT_DIR/lib/lib$lib" "$LINK_DIR/lib${lib%.so.*}.so"
done

# The stub defines every driver-API function cudarc declares (a superset of what gets linked), each
# returning CUDA_ERROR_STUB_LIBRARY (34) should it ever run instead of the real driver.
CUDARC_SYS=$(cargo metadata --format-version 1 --features cuda 2>/dev/null |
  "$VENV/bin/python" -c 'import json,sys
pk=[p for p in json.load(sys.stdin)["packages"] if p["name"]=="cudarc"]
print(pk[0]["manifest_path"].rsplit("/",1)[0]+"/src/driver/sys/mod.rs")')
STUB_C="$LINK_DIR/libcuda-stub.c"
grep -oE 'fn cu[A-Za-z0-9_]+\(' "$CUDARC_SYS" | sed -E 's/fn (cu[A-Za-z0-9_]+)\(/\1/' | sort -u |
  awk '{ print "int " $1 "(void) { return 34; }" }' >"$STUB_C"
cc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$LINK_DIR/libcuda.so" "$STUB_C"
echo "libcuda stub: $(wc -l <"$STUB_C") symbols"

export PATH="$CUDA_ROOT_DIR/bin:$PATH"
export CUDA_HOME="$CUDA_ROOT_DIR" CUDA_ROOT="$CUDA_ROOT_DIR" CUDA_PATH="$CUDA_ROOT_DIR"
export NVCC="$CUDA_ROOT_DIR/bin/nvcc"
export CUDAFORGE_THREADS=${CUDAFORGE_THREADS:-$(nproc)}
# -rpath-link lets the linker resolve the CUDA libraries' own dependencies (libcublas needs
# libcublasLt); no rpath goes into the binary, the GPU machine sets LD_LIBRARY_PATH.
export RUSTFLAGS="${RUSTFLAGS:-} -L native=$LINK_DIR -C link-arg=-Wl,-rpath-link,$LINK_DIR:$CUDA_ROOT_DIR/lib"

start=$(date +%s)
cargo build --release --locked --features cuda --bin bench --target-dir "$TARGET_DIR"
echo "cargo build: $(($(date +%s) - start)) s"

mkdir -p dist
strip -o dist/bench-cuda "$TARGET_DIR/release/bench"
ls -l dist/bench-cuda
echo "needs at run time:"
readelf -d dist/bench-cuda | grep NEEDED
