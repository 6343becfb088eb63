# The guest kernel's image (kernel/, assembled first into build/kernel.bin),
# carried in the hypervisor's own image, page-aligned: its pages become the
# first pages of the guest's RAM, mapped as the guest touches them.
        .section .guest, "a"
        .balign 4096
        .globl  guest_image, guest_image_end
guest_image:
        .incbin "kernel.bin"
        .balign 4096
guest_image_end:
