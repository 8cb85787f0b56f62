// Linux _IOC encoding (x86_64): nr bits 0-7, type 8-15, size 16-29, dir 30-31.

export const IOC_NONE = 0;
export const IOC_WRITE = 1;
export const IOC_READ = 2;

/** _IOC(dir, type, nr, size) as an unsigned 32-bit number. */
export function ioc(dir: number, type: number, nr: number, size: number): number {
  return ((dir << 30) | (size << 16) | (type << 8) | nr) >>> 0;
}

/** Size of `unsigned long`, `long` and every pointer on x86_64: what BLCR's ioctls encode. */
export const SIZEOF_PTR = 8;
export const io = (type: number, nr: number) => ioc(IOC_NONE, type, nr, 0);
export const iow = (type: number, nr: number) => ioc(IOC_WRITE, type, nr, SIZEOF_PTR);
export const ior = (type: number, nr: number) => ioc(IOC_READ, type, nr, SIZEOF_PTR);
export const iowr = (type: number, nr: number) => ioc(IOC_READ | IOC_WRITE, type, nr, SIZEOF_PTR);
