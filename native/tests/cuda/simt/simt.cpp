// The fiber scheduler of the SIMT emulation (see simt.h).
#include "simt.h"

#include <ucontext.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>

uint3 threadIdx;
uint3 blockIdx;
dim3 blockDim;
dim3 gridDim;

// Fiber switches: a few instructions on x86-64 (callee-saved registers, the stack pointer, MXCSR and the x87 control
// word), instead of swapcontext, which makes a sigprocmask system call every time (the kernels' shuffles and
// barriers switch millions of times per test). ucontext elsewhere, and under AddressSanitizer, which knows it.
#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define VIM4J_SIMT_FAST_SWITCH 1
extern "C" void vim4j_simt_switch(void** save_sp, void* to_sp);
extern "C" void vim4j_simt_trampoline();
extern "C" void vim4j_simt_fiber_main();
asm(R"(
    .text
    .globl vim4j_simt_switch
    .type vim4j_simt_switch, @function
vim4j_simt_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size vim4j_simt_switch, .-vim4j_simt_switch

    .globl vim4j_simt_trampoline
    .type vim4j_simt_trampoline, @function
vim4j_simt_trampoline:
    call vim4j_simt_fiber_main
    ud2
    .size vim4j_simt_trampoline, .-vim4j_simt_trampoline
)");
#endif

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

struct AsyncCopy {
    void* dst;
    const void* src;
    int bytes, src_bytes;
};

struct Fiber {
    ucontext_t ctx;
    void* sp = nullptr;  // the fast switch's saved stack pointer
    uint3 tid;
    bool done = false;
    int wait_kind = 0;  // 0: runnable, 1: at the block barrier, 2: at its warp's barrier
    unsigned wait_gen = 0;
    std::vector<AsyncCopy> uncommitted;           // cp.async since the last commit
    std::deque<std::vector<AsyncCopy>> groups;    // committed, not yet waited for (oldest first)
};

struct Warp {
    unsigned exists = 0, alive = 0;  // lane masks
    unsigned arrived = 0, mask = 0, gen = 0;
    uint32_t slot[2][32];  // shuffles alternate between two slot sets (one wait per shuffle)
    unsigned char xbuf[32 * 64];  // warp_exchange
};

struct Block {
    std::vector<Fiber> fibers;
    std::vector<Warp> warps;
    int cur = 0, alive = 0, bar_arrived = 0;
    unsigned bar_gen = 0;
    const std::function<void()>* body = nullptr;
    ucontext_t sched;
    void* sched_sp = nullptr;
};

Block* g_block = nullptr;

Fiber& cur() { return g_block->fibers[g_block->cur]; }
int linear_tid() { return g_block->cur; }

// From the running fiber to the scheduler, and from the scheduler to fiber i.
void to_scheduler() {
#ifdef VIM4J_SIMT_FAST_SWITCH
    vim4j_simt_switch(&cur().sp, g_block->sched_sp);
#else
    swapcontext(&cur().ctx, &g_block->sched);
#endif
}
void to_fiber(Block& b, int i) {
#ifdef VIM4J_SIMT_FAST_SWITCH
    vim4j_simt_switch(&b.sched_sp, b.fibers[i].sp);
#else
    swapcontext(&b.sched, &b.fibers[i].ctx);
#endif
}

void yield() { to_scheduler(); }

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
    if (!f.uncommitted.empty() || !f.groups.empty()) {
        error("cp.async: the thread exits with %zu copies it never waited for", f.uncommitted.size() + f.groups.size());
    }
    f.done = true;
    --b.alive;
    const int lane = linear_tid() % 32;
    b.warps[linear_tid() / 32].alive &= ~(1u << lane);
    release_waits();
    to_scheduler();  // never resumed
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
#ifdef VIM4J_SIMT_FAST_SWITCH
        // The frame vim4j_simt_switch pops: MXCSR / x87 control word, r15..rbp, then the return address (the
        // trampoline, which calls entry() with a 16-byte aligned stack).
        uintptr_t top = (reinterpret_cast<uintptr_t>(stacks[i].get()) + kStack) & ~uintptr_t{15};
        uint64_t* sp = reinterpret_cast<uint64_t*>(top - 16 - 64);
        const uint32_t csr[2] = {0x1F80u, 0x037Fu};
        std::memcpy(&sp[0], csr, 8);
        for (int r = 1; r <= 6; ++r) sp[r] = 0;
        sp[7] = reinterpret_cast<uint64_t>(&vim4j_simt_trampoline);
        f.sp = sp;
