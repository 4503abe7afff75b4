import { describe, expect, it } from 'vitest';
import { CapabilitiesType, capabilitiesFromMasks, capabilityNames } from '../src/capabilities';
import { descriptorEnum } from './fixtures';

describe('capabilities', () => {
  it('uses exactly the descriptor enum (names and numbers)', () => {
    expect(CapabilitiesType).toEqual(descriptorEnum('CapabilitiesType'));
  });

  it('names the set bits, lowest first, with Tetragon quirks', () => {
    expect(capabilityNames(0b11n)).toEqual(['CAP_CHOWN', 'DAC_OVERRIDE']);
    expect(capabilityNames(1n << 21n)).toEqual(['CAP_SYS_ADMIN']);
    expect(capabilityNames(0n)).toEqual([]);
  });

  it('covers a root process (all 41 capabilities, 0x1ffffffffff)', () => {
    const names = capabilityNames(0x1ffffffffffn);
    expect(names).toHaveLength(41);
    expect(names.at(-1)).toBe('CAP_CHECKPOINT_RESTORE');
  });

  it('prints a bit the enum does not know as its number, as protojson does', () => {
    expect(capabilityNames((1n << 45n) | 1n)).toEqual(['CAP_CHOWN', 45]);
  });

  it('omits empty sets', () => {
    expect(capabilitiesFromMasks({ permitted: 1n << 12n, effective: 1n << 12n, inheritable: 0n })).toEqual({
      permitted: ['CAP_NET_ADMIN'],
      effective: ['CAP_NET_ADMIN'],
    });
  });
});
