/** findServices: what `kubechains which QUERY` matches. */
import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../../src/core/parse/index.js';
import { buildKubeModel, findServices, parseAddressQuery, type KubeModel } from '../../src/core/kube/index.js';
import { CURRENT, DUAL_STACK } from './dumps.js';

const ids = (model: KubeModel, q: string) => findServices(model, q).map((s) => `${s.id}${s.family === 'ipv6' ? ' v6' : ''}`);

describe('findServices', () => {
  const model = buildKubeModel(parseIptablesSave(CURRENT));
  const dual = buildKubeModel(parseIptablesSave(DUAL_STACK));

  it('namespace/name:port is exact; namespace/name gives every port of the service, in model order', () => {
    expect(ids(model, 'shop/cart:http')).toEqual(['shop/cart:http']);
    expect(ids(model, 'shop/cart')).toEqual(['shop/cart:admin', 'shop/cart:http']);
    expect(ids(model, 'shop/sticky')).toEqual(['shop/sticky:web']);
  });

  it('a cluster IP, with or without the port', () => {
    expect(ids(model, '10.96.20.1')).toEqual(['shop/cart:admin', 'shop/cart:http']);
    expect(ids(model, '10.96.20.1:9000')).toEqual(['shop/cart:admin']);
    expect(ids(model, '10.96.20.1:81')).toEqual([]);
  });

  it('external and load-balancer IPs too', () => {
    expect(ids(model, '192.0.2.80')).toEqual(['shop/edge:https']);
    expect(ids(model, '192.0.2.80:443')).toEqual(['shop/edge:https']);
    expect(ids(model, '192.0.2.50')).toEqual(['shop/cart:admin']);
  });

  it('IPv6 addresses, bare or bracketed with a port', () => {
    expect(ids(dual, 'fd00:10:96::80')).toEqual(['shop/v6:http v6']);
    expect(ids(dual, '[fd00:10:96::80]:80')).toEqual(['shop/v6:http v6']);
    expect(ids(dual, 'shop/v6:http')).toEqual(['shop/v6:http', 'shop/v6:http v6']);
  });

  it('a node port', () => {
    expect(ids(model, '30443')).toEqual(['shop/edge:https']);
    expect(ids(model, '30900')).toEqual(['shop/cart:admin']);
  });

  it('anything else: a case-insensitive substring of the id', () => {
    expect(ids(model, 'STICKY')).toEqual(['shop/sticky:web']);
    expect(ids(model, 'itp')).toEqual(['shop/itp:grpc', 'shop/itpnone:grpc']);
    expect(ids(model, ':grpc')).toEqual(['shop/itp:grpc', 'shop/itpnone:grpc']);
    expect(ids(model, 'telecom/si')).toEqual(['telecom/sig:sctp']);
  });

  it('nothing for an empty query or no match', () => {
    expect(ids(model, '')).toEqual([]);
    expect(ids(model, '   ')).toEqual([]);
    expect(ids(model, 'nope/none')).toEqual([]);
    expect(ids(model, '10.1.2.3')).toEqual([]);
    expect(ids(model, '31111')).toEqual([]);
  });
});

describe('parseAddressQuery', () => {
  it('reads IPv4 and IPv6 forms and refuses the rest', () => {
    expect(parseAddressQuery('10.0.0.1')).toEqual({ address: '10.0.0.1', port: null });
    expect(parseAddressQuery('10.0.0.1:53')).toEqual({ address: '10.0.0.1', port: 53 });
    expect(parseAddressQuery('fd00::1')).toEqual({ address: 'fd00::1', port: null });
    expect(parseAddressQuery('[fd00::1]:443')).toEqual({ address: 'fd00::1', port: 443 });
    expect(parseAddressQuery('10.0.0.256')).toBeNull();
    expect(parseAddressQuery('10.0.0.1:99999')).toBeNull();
    expect(parseAddressQuery('ns/svc:http')).toBeNull();
    expect(parseAddressQuery('[fd00::1')).toBeNull();
  });
});
