// The `sms` section and `alarms.sites[].notify` as an installer writes them: numbers normalised, and each mistake
// reported at its exact key with the reason (the CLI exits 2 on these, like on every config problem).
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../node-daemon/config/load.js';

const site = (notify: unknown[]): unknown => ({ id: 'qingshui', sensors: ['river'], prepare: { levelM: 5 }, evacuate: { levelM: 8 }, notify });
const base = {
  buses: [{ id: 'site', type: 'tcp', host: '127.0.0.1' }],
  sensors: [{ id: 'river', bus: 'site', slave: 1, profile: 'submersible-level' }],
};
const sms = {
  transport: { modem: { path: '/dev/ttyUSB2' } },
  people: [{ id: 'zhang', name: '张村长', phone: '138 0013 8000', roles: ['village-head'] }],
  groups: [{ id: 'leaders', roles: ['village-head'] }],
};

function problems(config: unknown): { path: string; message: string }[] {
  const r = parseConfigText(JSON.stringify(config));
  return r.ok ? [] : r.problems.map((p) => ({ path: p.path, message: p.message }));
}

describe('sms config', () => {
  it('takes a modem transport, people, groups and notify, with numbers in E.164', () => {
    const r = parseConfigText(JSON.stringify({ ...base, alarms: { sites: [site([{ group: 'leaders', levels: ['evacuate'] }])] }, sms }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.sms?.people[0]?.phone).toBe('+8613800138000');
    expect(r.config.sms).toMatchObject({ perNumberPerHour: 6, dailyCap: 200, retry: { attempts: 4 } });
    expect(r.config.alarms.sites[0]?.notify).toEqual([{ group: 'leaders', levels: ['evacuate'] }]);
  });

  it('reports a bad number, an unknown person, an unknown group and notify without sms at their keys', () => {
    expect(problems({ ...base, sms: { ...sms, people: [{ ...sms.people[0], phone: '12345' }] } })).toEqual([
      expect.objectContaining({ path: 'sms.people[0].phone', message: expect.stringContaining('E.164') }),
    ]);
    expect(problems({ ...base, sms: { ...sms, groups: [{ id: 'leaders', people: ['zhnag'] }] } })).toEqual([
      expect.objectContaining({ path: 'sms.groups[0].people[0]', message: expect.stringContaining('did you mean "zhang"') }),
    ]);
    expect(problems({ ...base, alarms: { sites: [site([{ group: 'leader' }])] }, sms })).toEqual([
      expect.objectContaining({ path: 'alarms.sites[0].notify[0].group', message: expect.stringContaining('did you mean "leaders"') }),
    ]);
    expect(problems({ ...base, alarms: { sites: [site([{ group: 'leaders' }])] } })).toEqual([
      expect.objectContaining({ path: 'alarms.sites[0].notify[0].group', message: expect.stringContaining('no sms section') }),
    ]);
    expect(problems({ ...base, sms: { ...sms, transport: { http: { url: 'https://sms.example.cn/send', fields: { to: '{number}' }, secretFile: '/etc/fenghuo/sms-secret' } } } })).toEqual([
      expect.objectContaining({ path: 'sms.transport.http.fields', message: expect.stringContaining('{text}') }),
    ]);
  });
});
