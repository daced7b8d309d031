import { describe, expect, it } from 'vitest';
import kafkajs from 'kafkajs';
import { coPartitionedAssigner, CO_PARTITIONED, partitionOf } from '../../../src/adapters/kafka/client.ts';

const { AssignerProtocol } = kafkajs;

function assign(members: string[], topics: Record<string, number>) {
  const cluster = { findTopicPartitionMetadata: (t: string) => Array.from({ length: topics[t]! }, (_, i) => ({ partitionId: i })) };
  const assigner = coPartitionedAssigner({ cluster } as never);
  return assigner.assign({ members: members.map((memberId) => ({ memberId, memberMetadata: Buffer.alloc(0) })) as never, topics: Object.keys(topics) }).then((out) =>
    Object.fromEntries(out.map((o) => [o.memberId, AssignerProtocol.MemberAssignment.decode(o.memberAssignment)!.assignment])),
  );
}

describe('co-partitioned assigner', () => {
  it('gives each member the same partition numbers of every topic, so a site’s telemetry and enforcement meet in one instance', async () => {
    const out = await assign(['m-b', 'm-a'], { mine: 6, grid: 6, enforcement: 6 });
    expect(out['m-a']).toEqual({ mine: [0, 2, 4], grid: [0, 2, 4], enforcement: [0, 2, 4] });
    expect(out['m-b']).toEqual({ mine: [1, 3, 5], grid: [1, 3, 5], enforcement: [1, 3, 5] });
  });

  it('covers every partition exactly once with more members than partitions (the extra member gets none)', async () => {
    const out = await assign(['a', 'b', 'c'], { mine: 2, grid: 2 });
    expect(out.a).toEqual({ mine: [0], grid: [0] });
    expect(out.b).toEqual({ mine: [1], grid: [1] });
    expect(out.c).toEqual({});
  });

  it('announces its own protocol name', () => {
    const a = coPartitionedAssigner({ cluster: {} } as never);
    expect(a.protocol({ topics: ['x'] }).name).toBe(CO_PARTITIONED);
  });
});

describe('partitionOf', () => {
  it('matches the producers’ murmur2 partitioning (kafkajs’s default and the Java client’s)', () => {
    const kafkajsDefault = kafkajs.Partitioners.DefaultPartitioner();
    const meta = Array.from({ length: 6 }, (_, i) => ({ partitionId: i, leader: 0 }));
    for (const key of ['cm-shm-01', 'cm-shm-02', 'cm-edz-01', 'ss-shm-220kv', 'a', '']) {
      expect(partitionOf(key, 6)).toBe(kafkajsDefault({ topic: 't', partitionMetadata: meta as never, message: { key, value: null } }));
    }
    // Utils.toPositive(Utils.murmur2(key.getBytes(UTF_8))) % 6 computed with kafka-clients 4.4.0 (java -cp 'libs/*' P.java)
    expect(partitionOf('cm-shm-01', 6)).toBe(0);
    expect(partitionOf('cm-shm-02', 6)).toBe(3);
    expect(partitionOf('cm-edz-01', 6)).toBe(4);
  });
});
