-- SCOPE storage, version 7: the ASP.NET Core Data Protection key ring, shared by every silo that
-- serves the API and the console (docs/deployment.md, "nginx in front of two core silos").
--
-- Data Protection encrypts the console's cookie, its antiforgery tokens and the Blazor circuit's
-- ids. With the keys in this table, a cookie one core silo issued is read by every other, so a
-- console session survives its silo's loss behind a load balancer. One row per XML element that
-- Data Protection stores (a key, or a revocation), never updated; rows are read back in insertion
-- order. Whoever can read this table can forge console cookies: as scope.auth_keys, keep it to the
-- silos' role.
CREATE TABLE scope.data_protection_keys (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    friendly_name  text NOT NULL,
    xml            text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
