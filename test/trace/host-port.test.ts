/** The one reading of "address[:port]" that the CLI, the explorer, `which` queries and DNAT targets share. */
import { describe, expect, it } from 'vitest';
import { parsePortNumber, splitHostPort } from '../../src/core/trace/addr.js';

describe('splitHostPort', () => {
  it('splits IPv4 at its colon and reads bracketed IPv6', () => {
    expect(splitHostPort('10.0.0.1')).toEqual({ host: '10.0.0.1', port: null, bracketed: false });
    expect(splitHostPort('10.0.0.1:80')).toEqual({ host: '10.0.0.1', port: '80', bracketed: false });
    expect(splitHostPort(':80')).toEqual({ host: '', port: '80', bracketed: false });
    expect(splitHostPort('[fd00::1]')).toEqual({ host: 'fd00::1', port: null, bracketed: true });
    expect(splitHostPort('[fd00::1]:443')).toEqual({ host: 'fd00::1', port: '443', bracketed: true });
  });

  it('gives a bare IPv6 address no port, and refuses broken brackets', () => {
    expect(splitHostPort('fd00::1:80')).toEqual({ host: 'fd00::1:80', port: null, bracketed: false });
    expect(splitHostPort('[fd00::1')).toBeNull();
    expect(splitHostPort('[fd00::1]80')).toBeNull();
  });
});

describe('parsePortNumber', () => {
  it('reads 0-65535 in at most five digits', () => {
    expect(['0', '80', '65535', '00080'].map(parsePortNumber)).toEqual([0, 80, 65535, 80]);
    expect(['65536', '123456', '', '8a', '-1', ' 80'].map(parsePortNumber)).toEqual([null, null, null, null, null, null]);
  });
});
