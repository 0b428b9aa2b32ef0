#!/bin/sh
# scripts/unit-one.sh MODULE [EXTRA.c ...]
# Builds and runs one proto module's unit tests alone, under ASan/UBSan,
# without scons (for working on one class while others change).
# EXTRA.c are the other sources of a module split over several files
# (paths from the repository root, where the script is run), e.g.
#   scripts/unit-one.sh cr_validate proto/cr_validate_names.c \
#       proto/cr_validate_quantity.c proto/cr_validate_pod.c \
#       proto/cr_validate_container.c proto/cr_validate_kinds.c \
#       proto/cr_validate_config.c proto/cr_validate_workloads.c
set -e
m=$1; shift
top=$(cd "$(dirname "$0")/.." && pwd)
out=/tmp/crunit-$m; mkdir -p $out
{
  echo '/* generated */'
  for n in $(grep -ho '^CR_TEST *([a-z0-9_]*)' $top/tests/unit/${m}_test.c | sed 's/CR_TEST *(\(.*\))/\1/'); do echo "void crt_$n (void);"; done
  echo 'static const cr_test_entry_t s_tests[] = {'
  for n in $(grep -ho '^CR_TEST *([a-z0-9_]*)' $top/tests/unit/${m}_test.c | sed 's/CR_TEST *(\(.*\))/\1/'); do echo "{ \"$n\", crt_$n },"; done
  echo '{ NULL, NULL } };'
} > $out/test_table.inc
core=""
for c in cr_status cr_buf cr_obj cr_mpack cr_resource $m; do case " $core " in *" $top/proto/$c.c "*) ;; *) core="$core $top/proto/$c.c";; esac; done
gcc -std=gnu11 -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE \
    -fsanitize=address,undefined -fno-omit-frame-pointer \
    -I$top/proto -I$top/tests/unit -I$out \
    $core "$@" $top/tests/unit/${m}_test.c $top/tests/unit/runner.c \
    $(pkg-config --cflags --libs libczmq libzmq jansson yaml-0.1 msgpack libcurl libsodium) -lm -lpthread \
    -o $out/corral-unit
$out/corral-unit
