// The Redis Hub held to the Hub contract (test/helpers/hub-contract.ts) on a real, private
// redis-server: every test gets a fresh key prefix, so Hubs never see each other's keys.
import { describeHub } from '../helpers/hub-contract.ts';
import type { MakeHub } from '../helpers/hub-harness.ts';
import { connectRedisCluster } from '../../server/cluster/redis/redis-cluster.ts';
import { newRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis | undefined;
let made = 0;

const redisHub: MakeHub = async (options) => {
  redis ??= await newRedis();
  const { nodeId, ...hubOptions } = options;
  const cluster = await connectRedisCluster({ url: redis.url, nodeId, prefix: `t${++made}:` });
  const hub = cluster.createHub(hubOptions);
  const under = cluster.hub!;
  return {
    hub,
    settle: () => under.settled(),
    snapshot: async () => under.snapshot(),
    dispose: () => cluster.close(),
  };
};

const suite = describeHub('Redis Hub', redisHub);
suite.after(async () => {
  await redis?.stop();
});
suite.run();
