// The Lua scripts of the shared limiter (redis-usage-limiter.ts). Each runs atomically in Redis,
// so 64 concurrent callers on any number of replicas can never together pass a limit.
//
// Every caller has three counters, in this order: requests in the window, rows today, rows this
// month. Beside each counter is a hash of leases: per replica, the units it took ahead of need
// and has not used yet, as "<units> <expires at, epoch ms>". A counter counts leased units as
// used (so what a replica holds can never be handed out twice); what a caller has really used is
// the counter minus the live leases. A replica that dies without giving its lease back leaves a
// field that stops being live at its expiry: from then on those units count as used (never as
// free), and the field is pruned.

/**
 * Checks and consumes one request (or, with ARGV[8] '0', only more rows of one), giving back the
 * calling replica's old lease and taking a new one in the same round trip.
 *
 * KEYS 1-3: the counters; 4-6: their lease hashes.
 * ARGV 1: rows; 2-4: the limits (-1: none); 5-7: when each counter expires (epoch ms);
 *   8: '1' to count the request; 9: the replica ('' when no lease is given back or taken);
 *   10-12: the old lease's unused units (limited counters), given back;
 *   13-15: units the old lease used on unlimited counters, added;
 *   16: '1' to take a lease; 17: when it expires (epoch ms); 18: take a lease only when every
 *   limited counter has at least this many units left; 19: a lease takes 1/this of what is left;
 *   20: at most this many requests; 21: at most this many rows.
 * Returns {refusal, counter 1-3, lease 1-3}: refusal 0 (served) or the index of the counter
 * whose limit would be passed (nothing was then consumed or leased); each lease is the units
 * taken (-1: the counter has no limit and is counted as used).
 */
export const CONSUME = `
local function num(i) return tonumber(ARGV[i]) end
local replica = ARGV[9]
if replica ~= '' then
  for i = 1, 3 do
    local back = num(9 + i)
    if back > 0 and redis.call('EXISTS', KEYS[i]) == 1 then redis.call('DECRBY', KEYS[i], back) end
    local add = num(12 + i)
    if add ~= 0 then
      redis.call('INCRBY', KEYS[i], add)
      redis.call('PEXPIREAT', KEYS[i], ARGV[4 + i])
    end
    redis.call('HDEL', KEYS[3 + i], replica)
  end
end
local used = {}
for i = 1, 3 do used[i] = tonumber(redis.call('GET', KEYS[i]) or '0') end
local rows = num(1)
local need = {ARGV[8] == '1' and 1 or 0, rows, rows}
if need[1] == 1 and num(2) >= 0 and used[1] + 1 > num(2) then return {1, used[1], used[2], used[3]} end
for i = 2, 3 do
  if num(1 + i) >= 0 and used[i] + rows > num(1 + i) then return {i, used[1], used[2], used[3]} end
end
for i = 1, 3 do
  if need[i] > 0 then
    used[i] = redis.call('INCRBY', KEYS[i], need[i])
    redis.call('PEXPIREAT', KEYS[i], ARGV[4 + i])
  end
end
local lease = {0, 0, 0}
if ARGV[16] == '1' and replica ~= '' then
  local roomy = true
  for i = 1, 3 do
    if num(1 + i) >= 0 and num(1 + i) - used[i] < num(18) then roomy = false end
  end
  if roomy then
    for i = 1, 3 do
      local limit = num(1 + i)
      if limit < 0 then
        lease[i] = -1
      else
        local cap = i == 1 and num(20) or num(21)
        lease[i] = math.min(cap, math.floor((limit - used[i]) / num(19)))
        used[i] = redis.call('INCRBY', KEYS[i], lease[i])
        redis.call('PEXPIREAT', KEYS[i], ARGV[4 + i])
        redis.call('HSET', KEYS[3 + i], replica, lease[i] .. ' ' .. ARGV[17])
        redis.call('PEXPIREAT', KEYS[3 + i], ARGV[4 + i])
      end
    end
  end
end
return {0, used[1], used[2], used[3], lease[1], lease[2], lease[3]}
`;

/**
 * Settles a replica's lease and reads what is used.
 *
 * KEYS 1-3: the counters; 4-6: their lease hashes.
 * ARGV 1: the replica; 2: 'keep' (record the units still held), 'release' (give them back) or
 *   'read' (write nothing but pruning); 3-5: units held and unused (-1: an unlimited counter);
 *   6-8: units used on unlimited counters since the last settle, added; 9-11: when each counter
 *   expires; 12: when a kept lease expires; 13: now (epoch ms).
 * Returns {counter, live leased units} for each of the three counters.
 */
export const SETTLE = `
local replica, mode, now = ARGV[1], ARGV[2], tonumber(ARGV[13])
local out = {}
for i = 1, 3 do
  if mode ~= 'read' then
    local held, add = tonumber(ARGV[2 + i]), tonumber(ARGV[5 + i])
    if add ~= 0 then
      redis.call('INCRBY', KEYS[i], add)
      redis.call('PEXPIREAT', KEYS[i], ARGV[8 + i])
    end
    if held >= 0 and mode == 'keep' then
      redis.call('HSET', KEYS[3 + i], replica, held .. ' ' .. ARGV[12])
      redis.call('PEXPIREAT', KEYS[3 + i], ARGV[8 + i])
    elseif held >= 0 then
      if held > 0 and redis.call('EXISTS', KEYS[i]) == 1 then redis.call('DECRBY', KEYS[i], held) end
      redis.call('HDEL', KEYS[3 + i], replica)
    end
  end
  local leased = 0
  local fields = redis.call('HGETALL', KEYS[3 + i])
  for j = 1, #fields, 2 do
    local units, expires = string.match(fields[j + 1], '^(%d+) (%d+)$')
    if units == nil or tonumber(expires) <= now then
      redis.call('HDEL', KEYS[3 + i], fields[j])
    else
      leased = leased + tonumber(units)
    end
  end
  out[2 * i - 1] = tonumber(redis.call('GET', KEYS[i]) or '0')
  out[2 * i] = leased
end
return out
`;

/** Gives back the rows of a request that was not answered (rows-today and rows-month). */
export const REFUND = `
for i = 1, 2 do
  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('DECRBY', KEYS[i], ARGV[1]) end
end
return 0
`;
