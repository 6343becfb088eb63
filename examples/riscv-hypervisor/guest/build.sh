#!/usr/bin/env bash
# Rebuilds hypervisor.bin: the guest kernel (kernel/*.S) is assembled and
# linked first, into build/kernel.bin, which the hypervisor (hypervisor/*.S)
# then carries in its own image (hypervisor/guest-image.S). Debian's RISC-V
# cross binutils (apt-get install binutils-riscv64-linux-gnu); the image is
# committed, so running the example and its tests needs no cross tools.
#
#   examples/riscv-hypervisor/guest/build.sh        # writes hypervisor.bin
#   CROSS=riscv64-unknown-elf- build.sh             # another toolchain prefix
set -euo pipefail
cd "$(dirname "$0")"
CROSS=${CROSS:-riscv64-linux-gnu-}
out=build
rm -rf "$out"
mkdir -p "$out"

# RV64I + M (print_dec divides) + Zicsr + H (hypervisor CSRs, HLV/HSV,
# HFENCE); no C extension: the emulator decodes 32-bit instructions only.
assemble() { # assemble SOURCE OBJECT INCLUDE-DIR
  "${CROSS}as" -march=rv64im_zicsr_h -mabi=lp64 -I . -I "$3" -I "$out" -o "$2" "$1"
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
build() { # build DIR SCRIPT IMAGE: every DIR/*.S, linked with DIR/SCRIPT
  local dir=$1 script=$2 image=$3 src obj objs=()
  for src in "$dir"/*.S; do
    obj="$out/$dir-$(basename "${src%.S}").o"
    assemble "$src" "$obj" "$dir"
    objs+=("$obj")
  done
  link "$dir/$script" "$image" "${objs[@]}"
}

build kernel kernel.ld "$out/kernel.bin"
build hypervisor hypervisor.ld hypervisor.bin
