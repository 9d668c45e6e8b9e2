// The pairing decision of a cluster, made inside Redis by one Lua script so that two nodes can
// never take the same waiting person: a script runs alone, start to end. Per mode and band the
// queue is its own set of keys (bands never share a key):
//
//   <p>q:<mode>:<band>:all            zset  entry id → arrival number (everyone waiting)
//   <p>q:<mode>:<band>:ready          zset  entry id → arrival number (may be paired at random)
//   <p>q:<mode>:<band>:i:<interest>   set   entry ids waiting with that interest
//   <p>e:<entry>                      hash  the waiting person: node, ids, avoid keys, interests
//   <p>taken:<entry>                  string, short-lived: the outcome of an entry already decided
//   <p>av:<avoid key>                 hash  other avoid key → "createdAt|expiresAt|shared"
//   <p>node:<node>                    string with a short expiry: the node is alive
//   <p>inbox:<node>                   stream: what other nodes send to this node's people
//
// `find` takes a partner or enqueues the seeker. Candidates are those sharing the most interests
// (then the earliest), else — once the seeker may be paired at random — a random ready one; a
// candidate is skipped when it is the same person, device, session or identity, when an avoid in
// force forbids the pair (the same rules as avoids.ts, shared addresses included), or when its
// node is dead (its entry is then removed). A taken entry is told in the same step (an XADD to its
// node's inbox), and both entries get a `taken` marker with the outcome: a retry of a find whose
// answer was lost returns that outcome instead of taking a second person.
import { defineRedisScript } from './client.ts';

/** Shared Lua helpers (prepended to each script). */
const HELPERS = String.raw`
local P = ARGV[1]
local function split(s)
  local out = {}
  for w in string.gmatch(s or '', '%S+') do out[#out + 1] = w end
  return out
end
local function qkey(mode, band, suffix) return P .. 'q:' .. mode .. ':' .. band .. ':' .. suffix end
local function readEntry(id)
  local raw = redis.call('HGETALL', P .. 'e:' .. id)
  if #raw == 0 then return nil end
  local e = { id = id }
  for i = 1, #raw, 2 do e[raw[i]] = raw[i + 1] end
  e.keyList = split(e.keys)
  e.interestList = cjson.decode(e.ints or '[]')
  return e
end
local function removeEntry(e)
  redis.call('ZREM', qkey(e.mode, e.band, 'all'), e.id)
  redis.call('ZREM', qkey(e.mode, e.band, 'ready'), e.id)
  for _, interest in ipairs(e.interestList) do redis.call('SREM', qkey(e.mode, e.band, 'i:' .. interest), e.id) end
  redis.call('DEL', P .. 'e:' .. e.id)
end
`;

/**
 * find(ARGV): prefix, now, entry, node, participant id, session, device, identity, avoid keys
 * (space-separated), address key, device since, interests (JSON array), mode, band, relay-only
 * (1/0), ready (1/0), new conversation id, random in [0,1), candidates checked at most, inbox
 * max length, inbox expiry ms, marker expiry ms, participant (JSON), held (1/0: wait where no
 * find takes the entry, and take nobody), participant ids not to take (space-separated). Returns a
 * JSON outcome.
 */
