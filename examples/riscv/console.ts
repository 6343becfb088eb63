/**
 * The board's console: an MMIO device in physical memory that collects every
 * byte the guest stores at offset 0. A 16550 UART's transmit register sits at
 * offset 0 too, so a guest written for one prints here unchanged; there are no
 * other registers (reads return 0, other offsets ignore writes).
 */
import type { MmioDevice } from '../../src/index.js';

export class MmioConsole implements MmioDevice {
  private readonly bytes: number[] = [];

  read(): number {
    return 0;
  }

  write(offset: number, _size: 1 | 2 | 4, value: number): void {
    // Only the low byte of a store at offset 0 is a character (sb in the guest).
    if (offset === 0) this.bytes.push(value & 0xff);
  }

  /** Everything printed so far, decoded as UTF-8. */
  text(): string {
    return new TextDecoder().decode(Uint8Array.from(this.bytes));
  }

  /** Number of bytes printed so far. */
  get length(): number {
    return this.bytes.length;
  }
}
