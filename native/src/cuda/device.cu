// Device selection and queries, streams, CUDA graphs and events of the C ABI.
#include <cstring>

#include "launch.h"
#include "status.h"
#include "vim4j_cuda.h"

using namespace vim4j_cuda;

extern "C" {

int32_t vim4j_cuda_abi_version(void) { return VIM4J_CUDA_ABI_VERSION; }

const char* vim4j_cuda_last_error(void) { return last_error(); }

int32_t vim4j_cuda_init(int32_t device, char* name, int32_t name_capacity) {
    static const char* fn = "vim4j_cuda_init";
    int count = 0;
    // The static runtime loads libcuda.so here, not when this library is loaded: CPU-only machines get an error
    // code and a message, never a failed dlopen of libvim4j_cuda.so.
    const cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) {
        (void)cudaGetLastError();
        return fail(VIM4J_CUDA_ERR_NO_DEVICE, "no CUDA device: %s (%s)", cudaGetErrorString(err), cudaGetErrorName(err));
    }
    if (count == 0) return fail(VIM4J_CUDA_ERR_NO_DEVICE, "no CUDA device: the driver reports 0 devices");
    VIM4J_CUDA_REQUIRE(fn, device >= 0 && device < count, "device", device, "no such device index");
    VIM4J_CUDA_TRY(fn, cudaSetDevice(device));
    set_bound_device(device);
    cudaDeviceProp prop;
    VIM4J_CUDA_TRY(fn, cudaGetDeviceProperties(&prop, device));
    if (prop.major < 8) {
        return fail(VIM4J_CUDA_ERR_NO_DEVICE,
                    "no CUDA device: device %d (%s) has compute capability %d.%d; vim4j's CUDA kernels need 8.0 or "
                    "newer (built for sm_90 plus PTX)",
                    device, prop.name, prop.major, prop.minor);
    }
    if (name != nullptr && name_capacity > 0) {
        std::strncpy(name, prop.name, static_cast<size_t>(name_capacity) - 1);
        name[name_capacity - 1] = '\0';
    }
    // Creates the context now, so driver problems surface at init rather than at the first kernel.
    VIM4J_CUDA_TRY(fn, cudaFree(nullptr));
    // A device of compute capability 8.x passes the check above, but the default build holds sm_90 SASS and
    // compute_90 PTX only, neither of which runs there: every launch would fail with "no kernel image". Ask now.
    const cudaError_t image = kernel_image_check();
    if (image != cudaSuccess) {
        (void)cudaGetLastError();
        return fail(VIM4J_CUDA_ERR_NO_DEVICE,
                    "no CUDA device: device %d (%s, compute capability %d.%d) cannot run this build's kernels "
                    "(rebuild with VIM4J_CUDA_ARCHITECTURES including %d%d): %s: %s",
                    device, prop.name, prop.major, prop.minor, prop.major, prop.minor, cudaGetErrorName(image),
                    cudaGetErrorString(image));
    }
    return VIM4J_CUDA_OK;
}

int32_t vim4j_cuda_device_info(int32_t* compute_capability, int32_t* sm_count, int64_t* total_bytes) {
    static const char* fn = "vim4j_cuda_device_info";
    VIM4J_CUDA_BIND(fn);
    int dev = 0;
    VIM4J_CUDA_TRY(fn, cudaGetDevice(&dev));
    cudaDeviceProp prop;
    VIM4J_CUDA_TRY(fn, cudaGetDeviceProperties(&prop, dev));
    if (compute_capability != nullptr) *compute_capability = prop.major * 10 + prop.minor;
    if (sm_count != nullptr) *sm_count = prop.multiProcessorCount;
    if (total_bytes != nullptr) *total_bytes = static_cast<int64_t>(prop.totalGlobalMem);
    return VIM4J_CUDA_OK;
}

int32_t vim4j_cuda_mem_info(int64_t* free_bytes, int64_t* total_bytes) {
    static const char* fn = "vim4j_cuda_mem_info";
    VIM4J_CUDA_BIND(fn);
    VIM4J_CUDA_NONNULL(fn, free_bytes);
    VIM4J_CUDA_NONNULL(fn, total_bytes);
    size_t f = 0, t = 0;
    VIM4J_CUDA_TRY(fn, cudaMemGetInfo(&f, &t));
    *free_bytes = static_cast<int64_t>(f);
    *total_bytes = static_cast<int64_t>(t);
    return VIM4J_CUDA_OK;
}

