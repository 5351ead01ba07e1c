-- Bulk Redis calls for the migration scripts.

-- One command over many arguments, in chunks: Lua's unpack() has a limit of a few thousand values.
local MIGRATE_CHUNK = 1000

local function call_chunked(command, key, args)
  for from = 1, #args, MIGRATE_CHUNK do
    redis.call(command, key, unpack(args, from, math.min(from + MIGRATE_CHUNK - 1, #args)))
  end
end

local function hmget_chunked(key, fields)
  local values = {}
  for from = 1, #fields, MIGRATE_CHUNK do
    local part = redis.call('HMGET', key, unpack(fields, from, math.min(from + MIGRATE_CHUNK - 1, #fields)))
    for i = 1, #part do values[from + i - 1] = part[i] end
  end
  return values
end
