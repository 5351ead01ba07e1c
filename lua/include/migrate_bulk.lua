-- Bulk Redis calls for the migration scripts: one command over many arguments, in chunks, since Lua's
-- unpack() handles a few thousand values at most.

local MIGRATE_CHUNK = 1000

local function in_chunks(n, fn)
  for from = 1, n, MIGRATE_CHUNK do fn(from, math.min(from + MIGRATE_CHUNK - 1, n)) end
end

local function hmget_chunked(key, fields)
  local values = {}
  in_chunks(#fields, function(from, to)
    local part = redis.call('HMGET', key, unpack(fields, from, to))
    for i = 1, #part do values[from + i - 1] = part[i] end
  end)
  return values
end

local function hdel_chunked(key, fields)
  in_chunks(#fields, function(from, to) redis.call('HDEL', key, unpack(fields, from, to)) end)
end
