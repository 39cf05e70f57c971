package dev.slmops.tensor.matmul;

import dev.slmops.tensor.DType;
import dev.slmops.tensor.parallel.WorkerPool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;

/**
 * Prefill GEMM of Q4_0 weights ({@link NibbleGroups}) in 16-bit integer lanes, as ggml computes its Q4_0 products:
 * x rounded to q8_0 (per row and 32-block, d = fp16(max |x| / 127), q = rint(x / d)), and per output and block the
 * exact integer dot of the centred weight quants with x's quants, scaled by both scales and summed block by block:
 *
 * <pre>  y[m][n] = sum_b  float(sum_{k in b} (qw[n][k] - 8) * qx[m][k])  *  (dw[n][b] * dx[m][b])</pre>
 *
 * <p>Why: the Vector API has no 8-bit dot product (no VNNI), but one 16-bit multiply and one add cover 32 products
 * where an F32 FMA covers 16; a 32-block's products (|q - 8| <= 8, |qx| <= 127) sum exactly in 16 bits as pairs of
 * 16 (16 * 1016 per lane, 32512 per pair). Measured, one thread, Zen 5 (a probe timing gemm alone, 512 rows):
 * 896 x 4864 ~205 GFLOPS, 1536 x 576 ~237, against ~165-180 for the F32 panel GEMM on expanded weights. In the
 * engine (slmops bench, pp512, 2 threads, alternating runs of one session): see docs/benchmarks.md.
 *
 * <p>Layout: a panel is 64 outputs (4 groups of 16 rows); per 32-block, 16 k-pairs of [4 groups][32 short lanes]
 * (lane 2r + e: row r of the group, k = 2j + e), the {@link NibbleGroups} chunk order widened, quants minus 8,
 * expanded a slab of {@link #SLAB_BLOCKS} blocks at a time. x is rounded once per call into blocks of {@link #MR}
 * rows, k-pairs as ints: {@code xq[2j] | xq[2j+1] << 16}, broadcast as one int to every short pair. The micro-kernel
 * ({@link #slab}) keeps 3 x 4 short accumulators over one block, pair-sums them to ints and folds them into 3 x 4
 * float accumulators, all in registers. Per output the blocks are summed in k order by one FMA each, so the result
 * does not depend on the threads; {@link #reference} is the scalar twin (same bits).
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
    static final int MR = 3;
    /** Outputs per panel: 4 groups of 16. */
    static final int NR = 64;
    static final int GROUPS_PER_PANEL = NR / 16;
    /** k-pairs per 32-block. */
    static final int PAIRS = 16;
    /** Shorts of one block of a panel: [16 pairs][4 groups][32 lanes]. */
    static final int BLOCK_SHORTS = PAIRS * NR * 2;
    /** 32-blocks of weights expanded at a time: 8 x 4 KiB, kept in L1 while every row block passes. */
    static final int SLAB_BLOCKS = 8;

    /**
     * x [M, K] rounded to q8_0, rows padded with zeros to whole blocks of {@link #MR}: {@code pairs[row * K/2 + j]}
     * holds the row's quants 2j and 2j + 1 (the little-endian int of the two shorts), {@code d[row * K/32 + b]} its
     * block scales.
     */
    record Activations(int[] pairs, float[] d, int m, int k) {
        int rowBlocks() {
            return (m + MR - 1) / MR;
        }
    }

    /** Per thread: the activations buffer of the calling thread, and each task's panel scratch. */
    private static final ThreadLocal<Activations[]> ACTIVATIONS = ThreadLocal.withInitial(() -> new Activations[1]);
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * A thread's buffers: a slab of a panel's weights and scales, the [rows][64] float tile; a row's quants and block
     * scales while x is rounded.
     */
    private static final class Scratch {
        final short[] weights = new short[SLAB_BLOCKS * BLOCK_SHORTS];
        final float[] scales = new float[SLAB_BLOCKS * NR];
        float[] tile = new float[0];
        short[] rowQ = new short[0];
        float[] rowD = new float[0];

        float[] tile(int n) {
            if (tile.length < n) tile = new float[n];
            return tile;
        }

        void row(int k) {
            if (rowQ.length < k) {
                rowQ = new short[k];
                rowD = new float[k / 32];
            }
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
        int pairsNeeded = rowBlocks * MR * (k / 2), dNeeded = rowBlocks * MR * nb;
        int[] pairs = a != null && a.pairs.length >= pairsNeeded ? a.pairs : new int[pairsNeeded];
        float[] d = a != null && a.d.length >= dNeeded ? a.d : new float[dNeeded];
        a = new Activations(pairs, d, m, k);
        held[0] = a;
        pool.parallelFor(rowBlocks, rb -> {
            Scratch s = SCRATCH.get();
            s.row(k);
            short[] q = s.rowQ;
            float[] rowD = s.rowD;
            for (int row = rb * MR; row < rb * MR + MR; row++) {
                int base = row * (k / 2), dBase = row * nb;
                if (row < m) {
                    Int8Activations.quantizeInto(x, xOff + row * k, k, q, rowD);
                    for (int j = 0; j < k; j += 32) {
                        ShortVector.fromArray(S, q, j).reinterpretAsInts().intoArray(pairs, base + j / 2);
                    }
                    System.arraycopy(rowD, 0, d, dBase, nb);
                } else {
                    java.util.Arrays.fill(pairs, base, base + k / 2, 0);
                    java.util.Arrays.fill(d, dBase, dBase + nb, 0f);
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

    /** Zeros: the float accumulators' start for a panel's first slab (read at row stride 0). */
    private static final float[] ZEROS = new float[NR];

    /**
     * Outputs [64p, 64p + 64) of every row, slab by slab of weights: the running sums in the float tile between
     * slabs, the last slab's straight into y where a block of rows is whole and the panel full width.
     */
    private static void panel(NibbleGroups w, int p, Activations x, float[] y, int yOff) {
        Scratch s = SCRATCH.get();
        int k = w.cols, nb = k / 32, rowBlocks = x.rowBlocks(), n = w.rows, m = x.m();
        int n0 = p * NR, width = Math.min(NR, n - n0);
        float[] tile = s.tile(rowBlocks * MR * NR);
        for (int b0 = 0; b0 < nb; b0 += SLAB_BLOCKS) {
            int blocks = Math.min(SLAB_BLOCKS, nb - b0);
            boolean first = b0 == 0, last = b0 + blocks == nb;
            w.int16Panel(p, b0, blocks, s.weights, s.scales);
            for (int rb = 0; rb < rowBlocks; rb++) {
                int row = rb * MR;
                boolean direct = last && width == NR && row + MR <= m;
                slab(x.pairs(), row * (k / 2) + b0 * PAIRS, k / 2, x.d(), row * nb + b0, nb, s.weights, s.scales,
                        blocks, first ? ZEROS : tile, first ? 0 : row * NR, first ? 0 : NR,
                        direct ? y : tile, direct ? yOff + row * n + n0 : row * NR, direct ? n : NR);
            }
        }
        int fromTile = width == NR ? m / MR * MR : 0; // rows [fromTile, m) are in the tile
        for (int r = fromTile; r < m; r++) System.arraycopy(tile, r * NR, y, yOff + r * n + n0, width);
    }

    /**
     * The micro-kernel: 3 rows of x by the 64 outputs of a slab of {@code blocks} 32-blocks. Per block, the exact
     * dots of (qw - 8) by qx in 3 x 4 short accumulators over its 16 k-pairs (x: {@code xp[xo + r * xs + 16b + j]},
     * weights: {@code w[(16b + j) * 128 ..]}), then folded into 3 x 4 float accumulators held in registers:
     * {@code f = fma(float(pair sum), dw[b] * dx[r][b], f)}. The floats start from {@code in[io + r * is + o]}
     * and end in {@code out[oo + r * os + o]}.
     *
     * <p>One method of Vector API calls only: a helper of our own taking vectors is refused inlining here
     * (NodeCountInliningCutoff) and then boxes them; the Vector API's own methods are force-inlined late. Holding
     * the floats in registers instead of passing the block dots through memory to a separate flush was ~15-30%
     * faster (a timing probe, one thread, Zen 5); so were slabs of 8 blocks (32 KiB, in L1) over 32.
     *
     * <p>What the per-block flush costs (the same probe, this method alone, 2026-11-29): 128-140 G multiply-adds/s,
     * against 180-190 for its multiply-add loop with no flush. Each (row, output, block) needs its own scale product,
     * pair sum, conversion and FMA; dropping the products alone gave +14%, the pair sums +10-13%, the conversions
     * 0-3%. One output per short lane (no pair sums, x broadcast per k instead of per k-pair) ran 100: the extra
     * broadcasts cost more than the pair sums. A loop mixing F32 FMAs into the integer multiply-adds ran 130 against
     * 190 for the integer loop alone (111 for F32 alone): the mix only slows the integer path.
     */
    static void slab(int[] xp, int xo, int xs, float[] dx, int dxo, int ds, short[] w, float[] dw, int blocks,
            float[] in, int io, int is, float[] out, int oo, int os) {
        FloatVector f00 = FloatVector.fromArray(F, in, io), f01 = FloatVector.fromArray(F, in, io + 16);
        FloatVector f02 = FloatVector.fromArray(F, in, io + 32), f03 = FloatVector.fromArray(F, in, io + 48);
        FloatVector f10 = FloatVector.fromArray(F, in, io + is), f11 = FloatVector.fromArray(F, in, io + is + 16);
        FloatVector f12 = FloatVector.fromArray(F, in, io + is + 32), f13 = FloatVector.fromArray(F, in, io + is + 48);
        int io2 = io + 2 * is, oo2 = oo + 2 * os;
        FloatVector f20 = FloatVector.fromArray(F, in, io2), f21 = FloatVector.fromArray(F, in, io2 + 16);
        FloatVector f22 = FloatVector.fromArray(F, in, io2 + 32), f23 = FloatVector.fromArray(F, in, io2 + 48);
        ShortVector z = ShortVector.zero(S);
        for (int b = 0; b < blocks; b++) {
            ShortVector a00 = z, a01 = z, a02 = z, a03 = z, a10 = z, a11 = z, a12 = z, a13 = z;
            ShortVector a20 = z, a21 = z, a22 = z, a23 = z;
            for (int j = 0, wj = b * BLOCK_SHORTS, xj = xo + b * PAIRS; j < PAIRS; j++, wj += 2 * NR, xj++) {
                ShortVector w0 = ShortVector.fromArray(S, w, wj), w1 = ShortVector.fromArray(S, w, wj + 32);
                ShortVector w2 = ShortVector.fromArray(S, w, wj + 64), w3 = ShortVector.fromArray(S, w, wj + 96);
                ShortVector xv = IntVector.broadcast(I, xp[xj]).reinterpretAsShorts();
                a00 = a00.add(w0.mul(xv)); a01 = a01.add(w1.mul(xv)); a02 = a02.add(w2.mul(xv)); a03 = a03.add(w3.mul(xv));
                xv = IntVector.broadcast(I, xp[xj + xs]).reinterpretAsShorts();
                a10 = a10.add(w0.mul(xv)); a11 = a11.add(w1.mul(xv)); a12 = a12.add(w2.mul(xv)); a13 = a13.add(w3.mul(xv));
                xv = IntVector.broadcast(I, xp[xj + 2 * xs]).reinterpretAsShorts();
                a20 = a20.add(w0.mul(xv)); a21 = a21.add(w1.mul(xv)); a22 = a22.add(w2.mul(xv)); a23 = a23.add(w3.mul(xv));
            }
            // the short lanes as ints, lo + 2^16 hi: the pair sum (|.| <= 32512) is the top half of (v + (v << 16))
            int sb = b * NR, db = dxo + b;
            FloatVector s0 = FloatVector.fromArray(F, dw, sb), s1 = FloatVector.fromArray(F, dw, sb + 16);
            FloatVector s2 = FloatVector.fromArray(F, dw, sb + 32), s3 = FloatVector.fromArray(F, dw, sb + 48);
            float d0 = dx[db], d1 = dx[db + ds], d2 = dx[db + 2 * ds];
            IntVector i;
            i = a00.reinterpretAsInts();
            f00 = ((FloatVector) i.add(i.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(s0.mul(d0), f00);
            i = a01.reinterpretAsInts();
            f01 = ((FloatVector) i.add(i.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(s1.mul(d0), f01);
            i = a02.reinterpretAsInts();
            f02 = ((FloatVector) i.add(i.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(s2.mul(d0), f02);
            i = a03.reinterpretAsInts();
            f03 = ((FloatVector) i.add(i.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(s3.mul(d0), f03);
            i = a10.reinterpretAsInts();
            f10 = ((FloatVector) i.add(i.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(s0.mul(d1), f10);
            i = a11.reinterpretAsInts();
            f11 = ((FloatVector) i.add(i.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(s1.mul(d1), f11);
            i = a12.reinterpretAsInts();
            f12 = ((FloatVector) i.add(i.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(s2.mul(d1), f12);
            i = a13.reinterpretAsInts();
            f13 = ((FloatVector) i.add(i.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(s3.mul(d1), f13);
            i = a20.reinterpretAsInts();
            f20 = ((FloatVector) i.add(i.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(s0.mul(d2), f20);
            i = a21.reinterpretAsInts();
            f21 = ((FloatVector) i.add(i.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(s1.mul(d2), f21);
            i = a22.reinterpretAsInts();
            f22 = ((FloatVector) i.add(i.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(s2.mul(d2), f22);
            i = a23.reinterpretAsInts();
            f23 = ((FloatVector) i.add(i.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(s3.mul(d2), f23);
        }
        f00.intoArray(out, oo); f01.intoArray(out, oo + 16);
        f02.intoArray(out, oo + 32); f03.intoArray(out, oo + 48);
        f10.intoArray(out, oo + os); f11.intoArray(out, oo + os + 16);
        f12.intoArray(out, oo + os + 32); f13.intoArray(out, oo + os + 48);
        f20.intoArray(out, oo2); f21.intoArray(out, oo2 + 16);
        f22.intoArray(out, oo2 + 32); f23.intoArray(out, oo2 + 48);
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
