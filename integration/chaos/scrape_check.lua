-- wrk script for the soak: every thread scrapes /metrics in one encoding and checks every response.
--   thread 1: Prometheus text 0.0.4          -> 200, text/plain; version=0.0.4, body ends with a newline
--   thread 2: OpenMetrics 1.0 (Accept)       -> 200, application/openmetrics-text; version=1.0.0, ends "# EOF\n"
--   thread 3: text, gzip (Accept-Encoding)   -> 200, text/plain; version=0.0.4, content-encoding gzip, gzip magic
-- done() prints one line: SCRAPE-CHECK total=N ok=N bad=N first_bad=...
local threads = {}
local kinds = { "text", "openmetrics", "gzip" }

function setup(thread)
  thread:set("kind", kinds[(#threads % #kinds) + 1])
  table.insert(threads, thread)
end

function init(args)
  ok = 0
  bad = 0
  first_bad = ""
  if kind == "openmetrics" then
    wrk.headers["Accept"] = "application/openmetrics-text; version=1.0.0"
  elseif kind == "gzip" then
    wrk.headers["Accept-Encoding"] = "gzip"
  end
end

local function header(headers, name)
  for k, v in pairs(headers) do
    if string.lower(k) == name then return v end
  end
  return nil
end

local function problem(status, headers, body)
  if status ~= 200 then return "status " .. status end
  local ctype = header(headers, "content-type") or ""
  local encoding = header(headers, "content-encoding") or ""
  if body == nil or #body == 0 then return "empty body" end
  if kind == "openmetrics" then
    if string.find(ctype, "application/openmetrics-text; version=1.0.0", 1, true) ~= 1 then return "content-type " .. ctype end
    if encoding ~= "" then return "content-encoding " .. encoding end
    if string.sub(body, -6) ~= "# EOF\n" then return "no # EOF at the end" end
  elseif kind == "gzip" then
    if string.find(ctype, "text/plain; version=0.0.4", 1, true) ~= 1 then return "content-type " .. ctype end
    if encoding ~= "gzip" then return "content-encoding '" .. encoding .. "'" end
    if string.sub(body, 1, 2) ~= "\31\139" then return "not gzip" end
  else
    if string.find(ctype, "text/plain; version=0.0.4", 1, true) ~= 1 then return "content-type " .. ctype end
    if encoding ~= "" then return "content-encoding " .. encoding end
    if string.sub(body, -1) ~= "\n" then return "no final newline" end
    if string.find(body, "# TYPE provider_health_exporter_build_info gauge", 1, true) == nil then return "no build_info" end
  end
  return nil
end

function response(status, headers, body)
  local p = problem(status, headers, body)
  if p == nil then
    ok = ok + 1
  else
    bad = bad + 1
    if first_bad == "" then first_bad = kind .. ": " .. p end
  end
end

function done(summary, latency, requests)
  local total_ok, total_bad, first = 0, 0, ""
  for _, thread in ipairs(threads) do
    total_ok = total_ok + thread:get("ok")
    total_bad = total_bad + thread:get("bad")
    local f = thread:get("first_bad")
    if first == "" and f ~= nil and f ~= "" then first = f end
  end
  io.write(string.format("SCRAPE-CHECK total=%d ok=%d bad=%d first_bad=%s\n", total_ok + total_bad, total_ok, total_bad, first))
end
