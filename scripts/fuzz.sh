#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ and runs each for a bounded time; fails on any crash,
# hang or out-of-memory. See docs/fuzzing.md.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET ...]     (default: 600 s, every target)
#
# No cargo-fuzz binary and no nightly toolchain are needed: the targets are plain binaries of the
# fuzz/ crate linked with libfuzzer-sys, built by stable cargo with the coverage flags cargo-fuzz
# passes (`cargo fuzz run <target> -s none` works too, for those who have cargo-fuzz).
# Corpora grow in fuzz/corpus/<target>/ (git-ignored), seeded from the committed fixtures;
# a failing input is written to fuzz/artifacts/<target>/ and the run is reported as FAILED.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET="${1:-600}"
shift || true
ALL_TARGETS=(npy mat_v5 mat_v73 archive label_mapping manifest score_json safetensors pth)
if [ "$#" -gt 0 ]; then TARGETS=("$@"); else TARGETS=("${ALL_TARGETS[@]}"); fi

# Resource limits per input: a parser that needs more than this on an input of at most MAX_LEN
# bytes is a bug (the bounded-resources rule allows 8 x the file + 16 MiB).
TIMEOUT_S="${FUZZ_TIMEOUT_S:-10}"
RSS_LIMIT_MB="${FUZZ_RSS_LIMIT_MB:-1024}"
MALLOC_LIMIT_MB="${FUZZ_MALLOC_LIMIT_MB:-512}"
MAX_LEN="${FUZZ_MAX_LEN:-65536}"

seeds() {
  case "$1" in
    npy) ls tests/fixtures/io/npy_*.npy ;;
    mat_v5) ls tests/fixtures/io/mat_v5*.mat ;;
    mat_v73) ls tests/fixtures/io/mat_v73.mat ;;
    label_mapping) ls tests/fixtures/io/mapping_*.npy ;;
    manifest) ls submissions/*/submission.toml ;;
    *) ;;
  esac
  # Generated seeds (fuzz/make_seeds.py) and the inputs of past findings (regression tests).
  ls -d tests/fixtures/fuzz-seeds/"$1"/* tests/fixtures/fuzz/"$1"/* 2>/dev/null || true
}

host="$(rustc -vV | sed -n 's/^host: //p')"
# The instrumentation cargo-fuzz uses (SanitizerCoverage: 8-bit counters, PC table, comparison
# tracing), without AddressSanitizer: the parsers are safe Rust, and -Zsanitizer needs nightly.
# `--target` keeps build scripts and proc-macros uninstrumented.
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing"
(cd fuzz && cargo fmt --check)
build_start=$(date +%s)
(cd fuzz && cargo build --release --locked --target "$host" --bins)
echo "fuzz: build took $(( $(date +%s) - build_start )) s"
bin_dir="fuzz/target/$host/release"

failed=()
summary=()
for t in "${TARGETS[@]}"; do
  corpus="fuzz/corpus/$t"
  artifacts="fuzz/artifacts/$t"
  mkdir -p "$corpus" "$artifacts"
  for s in $(seeds "$t"); do
    cp -n "$s" "$corpus/seed-$(basename "$s")" 2>/dev/null || true
  done
  log="fuzz/artifacts/$t.log"
  echo "fuzz: $t for ${SECONDS_PER_TARGET} s ($(ls "$corpus" | wc -l) inputs in the corpus)"
  t_start=$(date +%s)
  set +e
  "$bin_dir/$t" "$corpus" \
    -max_total_time="$SECONDS_PER_TARGET" -timeout="$TIMEOUT_S" \
    -rss_limit_mb="$RSS_LIMIT_MB" -malloc_limit_mb="$MALLOC_LIMIT_MB" -max_len="$MAX_LEN" \
    -artifact_prefix="$artifacts/" -print_final_stats=1 >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  summary+=("$t: ${execs:-?} executions in $(( $(date +%s) - t_start )) s, corpus $(ls "$corpus" | wc -l)")
  if [ "$rc" -ne 0 ]; then
    failed+=("$t")
    echo "fuzz: $t FAILED (exit $rc); the input is in $artifacts/, the log in $log:"
    grep -E -A25 "^==[0-9]+== ?ERROR|panicked|ERROR: libFuzzer|SUMMARY" "$log" | head -60 || tail -40 "$log"
  fi
done

echo "fuzz: summary"
printf '  %s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}; add each input under tests/fixtures/fuzz/<target>/ with a test in tests/fuzz_regressions.rs, then fix the parser"
  exit 1
fi
echo "fuzz: no crash, hang or out-of-memory"
