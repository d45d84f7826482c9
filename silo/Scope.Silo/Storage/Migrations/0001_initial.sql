-- SCOPE storage, version 1. Applied by Migrator inside one transaction; scope.schema_migrations
-- itself is created by the Migrator before any migration runs.
-- u64 values from the wire (instance, counters, boot-time ns) are stored as bigint reinterpreted
-- as signed; cgroup ids, which use the full 64 bits, as numeric.

CREATE TABLE scope.machines (
    id          text PRIMARY KEY,
    hostname    text,
    versions    jsonb NOT NULL DEFAULT '{}',
    first_seen  timestamptz NOT NULL DEFAULT now(),
    last_seen   timestamptz NOT NULL DEFAULT now()
);

-- One row per collector run (instance). Counters are in records; the identity the writer keeps is
-- next_event = persisted_events + gap_events + persist_drops (for an instance first seen at event 0).
CREATE TABLE scope.collectors (
    machine_id        text NOT NULL,
    collector_id      text NOT NULL,
    instance          bigint NOT NULL,
    version           text NOT NULL DEFAULT '',
    task_id           text NOT NULL DEFAULT '',
    first_seen        timestamptz NOT NULL DEFAULT now(),
    last_seen         timestamptz NOT NULL DEFAULT now(),
    last_sequence     bigint NOT NULL DEFAULT 0,
    next_event        bigint NOT NULL DEFAULT 0,
    persisted_events  bigint NOT NULL DEFAULT 0,
    gap_events        bigint NOT NULL DEFAULT 0,
    send_drops        bigint NOT NULL DEFAULT 0,
    kernel_drops      bigint[] NOT NULL DEFAULT '{0,0,0}' CHECK (cardinality(kernel_drops) = 3), -- by scope_drop_reason
    persist_drops     bigint NOT NULL DEFAULT 0,
    final             boolean NOT NULL DEFAULT false,
    state             text NOT NULL DEFAULT 'running',
    PRIMARY KEY (machine_id, collector_id, instance)
);

-- A process is (machine, pid, start_ns): pids are reused, start times are not.
CREATE TABLE scope.processes (
    machine_id  text NOT NULL,
    pid         integer NOT NULL,
    start_ns    bigint NOT NULL,
    comm        text NOT NULL DEFAULT '',
    ppid        integer,
    uid         bigint,
    cgroup_id   numeric(20, 0),
    filename    text,
    argv        text[],
    start_time  timestamptz,
    exit_time   timestamptz,
    exit_code   integer,
    signal      integer,
    first_seen  timestamptz NOT NULL,
    last_seen   timestamptz NOT NULL,
    PRIMARY KEY (machine_id, pid, start_ns)
);
CREATE INDEX processes_machine_comm ON scope.processes (machine_id, comm);
CREATE INDEX processes_start_time ON scope.processes (start_time);

-- Cumulative per-process totals from syscall_counts (count, errors, total_ns) and syscall_hist
-- (hist: 96 u32 buckets reinterpreted as integer, null until a histogram arrives).
CREATE TABLE scope.syscall_stats (
    machine_id  text NOT NULL,
    pid         integer NOT NULL,
    start_ns    bigint NOT NULL,
    nr          smallint NOT NULL,
    count       bigint NOT NULL DEFAULT 0,
    errors      bigint NOT NULL DEFAULT 0,
    total_ns    bigint NOT NULL DEFAULT 0,
    hist        integer[],
    final       boolean NOT NULL DEFAULT false,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (machine_id, pid, start_ns, nr)
);

-- Record types 1-5 and 8-9 (CUDA calls and registrations), one row each, raw bytes included. Daily partitions events_YYYYMMDD (UTC) are
-- made by PartitionMaintainer; rows for a day without one wait in events_default until it is made.
-- No foreign keys and no unique index: this is the hot insert path, and the writer deduplicates
-- batches by collectors.last_sequence instead.
CREATE TABLE scope.events (
    time          timestamptz NOT NULL,
    ts_ns         bigint NOT NULL,
    machine_id    text NOT NULL,
    collector_id  text NOT NULL,
    instance      bigint NOT NULL,
    event_index   bigint NOT NULL,
    pid           integer NOT NULL,
    tid           integer NOT NULL,
    start_ns      bigint NOT NULL,
    comm          text NOT NULL,
    type          smallint NOT NULL,
    nr            smallint,
    ret           bigint,
    dur_ns        bigint,
    record        bytea NOT NULL
) PARTITION BY RANGE (time);

CREATE TABLE scope.events_default PARTITION OF scope.events DEFAULT;

-- Declared on the parent so every partition, the default included, gets both.
CREATE INDEX events_time_brin ON scope.events USING brin (time);
CREATE INDEX events_process_time ON scope.events (machine_id, pid, start_ns, time);

-- The number of samples in a histogram (its u32 buckets summed), to tell a newer cumulative
-- histogram from an older one.
CREATE FUNCTION scope.hist_total(h integer[]) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (SELECT coalesce(sum(x::bigint & 4294967295), 0) FROM unnest(h) AS x);
