#!/usr/bin/env bash
# Runs every fuzz target of the repository (root module and sdk), one at a
# time, for FUZZTIME each (default 30s). A crash leaves its input under the
# package's testdata/fuzz, where `go test` replays it from then on: commit
# it with the fix as the regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${FUZZTIME:-30s}"
status=0
run() { # module dir, package dir, target
  local mod="$1" pkg="$2" target="$3"
  echo "== $pkg $target ($fuzztime)"
  if ! (cd "$mod" && go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -parallel "${FUZZPARALLEL:-1}" "./$pkg"); then
    echo "FAIL: $pkg $target"
    status=1
  fi
}
for mod in . sdk; do
  while IFS= read -r file; do
    pkg="$(dirname "${file#"$mod"/}")"
    for target in $(grep -oE '^func (Fuzz[A-Za-z0-9_]*)' "$file" | awk '{print $2}'); do
      run "$mod" "$pkg" "$target"
    done
  done < <(cd "$mod" && find . -name '*_test.go' -not -path './sdk/*' -not -path './examples/*' -print0 | xargs -0 grep -l '^func Fuzz' | sed "s|^\./|$mod/|" | sort)
done
exit $status
