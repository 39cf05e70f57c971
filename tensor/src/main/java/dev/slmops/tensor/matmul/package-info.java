/**
 * Products with weight matrices: {@link dev.slmops.tensor.matmul.PackedWeights} repacks W [N, K] at load and
 * computes y[M, N] = x[M, K] . W[N, K]^T (GEMV for decode, BLIS-style GEMM for prefill), with
 * {@link dev.slmops.tensor.matmul.MatmulReference} as the naive oracle and
 * {@link dev.slmops.tensor.matmul.VectorPath} as the switch to the scalar twins.
 */
package dev.slmops.tensor.matmul;
