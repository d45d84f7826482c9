using Scope.Abstractions;
using Scope.Silo.Hosting;

namespace Scope.Silo.Tasks;

/// <summary>
/// What this machine is, from /proc: CPU model and count (/proc/cpuinfo), GPUs the NVIDIA driver lists
/// (/proc/driver/nvidia/gpus/*/information; nvidia-smi is not run, and without the driver there are none).
/// </summary>
internal static class HostFactsReader
{
    public static HostFacts Read(LocalMachine machine) => Read(machine, "/proc/cpuinfo", "/proc/driver/nvidia/gpus");

    internal static HostFacts Read(LocalMachine machine, string cpuinfo, string gpuDir)
    {
        var (model, count) = ReadCpus(cpuinfo);
        return new HostFacts(machine.Hostname, machine.KernelRelease, model, count, ReadGpus(gpuDir));
    }

    internal static (string Model, int Count) ReadCpus(string path)
    {
        string model = "unknown";
        int count = 0;
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon < 0)
                    continue;
                var key = line[..colon].Trim();
                if (key == "processor")
                    count++;
                else if (key == "model name" && model == "unknown")
                    model = line[(colon + 1)..].Trim();
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return (model, count > 0 ? count : Environment.ProcessorCount);
    }

    internal static List<GpuInfo> ReadGpus(string dir)
    {
        var gpus = new List<GpuInfo>();
        if (!Directory.Exists(dir))
            return gpus;
        try
        {
            foreach (var gpu in Directory.GetDirectories(dir).Order(StringComparer.Ordinal))
            {
                var model = "unknown";
                var info = Path.Combine(gpu, "information");
                if (File.Exists(info))
                {
                    foreach (var line in File.ReadLines(info))
                    {
                        if (line.StartsWith("Model:", StringComparison.Ordinal))
                        {
                            model = line["Model:".Length..].Trim();
                            break;
                        }
                    }
                }
                gpus.Add(new GpuInfo(Path.GetFileName(gpu), model));
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return gpus;
    }
}
