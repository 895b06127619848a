// broker_txn_kafkajs.js - kafkajs 2.2.4's transactions against sluiced; run
// by broker_txn.py, which starts the broker and passes its address.
//
// A transactional producer (transactionalId, idempotent, one request in
// flight) commits a transaction over 2 partitions, aborts the next one and
// commits a last one ending with an "end" message on each partition. A
// consumer in a group with readUncommitted: false reads from the beginning
// until it has seen "end" on both partitions: it must have seen exactly the
// committed messages, in order, none of the aborted ones (they come before
// "end" in the log, so a consumer that let them through would have shown
// them by then). A consumer with readUncommitted: true sees them.
// Prints "ok: STEP" or "FAIL: STEP\n   why" per step; exits 1 on any failure.
'use strict'
const path = require('path')
const { Kafka, logLevel } = require(path.join(__dirname, 'js', 'node_modules', 'kafkajs'))

const bootstrap = process.argv[2]
const TOPIC = 'js-txn'
const kafka = new Kafka({
  clientId: 'sluice-it-kafkajs-txn',
  brokers: [bootstrap],
  logLevel: logLevel.ERROR,
  connectionTimeout: 10000,
  requestTimeout: 20000,
  retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2000 }
})

let failed = 0
async function step (title, fn) {
  const t0 = Date.now()
  console.log('-- ' + title)
  try {
    await fn()
    console.log(`ok: ${title} (${((Date.now() - t0) / 1000).toFixed(1)}s)`)
  } catch (e) {
    failed++
    const why = (e && e.stack ? e.stack : String(e)).split('\n').slice(0, 6).join('\n   ')
    console.log(`FAIL: ${title}\n   ${why}`)
  }
}
function eq (got, want, what) {
  const g = JSON.stringify(got)
  const w = JSON.stringify(want)
  if (g !== w) throw new Error(`${what}: got ${g}, want ${w}`)
}

const msgs = (tag, n) => Array.from({ length: n }, (_, i) => ({ value: `${tag}-${i}`, partition: i % 2 }))
const want = { 0: [], 1: [] }
const all = { 0: [], 1: [] }

// Reads TOPIC in a new group until "end" on both partitions (bounded).
async function readUntilEnd (groupId, readUncommitted) {
  const consumer = kafka.consumer({ groupId, readUncommitted, maxWaitTimeInMs: 200 })
  const got = { 0: [], 1: [] }
  try {
    await consumer.connect()
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true })
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(
        `no "end" on both partitions within 40 s; got ${JSON.stringify(got)}`)), 40000)
      consumer.run({
        eachMessage: async ({ partition, message }) => {
          got[partition].push(message.value.toString())
          if (got[0].includes('end') && got[1].includes('end')) {
            clearTimeout(timer)
            resolve()
          }
        }
      }).catch(reject)
    })
  } finally {
    await consumer.disconnect()
  }
  return got
}

async function main () {
  const admin = kafka.admin()
  const producer = kafka.producer({ transactionalId: 'it-kafkajs-txn', idempotent: true, maxInFlightRequests: 1 })
  await step('createTopics and transactional producer connect', async () => {
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 2 }], waitForLeaders: true })
    await producer.connect()
  })
  const send = async (tag, n, commit) => {
    const txn = await producer.transaction()
    const m = msgs(tag, n)
    await txn.send({ topic: TOPIC, messages: m })
    if (commit) await txn.commit(); else await txn.abort()
    for (const x of m) {
      all[x.partition].push(x.value)
      if (commit) want[x.partition].push(x.value)
    }
  }
  await step('transaction committed, one aborted, one committed', async () => {
    await send('c1', 40, true)
    await send('ab', 30, false)
    await send('c2', 10, true)
  })
  await step('last committed transaction closes with "end" on each partition', async () => {
    const txn = await producer.transaction()
    await txn.send({ topic: TOPIC, messages: [{ value: 'end', partition: 0 }, { value: 'end', partition: 1 }] })
    await txn.commit()
    for (const p of [0, 1]) {
      want[p].push('end')
      all[p].push('end')
    }
  })
  await step('consumer readUncommitted: false sees exactly the committed messages', async () => {
    const got = await readUntilEnd('it-kafkajs-txn-rc', false)
    eq(got, want, 'read_committed values by partition')
  })
  await step('consumer readUncommitted: true sees the aborted messages too', async () => {
    const got = await readUntilEnd('it-kafkajs-txn-ru', true)
    eq(got, all, 'read_uncommitted values by partition')
  })
  await producer.disconnect().catch(() => {})
  await admin.disconnect().catch(() => {})
}

main().then(() => process.exit(failed ? 1 : 0), (e) => {
  console.log(`FAIL: script\n   ${e && e.stack ? e.stack : e}`)
  process.exit(1)
})
