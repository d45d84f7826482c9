namespace Scope.Events;

/// <summary>
/// <c>enum scope_cuda_api</c>: the CUDA runtime (1..18) and driver (19..35) functions SCOPE probes.
/// Numbers are the wire's: appended, never renumbered.
/// </summary>
public enum CudaApi : ushort
{
    /// <summary>Not a known API.</summary>
    None = 0,
#pragma warning disable CS1591 // the names are the CUDA runtime's own
    Malloc = 1,
    Free = 2,
    MallocAsync = 3,
    FreeAsync = 4,
    MallocManaged = 5,
    MallocHost = 6,
    FreeHost = 7,
    Memcpy = 8,
    MemcpyAsync = 9,
    LaunchKernel = 10,
    LaunchKernelExC = 11,
    GraphLaunch = 12,
    DeviceSynchronize = 13,
    StreamSynchronize = 14,
    RegisterFatBinary = 15,
    RegisterFunction = 16,
    SetDevice = 17,
    GetKernel = 18,
    CuMemAlloc = 19,
    CuMemFree = 20,
    CuMemcpyHtoD = 21,
    CuMemcpyDtoH = 22,
    CuMemcpyDtoD = 23,
    CuMemcpyHtoDAsync = 24,
    CuMemcpyDtoHAsync = 25,
    CuMemcpyDtoDAsync = 26,
    CuLaunchKernel = 27,
#pragma warning disable CA1711 // the driver's own name
    CuLaunchKernelEx = 28,
#pragma warning restore CA1711
    CuModuleGetFunction = 29,
    CuLibraryGetKernel = 30,
    CuKernelGetFunction = 31,
    CuMemCreate = 32,
    CuMemMap = 33,
    CuMemUnmap = 34,
    CuMemRelease = 35,
#pragma warning restore CS1591
}

/// <summary>Names for CUDA APIs and copy kinds, as the collector prints them.</summary>
public static class CudaNames
{
    private static readonly string?[] s_apis =
    [
        null, "cudaMalloc", "cudaFree", "cudaMallocAsync", "cudaFreeAsync", "cudaMallocManaged", "cudaMallocHost",
        "cudaFreeHost", "cudaMemcpy", "cudaMemcpyAsync", "cudaLaunchKernel", "cudaLaunchKernelExC", "cudaGraphLaunch",
        "cudaDeviceSynchronize", "cudaStreamSynchronize", "__cudaRegisterFatBinary", "__cudaRegisterFunction",
        "cudaSetDevice", "cudaGetKernel",
        "cuMemAlloc_v2", "cuMemFree_v2", "cuMemcpyHtoD_v2", "cuMemcpyDtoH_v2", "cuMemcpyDtoD_v2",
        "cuMemcpyHtoDAsync_v2", "cuMemcpyDtoHAsync_v2", "cuMemcpyDtoDAsync_v2", "cuLaunchKernel",
        "cuLaunchKernelEx", "cuModuleGetFunction", "cuLibraryGetKernel", "cuKernelGetFunction", "cuMemCreate",
        "cuMemMap", "cuMemUnmap", "cuMemRelease",
    ];

    private static readonly string[] s_kinds = ["H2H", "H2D", "D2H", "D2D", "Default"];

    /// <summary>"cudaMalloc", or null for a number this reader does not know.</summary>
    public static string? Api(ushort api) => api < s_apis.Length ? s_apis[api] : null;

    /// <summary>"cudaMalloc", or "api_N" for a number this reader does not know: no variant suffix.</summary>
    public static string ApiOrNumber(ushort api) =>
        Api(api) ?? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"api_{api}");

    /// <summary>The API with its variant suffix (_ptsz, _ptds) from the record's flags; "api_N" when unknown.</summary>
    public static string ApiWithVariant(ushort api, ushort flags)
    {
        var name = Api(api);
        if (name is null)
            return ApiOrNumber(api);
        return (flags & Wire.CudaPtsz) != 0 ? name + "_ptsz" : (flags & Wire.CudaPtds) != 0 ? name + "_ptds" : name;
    }

    /// <summary>"H2D" for a cudaMemcpyKind, or null.</summary>
    public static string? Kind(int kind) => kind is >= 0 and < 5 ? s_kinds[kind] : null;
}
