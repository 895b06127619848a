// broker_groups_kafkajs.js - kafkajs 2.2.4 consumer groups against sluiced;
// run by broker_groups_clients.py, which starts the broker and passes its
// address.
//
// Three consumers in one group (kafkajs' default assignor, RoundRobinAssigner)
// on a 6-partition topic, consumer.run({ eachMessage }) with auto commit:
// two partitions each, every message produced before read exactly once
// across the members; one member disconnects (LeaveGroup) and the other two
// take its partitions and read the next batch exactly once; admin
// fetchOffsets / describeGroups / listGroups show the group; once every member
// is gone, a restarted consumer resumes at the committed offsets.
// Prints one JSON line per step: {"step": title, "ok": bool, "why": text, "s": seconds}.
'use strict'
const path = require('path')
const { Kafka, logLevel, AssignerProtocol } =
  require(path.join(__dirname, 'js', 'node_modules', 'kafkajs'))

const bootstrap = process.argv[2]
const TOPIC = 'js-grp-events'
const GROUP = 'js-grp'
const NPARTS = 6
const PER = 20 // messages per partition and batch
const kafka = new Kafka({
  clientId: 'sluice-it-groups-kafkajs',
  brokers: [bootstrap],
  logLevel: logLevel.NOTHING,
  connectionTimeout: 10000,
  requestTimeout: 20000,
  retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2000 }
})

let failed = 0
async function step (title, fn) {
  const t0 = Date.now()
  let why = ''
  try {
    await fn()
  } catch (e) {
    failed++
    why = (e && e.stack ? e.stack : String(e)).split('\n').slice(0, 6).join('\n')
  }
  console.log(JSON.stringify({ step: title, ok: !why, why, s: (Date.now() - t0) / 1000 }))
}
function expect (cond, msg) { if (!cond) throw new Error(msg) }
function eq (got, want, what) {
  const g = JSON.stringify(got)
  const w = JSON.stringify(want)
  if (g !== w) throw new Error(`${what}: got ${g}, want ${w}`)
}
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

// Calls cond() every 50 ms until it is true or ms pass; returns its last value.
async function waitUntil (cond, ms) {
  const end = Date.now() + ms
  for (;;) {
    const v = await cond()
    if (v || Date.now() >= end) return v
    await sleep(50)
  }
}

const seen = {} // "p:o" -> [member names]
const assigned = {} // member name -> partitions of its last join
const members = {} // member name -> kafkajs consumer

async function startMember (name) {
  const c = kafka.consumer({
    groupId: GROUP,
    sessionTimeout: 6000,
    rebalanceTimeout: 20000,
    heartbeatInterval: 500,
    maxWaitTimeInMs: 200,
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2000 }
  })
  c.on(c.events.GROUP_JOIN, e => { assigned[name] = (e.payload.memberAssignment[TOPIC] || []).slice().sort() })
  await c.connect()
  await c.subscribe({ topics: [TOPIC], fromBeginning: true })
  await c.run({
    eachMessage: async ({ partition, message }) => {
      const k = `${partition}:${message.offset}`;
      (seen[k] = seen[k] || []).push(name)
    }
  })
  members[name] = c
}

async function stopMember (name) {
  await members[name].disconnect()
  delete members[name]
  delete assigned[name]
}

// Waits until the running members' assignments have these sizes (sorted) and cover all partitions.
async function waitAssigned (sizes, ms) {
  const ok = () => {
    const names = Object.keys(members)
    const got = names.map(n => (assigned[n] || []).length).sort()
    const all = names.flatMap(n => assigned[n] || []).sort()
    return JSON.stringify(got) === JSON.stringify(sizes) &&
      JSON.stringify(all) === JSON.stringify([...Array(NPARTS).keys()])
  }
  expect(await waitUntil(ok, ms), `assignments did not become ${JSON.stringify(sizes)} within ${ms} ms: ${JSON.stringify(assigned)}`)
  return { ...assigned }
}

async function committed (admin) {
  const r = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] })
  const out = {}
  for (const p of r[0].partitions) out[p.partition] = Number(p.offset)
  return out
}

async function waitCommitted (admin, upto, ms) {
  let last = {}
  const ok = await waitUntil(async () => {
    last = await committed(admin)
    return [...Array(NPARTS).keys()].every(p => last[p] >= upto)
  }, ms)
  expect(ok, `offsets ${upto} not committed on every partition within ${ms} ms: ${JSON.stringify(last)}`)
}

// Every offset lo <= o < hi of every partition read exactly once; returns {"p:o": name}.
function expectExactlyOnce (lo, hi, what) {
  const missing = []
  const twice = {}
  const by = {}
  for (let p = 0; p < NPARTS; p++) {
    for (let o = lo; o < hi; o++) {
      const v = seen[`${p}:${o}`]
      if (!v) missing.push(`${p}:${o}`)
      else if (v.length > 1) twice[`${p}:${o}`] = v
      else by[`${p}:${o}`] = v[0]
    }
  }
  eq(missing, [], `${what}: messages never read`)
  eq(twice, {}, `${what}: messages read more than once`)
  return by
}

