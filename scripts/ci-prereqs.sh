#!/usr/bin/env bash
# Checks what the test suite needs to run every test, for CI (`.ci/run` sets
# CI=true and scripts/test.sh calls this after installing packages). A user's
# clone may lack any of these: the tests that need them then skip with a
# note. In CI a missing prerequisite must fail the run instead, so CI can
# never go green having skipped the oracle tests.
#
#   scripts/ci-prereqs.sh            # exit 0 when all are present, else 1
#
# Needs: root and unshare(1) (private network namespaces for live capture and
# the server tests), ip(8), tshark and mergecap (tests/merge.rs; mergecap comes
# with tshark, from wireshark-common), rpcbind, rpcinfo, tcpdump, man (man-db), jq, and the public
# corpus in ../shared (captures/public and refs/public).
set -uo pipefail
cd "$(dirname "$0")/.."

missing=()
for tool in tshark mergecap rpcbind rpcinfo tcpdump man jq unshare ip timeout; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool (not on PATH)")
done
if [ "$(id -u)" -ne 0 ]; then
    missing+=("root (private network namespaces)")
elif command -v unshare >/dev/null 2>&1 &&
    ! timeout 10 unshare --net --mount --fork true </dev/null >/dev/null 2>&1; then
    missing+=("unshare --net --mount (private network namespaces)")
fi
for d in ../shared/captures/public ../shared/refs/public; do
    [ -d "$d" ] || missing+=("$d (the public capture corpus)")
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "ci-prereqs: missing prerequisites; CI must run every test, so this fails:" >&2
    for m in "${missing[@]}"; do
        echo "  - $m" >&2
    done
    exit 1
fi
echo "ci-prereqs: all prerequisites present"
