-- SCOPE storage, version 4: Orleans grain persistence, for monitoring tasks, the task directory and
-- host agents (silo/Scope.Silo/Tasks, provider "scope-tasks").
--
-- Orleans' ADO.NET persistence provider (Microsoft.Orleans.Persistence.AdoNet 10.4.2) ships no SQL.
-- At start it runs, unqualified,
--   SELECT QueryKey, QueryText FROM OrleansQuery WHERE QueryKey = 'WriteToStorageKey' OR ... 'DeleteStorageKey'
-- and from then on runs only those four texts, binding these parameters by name:
--   GrainIdHash int, GrainIdN0 bigint, GrainIdN1 bigint, GrainTypeHash int, GrainTypeString text,
--   GrainIdExtensionString text (null for keys without one), ServiceId text,
--   GrainStateVersion int (the ETag: null when the grain read no row), PayloadBinary bytea (writes).
-- What it expects back:
--   ReadFromStorageKey: at most one row with columns PayloadBinary and Version. A row whose payload is
--     null (cleared) still gives the grain its version, so its next write updates that row.
--   WriteToStorageKey: one row, column NewGrainStateVersion: the new version, or anything else (the
--     old version, or null) when nothing was written. With an ETag, the row must still be at that
--     version; without one, no row may exist yet. The provider turns a refusal into an
--     InconsistentStateException (a version conflict).
--   ClearStorageKey: the new version in the first column when the row at version GrainStateVersion was
--     emptied; no row otherwise (a conflict).
--   DeleteStorageKey (DeleteStateOnClear=true): a value in the first column, different from
--     GrainStateVersion, when the row at that version was deleted; no row otherwise.
-- The grain state itself lives in scope.grain_state; only OrleansQuery must be where an unqualified
-- name finds it (public, on the default search_path). Other Orleans providers (clustering, reminders)
-- add their own keys to the same table.

CREATE TABLE IF NOT EXISTS public.orleansquery (
    querykey   varchar(64) PRIMARY KEY,
    querytext  text NOT NULL
);

CREATE TABLE scope.grain_state (
    serviceid               text NOT NULL,
    graintypehash           integer NOT NULL,
    graintypestring         text NOT NULL,
    grainidhash             integer NOT NULL,
    grainidn0               bigint NOT NULL,
    grainidn1               bigint NOT NULL,
    grainidextensionstring  text,
    payloadbinary           bytea,
    modifiedon              timestamptz NOT NULL DEFAULT now(),
    version                 integer NOT NULL
);

-- One row per grain and state name. The type and key strings are hashed into the index so that long
-- ones cannot exceed a btree entry; the integer hashes come first so lookups use it.
CREATE UNIQUE INDEX grain_state_key ON scope.grain_state (
    grainidhash, graintypehash, grainidn0, grainidn1, serviceid,
    md5(graintypestring), md5(coalesce(grainidextensionstring, '')), (grainidextensionstring IS NULL));

INSERT INTO public.orleansquery (querykey, querytext) VALUES
('ReadFromStorageKey', $q$
    SELECT payloadbinary AS "PayloadBinary", version AS "Version"
    FROM scope.grain_state
    WHERE grainidhash = @GrainIdHash AND graintypehash = @GrainTypeHash
      AND grainidn0 = @GrainIdN0 AND grainidn1 = @GrainIdN1 AND serviceid = @ServiceId
      AND graintypestring = @GrainTypeString
      AND grainidextensionstring IS NOT DISTINCT FROM @GrainIdExtensionString
$q$),
-- One statement: the update when the grain holds an ETag (only at that version), the insert when it
-- holds none (only if no row exists: the unique index decides between concurrent inserts). Neither
-- happened: the old version (or null) comes back, and the provider reports the conflict.
('WriteToStorageKey', $q$
    WITH updated AS (
        UPDATE scope.grain_state
        SET payloadbinary = @PayloadBinary, modifiedon = now(), version = version + 1
        WHERE @GrainStateVersion IS NOT NULL
          AND grainidhash = @GrainIdHash AND graintypehash = @GrainTypeHash
          AND grainidn0 = @GrainIdN0 AND grainidn1 = @GrainIdN1 AND serviceid = @ServiceId
          AND graintypestring = @GrainTypeString
          AND grainidextensionstring IS NOT DISTINCT FROM @GrainIdExtensionString
          AND version = @GrainStateVersion
        RETURNING version
    ), inserted AS (
        INSERT INTO scope.grain_state (serviceid, graintypehash, graintypestring, grainidhash, grainidn0, grainidn1,
                                       grainidextensionstring, payloadbinary, modifiedon, version)
        SELECT @ServiceId, @GrainTypeHash, @GrainTypeString, @GrainIdHash, @GrainIdN0, @GrainIdN1,
               @GrainIdExtensionString, @PayloadBinary, now(), 1
        WHERE @GrainStateVersion IS NULL
        ON CONFLICT DO NOTHING
        RETURNING version
    )
    SELECT coalesce((SELECT version FROM updated), (SELECT version FROM inserted), @GrainStateVersion) AS "NewGrainStateVersion"
$q$),
-- Clearing keeps the row (and bumps its version), so a grain that writes again later continues from it.
('ClearStorageKey', $q$
    UPDATE scope.grain_state
    SET payloadbinary = NULL, modifiedon = now(), version = version + 1
    WHERE grainidhash = @GrainIdHash AND graintypehash = @GrainTypeHash
      AND grainidn0 = @GrainIdN0 AND grainidn1 = @GrainIdN1 AND serviceid = @ServiceId
      AND graintypestring = @GrainTypeString
      AND grainidextensionstring IS NOT DISTINCT FROM @GrainIdExtensionString
      AND version = @GrainStateVersion
    RETURNING version AS "NewGrainStateVersion"
$q$),
('DeleteStorageKey', $q$
    DELETE FROM scope.grain_state
    WHERE grainidhash = @GrainIdHash AND graintypehash = @GrainTypeHash
      AND grainidn0 = @GrainIdN0 AND grainidn1 = @GrainIdN1 AND serviceid = @ServiceId
      AND graintypestring = @GrainTypeString
      AND grainidextensionstring IS NOT DISTINCT FROM @GrainIdExtensionString
      AND version = @GrainStateVersion
    RETURNING version + 1 AS "NewGrainStateVersion"
$q$)
ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;
