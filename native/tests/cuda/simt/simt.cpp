// The fiber scheduler of the SIMT emulation (see simt.h).
#include "simt.h"

#include <ucontext.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <memory>

uint3 threadIdx;
uint3 blockIdx;
dim3 blockDim;
dim3 gridDim;

namespace vim4j_simt {

bool dry_run = false;

std::vector<std::string>& errors() {
    static std::vector<std::string> e;
    return e;
}

std::vector<Config>& launches() {
    static std::vector<Config> l;
    return l;
}

void error(const char* fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (errors().size() < 100) {
        std::fprintf(stderr, "SIMT ERROR (block %u,%u,%u thread %u,%u,%u): %s\n", blockIdx.x, blockIdx.y, blockIdx.z,
                     threadIdx.x, threadIdx.y, threadIdx.z, buf);
    }
    errors().push_back(buf);
}

bool check_config(const Config& c) {
    bool ok = true;
    const unsigned long long threads = 1ull * c.block.x * c.block.y * c.block.z;
    if (c.grid.x < 1 || c.grid.x > 2147483647u || c.grid.y < 1 || c.grid.y > 65535 || c.grid.z < 1 ||
        c.grid.z > 65535) {
        error("launch: grid (%u, %u, %u) outside CUDA's limits", c.grid.x, c.grid.y, c.grid.z);
        ok = false;
    }
    if (threads < 1 || threads > 1024 || c.block.z > 64) {
        error("launch: block (%u, %u, %u) outside CUDA's limits", c.block.x, c.block.y, c.block.z);
        ok = false;
    }
    if (c.smem > 48 * 1024) {
        error("launch: %zu bytes of dynamic shared memory need cudaFuncSetAttribute", c.smem);
        ok = false;
    }
    return ok;
}

namespace {

constexpr size_t kStack = 256 * 1024;

struct Fiber {
    ucontext_t ctx;
    uint3 tid;
    bool done = false;
    int wait_kind = 0;  // 0: runnable, 1: at the block barrier, 2: at its warp's barrier
    unsigned wait_gen = 0;
};

struct Warp {
    unsigned exists = 0, alive = 0;  // lane masks
    unsigned arrived = 0, mask = 0, gen = 0;
    float slot[32];
};

struct Block {
    std::vector<Fiber> fibers;
    std::vector<Warp> warps;
    int cur = 0, alive = 0, bar_arrived = 0;
    unsigned bar_gen = 0;
    const std::function<void()>* body = nullptr;
    ucontext_t sched;
};

Block* g_block = nullptr;

Fiber& cur() { return g_block->fibers[g_block->cur]; }
int linear_tid() { return g_block->cur; }

void yield() { swapcontext(&cur().ctx, &g_block->sched); }

// Suspends the current fiber until the barrier's generation moves past `gen`.
void wait_for(int kind, unsigned gen) {
    Fiber& f = cur();
    f.wait_kind = kind;
    f.wait_gen = gen;
    yield();
    f.wait_kind = 0;
}

bool runnable(const Block& b, int i) {
    const Fiber& f = b.fibers[i];
    if (f.done) return false;
    if (f.wait_kind == 1) return b.bar_gen != f.wait_gen;
    if (f.wait_kind == 2) return b.warps[i / 32].gen != f.wait_gen;
    return true;
}

// Which runnable thread goes next: the lowest (or, with VIM4J_SIMT_ORDER=reverse, the highest) index, so one warp
// runs as far ahead of the others as the barriers allow -- a schedule that exposes a missing __syncthreads.
bool reverse_order() {
    static const bool r = [] {
        const char* e = std::getenv("VIM4J_SIMT_ORDER");
        return e != nullptr && std::string(e) == "reverse";
    }();
    return r;
}

void release_waits() {
    Block& b = *g_block;
    if (b.bar_arrived > 0 && b.bar_arrived >= b.alive) {
        b.bar_arrived = 0;
        ++b.bar_gen;
    }
}

void entry() {
    (*g_block->body)();
    Block& b = *g_block;
    Fiber& f = cur();
    f.done = true;
    --b.alive;
    const int lane = linear_tid() % 32;
    b.warps[linear_tid() / 32].alive &= ~(1u << lane);
    release_waits();
    swapcontext(&f.ctx, &b.sched);
}

void warp_wait(Warp& w, unsigned mask, const char* what) {
    const int lane = linear_tid() % 32;
    if (w.arrived == 0) {
        w.mask = mask;
    } else if (w.mask != mask) {
        error("%s: lanes of a warp wait with different masks (%08x, %08x)", what, w.mask, mask);
    }
    const unsigned gen = w.gen;
    w.arrived |= 1u << lane;
    if ((w.arrived & w.mask) == w.mask) {
        w.arrived = 0;
        ++w.gen;
        return;
    }
    wait_for(2, gen);
}

void run_block(const Config& c, const std::function<void()>& body, std::vector<std::unique_ptr<char[]>>& stacks) {
    Block b;
    b.body = &body;
    const int n = static_cast<int>(c.block.x * c.block.y * c.block.z);
    b.fibers.resize(n);
    b.warps.resize((n + 31) / 32);
    b.alive = n;
    for (int i = 0; i < n; ++i) {
        b.warps[i / 32].exists |= 1u << (i % 32);
        b.warps[i / 32].alive |= 1u << (i % 32);
    }
    if (stacks.size() < static_cast<size_t>(n)) stacks.resize(n);
    g_block = &b;
    for (int i = 0; i < n; ++i) {
        Fiber& f = b.fibers[i];
        f.tid = {i % c.block.x, (i / c.block.x) % c.block.y, i / (c.block.x * c.block.y)};
        if (!stacks[i]) stacks[i].reset(new char[kStack]);
        getcontext(&f.ctx);
        f.ctx.uc_stack.ss_sp = stacks[i].get();
        f.ctx.uc_stack.ss_size = kStack;
        f.ctx.uc_link = nullptr;
        makecontext(&f.ctx, entry, 0);
    }
    const bool rev = reverse_order();
    while (b.alive > 0) {
        int next = -1;
        for (int k = 0; k < n && next < 0; ++k) {
            const int i = rev ? n - 1 - k : k;
            if (runnable(b, i)) next = i;
        }
        if (next >= 0) {
            b.cur = next;
            threadIdx = b.fibers[next].tid;
            swapcontext(&b.sched, &b.fibers[next].ctx);
        } else {
            error("deadlock: %d threads wait at a barrier or warp collective that others never reach", b.alive);
            std::fprintf(stderr, "SIMT: aborting the emulation after a deadlock\n");
            std::abort();
        }
    }
    g_block = nullptr;
}

}  // namespace

void run_grid(const Config& c, const std::function<void()>& body) {
    static std::vector<std::unique_ptr<char[]>> stacks;
    gridDim = c.grid;
    blockDim = c.block;
    for (unsigned z = 0; z < c.grid.z; ++z)
        for (unsigned y = 0; y < c.grid.y; ++y)
            for (unsigned x = 0; x < c.grid.x; ++x) {
                blockIdx = {x, y, z};
                run_block(c, body, stacks);
            }
}

int lane_id() { return linear_tid() % 32; }

void sync_block() {
    Block& b = *g_block;
    const unsigned gen = b.bar_gen;
    if (++b.bar_arrived >= b.alive) {
        b.bar_arrived = 0;
        ++b.bar_gen;
        return;
    }
    wait_for(1, gen);
}

float shfl_xor(unsigned mask, float v, int lane_mask) {
    Block& b = *g_block;
    const int lane = linear_tid() % 32;
    Warp& w = b.warps[linear_tid() / 32];
    const int src = lane ^ lane_mask;
    if (!(mask >> lane & 1u)) error("__shfl_xor_sync: calling lane %d is not in mask %08x", lane, mask);
    if ((mask & w.exists) != mask) error("__shfl_xor_sync: mask %08x names lanes the block does not have", mask);
    if ((mask & w.alive) != mask) error("__shfl_xor_sync: mask %08x names exited lanes (alive %08x)", mask, w.alive);
    if (src < 0 || src > 31 || !(mask >> src & 1u)) error("__shfl_xor_sync: source lane %d not in mask", src);
    w.slot[lane] = v;
    warp_wait(w, mask, "__shfl_xor_sync");
    const float r = w.slot[src & 31];
    warp_wait(w, mask, "__shfl_xor_sync");
    return r;
}

void warp_collective(const char* what) {
    Block& b = *g_block;
    Warp& w = b.warps[linear_tid() / 32];
    if (w.exists != 0xffffffffu || w.alive != 0xffffffffu) error("%s: needs all 32 lanes of the warp", what);
    warp_wait(w, 0xffffffffu, what);
}

}  // namespace vim4j_simt
