import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as keyRules from '../../scripts/local/spec/key-rules';
import type { KeyRules } from '../../scripts/local/spec/key-rules';

/**
 * docs/fidelity.md mirrors scripts/local/spec/key-rules.ts: every accepted key with its status (emulated or
 * inert), every refused key and every trigger type. This fails when a key is missing from the doc, has
 * another status there, or when the doc still lists a key the rules dropped.
 */
const DOC = join(__dirname, '..', '..', 'docs', 'fidelity.md');

type Status = 'emulated' | 'inert' | 'refused';

/** The doc section (`### <heading>`) mirroring each key table; refused lists share their component's section. */
const SECTIONS: Record<string, string> = {
  FC3_PROPS: 'fc3 function props',
  REFUSED_FC3_KEYS: 'fc3 function props',
  TRIGGER_COMMON: 'fc3 trigger keys',
  DOMAIN_PROPS: 'fc3-domain props',
  ROS_PROPS: 'ros props',
  FLOW_PROPS: 'flow props',
};
/** Trigger types get one section each: `### Trigger \`<type>\``. */
const PER_TRIGGER_TYPE = ['TRIGGER_CONFIG', 'REFUSED_TRIGGER_TYPES'];
const triggerSection = (type: string) => `Trigger \`${type}\``;

/** `### heading` → the text up to the next heading. */
function sections(markdown: string): Map<string, string> {
  const out = new Map<string, string>();
  let heading: string | undefined;
  for (const line of markdown.split('\n')) {
    const h = /^#{2,3} (.+)$/.exec(line);
    if (h) {
      heading = h[1]!.trim();
      out.set(heading, '');
    } else if (heading) {
      out.set(heading, `${out.get(heading)!}${line}\n`);
    }
  }
  return out;
}

