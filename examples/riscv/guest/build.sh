#!/usr/bin/env bash
# Rebuilds kernel.bin from the assembly sources with Debian's RISC-V cross
# binutils (apt-get install binutils-riscv64-linux-gnu). kernel.bin is
# committed, so running the example and its tests needs no cross tools.
#
#   examples/riscv/guest/build.sh            # writes kernel.bin beside this script
#   CROSS=riscv64-unknown-elf- build.sh      # another toolchain prefix
set -euo pipefail
cd "$(dirname "$0")"
CROSS=${CROSS:-riscv64-linux-gnu-}
out=build
rm -rf "$out"
mkdir -p "$out"

# RV64I + M (print_dec divides) + Zicsr; no C extension: the emulator decodes
# 32-bit instructions only.
objs=()
for src in *.S; do
  obj="$out/${src%.S}.o"
  "${CROSS}as" -march=rv64im_zicsr -mabi=lp64 -I . -o "$obj" "$src"
  objs+=("$obj")
done
"${CROSS}ld" -T kernel.ld -nostdlib --no-warn-rwx-segments -o "$out/kernel.elf" "${objs[@]}"
"${CROSS}objcopy" -O binary "$out/kernel.elf" kernel.bin
"${CROSS}objdump" -d "$out/kernel.elf" > "$out/kernel.lst"
echo "kernel.bin: $(wc -c < kernel.bin) bytes; listing in $out/kernel.lst"
