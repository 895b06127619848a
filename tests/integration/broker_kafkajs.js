// broker_kafkajs.js - kafkajs 2.2.4 (pure JavaScript) against sluiced; run by
// broker_kafkajs.py, which starts the broker and passes its address.
//
// Admin createTopics (with configs; errors for an existing topic and for
// replication factor 3), producer with keys, headers, acks=-1 and gzip over
// several partitions (kafkajs' Java-compatible partitioner), reading the
// partitions back without a group (kafkajs has no assign(): the test uses its
// cluster/broker fetch, the same code path its consumer runs, with the
// topic-partitions chosen by hand), then describeCluster, fetchTopicMetadata,
// fetchTopicOffsets, fetchTopicOffsetsByTimestamp, describeConfigs,
// alterConfigs, createPartitions, deleteTopicRecords and deleteTopics.
// Prints "ok: STEP" or "FAIL: STEP\n   why" per step; exits 1 on any failure.
'use strict'
const path = require('path')
const { Kafka, logLevel, CompressionTypes, Partitioners, ConfigResourceTypes } =
  require(path.join(__dirname, 'js', 'node_modules', 'kafkajs'))

const bootstrap = process.argv[2]
const NPARTS = 3
const N = 1500
const TOPIC = 'js-clicks'
const T0 = 1670000000000
const kafka = new Kafka({
  clientId: 'sluice-it-kafkajs',
  brokers: [bootstrap],
  logLevel: logLevel.ERROR,
  connectionTimeout: 10000,
  requestTimeout: 20000,
  retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2000 }
})

let failed = 0
let passed = 0
async function step (title, fn) {
  const t0 = Date.now()
  console.log('-- ' + title)
  try {
    await fn()
    passed++
    console.log(`ok: ${title} (${((Date.now() - t0) / 1000).toFixed(1)}s)`)
  } catch (e) {
    failed++
    const why = (e && e.stack ? e.stack : String(e)).split('\n').slice(0, 6).join('\n   ')
    console.log(`FAIL: ${title}\n   ${why}`)
  }
}
function expect (cond, msg) { if (!cond) throw new Error(msg) }
function eq (got, want, what) {
  const g = JSON.stringify(got)
  const w = JSON.stringify(want)
  if (g !== w) throw new Error(`${what}: got ${g}, want ${w}`)
}

// Kafka's murmur2 (the Java client's partitioner), to check kafkajs' choice.
function murmur2 (buf) {
  const m = 0x5bd1e995
  let h = (0x9747b28c ^ buf.length) >>> 0
  const n4 = buf.length >> 2
  for (let i = 0; i < n4; i++) {
    let k = buf.readUInt32LE(i * 4)
    k = Math.imul(k, m) >>> 0
    k = (k ^ (k >>> 24)) >>> 0
    k = Math.imul(k, m) >>> 0
    h = Math.imul(h, m) >>> 0
    h = (h ^ k) >>> 0
  }
  const tail = n4 * 4
  switch (buf.length & 3) {
    case 3: h = (h ^ (buf[tail + 2] << 16)) >>> 0 // falls through
    case 2: h = (h ^ (buf[tail + 1] << 8)) >>> 0 // falls through
    case 1: h = (h ^ buf[tail]) >>> 0; h = Math.imul(h, m) >>> 0
  }
  h = (h ^ (h >>> 13)) >>> 0
  h = Math.imul(h, m) >>> 0
  h = (h ^ (h >>> 15)) >>> 0
  return h
}

// The cluster object kafkajs' producer and consumer use internally.
function makeCluster () {
  const sym = Object.getOwnPropertySymbols(kafka).find(s => s.toString() === 'Symbol(private:Kafka:createCluster)')
  expect(sym, 'kafkajs internals changed: no createCluster symbol')
  return kafka[sym]({ allowAutoTopicCreation: false })
}

