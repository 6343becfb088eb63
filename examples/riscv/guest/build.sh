#!/usr/bin/env bash
# Rebuilds kernel.bin (from *.S here) and bench/bench.bin (from bench/*.S,
# with this folder's console.S and sbi.S) with Debian's RISC-V cross binutils
# (apt-get install binutils-riscv64-linux-gnu). Both images are committed, so
# running the example and its tests needs no cross tools. The routines in
# lib/ are shared with examples/riscv-hypervisor/guest, and so is
# lib/toolchain.sh (assemble, link).
#
#   examples/riscv/guest/build.sh            # writes kernel.bin and bench/bench.bin
#   CROSS=riscv64-unknown-elf- build.sh      # another toolchain prefix
set -euo pipefail
cd "$(dirname "$0")"
# RV64I + M (print_dec divides) + Zicsr; no C extension: the emulator decodes
# 32-bit instructions only.
MARCH=rv64im_zicsr
source lib/toolchain.sh

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
