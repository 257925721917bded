// The orchestration of the fused mixer layer (host code) compiled for the emulation library.
#include "../../../src/cuda/mixer.cu"
