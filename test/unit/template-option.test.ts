import { join } from 'node:path';
import { REPO_ROOT } from '../../scripts/local/paths';
import { npmTookTheFlag, projectDataDir, resolveTemplate, scriptProject, shownTemplate, templateArgument } from '../../scripts/local/template-option';
import { tempDir } from '../helpers/temp';

/** `npm start -- -t <file>`: which yaml a user's command line names, and where that project keeps its data (D154). */
describe('the template option', () => {
  const dir = tempDir('template-option-');
  afterAll(() => dir.cleanup());
  const shop = dir.write('shop/s.yaml', 'edition: 3.0.0\n');
  dir.write('legacy/s.yml', 'edition: 3.0.0\n');
  dir.write('empty/README.md', 'no yaml here\n');

  it.each([
    [['-t', 'a/s.yaml'], 'a/s.yaml'],
    [['--template', 'a/s.yaml'], 'a/s.yaml'],
    [['--template=a/s.yaml'], 'a/s.yaml'],
    [['-ta/s-prod.yaml'], 'a/s-prod.yaml'],
  ])('takes %j as s does', (argv, given) => {
    expect(templateArgument(argv)).toEqual({ given, rest: [] });
  });

  it('is seen by the launcher too, which then starts no standby threads of this repository\'s functions', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { ownTemplateAsked } = require(join(REPO_ROOT, 'scripts', 'local', 'launch.cjs')) as { ownTemplateAsked(argv: string[]): boolean };
    for (const argv of [['-t', 'a/s.yaml'], ['--template', 'a/s.yaml'], ['--template=a/s.yaml'], ['-ta/s.yaml']]) expect(ownTemplateAsked(argv)).toBe(true);
    expect(ownTemplateAsked([])).toBe(false);
    expect(ownTemplateAsked(['--help'])).toBe(false);
  });

  it('leaves other arguments to the caller, and takes none when there is no template', () => {
    expect(templateArgument(['--port', '9100'])).toEqual({ rest: ['--port', '9100'] });
    expect(templateArgument(['-t', 's.yaml', 'extra'])).toEqual({ given: 's.yaml', rest: ['extra'] });
  });

  it.each([
    [['-t'], /^-t needs the path of a Serverless Devs yaml/],
    [['--template', '--port'], /^--template needs the path/],
    [['--template='], /^--template needs the path/],
    [['-t', 'a.yaml', '-t', 'b.yaml'], /^give the template once: a.yaml and b.yaml were both given/],
  ])('refuses %j by name rather than guessing', (argv, message) => {
    expect(() => templateArgument(argv)).toThrow(message);
  });

  it('names the fix when npm took -t or --template for itself (npm start -t x.yaml, without --)', () => {
    // `npm start -t ../app/s.yaml`: npm warns "Unknown cli config" and passes only the file.
    expect(npmTookTheFlag(['../app/s.yaml'], {})).toBe('npm took -t (or --template) for itself and passed only ../app/s.yaml on: put -- before it, npm start -- -t ../app/s.yaml');
    // `npm start --template=../app/s.yaml`: nothing passed, the value left in npm's config.
    expect(npmTookTheFlag([], { npm_config_template: '../app/s.yaml' })).toBe('npm took --template=../app/s.yaml as a setting of its own and did not pass it on: put -- before it, npm start -- --template=../app/s.yaml');
    expect(npmTookTheFlag([], {})).toBeUndefined();
    expect(npmTookTheFlag(['--port'], {})).toBeUndefined();
  });

  it('resolves a relative path from where the user typed the command (INIT_CWD under npm), a folder to its s.yaml or s.yml', () => {
    expect(resolveTemplate('shop/s.yaml', { INIT_CWD: dir.path }, '/elsewhere')).toBe(shop);
    expect(resolveTemplate('s.yaml', {}, join(dir.path, 'shop'))).toBe(shop);
    expect(resolveTemplate(join(dir.path, 'shop'), {})).toBe(shop);
    expect(resolveTemplate('legacy', { INIT_CWD: dir.path })).toBe(join(dir.path, 'legacy', 's.yml'));
  });

  it('names the path it looked for when there is nothing there', () => {
    expect(() => resolveTemplate('shop/s.yml', { INIT_CWD: dir.path })).toThrow(`-t shop/s.yml (${join(dir.path, 'shop', 's.yml')}): no such file. Give the path of your project's s.yaml, e.g. npm start -- -t ../my-app/s.yaml`);
    expect(() => resolveTemplate('nowhere/s.yaml', { INIT_CWD: dir.path })).toThrow(`its folder ${join(dir.path, 'nowhere')} does not exist either`);
    expect(() => resolveTemplate('empty', { INIT_CWD: dir.path })).toThrow(`-t empty (${join(dir.path, 'empty')}): a folder with no s.yaml or s.yml in it`);
  });

  it('gives each template a data folder of its own, in this repository, the same at every start', () => {
    const other = projectDataDir(join(dir.path, 'legacy', 's.yml'));
    expect(projectDataDir(shop)).toMatch(new RegExp(`^${REPO_ROOT}/\\.data-projects/shop-[0-9a-f]{8}$`));
    expect(projectDataDir(shop)).toBe(projectDataDir(shop));
    expect(other).not.toBe(projectDataDir(shop));
    // Two yaml files in one folder (s.yaml, s-prod.yaml) never share data either.
    expect(projectDataDir(join(dir.path, 'shop', 's-prod.yaml'))).not.toBe(projectDataDir(shop));
  });

  it('shows a template inside this repository by its relative path, any other in full', () => {
    expect(shownTemplate(join(REPO_ROOT, 'test', 'fixtures', 'own-project', 's.yaml'))).toBe('test/fixtures/own-project/s.yaml');
    expect(shownTemplate(shop)).toBe(shop);
  });

  it('names the project validate, build and deploy work on: this repository without -t or with its own s.yaml, else the file (D160)', () => {
    const repository = { template: join(REPO_ROOT, 's.yaml'), root: REPO_ROOT, shownAs: 's.yaml', own: false };
    expect(scriptProject(undefined, {})).toEqual(repository);
    expect(scriptProject('s.yaml', { INIT_CWD: REPO_ROOT })).toEqual(repository);
    expect(scriptProject('shop', { INIT_CWD: dir.path })).toEqual({ template: shop, root: join(dir.path, 'shop'), shownAs: shop, own: true });
    const fixture = join(REPO_ROOT, 'test', 'fixtures', 'own-project', 's.yaml');
    expect(scriptProject(fixture, {})).toMatchObject({ shownAs: 'test/fixtures/own-project/s.yaml', own: true });
    expect(() => scriptProject('nowhere/s.yaml', { INIT_CWD: dir.path })).toThrow(/^-t nowhere\/s\.yaml \(.*\): no such file/);
  });
});
