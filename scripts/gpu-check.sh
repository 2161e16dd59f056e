#!/usr/bin/env bash
# The one prepared check for a GPU machine (NVIDIA driver >= 580, PyTorch's CUDA 13 libraries, no
# cargo): run the carried `cuda` binary on the GPU and on the CPU, time both, and check that their
# results agree.
#
#   scripts/gpu-check.sh [BIN] [OUT]
#     BIN  the stripped cuda binary (default dist/bench-cuda, made by scripts/build-cuda.sh)
#     OUT  where logs, submissions and timings go (default ${OUT:-gpu-check-out})
#
# LD_LIBRARY_PATH must reach libcudart.so.13, libcublas.so.13, libcublasLt.so.13, libcurand.so.10
# and libnvrtc.so.13; when it is unset the script looks for them in the nvidia/cu13/lib folder of
# the first python3 that has PyTorch's CUDA 13 wheels. libcuda.so.1 comes from the driver.
#
# Agreement: every score of a GPU run must be within TOLERANCE (absolute, on the score, which is a
# squared correlation or a percentage of the ceiling) of the CPU run's. The GPU's reductions
# (cuBLAS, atomics) are ordered differently from the CPU's, so bit equality is not expected; one
# epoch of float32 training drifts by far less than 1e-3 in these scores.
set -euo pipefail
BIN=${1:-dist/bench-cuda}
OUT=${2:-${OUT:-gpu-check-out}}
TOLERANCE=${TOLERANCE:-1e-3}
mkdir -p "$OUT"
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

if [ -z "${LD_LIBRARY_PATH:-}" ]; then
  CU13=$(python3 -c 'import nvidia, os; print(os.path.join(list(nvidia.__path__)[0], "cu13", "lib"))' 2>/dev/null || true)
  [ -d "$CU13" ] || { echo "error: set LD_LIBRARY_PATH to the CUDA 13 libraries (no nvidia/cu13/lib found)" >&2; exit 2; }
  export LD_LIBRARY_PATH=$CU13
fi
echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
if ldd "$BIN" | grep 'not found'; then
  echo "error: $BIN cannot find the libraries above" >&2
  exit 2
fi

export BRAINBENCH_CACHE="$OUT/data"
"$BIN" --version
"$BIN" data synth >"$OUT/synth.log"

# Seconds of wall time of one command, its output to a log.
timed() {
  local log=$1
  shift
  local start end
  start=$(date +%s.%N)
  "$@" >"$log" 2>&1 || { echo "FAILED: $* (see $log)" >&2; tail -20 "$log" >&2; return 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}

# One epoch of a trained reference (REF = <reference>--<benchmark>) from the same seed on DEVICE,
# into its own submission folder.
train() { # train REF DEVICE
  local reference=${1%%--*} benchmark=${1#*--}
  "$BIN" train "$reference" --benchmark "$benchmark" --device "$2" --epochs 1 --force \
    --out "$OUT/submissions-$2/$1"
}
REFERENCES=(siamese-vgg16--synthetic-cortex-rsa cnn-scratch--synthetic-cortex cnn-scratch--synthetic-cortex-rsa)

printf '%-40s %10s %10s %8s\n' reference "gpu (s)" "cpu (s)" speed-up | tee "$OUT/timings.txt"
status=0
for ref in "${REFERENCES[@]}"; do
  gpu=$(timed "$OUT/$ref-cuda.log" train "$ref" cuda) || { status=1; continue; }
  cpu=$(timed "$OUT/$ref-cpu.log" train "$ref" cpu) || { status=1; continue; }
  printf '%-40s %10.1f %10.1f %8.1f\n' "$ref" "$gpu" "$cpu" "$(echo "$cpu / $gpu" | bc -l)" |
    tee -a "$OUT/timings.txt"
  for device in cuda cpu; do
    "$BIN" score "$OUT/submissions-$device/$ref" --bootstrap 0 --json >"$OUT/$ref-$device.score.json"
  done
  # Compare the headline and every target of the two scores.
  python3 - "$OUT/$ref-cuda.score.json" "$OUT/$ref-cpu.score.json" "$TOLERANCE" <<'EOF' || status=1
import json, sys
gpu, cpu = (json.load(open(p)) for p in sys.argv[1:3])
tol = float(sys.argv[3])
pairs = [("headline", gpu["headline"]["value"], cpu["headline"]["value"])]
pairs += [(t["name"], g["value"], t["value"]) for g, t in zip(gpu["targets"], cpu["targets"])]
worst = max(abs(g - c) for _, g, c in pairs)
for name, g, c in pairs:
    print(f"  {name:12s} gpu {g:.6f} cpu {c:.6f} diff {abs(g - c):.2e}")
print(f"  max |gpu - cpu| = {worst:.2e} (tolerance {tol:g}): {'OK' if worst <= tol else 'DIFFERENT'}")
sys.exit(0 if worst <= tol else 1)
EOF
done
exit $status
