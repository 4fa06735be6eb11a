#!/bin/sh
# Compare the project's ABI headers with the system's (or those under a given
# include directory): every item of items.h that the other headers define
# too must have the same value.
#   run.sh CC OUTDIR [INCLUDE_DIR]
set -e
cc=$1
out=$2
hdr=$3
here=$(dirname "$0")
mkdir -p "$out"
inc=""
[ -n "$hdr" ] && inc="-isystem $hdr"

# Which items do the other headers define?  Each item that does not compile
# is reported at its own line of items.h.
cat > "$out/probe.c" <<'PROBE'
#include <stddef.h>
#if __has_include(<linux/iommufd.h>)
#include <linux/iommufd.h>
#endif
#include <linux/vfio.h>
#define S(s) _Static_assert(sizeof(struct s) > 0, "");
#define F(s, f) _Static_assert(offsetof(struct s, f) + sizeof(((struct s *)0)->f) > 0, "");
#define O(s, f) _Static_assert(offsetof(struct s, f) >= 0, "");
#define C(n) _Static_assert((n) || 1, "");
#include "items.h"
PROBE
$cc $inc -I"$here" -ftrack-macro-expansion=0 -fsyntax-only -fmax-errors=0 \
	"$out/probe.c" 2>"$out/probe.err" || true
grep -o 'items\.h:[0-9]*:[0-9]*: error' "$out/probe.err" | cut -d: -f2 | sort -un > "$out/absent"
awk 'FILENAME == ARGV[1] { bad[$1] = 1; next } !(FNR in bad)' "$out/absent" "$here/items.h" > "$out/sys_items.h"

$cc $inc -I"$here" -I"$out" -Wall -Werror -c -o "$out/abi_sys.o" "$here/abi_sys.c"
$cc -Iinclude -I"$here" -Wall -Werror -c -o "$out/abi_ours.o" "$here/abi_ours.c"
$cc -I"$here" -Wall -Werror -o "$out/abi_check" "$here/abi_main.c" "$out/abi_sys.o" "$out/abi_ours.o"
echo "== ABI headers against ${hdr:-the system headers} ($(wc -l < "$out/absent") items not defined there)"
"$out/abi_check" "$here/grown.txt"