async function produceBatch (producer, batch) {
  const messages = []
  for (let i = 0; i < PER; i++) {
    for (let p = 0; p < NPARTS; p++) messages.push({ partition: p, value: `js-${batch}-${p}-${i}` })
  }
  await producer.send({ topic: TOPIC, acks: -1, messages })
}

async function main () {
  const admin = kafka.admin()
  await admin.connect()
  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()

  await step(`three consumers get two partitions each (RoundRobinAssigner); the ${NPARTS * PER} messages produced before are read exactly once and committed`, async () => {
    expect(await admin.createTopics({ waitForLeaders: true, topics: [{ topic: TOPIC, numPartitions: NPARTS }] }), 'createTopics')
    await produceBatch(producer, 0)
    for (const n of ['js-1', 'js-2', 'js-3']) await startMember(n)
    const got = await waitAssigned([2, 2, 2], 40000)
    // kafkajs' round robin deals the partitions in turn over the members
    eq(Object.values(got).map(v => JSON.stringify(v)).sort(), ['[0,3]', '[1,4]', '[2,5]'], 'round robin assignment')
    await waitCommitted(admin, PER, 40000)
    expectExactlyOnce(0, PER, 'batch produced before')
  })

  await step('admin.describeGroups / listGroups: the group is Stable with three members and their assignments', async () => {
    const g = (await admin.describeGroups([GROUP])).groups[0]
    eq([g.errorCode, g.groupId, g.state, g.protocolType, g.protocol], [0, GROUP, 'Stable', 'consumer', 'RoundRobinAssigner'], 'group')
    eq(g.members.length, 3, 'members')
    const parts = g.members.flatMap(m => AssignerProtocol.MemberAssignment.decode(m.memberAssignment).assignment[TOPIC]).sort()
    eq(parts, [0, 1, 2, 3, 4, 5], 'partitions in the members\' assignments')
    for (const m of g.members) {
      eq(AssignerProtocol.MemberMetadata.decode(m.memberMetadata).topics, [TOPIC], 'a member\'s subscription')
    }
    const listed = (await admin.listGroups()).groups.filter(x => x.groupId === GROUP)
    eq(listed, [{ groupId: GROUP, protocolType: 'consumer' }], 'listGroups entry')
  })

  await step('a member disconnects: the other two take its partitions and read the next batch exactly once', async () => {
    expect(Object.keys(members).length === 3, 'no three members from the step before')
    const gone = assigned['js-3']
    await stopMember('js-3')
    const got = await waitAssigned([3, 3], 30000)
    for (const p of gone) expect(got['js-1'].includes(p) || got['js-2'].includes(p), `partition ${p} not taken over: ${JSON.stringify(got)}`)
    await produceBatch(producer, 1)
    await waitCommitted(admin, 2 * PER, 40000)
    const by = expectExactlyOnce(PER, 2 * PER, 'batch after the rebalance')
    for (const [k, name] of Object.entries(by)) {
      const p = Number(k.split(':')[0])
      expect(got[name].includes(p), `partition ${p} read by ${name}, assigned ${JSON.stringify(got)}`)
    }
    const g = (await admin.describeGroups([GROUP])).groups[0]
    eq([g.state, g.members.length], ['Stable', 2], 'group state and members after the rebalance')
  })

  await step('admin.fetchOffsets: every partition committed at the end of what was read', async () => {
    eq(await committed(admin), Object.fromEntries([...Array(NPARTS).keys()].map(p => [p, 2 * PER])), 'committed offsets')
  })

  await step('every member gone, a restarted consumer resumes at the committed offsets', async () => {
    for (const n of Object.keys(members)) await stopMember(n)
    const g = (await admin.describeGroups([GROUP])).groups[0]
    eq([g.state, g.members.length], ['Empty', 0], 'group state and members with no member')
    await produceBatch(producer, 2)
    await startMember('js-1')
    await waitAssigned([NPARTS], 30000)
    await waitCommitted(admin, 3 * PER, 40000)
    await sleep(300) // anything read twice would arrive with the rest
    const by = expectExactlyOnce(2 * PER, 3 * PER, 'batch produced while the group was empty')
    eq([...new Set(Object.values(by))], ['js-1'], 'reader of the last batch')
    expectExactlyOnce(0, 2 * PER, 'earlier batches, after the restart')
  })

  for (const n of Object.keys(members)) await stopMember(n)
  await producer.disconnect()
  await admin.disconnect()
  process.exit(failed ? 1 : 0)
}

const guard = setTimeout(() => {
  console.log(JSON.stringify({ step: 'kafkajs group script finishes within 90 s', ok: false, why: 'timed out', s: 90 }))
  process.exit(1)
}, 90000)
guard.unref()
main().catch(e => {
  console.log(JSON.stringify({ step: 'kafkajs group script', ok: false, why: String(e && e.stack), s: 0 }))
  process.exit(1)
})
