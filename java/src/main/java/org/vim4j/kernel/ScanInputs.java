package org.vim4j.kernel;

/**
 * What a selective scan reads, per token: {@code u} (the conv output), {@code delta} (dt_proj's output before bias and
 * softplus), {@code b} and {@code c} (the B and C columns of x_proj's output) and {@code z} (the gate half of in_proj's
 * output). Each is {@code batch * len} rows; B and C rows hold {@code states} floats, the others {@code channels}.
 */
public record ScanInputs(Rows u, Rows delta, Rows b, Rows c, Rows z) {
}