// Reads partitions {p: [from, to)} through Fetch; returns {p: [message]}.
async function readPartitions (topic, ranges) {
  const cluster = makeCluster()
  await cluster.connect()
  try {
    await cluster.addTargetTopic(topic)
    await cluster.refreshMetadata()
    const got = {}
    const next = {}
    for (const p of Object.keys(ranges)) { got[p] = []; next[p] = ranges[p][0] }
    const deadline = Date.now() + 60000
    for (;;) {
      const want = Object.keys(ranges).filter(p => next[p] < ranges[p][1])
      if (!want.length) break
      expect(Date.now() < deadline, `fetch stopped short: ${JSON.stringify(next)} of ${JSON.stringify(ranges)}`)
      const byLeader = cluster.findLeaderForPartitions(topic, want.map(Number))
      for (const [nodeId, parts] of Object.entries(byLeader)) {
        const broker = await cluster.findBroker({ nodeId })
        const resp = await broker.fetch({
          replicaId: -1,
          isolationLevel: 1,
          maxWaitTime: 500,
          minBytes: 1,
          maxBytes: 4 << 20,
          topics: [{ topic, partitions: parts.map(p => ({ partition: p, fetchOffset: String(next[p]), maxBytes: 1 << 20 })) }]
        })
        for (const tr of resp.responses) {
          for (const pr of tr.partitions) {
            expect(pr.errorCode === 0, `fetch error ${pr.errorCode} on partition ${pr.partition}`)
            for (const m of pr.messages) {
              const off = Number(m.offset)
              if (off < next[pr.partition]) continue // earlier records of the batch
              got[pr.partition].push(m)
              next[pr.partition] = off + 1
            }
          }
        }
      }
    }
    return got
  } finally {
    await cluster.disconnect()
  }
}