int32_t vim4j_cuda_stream_create(int64_t* stream) {
    static const char* fn = "vim4j_cuda_stream_create";
    VIM4J_CUDA_BIND(fn);
    VIM4J_CUDA_NONNULL(fn, stream);
    cudaStream_t s = nullptr;
    VIM4J_CUDA_TRY(fn, cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    *stream = static_cast<int64_t>(reinterpret_cast<intptr_t>(s));
    return VIM4J_CUDA_OK;
}

int32_t vim4j_cuda_stream_destroy(void* stream) {
    static const char* fn = "vim4j_cuda_stream_destroy";
    VIM4J_CUDA_BIND(fn);
    if (stream == nullptr) return VIM4J_CUDA_OK;
    VIM4J_CUDA_TRY(fn, cudaStreamDestroy(static_cast<cudaStream_t>(stream)));
    return VIM4J_CUDA_OK;
}

int32_t vim4j_cuda_stream_synchronize(void* stream) {
    static const char* fn = "vim4j_cuda_stream_synchronize";
    VIM4J_CUDA_BIND(fn);
    VIM4J_CUDA_TRY(fn, cudaStreamSynchronize(static_cast<cudaStream_t>(stream)));
    return VIM4J_CUDA_OK;
}

int32_t vim4j_cuda_graph_begin(void* stream) {
    static const char* fn = "vim4j_cuda_graph_begin";
    VIM4J_CUDA_BIND(fn);
    VIM4J_CUDA_NONNULL(fn, stream);  // the legacy default stream cannot be captured
    // Thread-local mode: other threads' unrelated CUDA calls (another session) do not invalidate the capture.
    VIM4J_CUDA_TRY(fn, cudaStreamBeginCapture(static_cast<cudaStream_t>(stream), cudaStreamCaptureModeThreadLocal));
    return VIM4J_CUDA_OK;
}

int32_t vim4j_cuda_graph_end(void* stream, int64_t* graph) {
    static const char* fn = "vim4j_cuda_graph_end";
    VIM4J_CUDA_BIND(fn);
    VIM4J_CUDA_NONNULL(fn, stream);
    VIM4J_CUDA_NONNULL(fn, graph);
    cudaGraph_t g = nullptr;
    VIM4J_CUDA_TRY(fn, cudaStreamEndCapture(static_cast<cudaStream_t>(stream), &g));
    cudaGraphExec_t exec = nullptr;
    const cudaError_t err = cudaGraphInstantiate(&exec, g, 0);
    (void)cudaGraphDestroy(g);  // the executable graph keeps what it needs
    if (err != cudaSuccess) return fail_cuda(fn, "cudaGraphInstantiate", err);
    *graph = static_cast<int64_t>(reinterpret_cast<intptr_t>(exec));
    return VIM4J_CUDA_OK;
}

int32_t vim4j_cuda_graph_launch(void* graph, void* stream) {
    static const char* fn = "vim4j_cuda_graph_launch";
    VIM4J_CUDA_BIND(fn);
    VIM4J_CUDA_NONNULL(fn, graph);
    VIM4J_CUDA_TRY(fn, cudaGraphLaunch(static_cast<cudaGraphExec_t>(graph), static_cast<cudaStream_t>(stream)));
    return VIM4J_CUDA_OK;
}

int32_t vim4j_cuda_graph_destroy(void* graph) {
    static const char* fn = "vim4j_cuda_graph_destroy";
    VIM4J_CUDA_BIND(fn);
    if (graph == nullptr) return VIM4J_CUDA_OK;
    VIM4J_CUDA_TRY(fn, cudaGraphExecDestroy(static_cast<cudaGraphExec_t>(graph)));
    return VIM4J_CUDA_OK;
}

int32_t vim4j_cuda_event_create(int64_t* event) {
    static const char* fn = "vim4j_cuda_event_create";
    VIM4J_CUDA_BIND(fn);
    VIM4J_CUDA_NONNULL(fn, event);
    cudaEvent_t e = nullptr;
    VIM4J_CUDA_TRY(fn, cudaEventCreate(&e));
    *event = static_cast<int64_t>(reinterpret_cast<intptr_t>(e));
    return VIM4J_CUDA_OK;
}

int32_t vim4j_cuda_event_destroy(void* event) {
    static const char* fn = "vim4j_cuda_event_destroy";
    VIM4J_CUDA_BIND(fn);
    if (event == nullptr) return VIM4J_CUDA_OK;
    VIM4J_CUDA_TRY(fn, cudaEventDestroy(static_cast<cudaEvent_t>(event)));
    return VIM4J_CUDA_OK;
}

int32_t vim4j_cuda_event_record(void* event, void* stream) {
    static const char* fn = "vim4j_cuda_event_record";
    VIM4J_CUDA_BIND(fn);
    VIM4J_CUDA_NONNULL(fn, event);
    VIM4J_CUDA_TRY(fn, cudaEventRecord(static_cast<cudaEvent_t>(event), static_cast<cudaStream_t>(stream)));
    return VIM4J_CUDA_OK;
}

int32_t vim4j_cuda_event_elapsed(void* start, void* end, float* milliseconds) {
    static const char* fn = "vim4j_cuda_event_elapsed";
    VIM4J_CUDA_BIND(fn);
    VIM4J_CUDA_NONNULL(fn, start);
    VIM4J_CUDA_NONNULL(fn, end);
    VIM4J_CUDA_NONNULL(fn, milliseconds);
    VIM4J_CUDA_TRY(fn, cudaEventSynchronize(static_cast<cudaEvent_t>(end)));
    VIM4J_CUDA_TRY(fn, cudaEventElapsedTime(milliseconds, static_cast<cudaEvent_t>(start), static_cast<cudaEvent_t>(end)));
    return VIM4J_CUDA_OK;
}

}  // extern "C"