export const FIND_SCRIPT = defineRedisScript(
  'strangerchat:find',
  HELPERS +
    String.raw`
local now = tonumber(ARGV[2])
local S = { id = ARGV[3], node = ARGV[4], pid = ARGV[5], sid = ARGV[6], dev = ARGV[7], idn = ARGV[8],
  keys = ARGV[9], addr = ARGV[10], since = ARGV[11], ints = ARGV[12], mode = ARGV[13], band = ARGV[14],
  relay = ARGV[15], p = ARGV[23] }
S.keyList = split(S.keys)
S.interestList = cjson.decode(S.ints)
local ready = ARGV[16] == '1'
local conv = ARGV[17]
local rnd = tonumber(ARGV[18])
local limit = tonumber(ARGV[19])
local inboxMax = ARGV[20]
local inboxTtl = ARGV[21]
local markerTtl = ARGV[22]
local held = ARGV[24] == '1'
local excluded = {}
for _, pid in ipairs(split(ARGV[25])) do excluded[pid] = true end

local done = redis.call('GET', P .. 'taken:' .. S.id)
if done then return done end
local existing = redis.call('EXISTS', P .. 'e:' .. S.id) == 1

local alive = {}
local function nodeAlive(node)
  if alive[node] == nil then alive[node] = redis.call('EXISTS', P .. 'node:' .. node) == 1 end
  return alive[node]
end

local function forbids(x, y)
  for _, kx in ipairs(x.keyList) do
    for _, ky in ipairs(y.keyList) do
      local v = redis.call('HGET', P .. 'av:' .. kx, ky)
      if v then
        local createdAt, expiresAt, shared = string.match(v, '^([^|]*)|([^|]*)|([^|]*)$')
        createdAt = tonumber(createdAt)
        if expiresAt ~= '' and tonumber(expiresAt) <= now then
          -- Expired: no longer in force. Forgotten only a day later, so that a new report of the
          -- same pair merges with it as mergeAvoids would (the earlier start is kept).
          if tonumber(expiresAt) + 86400000 <= now then
            redis.call('HDEL', P .. 'av:' .. kx, ky)
            redis.call('HDEL', P .. 'av:' .. ky, kx)
          end
        elseif shared ~= '1' then
          return true
        else
          -- A shared address keeps apart only devices that appeared there after the report.
          local holder = nil
          if ky == y.addr then holder = y elseif kx == x.addr then holder = x end
          if not holder or holder.since == '' or tonumber(holder.since) >= createdAt then return true end
        end
      end
    end
  end
  return false
end

local checked = 0
local function candidate(id)
  if id == S.id then return nil end
  checked = checked + 1
  local c = readEntry(id)
  if not c then
    -- A member whose entry is gone: drop the stale references.
    redis.call('ZREM', qkey(S.mode, S.band, 'all'), id)
    redis.call('ZREM', qkey(S.mode, S.band, 'ready'), id)
    return nil
  end
  if not nodeAlive(c.node) then
    removeEntry(c)
    return nil
  end
  if c.held == '1' or excluded[c.pid] then return nil end
  if c.pid == S.pid or c.sid == S.sid or c.dev == S.dev then return nil end
  if S.idn ~= '' and S.idn == c.idn then return nil end
  if forbids(S, c) then return nil end
  return c
end

local best = nil
local common = {}
if #S.interestList > 0 and not held then
  local shared = {}
  local order = {}
  for _, interest in ipairs(S.interestList) do
    for _, id in ipairs(redis.call('SMEMBERS', qkey(S.mode, S.band, 'i:' .. interest))) do
      if id ~= S.id then
        if not shared[id] then shared[id] = 0; order[#order + 1] = id end
        shared[id] = shared[id] + 1
      end
    end
  end
  local seqs = {}
  for _, id in ipairs(order) do seqs[id] = tonumber(redis.call('ZSCORE', qkey(S.mode, S.band, 'all'), id) or '0') end
  table.sort(order, function(a, b)
    if shared[a] ~= shared[b] then return shared[a] > shared[b] end
    return seqs[a] < seqs[b]
  end)
  for _, id in ipairs(order) do
    if checked >= limit then break end
    best = candidate(id)
    if best then break end
  end
  if best then
    local theirs = {}
    for _, interest in ipairs(best.interestList) do theirs[interest] = true end
    for _, interest in ipairs(S.interestList) do if theirs[interest] then common[#common + 1] = interest end end
  end
end
if not best and ready and not held then
  local readyKey = qkey(S.mode, S.band, 'ready')
  local n = redis.call('ZCARD', readyKey)
  if n > 0 then
    local start = math.floor(rnd * n)
    local ids = redis.call('ZRANGE', readyKey, start, start + limit - 1)
    if #ids < limit and start > 0 then
      for _, id in ipairs(redis.call('ZRANGE', readyKey, 0, math.min(start, limit - #ids) - 1)) do ids[#ids + 1] = id end
    end
    for _, id in ipairs(ids) do
      if checked >= limit then break end
      best = candidate(id)
      if best then break end
    end
  end
end

if not best then
  if not existing then
    local seq = redis.call('INCR', P .. 'seq')
    redis.call('HSET', P .. 'e:' .. S.id, 'node', S.node, 'pid', S.pid, 'sid', S.sid, 'dev', S.dev, 'idn', S.idn,
      'keys', S.keys, 'addr', S.addr, 'since', S.since, 'ints', S.ints, 'mode', S.mode, 'band', S.band,
      'relay', S.relay, 'p', S.p, 'seq', seq, 'held', held and '1' or '0')
    redis.call('ZADD', qkey(S.mode, S.band, 'all'), seq, S.id)
    for _, interest in ipairs(S.interestList) do redis.call('SADD', qkey(S.mode, S.band, 'i:' .. interest), S.id) end
    if ready then redis.call('ZADD', qkey(S.mode, S.band, 'ready'), seq, S.id) end
  else
    redis.call('HSET', P .. 'e:' .. S.id, 'held', held and '1' or '0')
    if ready then
      local seq = redis.call('HGET', P .. 'e:' .. S.id, 'seq')
      redis.call('ZADD', qkey(S.mode, S.band, 'ready'), seq, S.id)
    end
  end
  return cjson.encode({ kind = 'queued' })
end

removeEntry(best)
if existing then removeEntry(readEntry(S.id)) end
local relay = (S.relay == '1' or best.relay == '1')
local outcome = cjson.encode({ kind = 'matched', conv = conv, entry = best.id, node = best.node, pid = best.pid,
  p = best.p, common = common, relay = relay })
redis.call('SET', P .. 'taken:' .. S.id, outcome, 'PX', markerTtl)
redis.call('SET', P .. 'taken:' .. best.id, cjson.encode({ kind = 'taken', conv = conv, by = S.id }), 'PX', markerTtl)
if best.node ~= S.node then
  local inbox = P .. 'inbox:' .. best.node
  redis.call('XADD', inbox, 'MAXLEN', '~', inboxMax, '*', 'm', cjson.encode({ t = 'matched', to = best.pid,
    entry = best.id, conv = conv, mode = S.mode, common = common, relay = relay,
    from = { node = S.node, id = S.pid, p = S.p } }))
  redis.call('PEXPIRE', inbox, inboxTtl)
end
return outcome
`,
);

