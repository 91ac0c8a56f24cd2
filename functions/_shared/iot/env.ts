import { SecretBox } from './secret-box';

/**
 * The sealing key of device secrets (`IOT_SECRET_KEY`, s.yaml): one SecretBox per instance, built on first
 * use so a function that never touches secrets never needs the variable.
 */
let box: { key: string; box: SecretBox } | undefined;

export function secretBoxFromEnv(env: NodeJS.ProcessEnv = process.env): SecretBox {
  const key = env.IOT_SECRET_KEY ?? '';
  if (!box || box.key !== key) box = { key, box: new SecretBox(key) };
  return box.box;
}
