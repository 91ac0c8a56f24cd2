import { regionalHostClassifier } from '../../scripts/local/runtime/regional-hosts';

describe('regional hosts (which emulator answers a cloud hostname, D124)', () => {
  const classify = regionalHostClassifier('cn-hangzhou');

  it.each([
    ['oss-cn-hangzhou.aliyuncs.com', 'oss'],
    ['oss-cn-hangzhou-internal.aliyuncs.com', 'oss'],
    ['my-bucket.oss-cn-hangzhou.aliyuncs.com', 'oss'],
    ['my-bucket.oss-cn-hangzhou-internal.aliyuncs.com', 'oss'],
    ['my-bucket.s3.oss-cn-hangzhou.aliyuncs.com', 'oss'],
    ['My-Bucket.OSS-CN-HANGZHOU.aliyuncs.com.', 'oss'],
    ['fcsuite-dev.cn-hangzhou.ots.aliyuncs.com', 'tablestore'],
    ['fcsuite-dev.cn-hangzhou.ots-internal.aliyuncs.com', 'tablestore'],
    ['fcsuite-dev.cn-hangzhou.vpc.tablestore.aliyuncs.com', 'tablestore'],
    ['1000000000000001.mns.cn-hangzhou.aliyuncs.com', 'mns'],
    ['1000000000000001.mns.cn-hangzhou-internal.aliyuncs.com', 'mns'],
    ['1000000000000001.mns.cn-hangzhou-internal-vpc.aliyuncs.com', 'mns'],
    ['cn-hangzhou.fnf.aliyuncs.com', 'fnf'],
    ['cn-hangzhou-internal.fnf.aliyuncs.com', 'fnf'],
    ['1000000000000001.cn-hangzhou.fc.aliyuncs.com', 'fc'],
    ['1000000000000001.cn-hangzhou-internal.fc.aliyuncs.com', 'fc'],
  ])('%s is served by the local %s', (host, service) => {
    expect(classify(host)).toEqual({ service });
  });

  it.each([
    ['my-project.cn-hangzhou.log.aliyuncs.com', 'Simple Log Service (SLS)'],
    ['rm-abc123.mysql.rds.aliyuncs.com', 'ApsaraDB RDS'],
    ['sts.cn-hangzhou.aliyuncs.com', 'STS'],
    ['oss-cn-shanghai.aliyuncs.com', 'OSS outside cn-hangzhou'],
    ['bucket.oss-ap-southeast-1-internal.aliyuncs.com', 'OSS outside cn-hangzhou'],
    ['inst.cn-beijing.ots.aliyuncs.com', 'TableStore outside cn-hangzhou'],
    ['1.mns.cn-shanghai.aliyuncs.com', 'MNS outside cn-hangzhou'],
    ['ecs-cn-hangzhou.aliyuncs.com', 'this Alibaba Cloud service'],
    ['aliyuncs.com', 'this Alibaba Cloud service'],
  ])('%s is refused, naming %s', (host, service) => {
    expect(classify(host)).toEqual({ refused: expect.stringContaining(service) });
  });

  it.each(['localhost', 'fx-media.localhost', '127.0.0.1', 'example.com', 'aliyuncs.com.example.org', 'notaliyuncs.com'])('%s is left alone', (host) => {
    expect(classify(host)).toBeUndefined();
  });
});