/** cancel(ARGV): prefix, entry. Removes a waiting entry; 1 when it was waiting, 0 when it was not (taken, or never there). */
export const CANCEL_SCRIPT = defineRedisScript(
  'strangerchat:cancel',
  HELPERS +
    String.raw`
local e = readEntry(ARGV[2])
if not e then return 0 end
removeEntry(e)
return 1
`,
);

/**
 * avoid(ARGV): prefix, then groups of five: key a, key b, createdAt, expiresAt ('' for ever),
 * shared (1/0). Merged with an avoid already held as mergeAvoids does: the longer and the stricter.
 */
export const AVOID_SCRIPT = defineRedisScript(
  'strangerchat:avoid',
  String.raw`
local P = ARGV[1]
for i = 2, #ARGV, 5 do
  local a, b, createdAt, expiresAt, shared = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), ARGV[i + 3], ARGV[i + 4]
  local old = redis.call('HGET', P .. 'av:' .. a, b)
  if old then
    local oc, oe, os = string.match(old, '^([^|]*)|([^|]*)|([^|]*)$')
    if tonumber(oc) < createdAt then createdAt = tonumber(oc) end
    if oe == '' or expiresAt == '' then expiresAt = '' elseif tonumber(oe) > tonumber(expiresAt) then expiresAt = oe end
    if os ~= '1' then shared = '0' end
  end
  local v = string.format('%d|%s|%s', createdAt, expiresAt, shared)
  redis.call('HSET', P .. 'av:' .. a, b, v)
  redis.call('HSET', P .. 'av:' .. b, a, v)
end
return (#ARGV - 1) / 5
`,
);
