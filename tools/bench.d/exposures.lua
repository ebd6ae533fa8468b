-- wrk script for tools/bench serve: each request posts a batch of 1,000 new exposure events
-- (a counter per thread keeps every event distinct, so each is stored).
local counter = 0
thread_id = 0
local key = os.getenv("CAUSEWAY_INGEST_KEY")

setup = function(thread)
    thread_id = thread_id + 1
    thread:set("thread_id", thread_id)
end

request = function()
    counter = counter + 1
    local parts = {}
    for i = 1, 1000 do
        local variation = i % 2
        parts[i] = string.format('{"unit":"t%d-b%d-u%d","experiment":"checkout","variation":%d,"timestamp":"2026-12-06T12:00:00Z"}',
                                 thread_id, counter, i, variation)
    end
    local body = "[" .. table.concat(parts, ",") .. "]"
    return wrk.format("POST", "/api/exposures",
                      {["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json"}, body)
end
