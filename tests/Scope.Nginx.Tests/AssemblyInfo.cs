// The fixture uses Linux-only calls (Unix file modes, kill).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
// One front at a time: the step times printed are only worth reading on a machine not shared with another suite run.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