/** Key rows of a section: ``| `path` | status | note |``. */
function rows(body: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of body.matchAll(/^\|\s*`([^`]+)`\s*\|\s*([^|]*?)\s*\|/gm)) out.set(m[1]!, m[2]!);
  return out;
}

/** Every key of a rules table as a path (`a.b`, `list[].c`) with its status; open keys' children are free-form. */
function flatten(rules: KeyRules, prefix = ''): Map<string, Status> {
  const out = new Map<string, Status>();
  for (const [key, rule] of Object.entries(rules)) {
    const path = `${prefix}${key}`;
    out.set(path, rule.status);
    for (const key of Object.keys(rule.refused ?? {})) out.set(`${path}.${key}`, 'refused');
    if (rule.open) continue;
    if (rule.keys) for (const [p, s] of flatten(rule.keys, `${path}.`)) out.set(p, s);
    if (rule.items) for (const [p, s] of flatten(rule.items, `${path}[].`)) out.set(p, s);
  }
  return out;
}

const refusedKeys = (reasons: Record<string, string>) => new Map(Object.keys(reasons).map((key) => [key, 'refused' as Status]));

/** What each section of the doc must list, from key-rules.ts. */
function expectedSections(): Map<string, Map<string, Status>> {
  const expected = new Map<string, Map<string, Status>>();
  const add = (section: string, keys: Map<string, Status>) => expected.set(section, new Map([...(expected.get(section) ?? []), ...keys]));
  add(SECTIONS.FC3_PROPS!, flatten(keyRules.FC3_PROPS));
  add(SECTIONS.REFUSED_FC3_KEYS!, refusedKeys(keyRules.REFUSED_FC3_KEYS));
  add(SECTIONS.TRIGGER_COMMON!, flatten(keyRules.TRIGGER_COMMON));
  add(SECTIONS.DOMAIN_PROPS!, flatten(keyRules.DOMAIN_PROPS));
  add(SECTIONS.ROS_PROPS!, flatten(keyRules.ROS_PROPS));
  add(SECTIONS.FLOW_PROPS!, flatten(keyRules.FLOW_PROPS));
  for (const [type, config] of Object.entries(keyRules.TRIGGER_CONFIG)) add(triggerSection(type), flatten(config));
  return expected;
}

/** Every disagreement between the doc and key-rules.ts, one readable line each. */
function docProblems(markdown: string): string[] {
  const problems: string[] = [];
  const doc = sections(markdown);
  for (const [section, keys] of expectedSections()) {
    const body = doc.get(section);
    if (body === undefined) {
      problems.push(`missing section "### ${section}" (${keys.size} keys)`);
      continue;
    }
    const listed = rows(body);
    for (const [key, status] of keys) {
      const shown = listed.get(key);
      if (shown === undefined) problems.push(`${section}: \`${key}\` (${status}) is not listed`);
      else if (shown !== status) problems.push(`${section}: \`${key}\` is ${status} in key-rules.ts but "${shown}" in the doc`);
    }
    for (const key of listed.keys()) if (!keys.has(key)) problems.push(`${section}: \`${key}\` is listed but key-rules.ts has no such key`);
  }
  const types: [string, Status][] = [
    ...Object.keys(keyRules.TRIGGER_CONFIG).map((type): [string, Status] => [type, 'emulated']),
    ...Object.keys(keyRules.REFUSED_TRIGGER_TYPES).map((type): [string, Status] => [type, 'refused']),
  ];
  for (const [type, status] of types) {
    const body = doc.get(triggerSection(type));
    if (body === undefined) problems.push(`missing section "### ${triggerSection(type)}" (${status})`);
    else if (!body.includes(`Status: **${status}**`)) problems.push(`${triggerSection(type)}: should say "Status: **${status}**"`);
  }
  for (const heading of doc.keys()) {
    const type = /^Trigger `([^`]+)`$/.exec(heading)?.[1];
    if (type && !types.some(([t]) => t === type)) problems.push(`"### ${heading}": key-rules.ts knows no trigger type "${type}"`);
  }
  return problems;
}

describe('docs/fidelity.md', () => {
  const markdown = readFileSync(DOC, 'utf8');

  it('has a section for every table of key-rules.ts', () => {
    const tables = Object.entries(keyRules)
      .filter(([, value]) => typeof value === 'object')
      .map(([name]) => name);
    const unmapped = tables.filter((name) => !(name in SECTIONS) && !PER_TRIGGER_TYPE.includes(name));
    expect({ unmapped, hint: 'map each new table to its doc section in SECTIONS of test/unit/fidelity-doc.test.ts' }).toEqual({ unmapped: [], hint: expect.any(String) });
  });

  it('lists every key of key-rules.ts with its status, every trigger type, and nothing stale', () => {
    expect(docProblems(markdown)).toEqual([]);
  });

  describe('the check catches', () => {
    it('a key missing from the doc, refused keys included', () => {
      const withoutLayers = markdown.replace(/^\| `layers` \|.*\n/m, '');
      expect(withoutLayers).not.toBe(markdown);
      expect(docProblems(withoutLayers)).toEqual(['fc3 function props: `layers` (refused) is not listed']);
    });

    it('a key with another status in the doc', () => {
      const changed = markdown.replace(/^\| `role` \| emulated \|/m, '| `role` | inert |');
      expect(docProblems(changed)).toEqual(['fc3 function props: `role` is emulated in key-rules.ts but "inert" in the doc']);
    });

    it('a stale key and a trigger type without its section', () => {
      const changed = markdown.replace(/^\| `cpu` \|/m, '| `cpuz` |').replace('### Trigger `log`', '### Trigger `logs`');
      expect(docProblems(changed)).toEqual(
        expect.arrayContaining([
          'fc3 function props: `cpu` (inert) is not listed',
          'fc3 function props: `cpuz` is listed but key-rules.ts has no such key',
          'missing section "### Trigger `log`" (refused)',
          '"### Trigger `logs`": key-rules.ts knows no trigger type "logs"',
        ]),
      );
    });
  });
});
