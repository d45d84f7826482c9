-- SCOPE storage, version 5: cluster membership for Orleans' ADO.NET clustering provider
-- (Microsoft.Orleans.Clustering.AdoNet 10.4.2, invariant Npgsql; Scope:Orleans:Clustering = AdoNet).
--
-- Like the persistence provider (0004), the clustering provider ships no SQL: at start it reads its
-- query texts from OrleansQuery and refuses to start unless all ten keys below exist. It binds by name:
--   DeploymentId text (the cluster id), Address text (IP), Port int, Generation int, SiloName text,
--   HostName text, Status int (Orleans' SiloStatus: 3 active, 6 dead), ProxyPort int (gateway, 0 = none),
--   StartTime and IAmAliveTime (UTC timestamps), SuspectTimes text (null or "silo,time|..."),
--   Version int (the membership version the caller read: the table's optimistic-concurrency ETag).
-- What it reads back:
--   MembershipReadRowKey / MembershipReadAllKey: the version row, joined to the member rows (all of
--     them, or the one named). With no member row the version still comes back: a row whose member
--     columns are null, recognised by a null StartTime. Columns by name: Address, Port, Generation,
--     SiloName, HostName, Status, ProxyPort, SuspectTimes, StartTime, IAmAliveTime, Version.
--   InsertMembershipVersionKey, InsertMembershipKey, UpdateMembershipKey: one row, one column, read as
--     a boolean (1 = done). Insert and update change a member only together with bumping the version
--     from @Version, so two silos writing from the same version cannot both succeed.
--   GatewaysQueryKey: Address, ProxyPort, Generation of the members with @Status and a gateway.
--   UpdateIAmAlivetimeKey, DeleteMembershipTableEntriesKey, CleanupDefunctSiloEntriesKey,
--   CleanupDefunctSiloEntryKey: nothing.
-- Each text is one statement (data-modifying CTEs), so nothing here needs plpgsql.

CREATE TABLE scope.cluster_versions (
    deployment_id  text PRIMARY KEY,
    version        integer NOT NULL DEFAULT 0,
    changed_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE scope.cluster_members (
    deployment_id   text NOT NULL REFERENCES scope.cluster_versions (deployment_id) ON DELETE CASCADE,
    address         text NOT NULL,
    port            integer NOT NULL,
    generation      integer NOT NULL,
    silo_name       text NOT NULL,
    host_name       text NOT NULL,
    status          integer NOT NULL,
    proxy_port      integer NOT NULL DEFAULT 0,
    suspect_times   text,
    start_time      timestamptz NOT NULL,
    i_am_alive_time timestamptz NOT NULL,
    PRIMARY KEY (deployment_id, address, port, generation)
);

INSERT INTO public.orleansquery (querykey, querytext) VALUES
('InsertMembershipVersionKey', $q$
    WITH added AS (
        INSERT INTO scope.cluster_versions (deployment_id) VALUES (@DeploymentId)
        ON CONFLICT (deployment_id) DO NOTHING
        RETURNING 1)
    SELECT count(*)::int FROM added
$q$),
-- The version moves only if the member is new, and the member is added only if the version moved:
-- a concurrent writer from the same version waits on the version row, then finds it changed.
('InsertMembershipKey', $q$
    WITH bumped AS (
        UPDATE scope.cluster_versions v
        SET version = v.version + 1, changed_at = now()
        WHERE v.deployment_id = @DeploymentId AND v.version = @Version AND v.version < 2147483647
          AND NOT EXISTS (SELECT 1 FROM scope.cluster_members m
                          WHERE m.deployment_id = @DeploymentId AND m.address = @Address
                            AND m.port = @Port AND m.generation = @Generation)
        RETURNING v.deployment_id),
    added AS (
        INSERT INTO scope.cluster_members (deployment_id, address, port, generation, silo_name, host_name,
                                           status, proxy_port, start_time, i_am_alive_time)
        SELECT deployment_id, @Address, @Port, @Generation, @SiloName, @HostName,
               @Status, coalesce(@ProxyPort::int, 0), @StartTime, @IAmAliveTime
        FROM bumped
        ON CONFLICT DO NOTHING
        RETURNING 1)
    SELECT count(*)::int FROM added
$q$),
('UpdateMembershipKey', $q$
    WITH bumped AS (
        UPDATE scope.cluster_versions v
        SET version = v.version + 1, changed_at = now()
        WHERE v.deployment_id = @DeploymentId AND v.version = @Version AND v.version < 2147483647
          AND EXISTS (SELECT 1 FROM scope.cluster_members m
                      WHERE m.deployment_id = @DeploymentId AND m.address = @Address
                        AND m.port = @Port AND m.generation = @Generation)
        RETURNING v.deployment_id),
    changed AS (
        UPDATE scope.cluster_members m
        SET status = @Status, suspect_times = @SuspectTimes::text,
            i_am_alive_time = greatest(m.i_am_alive_time, @IAmAliveTime)
        FROM bumped
        WHERE m.deployment_id = bumped.deployment_id AND m.address = @Address
          AND m.port = @Port AND m.generation = @Generation
        RETURNING 1)
    SELECT count(*)::int FROM changed
$q$),
-- Never moves the time back: a late heartbeat must not make a live silo look older.
('UpdateIAmAlivetimeKey', $q$
    UPDATE scope.cluster_members
    SET i_am_alive_time = greatest(i_am_alive_time, @IAmAliveTime)
    WHERE deployment_id = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation
$q$),
('MembershipReadRowKey', $q$
    SELECT v.deployment_id AS "DeploymentId", m.address AS "Address", m.port AS "Port",
           m.generation AS "Generation", m.silo_name AS "SiloName", m.host_name AS "HostName",
           m.status AS "Status", m.proxy_port AS "ProxyPort", m.suspect_times AS "SuspectTimes",
           m.start_time AS "StartTime", m.i_am_alive_time AS "IAmAliveTime", v.version AS "Version"
    FROM scope.cluster_versions v
    LEFT JOIN scope.cluster_members m
      ON m.deployment_id = v.deployment_id AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
    WHERE v.deployment_id = @DeploymentId
$q$),
('MembershipReadAllKey', $q$
    SELECT v.deployment_id AS "DeploymentId", m.address AS "Address", m.port AS "Port",
           m.generation AS "Generation", m.silo_name AS "SiloName", m.host_name AS "HostName",
           m.status AS "Status", m.proxy_port AS "ProxyPort", m.suspect_times AS "SuspectTimes",
           m.start_time AS "StartTime", m.i_am_alive_time AS "IAmAliveTime", v.version AS "Version"
    FROM scope.cluster_versions v
    LEFT JOIN scope.cluster_members m ON m.deployment_id = v.deployment_id
    WHERE v.deployment_id = @DeploymentId
$q$),
('GatewaysQueryKey', $q$
    SELECT address AS "Address", proxy_port AS "ProxyPort", generation AS "Generation"
    FROM scope.cluster_members
    WHERE deployment_id = @DeploymentId AND status = @Status AND proxy_port > 0
$q$),
-- The cascade removes the members with their version row.
('DeleteMembershipTableEntriesKey', $q$
    DELETE FROM scope.cluster_versions WHERE deployment_id = @DeploymentId
$q$),
-- Dead (6) members not heard of since @IAmAliveTime, and not being suspected by anyone.
('CleanupDefunctSiloEntriesKey', $q$
    DELETE FROM scope.cluster_members
    WHERE deployment_id = @DeploymentId AND status = 6
      AND i_am_alive_time < @IAmAliveTime AND start_time < @IAmAliveTime
      AND coalesce(suspect_times, '') = ''
$q$),
-- One dead member, only if it is still exactly as the caller read it.
('CleanupDefunctSiloEntryKey', $q$
    DELETE FROM scope.cluster_members
    WHERE deployment_id = @DeploymentId AND status = 6
      AND address = @Address AND port = @Port AND generation = @Generation
      AND i_am_alive_time = @IAmAliveTime AND start_time = @StartTime
      AND coalesce(suspect_times, '') = coalesce(@SuspectTimes::text, '')
$q$);
