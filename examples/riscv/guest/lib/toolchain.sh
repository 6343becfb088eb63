# Sourced by the guests' build scripts (examples/riscv/guest/build.sh and
# examples/riscv-hypervisor/guest/build.sh) from the folder they build, after
# they set MARCH: the cross binutils (CROSS, the toolchain prefix, Debian's
# riscv64-linux-gnu- unless set), a fresh build folder ($out), assemble and
# link. Every program may `.include "lib/....inc"`: the folder above this one
# is on every assembly's include path.
CROSS=${CROSS:-riscv64-linux-gnu-}
out=build
rm -rf "$out"
mkdir -p "$out"
lib_parent=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

assemble() { # assemble SOURCE OBJECT [INCLUDE-DIR...]: with -march=$MARCH; . first on the include path
  local src=$1 obj=$2 dir flags=()
  shift 2
  for dir in . "$@" "$lib_parent"; do flags+=(-I "$dir"); done
  "${CROSS}as" -march="$MARCH" -mabi=lp64 "${flags[@]}" -o "$obj" "$src"
}
link() { # link SCRIPT IMAGE OBJECT...: the ELF, the flat image and a listing
  local script=$1 image=$2 name
  name=$(basename "${image%.bin}")
  shift 2
  "${CROSS}ld" -T "$script" -nostdlib --no-warn-rwx-segments -o "$out/$name.elf" "$@"
  "${CROSS}objcopy" -O binary "$out/$name.elf" "$image"
  "${CROSS}objdump" -d "$out/$name.elf" > "$out/$name.lst"
  echo "$image: $(wc -c < "$image") bytes; listing in $out/$name.lst"
}
