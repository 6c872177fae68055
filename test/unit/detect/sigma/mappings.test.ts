import { describe, expect, it } from 'vitest';
import { loadSigmaMappings } from '../../../../src/detect/sigma/index.js';
import { mapField, mapLogsource } from '../../../../src/detect/sigma/mappings.js';
import { loadRegistry } from '../../../../src/schemas/registry.js';

describe('Sigma mappings', () => {
  const shipped = loadSigmaMappings(loadRegistry());

  it('map every Zeek and Suricata schema by product and service', () => {
    const registry = loadRegistry();
    for (const s of registry.all().filter((x) => /^(zeek|suricata)\./.test(x.name))) {
      const [product, service] = s.name.split('.');
      expect(mapLogsource(shipped, { product, service })?.schemas, s.name).toEqual([s.name]);
    }
  });

  it('match a logsource exactly (case-insensitive), never a subset of it', () => {
    expect(mapLogsource(shipped, { category: 'DNS' })?.schemas).toEqual(['zeek.dns', 'suricata.dns']);
    expect(mapLogsource(shipped, { category: 'dns', product: 'zeek' })?.schemas).toEqual(['zeek.dns']);
    expect(mapLogsource(shipped, { category: 'dns', product: 'windows' })).toBeUndefined();
    expect(mapLogsource(shipped, { category: 'proxy' })?.schemas).toEqual(['zeek.http', 'suricata.http']);
    expect(mapLogsource(shipped, { category: 'firewall' })?.schemas).toEqual(['zeek.conn', 'suricata.flow']);
  });

  it('rename fields per schema, case-insensitively; unmapped names stay', () => {
    expect(mapField(shipped, 'zeek.http', 'c-uri')).toEqual(['uri']);
    expect(mapField(shipped, 'suricata.http', 'C-USERAGENT')).toEqual(['http.http_user_agent']);
    expect(mapField(shipped, 'suricata.dns', 'query')).toEqual(['dns.rrname', 'dns.queries.rrname']);
    expect(mapField(shipped, 'zeek.dns', 'query')).toEqual(['query']);
  });

  it('let later files replace a logsource and add field names', () => {
    const registry = loadRegistry();
    registry.loadYaml(
      'sigma:\n  logsources:\n    - { logsource: { category: dns }, schemas: [zeek.dns] }\n  fields:\n    zeek.dns:\n      hostname: [query, answers]\n',
      'mine.yaml',
    );
    const m = loadSigmaMappings(registry);
    expect(mapLogsource(m, { category: 'dns' })?.schemas).toEqual(['zeek.dns']);
    expect(mapField(m, 'zeek.dns', 'hostname')).toEqual(['query', 'answers']);
    expect(mapField(m, 'zeek.dns', 'answer')).toEqual(['answers']);
  });

  it('name the file and key of a bad section', () => {
    const bad = (yaml: string) => {
      const registry = loadRegistry();
      registry.loadYaml(yaml, 'bad.yaml');
      return () => loadSigmaMappings(registry);
    };
    expect(bad('sigma:\n  logsource: []\n')).toThrow(
      "bad.yaml: sigma.logsource: unknown key (known: 'logsources', 'fields')",
    );
    expect(bad('sigma:\n  logsources:\n    - { logsource: { os: linux }, schemas: [zeek.dns] }\n')).toThrow(
      'bad.yaml: sigma.logsources[0].logsource.os: expected product, service or category with a string value',
    );
    expect(bad('sigma:\n  fields:\n    zeek.dns:\n      a: 1\n')).toThrow(
      'bad.yaml: sigma.fields.zeek.dns.a: expected a string or a non-empty list of strings',
    );
  });
});
