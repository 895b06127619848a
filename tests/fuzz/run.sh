#!/bin/sh
# make fuzz: runs every libFuzzer target for SECONDS each. New inputs go to
# build/fuzz/corpus/<target>/ (seeded from tests/fuzz/corpus/<target>/);
# crashes are written to build/fuzz/ and make this script fail. Copy an input
# worth keeping into tests/fuzz/corpus/<target>/ so `make test` replays it.
set -eu
bindir=$1
seconds=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
work=$(cd "$bindir/.." && pwd)
status=0
# fuzz_request starts from one frame per api key and version as well.
"$bindir/make_seeds" "$work/corpus/request" >/dev/null
for target in $(ls "$here/corpus"); do
  exe="$bindir/fuzz_$target"
  [ -x "$exe" ] || { echo "missing $exe" >&2; exit 1; }
  mkdir -p "$work/corpus/$target"
  echo "== fuzz_$target for ${seconds}s"
  "$exe" -max_total_time="$seconds" -artifact_prefix="$work/" -print_final_stats=1 \
      "$work/corpus/$target" "$here/corpus/$target" || status=1
done
exit $status
