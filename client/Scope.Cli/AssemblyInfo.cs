// eBPF, signals and Unix file modes: the CLI runs on Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
