-- SCOPE storage, version 2: CUDA.
-- scope.events now also holds record types 10 (cuda_stack) and 11 (symbol), with nr, ret and dur_ns
-- null; the raw record keeps everything. A process grain that (re)activates rebuilds its CUDA ledger
-- from the process's rows of types 3, 8-11 and 13, and the Python stacks taken at CUDA calls (type 12
-- with flag 4, the byte at offset 50): this index finds them without walking the process's syscall
-- rows and Python samples, and it stays small because only those rows are in it.
CREATE INDEX events_cuda_process ON scope.events (machine_id, pid, start_ns)
    WHERE type IN (3, 8, 9, 10, 11, 13) OR (type = 12 AND get_byte(record, 50) & 4 <> 0);

-- Periodic samples of a process's CUDA totals, one row per device per sample (device -1: memory the
-- calls did not place on a device, and the one row of a sample with no device memory at all). The
-- process-wide columns (host_pinned_bytes .. live_allocations) repeat on each device row of a sample:
-- take them from any one row per (process, time). Counters are cumulative within the process;
-- final marks the sample taken at its exit. Rows older than Scope:Storage:RetentionDays are deleted
-- with the event partitions.
CREATE TABLE scope.cuda_metrics (
    time               timestamptz NOT NULL,
    machine_id         text NOT NULL,
    pid                integer NOT NULL,
    start_ns           bigint NOT NULL,
    device             integer NOT NULL,
    current_bytes      bigint NOT NULL,
    peak_bytes         bigint NOT NULL,
    host_pinned_bytes  bigint NOT NULL,
    operations         bigint NOT NULL,
    launches           bigint NOT NULL,
    errors             bigint NOT NULL,
    h2d_bytes          bigint NOT NULL,
    d2h_bytes          bigint NOT NULL,
    d2d_bytes          bigint NOT NULL,
    live_allocations   bigint NOT NULL,
    final              boolean NOT NULL DEFAULT false
);
CREATE INDEX cuda_metrics_process_time ON scope.cuda_metrics (machine_id, pid, start_ns, time);
CREATE INDEX cuda_metrics_time_brin ON scope.cuda_metrics USING brin (time);