#else
        getcontext(&f.ctx);
        f.ctx.uc_stack.ss_sp = stacks[i].get();
        f.ctx.uc_stack.ss_size = kStack;
        f.ctx.uc_link = nullptr;
        makecontext(&f.ctx, entry, 0);
#endif
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
            to_fiber(b, next);
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

uint32_t shfl_bits(unsigned mask, uint32_t v, int src, const char* what) {
    Block& b = *g_block;
    const int lane = linear_tid() % 32;
    Warp& w = b.warps[linear_tid() / 32];
    if (!(mask >> lane & 1u)) error("%s: calling lane %d is not in mask %08x", what, lane, mask);
    if ((mask & w.exists) != mask) error("%s: mask %08x names lanes the block does not have", what, mask);
    if ((mask & w.alive) != mask) error("%s: mask %08x names exited lanes (alive %08x)", what, mask, w.alive);
    if (src < 0) src = lane;  // shfl.up/down past the segment: the lane keeps its own value
    if (src > 31 || !(mask >> src & 1u)) error("%s: source lane %d not in mask %08x", what, src, mask);
    // A lane can write this set again only two shuffles later, after every lane passed the next shuffle's wait,
    // which each reaches only after reading this one: one wait per shuffle suffices.
    const unsigned set = w.gen & 1u;
    w.slot[set][lane] = v;
    warp_wait(w, mask, what);
    return w.slot[set][src & 31];
}

void warp_collective(const char* what) {
    Block& b = *g_block;
    Warp& w = b.warps[linear_tid() / 32];
    if (w.exists != 0xffffffffu || w.alive != 0xffffffffu) error("%s: needs all 32 lanes of the warp", what);
    warp_wait(w, 0xffffffffu, what);
}

void warp_exchange(const void* mine, void* all, size_t bytes, const char* what) {
    Block& b = *g_block;
    const int lane = linear_tid() % 32;
    Warp& w = b.warps[linear_tid() / 32];
    if (bytes > 64) error("%s: %zu bytes per lane exceed the emulation's exchange buffer", what, bytes);
    if (w.exists != 0xffffffffu || w.alive != 0xffffffffu) error("%s: needs all 32 lanes of the warp", what);
    std::memcpy(w.xbuf + lane * bytes, mine, bytes);
    warp_wait(w, 0xffffffffu, what);
    std::memcpy(all, w.xbuf, 32 * bytes);
    warp_wait(w, 0xffffffffu, what);
}

void cp_async(void* dst, const void* src, int bytes, int src_bytes) {
    if (bytes != 4 && bytes != 8 && bytes != 16) error("cp.async: size %d is not 4, 8 or 16 bytes", bytes);
    if (src_bytes < 0 || src_bytes > bytes) error("cp.async: src-size %d outside [0, %d]", src_bytes, bytes);
    if (reinterpret_cast<uintptr_t>(dst) % bytes != 0) error("cp.async: shared address %p not %d-byte aligned", dst, bytes);
    if (src_bytes > 0 && reinterpret_cast<uintptr_t>(src) % bytes != 0) {
        error("cp.async: global address %p not %d-byte aligned", src, bytes);
    }
    cur().uncommitted.push_back({dst, src, bytes, src_bytes});
}

void cp_async_commit() {
    Fiber& f = cur();
    f.groups.push_back(std::move(f.uncommitted));
    f.uncommitted.clear();
}

void cp_async_wait(int pending_groups) {
    Fiber& f = cur();
    while (static_cast<int>(f.groups.size()) > pending_groups) {
        for (const AsyncCopy& c : f.groups.front()) {
            if (c.src_bytes > 0) std::memcpy(c.dst, c.src, static_cast<size_t>(c.src_bytes));
            std::memset(static_cast<char*>(c.dst) + c.src_bytes, 0, static_cast<size_t>(c.bytes - c.src_bytes));
        }
        f.groups.pop_front();
    }
}

}  // namespace vim4j_simt

#ifdef VIM4J_SIMT_FAST_SWITCH
extern "C" void vim4j_simt_fiber_main() { vim4j_simt::entry(); }
#endif
