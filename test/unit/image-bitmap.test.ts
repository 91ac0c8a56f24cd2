import { blendOver } from '#shared/images/bitmap';

/** "Over" as the float formula states it: the reference the integer fast path must equal. */
function overReference(overlay: number, alpha: number, base: number, baseAlpha: number): { value: number; alpha: number } {
  const sa = alpha / 255;
  const da = baseAlpha / 255;
  const outA = sa + da * (1 - sa);
  return { value: Math.round((overlay * sa + base * da * (1 - sa)) / outA), alpha: Math.round(outA * 255) };
}

describe('blendOver', () => {
  it('over an opaque RGB image, equals the float formula for every overlay value and base value', () => {
    // One pixel per (overlay value, base value) pair, for alphas around the edges and the half-way points (all 255
    // alphas agree as well, checked once; it takes too long for every run).
    const width = 256 * 256;
    let mismatches = 0;
    for (const alpha of [1, 2, 3, 64, 85, 127, 128, 129, 170, 200, 253, 254, 255]) {
      const base = new Uint8Array(width * 3);
      const overlay = new Uint8Array(width * 4);
      for (let i = 0; i < width; i++) {
        base.fill(i & 0xff, i * 3, i * 3 + 3);
        overlay.set([i >> 8, i >> 8, i >> 8, alpha], i * 4);
      }
      blendOver({ data: base, width, height: 1, channels: 3 }, { data: overlay, width, height: 1 }, 0, 0);
      for (let i = 0; i < width; i++) if (base[i * 3] !== overlayReferenceValue(i >> 8, alpha, i & 0xff)) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it('keeps the general formula where the base is translucent, and leaves pixels under a clear overlay alone', () => {
    const base = new Uint8Array([100, 150, 200, 128, 10, 20, 30, 255, 1, 2, 3, 0]);
    const overlay = new Uint8Array([250, 0, 50, 200, 90, 90, 90, 0, 60, 70, 80, 100]);
    blendOver({ data: base, width: 3, height: 1 }, { data: overlay, width: 3, height: 1 }, 0, 0);
    const first = [250, 0, 50].map((o, c) => overReference(o, 200, [100, 150, 200][c]!, 128));
    expect([...base.subarray(0, 4)]).toEqual([...first.map((r) => r.value), first[0]!.alpha]);
    expect([...base.subarray(4, 8)]).toEqual([10, 20, 30, 255]);
    const third = [60, 70, 80].map((o, c) => overReference(o, 100, [1, 2, 3][c]!, 0));
    expect([...base.subarray(8, 12)]).toEqual([...third.map((r) => r.value), third[0]!.alpha]);
  });

  it('clips the overlay to the base', () => {
    const base = new Uint8Array(2 * 2 * 3).fill(0);
    blendOver({ data: base, width: 2, height: 2, channels: 3 }, { data: new Uint8Array(3 * 3 * 4).fill(255), width: 3, height: 3 }, 1, 1);
    expect([...base]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255]);
  });
});

function overlayReferenceValue(overlay: number, alpha: number, base: number): number {
  return overReference(overlay, alpha, base, 255).value;
}
