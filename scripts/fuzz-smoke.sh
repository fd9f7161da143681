#!/usr/bin/env bash
# Short bounded fuzzing of every target: a smoke test, not a campaign.
#
#   ./scripts/fuzz-smoke.sh            # every target, 30 s each, AddressSanitizer
#   FUZZ_SECONDS=10 ./scripts/fuzz-smoke.sh rpc_message record_stream
#   FUZZ_SANITIZER=none ./scripts/fuzz-smoke.sh   # no ASan (faster build)
#
# Installs cargo-fuzz when missing. Stable Rust: RUSTC_BOOTSTRAP=1 lets the
# stable compiler accept the -Z flags cargo-fuzz passes (sanitizers,
# coverage instrumentation); no nightly toolchain is needed.
# Each target starts from its committed corpus (fuzz/corpus/<target>/, read
# only); new inputs go to a scratch directory that is deleted afterwards.
# Total with the defaults: about 2-3 min of build plus 8 x 30 s.
# Exit status: non-zero on the first crash, leak, timeout or OOM; the input
# is left in fuzz/artifacts/<target>/ and the command to reproduce it printed.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds="${FUZZ_SECONDS:-30}"
sanitizer="${FUZZ_SANITIZER:-address}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "==> installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1

if [ $# -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list)
fi

echo "==> building ${#targets[@]} fuzz targets (sanitizer: $sanitizer)"
cargo fuzz build -s "$sanitizer"

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for t in "${targets[@]}"; do
    echo "==> fuzzing $t for ${seconds}s"
    mkdir -p "$scratch/$t"
    if ! cargo fuzz run -s "$sanitizer" "$t" "$scratch/$t" "$PWD/corpus/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=1024 -malloc_limit_mb=512 \
        -timeout=10 -dict="$PWD/rpc.dict" -print_final_stats=1 >"$scratch/$t.log" 2>&1; then
        tail -n 40 "$scratch/$t.log"
        echo "FAILED: $t (reproduce: cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run $t fuzz/artifacts/$t/<file>)"
        exit 1
    fi
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$scratch/$t.log" | tr '\n' ' '
    echo
done
echo "==> fuzz smoke passed: ${targets[*]}"