async function main () {
  const admin = kafka.admin()
  await admin.connect()
  const sent = []
  const acked = {} // partition -> number acknowledged

  await step('admin.createTopics: 3 partitions with configs', async () => {
    const ok = await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: TOPIC, numPartitions: NPARTS, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '3600000' }] }]
    })
    expect(ok === true, `createTopics returned ${ok}`)
  })

  await step('admin.createTopics: existing topic -> false (TOPIC_ALREADY_EXISTS), rf 3 -> INVALID_REPLICATION_FACTOR', async () => {
    const again = await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }] })
    eq(again, false, 'createTopics of an existing topic')
    let err = null
    try {
      await admin.createTopics({ topics: [{ topic: 'js-rf3', numPartitions: 1, replicationFactor: 3 }] })
    } catch (e) { err = e }
    expect(err, 'replicationFactor 3 accepted on a single node')
    const types = [err.type].concat((err.errors || []).map(e => e.type))
    expect(types.includes('INVALID_REPLICATION_FACTOR'), `error types ${JSON.stringify(types)}: ${err.message}`)
  })

  await step(`producer.send: ${N} keyed messages with headers, acks -1, gzip`, async () => {
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false })
    await producer.connect()
    for (let i = 0; i < N; i++) {
      sent.push({ key: `visitor-${i % 331}`, value: `click ${i} `.repeat(6), headers: { i: String(i), lib: 'kafkajs' }, timestamp: String(T0 + i) })
    }
    for (let i = 0; i < N; i += 500) {
      const md = await producer.send({ topic: TOPIC, acks: -1, compression: CompressionTypes.GZIP, messages: sent.slice(i, i + 500) })
      for (const r of md) {
        expect(r.errorCode === 0, `produce error ${r.errorCode} on partition ${r.partition}`)
        eq(r.baseOffset, String(acked[r.partition] || 0), `base offset of partition ${r.partition}`)
      }
      for (const m of sent.slice(i, i + 500)) {
        const p = (murmur2(Buffer.from(m.key)) & 0x7fffffff) % NPARTS
        m.partition = p
        m.offset = acked[p] || 0
        acked[p] = m.offset + 1
      }
    }
    await producer.disconnect()
  })

  await step('fetch assigned partitions (no group): every message back in order', async () => {
    const ranges = {}
    for (let p = 0; p < NPARTS; p++) ranges[p] = [0, acked[p] || 0]
    const got = await readPartitions(TOPIC, ranges)
    const want = {}
    for (const m of sent) (want[m.partition] = want[m.partition] || []).push(m)
    for (let p = 0; p < NPARTS; p++) {
      const g = got[p]; const w = want[p] || []
      eq(g.length, w.length, `messages in partition ${p}`)
      for (let i = 0; i < g.length; i++) {
        const hdr = {}
        for (const [k, v] of Object.entries(g[i].headers || {})) hdr[k] = v.toString()
        eq([g[i].offset, g[i].key.toString(), g[i].value.toString(), hdr, g[i].timestamp],
          [String(i), w[i].key, w[i].value, w[i].headers, w[i].timestamp], `message ${i} of partition ${p}`)
      }
    }
  })

  await step('admin.describeCluster and fetchTopicMetadata', async () => {
    const c = await admin.describeCluster()
    eq(c.brokers.map(b => [b.nodeId, `${b.host}:${b.port}`]), [[1, bootstrap]], 'brokers')
    eq(c.controller, 1, 'controller')
    expect(typeof c.clusterId === 'string' && c.clusterId.length > 0, `cluster id ${c.clusterId}`)
    const md = await admin.fetchTopicMetadata({ topics: [TOPIC] })
    eq(md.topics[0].partitions.map(p => [p.partitionId, p.leader]).sort(), [[0, 1], [1, 1], [2, 1]], 'partitions')
  })

  await step('admin.fetchTopicOffsets and fetchTopicOffsetsByTimestamp', async () => {
    const offs = (await admin.fetchTopicOffsets(TOPIC)).sort((a, b) => a.partition - b.partition)
    eq(offs.map(o => [o.partition, o.low, o.high]), [0, 1, 2].map(p => [p, '0', String(acked[p] || 0)]), 'low/high')
    // the timestamp of each partition's 5th message -> offset 5
    const ts = Math.max(...[0, 1, 2].map(p => Number(sent.find(m => m.partition === p && m.offset === 5).timestamp)))
    const byTs = (await admin.fetchTopicOffsetsByTimestamp(TOPIC, ts)).sort((a, b) => a.partition - b.partition)
    const want = [0, 1, 2].map(p => {
      const m = sent.find(m => m.partition === p && Number(m.timestamp) >= ts)
      return [p, String(m ? m.offset : acked[p])]
    })
    eq(byTs.map(o => [o.partition, o.offset]), want, `offsets for time ${ts}`)
  })

  await step('admin.describeConfigs / alterConfigs on the topic', async () => {
    const describe = async () => {
      const r = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: TOPIC }] })
      const cfg = {}
      for (const e of r.resources[0].configEntries) cfg[e.configName] = e.configValue
      return cfg
    }
    let cfg = await describe()
    eq([cfg['retention.ms'], cfg['cleanup.policy']], ['3600000', 'delete'], 'retention.ms, cleanup.policy')
    await admin.alterConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: TOPIC, configEntries: [{ name: 'retention.ms', value: '7200000' }, { name: 'flush.messages', value: '1' }] }] })
    cfg = await describe()
    eq([cfg['retention.ms'], cfg['flush.messages']], ['7200000', '1'], 'retention.ms, flush.messages after alterConfigs')
  })

  await step('admin.deleteTopicRecords: partition 0 starts at 10 afterwards', async () => {
    await admin.deleteTopicRecords({ topic: TOPIC, partitions: [{ partition: 0, offset: '10' }] })
    const offs = (await admin.fetchTopicOffsets(TOPIC)).find(o => o.partition === 0)
    eq([offs.low, offs.high], ['10', String(acked[0])], 'partition 0 low/high after deleteTopicRecords')
    const got = await readPartitions(TOPIC, { 0: [10, 11] })
    eq(got[0][0].offset, '10', 'first offset readable')
  })

  await step('admin.createPartitions: 3 -> 4, partition 3 takes a message', async () => {
    await admin.createPartitions({ topicPartitions: [{ topic: TOPIC, count: 4 }] })
    const md = await admin.fetchTopicMetadata({ topics: [TOPIC] })
    eq(md.topics[0].partitions.length, 4, 'partitions')
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
    await producer.connect()
    const r = await producer.send({ topic: TOPIC, acks: -1, messages: [{ partition: 3, value: 'in 3' }] })
    await producer.disconnect()
    eq([r[0].partition, r[0].baseOffset], [3, '0'], 'partition, offset')
  })

  await step('admin.deleteTopics: gone from listTopics', async () => {
    await admin.deleteTopics({ topics: [TOPIC], timeout: 20000 })
    let left = true
    for (let i = 0; i < 50 && left; i++) {
      left = (await admin.listTopics()).includes(TOPIC)
      if (left) await new Promise(resolve => setTimeout(resolve, 200))
    }
    expect(!left, 'topic still listed')
  })

  await admin.disconnect()
  console.log(`kafkajs: ${passed} passed, ${failed} failed`)
  process.exit(failed ? 1 : 0)
}

const guard = setTimeout(() => { console.log('FAIL: kafkajs script did not finish within 200s'); process.exit(1) }, 200000)
guard.unref()
main().catch(e => { console.log(`FAIL: kafkajs script\n   ${e && e.stack}`); process.exit(1) })
