import kafkajs from 'kafkajs';
const k = new kafkajs.Kafka({ clientId: 'list', brokers: ['127.0.0.1:19092'], logLevel: kafkajs.logLevel.NOTHING });
const a = k.admin(); await a.connect();
const t = (await a.listTopics()).filter((x) => x.startsWith('bench-'));
const g = (await a.listGroups()).groups.map((x) => x.groupId).filter((x) => /^bench-[0-9a-f]{8}/.test(x));
console.log('topics', t, 'groups', g);
if (process.argv[2] === 'delete' && g.length) console.log(await a.deleteGroups(g).catch((e) => e.message));
await a.disconnect();
