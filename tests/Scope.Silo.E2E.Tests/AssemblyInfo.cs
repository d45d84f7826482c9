[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
// The suites start whole nodes (PostgreSQL, silo, system-wide collector): one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
