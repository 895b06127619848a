#!/bin/sh
# make bench: runs every benchmark program in BINDIR and prints its figures.
set -eu
bindir=$1
echo "== Sluice benchmarks, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -m)"
for b in bench_base bench_proto; do
  echo
  echo "== $b"
  "$bindir/$b"
done
