"""A small real CUDA workload for the real-GPU check: PyTorch's own kernels (launched with
cudaLaunchKernel and registered by libtorch_cuda's module constructors), allocations through its
caching allocator, a host-to-device and a device-to-host copy, and a synchronisation."""
import torch

assert torch.cuda.is_available(), "no CUDA device"
torch.cuda.set_device(0)
host = torch.arange(1 << 20, dtype=torch.float32)
x = host.to("cuda")                       # H2D
y = torch.relu(x * 2.0 - 1.0)             # elementwise kernels
z = torch.randn(1024, 1024, device="cuda")
s = (z @ z).sum() + y.sum()               # a GEMM (cuBLAS) and reductions
torch.cuda.synchronize()
print("ok", round(float(s.cpu()), 1) != 0.0)  # D2H
# what the caching allocator itself says it reserved at most: SCOPE's peak from cudaMalloc/cudaFree
# must reach it (it can be higher: libraries may call cudaMalloc outside the caching allocator)
print("reserved_peak", torch.cuda.max_memory_reserved())
