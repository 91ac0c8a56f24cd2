/**
 * The environment s.yaml is rendered with decides what a deploy creates: names, secrets and the account every ARN
 * names. Its defaults are for the local cloud; these rules refuse the ones that would deploy wrong.
 */
import type { Problem } from './fc-rules';

/** The local cloud's account id, s.yaml's default for `vars.accountId`. */
export const PLACEHOLDER_ACCOUNT_ID = '1000000000000001';

/**
 * @param deploy true when `npm run deploy` validates (`npm run validate -- --deploy`): the rendering must name the
 *   real account, or every trigger ARN, role and destination points at the placeholder account.
 */
export function environmentProblems(env: NodeJS.ProcessEnv, deploy: boolean): Problem[] {
  const problems: Problem[] = [];
  const stage = env.STAGE && env.STAGE !== 'dev' ? env.STAGE : undefined;
  if (deploy && (!env.AccountID || env.AccountID === PLACEHOLDER_ACCOUNT_ID)) {
    problems.push(`AccountID must be exported for a deploy: s.yaml builds every trigger ARN, role and destination from it (without it they name the local placeholder ${PLACEHOLDER_ACCOUNT_ID})`);
  }
  // fc3-domain creates the custom domain only after FC finds its CNAME: the example default never has one.
  if (deploy && !env.API_DOMAIN) problems.push('API_DOMAIN must be exported for a deploy: a domain you control, with a CNAME to <AccountID>.<REGION>.fc.aliyuncs.com (the default is an example)');
  if (!stage) return problems;
  if (!env.JWT_SECRET) problems.push(`JWT_SECRET must be set for stage ${stage} (the default is for local use only)`);
  if ((env.IOT_SECRET_KEY ?? '').length < 32) {
    problems.push(`IOT_SECRET_KEY (at least 32 characters) must be set for stage ${stage}: it seals the device secrets (the default is for local use only)`);
  }
  // payment-callback trusts a webhook signed with this key (it resumes the order's ChargePayment): s.yaml's default
  // is public, so with it anyone could sign "charge.succeeded" for any order (D166).
  if ((env.PAYMENT_WEBHOOK_SECRET ?? '').length < 32) {
    problems.push(`PAYMENT_WEBHOOK_SECRET (at least 32 characters) must be set for stage ${stage}: payment-callback accepts webhooks signed with it (the default is for local use only)`);
  }
  // The bucket and the TableStore instance are named by these alone: a second stage with the defaults would try to
  // create dev's bucket and instance again (bucket names are global, instance names regional) and its stack fails.
  for (const name of ['MEDIA_BUCKET', 'OTS_INSTANCE']) if (!env[name]) problems.push(`${name} must be set for stage ${stage}: its default names the dev stage's resource`);
  if (!env.WEBSITE_ORIGIN) problems.push(`WEBSITE_ORIGIN must be set for stage ${stage}: the bucket's CORS and every function's CORS_ORIGINS allow only it (the default is the local website)`);
  return problems;
}
