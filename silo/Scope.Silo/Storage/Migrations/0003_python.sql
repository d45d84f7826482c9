-- SCOPE storage, version 3: Python profiles in process grains.
-- A process grain that (re)activates now rebuilds its Python profile as well as its CUDA ledger, from
-- the process's rows of types 3 and 8-14: the index that found the ledger's rows is replaced by one
-- that finds these, still without walking the process's syscall rows.
DROP INDEX scope.events_cuda_process;
CREATE INDEX events_grain_process ON scope.events (machine_id, pid, start_ns)
    WHERE type IN (3, 8, 9, 10, 11, 12, 13, 14);
