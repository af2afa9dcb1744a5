"""The scheduler's RPC handlers, one module per aggregate: `schedules` (both HTTP APIs and
manual triggers), `database_schedules` (002's schedule of a database), `scheduler` (run state
and control), `fires` (the schedule log) and `policies` (what retention asks before deleting
a policy)."""
