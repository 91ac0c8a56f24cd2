import { UPLOAD_TYPES } from '#shared/contracts/images';
import { MAX_IMAGE_BYTES } from '#shared/images/limits';
import { IMAGE_REJECT_REASONS } from '#shared/ports/image-engine';
import { ACCEPTED_TYPES, MAX_UPLOAD_BYTES, parseTags, rejectionText } from '../../website/src/images-api';

/**
 * The website's own logic that needs no browser: it repeats two server limits (values cannot be
 * imported into the bundle without zod), so this keeps them equal, and it words every rejection.
 */
describe('website image helpers', () => {
  it('accept exactly the types and size the upload API accepts', () => {
    expect([...ACCEPTED_TYPES].sort()).toEqual(Object.keys(UPLOAD_TYPES).sort());
    expect(MAX_UPLOAD_BYTES).toBe(MAX_IMAGE_BYTES);
  });

  it('word every rejection reason of the pipeline for a person', () => {
    for (const reason of IMAGE_REJECT_REASONS) expect(rejectionText(reason)).not.toContain(reason);
    expect(rejectionText('something-new')).toBe('The photo could not be processed (something-new).');
    expect(rejectionText(undefined)).toBe('The photo could not be processed.');
  });

  it('read tags as a person types them', () => {
    expect(parseTags(' Beach, summer  #Sunset,beach ')).toEqual(['beach', 'summer', 'sunset']);
    expect(parseTags('')).toEqual([]);
  });
});
