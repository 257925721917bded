// The real ABI layer compiled for the host against the emulated runtime (see cuda_runtime.h).
#include "../../../src/cuda/kernels.cu"
