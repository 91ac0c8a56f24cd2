/**
 * The RAM action of an OSS request (D144) when it names a version (D156): OSS's own version actions, so a role
 * allowed `oss:GetObjectTagging` is not thereby allowed to read a previous version's tags.
 */
import { ossRamAction } from '../../scripts/local/emulators/oss/ram-actions';

describe('ossRamAction for requests naming a version', () => {
  it.each([
    ['GET', '', 'oss:GetObject', 'oss:GetObjectVersion'],
    ['DELETE', '', 'oss:DeleteObject', 'oss:DeleteObjectVersion'],
    ['GET', 'acl', 'oss:GetObjectAcl', 'oss:GetObjectVersionAcl'],
    ['PUT', 'acl', 'oss:PutObjectAcl', 'oss:PutObjectVersionAcl'],
    ['GET', 'tagging', 'oss:GetObjectTagging', 'oss:GetObjectVersionTagging'],
    ['PUT', 'tagging', 'oss:PutObjectTagging', 'oss:PutObjectVersionTagging'],
    ['DELETE', 'tagging', 'oss:DeleteObjectTagging', 'oss:DeleteObjectVersionTagging'],
    ['POST', 'restore', 'oss:RestoreObject', 'oss:RestoreObjectVersion'],
    ['GET', 'x-oss-process', 'oss:GetObject', 'oss:GetObjectVersion'],
  ])('%s ?%s is %s, and %s with versionId', (method, sub, plain, versioned) => {
    expect([ossRamAction('object', method, sub), ossRamAction('object', method, sub, true)]).toEqual([plain, versioned]);
  });
});
