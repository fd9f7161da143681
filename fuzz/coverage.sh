#!/usr/bin/env bash
# Line and region coverage of rpcscope's own code for each fuzz target's corpus.
#
#   fuzz/coverage.sh [TARGET...]      (default: every target)
#
# Uses `cargo fuzz coverage` to build an instrumented binary and run the
# corpus (committed seeds plus fuzz/corpus-run/<target>/ when present), then
# llvm-profdata/llvm-cov from the distribution (Debian `llvm-22`, which
# matches rustc 1.95's LLVM 22; cargo-fuzz's own merge step looks for
# rustup's llvm-tools and fails without them, so the merge is done here).
set -euo pipefail
cd "$(dirname "$0")"
export RUSTC_BOOTSTRAP=1
ver="${LLVM_VERSION:-22}"
profdata="$(command -v llvm-profdata-$ver || echo /usr/lib/llvm-$ver/bin/llvm-profdata)"
cov="$(command -v llvm-cov-$ver || echo /usr/lib/llvm-$ver/bin/llvm-cov)"
if [ $# -gt 0 ]; then targets=("$@"); else mapfile -t targets < <(cargo fuzz list); fi
host="$(rustc -vV | sed -n 's/^host: //p')"
for t in "${targets[@]}"; do
    dirs=("corpus/$t")
    [ -d "corpus-run/$t" ] && dirs+=("corpus-run/$t")
    rm -rf "coverage/$t"
    # The merge step fails without rustup's llvm-tools: ignore it, merge below.
    cargo fuzz coverage "$t" "${dirs[@]}" >"coverage-$t.log" 2>&1 || true
    "$profdata" merge -sparse coverage/"$t"/raw/*.profraw -o "coverage/$t/coverage.profdata"
    bin="target/$host/coverage/$host/release/$t"
    echo "== $t (${dirs[*]})"
    "$cov" report "$bin" -instr-profile="coverage/$t/coverage.profdata" \
        -ignore-filename-regex='(\.cargo/registry|/rustc/|src/fuzzing/)' |
        awk 'NR==1 || /^(capture|net|rpc|pipeline|track|programs|server|client)\// || /^TOTAL/ {print $1, "regions", $4, "lines", $10}'
    rm -f "coverage-$t.log"
done
