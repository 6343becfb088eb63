#!/usr/bin/env bash
# Rebuilds kernel.bin (from *.S here) and bench/bench.bin (from bench/*.S,
# with this folder's console.S and sbi.S) with Debian's RISC-V cross binutils
# (apt-get install binutils-riscv64-linux-gnu). Both images are committed, so
# running the example and its tests needs no cross tools.
#
#   examples/riscv/guest/build.sh            # writes kernel.bin and bench/bench.bin
#   CROSS=riscv64-unknown-elf- build.sh      # another toolchain prefix
set -euo pipefail
cd "$(dirname "$0")"
CROSS=${CROSS:-riscv64-linux-gnu-}
out=build
rm -rf "$out"
mkdir -p "$out"

# RV64I + M (print_dec divides) + Zicsr; no C extension: the emulator decodes
# 32-bit instructions only.
assemble() { # assemble SOURCE OBJECT
  "${CROSS}as" -march=rv64im_zicsr -mabi=lp64 -I . -o "$2" "$1"
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

objs=()
for src in *.S; do
  obj="$out/${src%.S}.o"
  assemble "$src" "$obj"
  objs+=("$obj")
done
link kernel.ld kernel.bin "${objs[@]}"

# The benchmark guest shares the console and firmware calls with the kernel.
assemble bench/bench.S "$out/bench.o"
link bench/bench.ld bench/bench.bin "$out/bench.o" "$out/console.o" "$out/sbi.o"
