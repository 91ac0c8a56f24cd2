import { SpecErrors } from '../../scripts/local/spec/errors';
import { loadSpec } from '../../scripts/local/spec/load';
import { tempDir } from '../helpers/temp';

/**
 * A file that is not a Serverless Devs 3 s.yaml with fc3 resources is said to be what it is, once, on its line — not a
 * list of unknown keys (D154). The problems are reported under the name the caller shows (a user's template path).
 */
describe('a file of another kind given as the s.yaml', () => {
  const dir = tempDir('spec-other-kinds-');
  afterAll(() => dir.cleanup());

  const problems = (yaml: string, shownAs?: string): string[] => {
    const file = dir.write('s.yaml', yaml);
    try {
      loadSpec(file, {}, shownAs ? { shownAs } : {});
    } catch (err) {
      if (err instanceof SpecErrors) return err.errors.map((e) => e.located());
      throw err;
    }
    throw new Error('loaded');
  };

  it.each([
    ['a docker-compose file', "version: '3'\nservices:\n  web:\n    image: nginx\n", 's.yaml:1 version: not a Serverless Devs file: it has neither edition: nor resources:'],
    ['a ROS template', "ROSTemplateFormatVersion: '2015-09-01'\nResources: {}\n", 's.yaml:1 ROSTemplateFormatVersion: this is a ROS template, not a Serverless Devs s.yaml'],
    ['a ROS template without its version line', 'Resources:\n  B: { Type: ALIYUN::OSS::Bucket }\n', 's.yaml:1 Resources: this is a ROS template, not a Serverless Devs s.yaml'],
    ['Serverless Devs 2', 'edition: 2.0.0\nname: a\nservices:\n  f: { component: fc }\n', 's.yaml:1 edition: a Serverless Devs 2.0.0 file (services: where edition 3.0.0 has resources:), which the local cloud does not read'],
    ['FC 2.0 in an edition 3 file', 'edition: 3.0.0\nname: a\nresources:\n  f:\n    component: devsapp/fc\n    props: {}\n', 's.yaml:5 resources.f.component: component "devsapp/fc" is FC 2.0\'s (services holding functions), which the local cloud does not run'],
    ['an empty file', '', 's.yaml (root): the file is empty or not a YAML map'],
    ['a list', '- a\n- b\n', 's.yaml (root): the file is empty or not a YAML map'],
  ])('%s', (_what, yaml, expected) => {
    const found = problems(yaml);
    expect(found).toHaveLength(1);
    expect(found[0]!.split('\n')[0]).toBe(expected);
  });

  it('names the file as the caller shows it', () => {
    expect(problems("ROSTemplateFormatVersion: '2015-09-01'\n", '/home/me/app/s.yaml')[0]).toMatch(/^\/home\/me\/app\/s\.yaml:1 ROSTemplateFormatVersion: this is a ROS template/);
  });
});
