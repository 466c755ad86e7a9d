-- wrk script: every request books a new person (a unique email) on one event; given a list
-- of choices (JSON fragments separated by "|"), each request takes the next one in turn
-- (the event of two option groups); given a list of paths (separated by "|"), each request
-- books on the next event in turn (the spread run). Arguments: run id, quota per thread,
-- choices or "-", paths or "-", and the marker folder (appended by the harness). Each thread
-- stops after its share of the people and leaves a marker file, so the harness can end wrk at
-- once; done() prints the figures as one JSON line, the rate timed from the first request
-- sent to the last answer received (wrk's own duration is the whole -d).
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC, shared by all threads
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

local counter = 0
local answered = 0
local quota = 0
local run_id = "run"
local marker_dir = nil
local choices = {}
local paths = {}
statuses = {}
first_us = 0
last_us = 0

function setup(thread)
  threads = threads or {}
  table.insert(threads, thread)
  thread:set("thread_no", #threads)
end

function init(args)
  run_id = args[1] or "run"
  quota = tonumber(args[2] or "0")
  -- The harness appends the marker folder as the last argument.
  marker_dir = args[#args]
  if args[3] and args[3] ~= "-" and #args >= 4 then
    for choice in string.gmatch(args[3], "[^|]+") do table.insert(choices, choice) end
  end
  if args[4] and args[4] ~= "-" and #args >= 5 then
    for path in string.gmatch(args[4], "[^|]+") do table.insert(paths, path) end
  end
end

function request()
  if first_us == 0 then first_us = now_us() end
  counter = counter + 1
  local choice = ""
  if #choices > 0 then choice = "," .. choices[(counter % #choices) + 1] end
  local body = string.format(
    '{"name":"Leader %d-%d","email":"hot-%s-%d-%d@example.org","organisation":"Salford City Council"%s}',
    thread_no, counter, run_id, thread_no, counter, choice)
  local path = nil
  if #paths > 0 then path = paths[((counter + thread_no) % #paths) + 1] end
  return wrk.format("POST", path, {["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  answered = answered + 1
  last_us = now_us()
  if quota > 0 and answered == quota then
    if marker_dir then
      local f = io.open(marker_dir .. "/done-" .. thread_no, "w")
      f:close()
    end
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local codes, parts = {}, {}
  local first, last = nil, 0
  for _, thread in ipairs(threads) do
    for code, n in pairs(thread:get("statuses")) do
      codes[tostring(code)] = (codes[tostring(code)] or 0) + n
    end
    local f, l = thread:get("first_us"), thread:get("last_us")
    if f > 0 and (first == nil or f < first) then first = f end
    if l > last then last = l end
  end
  for code, n in pairs(codes) do
    table.insert(parts, string.format('"%s":%d', code, n))
  end
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"errors":%d,"timeouts":%d,"statuses":{%s}}\n',
    summary.requests, last - (first or last), latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max,
    summary.errors.connect + summary.errors.read + summary.errors.write,
    summary.errors.timeout, table.concat(parts, ",")))
end
