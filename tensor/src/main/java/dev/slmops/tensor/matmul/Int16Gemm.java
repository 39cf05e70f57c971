package dev.slmops.tensor.matmul;

import dev.slmops.tensor.DType;
import dev.slmops.tensor.parallel.WorkerPool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Prefill GEMM of Q4_0 weights ({@link NibbleGroups}) in 16-bit integer lanes, as ggml computes its Q4_0 products:
 * x rounded to q8_0 (per row and 32-block, d = fp16(max |x| / 127), q = rint(x / d)), and per output and block the
 * exact integer dot of the centred weight quants with x's quants, scaled by both scales and summed block by block:
 *
 * <pre>  y[m][n] = sum_b  float(sum_{k in b} (qw[n][k] - 8) * qx[m][k])  *  (dw[n][b] * dx[m][b])</pre>
 *
 * <p>Why: the Vector API has no 8-bit dot product (no VNNI), but one 16-bit multiply and one add cover 32 products
 * where an F32 FMA covers 16; a 32-block's products (|q - 8| <= 8, |qx| <= 127) sum exactly in 16 bits as pairs of
 * 16 (16 * 1016 per lane, 32512 per pair). Measured, one thread, Zen 5, 6 rows x 64 outputs x 576: ~120 G
 * multiply-adds/s here against ~80-110 for the F32 micro-kernel on expanded panels. In the engine (slmops bench,
 * pp512, 2 threads, same session, alternating runs): qwen2.5-0.5b Q4_0 ~370 -> ~424 tokens/s; smollm2-135m Q4_0
 * within the noise (~955 -> ~975): its products are small and the rest of a prefill weighs more.
 *
 * <p>Layout: a panel is 64 outputs (4 groups of 16 rows); per 32-block, 16 k-pairs of [4 groups][32 short lanes]
 * (lane 2r + e: row r of the group, k = 2j + e), the {@link NibbleGroups} chunk order widened, quants minus 8.
 * x is rounded once per call into blocks of 6 rows, k-pairs as ints: {@code xq[2j] | xq[2j+1] << 16}, broadcast as
 * one int to every short pair. The micro-kernel keeps 6 x 4 short accumulators (24 registers) over one block, then
 * pair-sums them to ints; {@link #flush} scales and adds them to a float tile. Per output the blocks are summed in k
 * order by one FMA each, so the result does not depend on the threads; {@link #reference} is the scalar twin (same
 * bits).
 */
final class Int16Gemm {
    private Int16Gemm() {
    }

    static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    static final VectorSpecies<Float> F = FloatVector.SPECIES_512;

    /**
     * Whether it runs here: 512-bit vectors with 16-row groups and the int8 paths on ({@code -Dslmops.int16Gemm=false}
     * keeps the F32 GEMM). Not on AVX2, where it has not been measured.
     */
    static final boolean ENABLED = VectorPath.ENABLED && Int8Activations.ENABLED && RowGroups.G == 16
            && ShortVector.SPECIES_PREFERRED.length() >= 32 && !"false".equals(System.getProperty("slmops.int16Gemm"));

    /** Rows of x per micro-kernel call. */
    static final int MR = 6;
    /** Outputs per panel: 4 groups of 16. */
    static final int NR = 64;
    static final int GROUPS_PER_PANEL = NR / 16;
    /** k-pairs per 32-block. */
    static final int PAIRS = 16;
    /** Shorts of one block of a panel: [16 pairs][4 groups][32 lanes]. */
    static final int BLOCK_SHORTS = PAIRS * NR * 2;
    /** 32-blocks of weights expanded at a time: 32 x 4 KiB, kept in L2 while every row block passes. */
    static final int SLAB_BLOCKS = 32;

    /**
     * x [M, K] rounded to q8_0 in blocks of {@link #MR} rows (rows past M are zero): {@code pairs[(rb * K/2 + j) * MR
     * + r]} holds row 6rb + r's quants 2j and 2j + 1, {@code d[(rb * K/32 + b) * MR + r]} its block scale.
     */
    record Activations(int[] pairs, float[] d, int m, int k) {
        int rowBlocks() {
            return (m + MR - 1) / MR;
        }
    }

    /** Per thread: the activations buffer of the calling thread, and each task's panel scratch. */
    private static final ThreadLocal<Activations[]> ACTIVATIONS = ThreadLocal.withInitial(() -> new Activations[1]);
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** A task's buffers: a slab of the panel's weights and scales, the block dots, the [rows][64] float tile. */
    private static final class Scratch {
        final short[] weights = new short[SLAB_BLOCKS * BLOCK_SHORTS];
        final float[] scales = new float[SLAB_BLOCKS * NR];
        final int[] dots = new int[MR * NR];
        float[] tile = new float[0];

        float[] tile(int n) {
            if (tile.length < n) tile = new float[n];
            return tile;
        }
    }

    /**
     * x[xOff ..][M, K] rounded as ggml's q8_0 ({@link Int8Activations#quantize}'s bits) into the calling thread's
     * buffer (kept for the next call), a task per block of rows on the pool.
     */
    static Activations quantize(float[] x, int xOff, int m, int k, WorkerPool pool) {
        int rowBlocks = (m + MR - 1) / MR, nb = k / 32;
        Activations[] held = ACTIVATIONS.get();
        Activations a = held[0];
        int pairsNeeded = rowBlocks * (k / 2) * MR, dNeeded = rowBlocks * nb * MR;
        int[] pairs = a != null && a.pairs.length >= pairsNeeded ? a.pairs : new int[pairsNeeded];
        float[] d = a != null && a.d.length >= dNeeded ? a.d : new float[dNeeded];
        a = new Activations(pairs, d, m, k);
        held[0] = a;
        pool.parallelFor(rowBlocks, rb -> {
            short[] q = new short[k];
            float[] rowD = new float[nb], sum = new float[nb];
            int base = rb * (k / 2) * MR, dBase = rb * nb * MR;
            for (int r = 0; r < MR; r++) {
                int row = rb * MR + r;
                if (row < m) {
                    Int8Activations.quantizeInto(x, xOff + row * k, k, q, rowD, sum);
                    for (int j = 0; j < k / 2; j++) pairs[base + j * MR + r] = (q[2 * j] & 0xFFFF) | (q[2 * j + 1] << 16);
                    for (int b = 0; b < nb; b++) d[dBase + b * MR + r] = rowD[b];
                } else {
                    for (int j = 0; j < k / 2; j++) pairs[base + j * MR + r] = 0;
                    for (int b = 0; b < nb; b++) d[dBase + b * MR + r] = 0f;
                }
            }
        });
        return a;
    }

    /** y[M, N] = x . W^T for {@code w} (Q4_0), x rounded by {@link #quantize}: a task per panel of 64 outputs. */
    static void gemm(NibbleGroups w, Activations x, float[] y, int yOff, WorkerPool pool) {
        pool.parallelFor(panels(w), p -> panel(w, p, x, y, yOff));
    }

    /** {@link #gemm} of several weights on one x (q/k/v, gate/up) as one parallel loop over all their panels. */
    static void gemmAll(NibbleGroups[] ws, Activations x, float[][] ys, WorkerPool pool) {
        int n = ws.length;
        int[] first = new int[n + 1];
        for (int i = 0; i < n; i++) first[i + 1] = first[i] + panels(ws[i]);
        pool.parallelFor(first[n], t -> {
            int i = 0;
            while (t >= first[i + 1]) i++;
            panel(ws[i], t - first[i], x, ys[i], 0);
        });
    }

    static int panels(NibbleGroups w) {
        return (w.rows + NR - 1) / NR;
    }

    /** Outputs [64p, 64p + 64) of every row: slab by slab of weights, every block of rows into the float tile. */
    private static void panel(NibbleGroups w, int p, Activations x, float[] y, int yOff) {
        Scratch s = SCRATCH.get();
        int k = w.cols, nb = k / 32, rowBlocks = x.rowBlocks(), n = w.rows;
        float[] tile = s.tile(rowBlocks * MR * NR);
        for (int b0 = 0; b0 < nb; b0 += SLAB_BLOCKS) {
            int blocks = Math.min(SLAB_BLOCKS, nb - b0);
            w.int16Panel(p, b0, blocks, s.weights, s.scales);
            for (int rb = 0; rb < rowBlocks; rb++) {
                int xo = rb * (k / 2) * MR, dxo = rb * nb * MR, to = rb * MR * NR;
                for (int b = 0; b < blocks; b++) {
                    blockDots(x.pairs(), xo + (b0 + b) * PAIRS * MR, s.weights, b * BLOCK_SHORTS, s.dots);
                    flush(s.dots, s.scales, b * NR, x.d(), dxo + (b0 + b) * MR, tile, to, b0 + b == 0);
                }
            }
        }
        int n0 = p * NR, width = Math.min(NR, n - n0);
        for (int r = 0; r < x.m(); r++) System.arraycopy(tile, r * NR, y, yOff + r * n + n0, width);
    }

    /**
     * The micro-kernel: dots[r * 64 + o] = sum over one 32-block of (qw - 8) * qx for the block's 6 rows r and 64
     * outputs o, from 16 k-pairs of x ({@code xp[xo + j * 6 + r]}) and of the panel ({@code w[wo + j * 128 ..]}).
     */
    static void blockDots(int[] xp, int xo, short[] w, int wo, int[] dots) {
        ShortVector z = ShortVector.zero(S);
        ShortVector a00 = z, a01 = z, a02 = z, a03 = z, a10 = z, a11 = z, a12 = z, a13 = z,
                a20 = z, a21 = z, a22 = z, a23 = z, a30 = z, a31 = z, a32 = z, a33 = z,
                a40 = z, a41 = z, a42 = z, a43 = z, a50 = z, a51 = z, a52 = z, a53 = z;
        for (int j = 0, wj = wo, xj = xo; j < PAIRS; j++, wj += 2 * NR, xj += MR) {
            ShortVector w0 = ShortVector.fromArray(S, w, wj), w1 = ShortVector.fromArray(S, w, wj + 32);
            ShortVector w2 = ShortVector.fromArray(S, w, wj + 64), w3 = ShortVector.fromArray(S, w, wj + 96);
            ShortVector xv = IntVector.broadcast(I, xp[xj]).reinterpretAsShorts();
            a00 = a00.add(w0.mul(xv)); a01 = a01.add(w1.mul(xv)); a02 = a02.add(w2.mul(xv)); a03 = a03.add(w3.mul(xv));
            xv = IntVector.broadcast(I, xp[xj + 1]).reinterpretAsShorts();
            a10 = a10.add(w0.mul(xv)); a11 = a11.add(w1.mul(xv)); a12 = a12.add(w2.mul(xv)); a13 = a13.add(w3.mul(xv));
            xv = IntVector.broadcast(I, xp[xj + 2]).reinterpretAsShorts();
            a20 = a20.add(w0.mul(xv)); a21 = a21.add(w1.mul(xv)); a22 = a22.add(w2.mul(xv)); a23 = a23.add(w3.mul(xv));
            xv = IntVector.broadcast(I, xp[xj + 3]).reinterpretAsShorts();
            a30 = a30.add(w0.mul(xv)); a31 = a31.add(w1.mul(xv)); a32 = a32.add(w2.mul(xv)); a33 = a33.add(w3.mul(xv));
            xv = IntVector.broadcast(I, xp[xj + 4]).reinterpretAsShorts();
            a40 = a40.add(w0.mul(xv)); a41 = a41.add(w1.mul(xv)); a42 = a42.add(w2.mul(xv)); a43 = a43.add(w3.mul(xv));
            xv = IntVector.broadcast(I, xp[xj + 5]).reinterpretAsShorts();
            a50 = a50.add(w0.mul(xv)); a51 = a51.add(w1.mul(xv)); a52 = a52.add(w2.mul(xv)); a53 = a53.add(w3.mul(xv));
        }
        // the short lanes as ints, lo + 2^16 hi: the pair sum (|.| <= 32512) is the top half of (v + (v << 16))
        a00.reinterpretAsInts().intoArray(dots, 0); a01.reinterpretAsInts().intoArray(dots, 16);
        a02.reinterpretAsInts().intoArray(dots, 32); a03.reinterpretAsInts().intoArray(dots, 48);
        a10.reinterpretAsInts().intoArray(dots, 64); a11.reinterpretAsInts().intoArray(dots, 80);
        a12.reinterpretAsInts().intoArray(dots, 96); a13.reinterpretAsInts().intoArray(dots, 112);
        a20.reinterpretAsInts().intoArray(dots, 128); a21.reinterpretAsInts().intoArray(dots, 144);
        a22.reinterpretAsInts().intoArray(dots, 160); a23.reinterpretAsInts().intoArray(dots, 176);
        a30.reinterpretAsInts().intoArray(dots, 192); a31.reinterpretAsInts().intoArray(dots, 208);
        a32.reinterpretAsInts().intoArray(dots, 224); a33.reinterpretAsInts().intoArray(dots, 240);
        a40.reinterpretAsInts().intoArray(dots, 256); a41.reinterpretAsInts().intoArray(dots, 272);
        a42.reinterpretAsInts().intoArray(dots, 288); a43.reinterpretAsInts().intoArray(dots, 304);
        a50.reinterpretAsInts().intoArray(dots, 320); a51.reinterpretAsInts().intoArray(dots, 336);
        a52.reinterpretAsInts().intoArray(dots, 352); a53.reinterpretAsInts().intoArray(dots, 368);
    }

    /**
     * tile[to + r * 64 + o] = fma(float(dot), dw[o] * dx[r], tile or 0 when {@code first}) for the 6 rows and 64
     * outputs of one block, the dot being the pair sum of {@code dots}' short lanes.
     */
    static void flush(int[] dots, float[] dw, int dwo, float[] dx, int dxo, float[] tile, int to, boolean first) {
        for (int r = 0; r < MR; r++) {
            float d = dx[dxo + r];
            for (int v = 0; v < NR; v += 16) {
                IntVector pi = IntVector.fromArray(I, dots, r * NR + v);
                FloatVector dot = (FloatVector) pi.add(pi.lanewise(VectorOperators.LSHL, 16))
                        .lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0);
                FloatVector scale = FloatVector.fromArray(F, dw, dwo + v).mul(d);
                int at = to + r * NR + v;
                FloatVector acc = first ? FloatVector.zero(F) : FloatVector.fromArray(F, tile, at);
                dot.fma(scale, acc).intoArray(tile, at);
            }
        }
    }

    /**
     * The scalar twin, the same bits: y[M, N] = x . W^T with x rounded as {@link Int8Activations#quantizeReference}
     * rounds it for Q4_0 and, per output, fma(float(integer dot), dw * dx, acc) block by block.
     */
    static void reference(NibbleGroups w, float[] x, int xOff, int m, float[] y, int yOff) {
        int k = w.cols, nb = k / 32;
        float[] dw = new float[nb];
        int[] qw = new int[k];
        Int8Activations[] xq = new Int8Activations[m];
        for (int r = 0; r < m; r++) xq[r] = Int8Activations.quantizeReference(x, xOff + r * k, k, DType.Q4_0);
        for (int n = 0; n < w.rows; n++) {
            w.centredQuants(n, qw, dw);
            for (int r = 0; r < m; r++) {
                float acc = 0f;
                for (int b = 0; b < nb; b++) {
                    int dot = 0;
                    for (int j = 32 * b; j < 32 * b + 32; j++) dot += qw[j] * xq[r].q()[j];
                    acc = Math.fma((float) dot, dw[b] * xq[r].d()[b], acc);
                }
                y[yOff + r * w.rows + n] = acc;
            }
        }
    }
}
