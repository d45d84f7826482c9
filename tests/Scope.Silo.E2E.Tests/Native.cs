using System.Runtime.InteropServices;

namespace Scope.Silo.E2E.Tests;

internal static partial class Native
{
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int sig);
}
