// The node fixture uses Linux-only calls (Unix file modes, kill).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
