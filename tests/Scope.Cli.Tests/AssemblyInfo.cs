[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
// Each test runs collectors with kernel probes: one at a time, so their timings and drops are their own.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
