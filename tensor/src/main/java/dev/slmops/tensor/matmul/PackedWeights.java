package dev.slmops.tensor.matmul;

import dev.slmops.tensor.DType;
import dev.slmops.tensor.parallel.ThreadScratch;
import dev.slmops.tensor.parallel.WorkerPool;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A weight matrix W [N, K] (N = rows = output features, K = cols = input features, row-major as models store
 * linear layers) repacked at load into the layout its kernels read fastest, and the products with it:
 *
 * <pre>  y[M, N] = x[M, K] . W[N, K]^T      y[m][n] = sum_k x[m][k] * W[n][k]</pre>
 *
 * M = 1 is the decode GEMV (bandwidth-bound: every weight byte is read once per token); M > 1 is prefill or a
 * batch, run as a BLIS-style GEMM on F32 panels NR = 4 vectors wide (64 outputs on AVX-512, 32 on AVX2); quantized
 * and half-precision weights are expanded to an F32 panel of [KC, NR] at a time, then the F32 6 x NR micro-kernel runs.
 * Quantized weights take the GEMM only from 32 rows on (each call expands every weight once, ~0.5 ns apiece);
 * fewer rows run as GEMVs.
 *
 * <p>Families: F32/F16/BF16 keep [N/NR][K][NR] panels (the decode kernel streams them with no horizontal sums);
 * Q8_0 keeps int8 quants and the file's F16 scale per 32; Q6_K int8 quants (q-32), the file's int8 scale per 16 and
 * F16 d per 256. With int8 activations (AVX2, AVX-512) the 4- and 5-bit families keep rows interleaved in groups of
 * 8 or 16 ({@link NibbleGroups}: one pass gives a group's outputs, lanes = rows), with the file's scale fields (F16
 * for the _0/_1 types; 6-bit scales and mins with F16 d and dmin for the K-quants); without, row-major nibbles with
 * a float scale and offset per 32 ({@link Q4Rows}, {@link Q5Rows}: plus a 32-bit plane of fifth bits). Scales live in
 * their own arrays (interleaved blocks read ~25% slower).
 *
 * <p>With 256-bit vectors (AVX2) the decode GEMVs of Q8_0, Q6_K, Q5_0/Q5_1/Q5_K and Q4_0/Q4_1/Q4_K round x to
 * int8 per 32-block, as ggml does before its integer dot products, and multiply in 16-bit lanes
 * ({@link Int8Activations}); the F32 paths stay as their reference and as the GEMM.
 *
 * <p>{@link #matmul} multiplies x as ggml rounds it for this weight type ({@link ActivationRounding}: F16 for F16
 * weights, q8_0/q8_1/q8_K for the quantized families), so that prefill, batches and decode all compute llama.cpp's
 * products: the float paths get x rounded into a reused buffer first, the int8 GEMVs round it themselves the same way.
 * {@code -Dslmops.exactActivations=true} multiplies the exact F32 x instead.
 *
 * <p>Instances are immutable and safe to share between threads.
 */
public abstract sealed class PackedWeights permits PanelWeights, Q8Rows, Q6Rows, Q4Rows, Q5Rows, RowGroups {
    /** K elements per F32 panel slab in GEMM: B slab [KC][NR] floats = 48 KiB with AVX-512 (about L1), 24 with AVX2. */
    static final int KC = 192;

    final DType dtype;
    final int rows;
    final int cols;
    /** How {@link #matmul} rounds x first; set by {@link #pack} before the instance is shared (NONE in kernel tests). */
    ActivationRounding rounding = ActivationRounding.NONE;

    PackedWeights(DType dtype, int rows, int cols) {
        this.dtype = dtype;
        this.rows = rows;
        this.cols = cols;
    }

    /** The dtypes {@link #pack} accepts. */
    public static boolean supports(DType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K -> true;
            default -> false;
        };
    }

    /**
     * Repacks W [rows, cols] of type {@code type}, stored as ggml/safetensors do (row-major, little-endian, rows
     * of whole blocks) at {@code src[offset..]}. The source is only read here; it may be unmapped afterwards.
     */
    public static PackedWeights pack(DType type, MemorySegment src, long offset, int rows, int cols) {
        return pack(type, src, offset, rows, cols, Int8Activations.ENABLED, ActivationRounding.forWeights(type));
    }

    /**
     * {@link #pack(DType, MemorySegment, long, int, int, boolean)}, with {@link #matmul} rounding x by
     * {@code rounding} first (tests choose; {@link #pack(DType, MemorySegment, long, int, int)} takes ggml's).
     */
    static PackedWeights pack(DType type, MemorySegment src, long offset, int rows, int cols, boolean int8,
                              ActivationRounding rounding) {
        PackedWeights w = pack(type, src, offset, rows, cols, int8);
        w.rounding = rounding;
        return w;
    }

    /**
     * {@link #pack(DType, MemorySegment, long, int, int)}, choosing whether the decode GEMVs of Q8_0, Q6_K and the
     * 4- and 5-bit families round the activations to int8 ({@link Int8Activations}; tests run both paths). The float
     * paths multiply x as given ({@link ActivationRounding#NONE}): the kernels' own tests. int8 is honoured where
     * the int8 kernels run ({@link Int8Activations#ENABLED}; not with 128-bit vectors): elsewhere the float layouts
     * serve, and {@link #matmul} rounds x first as it does for them.
     */
    static PackedWeights pack(DType type, MemorySegment src, long offset, int rows, int cols, boolean int8) {
        int8 &= Int8Activations.ENABLED;
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("weight shape [" + rows + ", " + cols + "] must be positive");
        }
        if (cols % type.blockSize != 0) {
            throw new IllegalArgumentException("a " + type + " weight row must be a whole number of " + type.blockSize
                    + "-element blocks, but the shape is [" + rows + ", " + cols + "]");
        }
        long need = type.bytesFor((long) rows * cols);
        if (offset < 0 || offset + need > src.byteSize()) {
            throw new IllegalArgumentException("a " + type + " weight [" + rows + ", " + cols + "] needs " + need
                    + " bytes at offset " + offset + " but only " + (src.byteSize() - offset) + " are there");
        }
        return switch (type) {
            case F32, F16, BF16 -> PanelWeights.from(type, src, offset, rows, cols);
            case Q8_0 -> {
                Q8Groups groups = RowGroups.applies(int8) ? Q8Groups.from(src, offset, rows, cols) : null;
                yield groups != null ? groups : Q8Rows.from(src, offset, rows, cols, int8);
            }
            case Q6_K -> {
                Q6Groups groups = RowGroups.applies(int8) ? Q6Groups.from(src, offset, rows, cols) : null;
                yield groups != null ? groups : Q6Rows.from(src, offset, rows, cols, int8);
            }
            case Q4_0, Q4_1, Q4_K -> NibbleGroups.applies(type, int8) ? NibbleGroups.from(type, src, offset, rows, cols)
                    : Q4Rows.from(type, src, offset, rows, cols, int8);
            case Q5_0, Q5_1, Q5_K -> NibbleGroups.applies(type, int8) ? NibbleGroups.from(type, src, offset, rows, cols)
                    : Q5Rows.from(type, src, offset, rows, cols, int8);
            default -> throw new UnsupportedOperationException("no matmul kernel for " + type
                    + " weights; supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K");
        };
    }

    public DType dtype() {
        return dtype;
    }

    /** N: output features. */
    public int rows() {
        return rows;
    }

    /** K: input features. */
    public int cols() {
        return cols;
    }

    /**
     * y[M, N] = x'[M, K] . W[N, K]^T, x' being x rounded as ggml rounds it for this weight type ({@link
     * ActivationRounding}; x itself under {@code -Dslmops.exactActivations=true}). {@code x} holds M rows of K floats
     * from {@code xOffset} (not modified), {@code y} receives M rows of N floats from {@code yOffset} (overwritten,
     * not accumulated). Runs on {@code pool}.
     */
    public final void matmul(float[] x, int xOffset, float[] y, int yOffset, int m, WorkerPool pool) {
        checkShapes(x, xOffset, y, yOffset, m);
        if (roundsInput(m)) multiply(rounded(rounding, x, xOffset, m, cols, pool), 0, y, yOffset, m, pool);
        else multiply(x, xOffset, y, yOffset, m, pool);
    }

    /**
     * {@link #matmul} (the same bits) for a caller whose x is scratch: where x is rounded first, it is rounded in
     * place instead of into a copy, so x afterwards holds x'. An inference MLP's down projection of a 512-token
     * prefill rounds [512, F] floats: 10 MB of copy for qwen2.5-0.5b, resident from then on.
     */
    public final void matmulOverwritingInput(float[] x, int xOffset, float[] y, int yOffset, int m, WorkerPool pool) {
        checkShapes(x, xOffset, y, yOffset, m);
        if (roundsInput(m)) roundInto(rounding, x, xOffset, m, cols, x, xOffset, pool);
        multiply(x, xOffset, y, yOffset, m, pool);
    }

    /** Whether {@link #multiply} of m rows runs {@link #gemm}. */
    final boolean runsGemm(int m) {
        return !QuantRowsBatch.applies(this, m) && m >= gemmMinRows();
    }

    /** {@link #matmul} on x as given (already rounded, or not to be). */
    private void multiply(float[] x, int xOffset, float[] y, int yOffset, int m, WorkerPool pool) {
        if (QuantRowsBatch.applies(this, m)) { // a few rows on quantized weights: one pass over the weights
            QuantRowsBatch.matmul(this, x, xOffset, y, yOffset, m, pool, VectorPath.ENABLED);
        } else if (m < gemmMinRows()) {
            for (int r = 0; r < m; r++) gemv(x, xOffset + r * cols, y, yOffset + r * rows, pool, VectorPath.ENABLED);
        } else {
            gemm(x, xOffset, y, yOffset, m, pool, VectorPath.ENABLED);
        }
    }

    /**
     * Whether {@link #matmul} of m rows rounds x into a buffer first (not when the int8 GEMVs round it, nor an int8
     * GEMM: {@link #gemmRoundsInput}).
     */
    private boolean roundsInput(int m) {
        return rounding != ActivationRounding.NONE && !(roundsToInt8() && m < gemmMinRows()) && !gemmRoundsInput(m);
    }

    /** Whether {@link #gemm} of m rows rounds the raw x itself, to int8 (Q4_0 on 512-bit vectors: {@link Int16Gemm}). */
    boolean gemmRoundsInput(int m) {
        return false;
    }

    /** Reused per calling thread (prefill rows can be megabytes; the pool's workers only read it). */
    private static final ThreadScratch ROUNDED = new ThreadScratch();

    /**
     * x[xOff ..][M, K] rounded by {@code r} into this thread's buffer (grown as needed); returns the buffer. Many rows
     * (prefill) are rounded on the pool, a task per block of rows: O(M K) work beside the GEMM's O(M N K).
     */
    private static float[] rounded(ActivationRounding r, float[] x, int xOff, int m, int k, WorkerPool pool) {
        float[] buf = ROUNDED.atLeast(m * k);
        roundInto(r, x, xOff, m, k, buf, 0, pool);
        return buf;
    }

    /** x[xOff ..][M, K] rounded by {@code r} into dst[dstOff ..] (x itself allowed: rows are rounded in place). */
    private static void roundInto(ActivationRounding r, float[] x, int xOff, int m, int k, float[] dst, int dstOff,
                                  WorkerPool pool) {
        int tasks = (long) m * k >= 1 << 15 ? Math.min(m, pool.threads()) : 1;
        if (tasks == 1) {
            r.round(x, xOff, m, k, dst, dstOff);
        } else {
            pool.parallelFor(tasks, t -> {
                int r0 = (int) ((long) m * t / tasks), r1 = (int) ((long) m * (t + 1) / tasks);
                r.round(x, xOff + r0 * k, r1 - r0, k, dst, dstOff + r0 * k);
            });
        }
    }

    private void checkShapes(float[] x, int xOffset, float[] y, int yOffset, int m) {
        if (m < 1) throw new IllegalArgumentException("matmul needs at least one activation row, got m=" + m);
        if (xOffset < 0 || xOffset + (long) m * cols > x.length) {
            throw new IndexOutOfBoundsException("x needs " + m + " x " + cols + " floats at " + xOffset + ", has " + x.length);
        }
        if (yOffset < 0 || yOffset + (long) m * rows > y.length) {
            throw new IndexOutOfBoundsException("y needs " + m + " x " + rows + " floats at " + yOffset + ", has " + y.length);
        }
    }

    /**
     * Below this many activation rows, M GEMVs beat the GEMM: quantized families expand W to F32 panels with a
     * dequantizer (vectorized per row, then a transpose into the panel: ~0.5-0.6 ns per weight for Q8_0/Q4_0 on
     * Zen 3, paid once per call), which pays off only over tens of rows.
     */
    int gemmMinRows() {
        return 32;
    }

    /**
     * Several products with one input, y_i[M, N_i] = x[M, K] . W_i[N_i, K]^T (q/k/v, or gate/up, of a layer), as
     * {@link #matmul} does each. For a few rows (decode) all the GEMVs run as one parallel loop: one dispatch and one
     * barrier instead of one per matrix, which matters when a decode step is hundreds of short loops; for many rows
     * (prefill) x is rounded once and all the GEMMs' panels run as one loop ({@link #gemmAll}).
     */
    public static void matmulAll(PackedWeights[] ws, float[] x, int xOffset, float[][] ys, int m, WorkerPool pool) {
        if (ws.length != ys.length) throw new IllegalArgumentException(ws.length + " weights but " + ys.length + " outputs");
        boolean fewRows = true;
        for (PackedWeights w : ws) {
            if (w.cols != ws[0].cols) {
                throw new IllegalArgumentException("matmulAll needs weights of one input width, got " + ws[0] + " and " + w);
            }
            fewRows &= m < w.gemmMinRows();
        }
        if (!fewRows || ws.length == 1) {
            if (ws.length > 1 && VectorPath.ENABLED && Arrays.stream(ws).allMatch(w -> w.gemmRoundsInput(m))) {
                // prefill q/k/v or gate/up of Q4_0: x rounded to int8 once, all the panels in one loop
                for (int i = 0; i < ws.length; i++) ws[i].checkShapes(x, xOffset, ys[i], 0, m);
                NibbleGroups[] nibbles = Arrays.copyOf(ws, ws.length, NibbleGroups[].class);
                Int16Gemm.gemmAll(nibbles, Int16Gemm.quantize(x, xOffset, m, ws[0].cols, pool), ys, pool);
                return;
            }
            boolean roundOnce = ws.length > 1;
            for (PackedWeights w : ws) roundOnce &= w.roundsInput(m) && w.rounding == ws[0].rounding;
            if (roundOnce) { // prefill q/k/v or gate/up: one rounded x for all of them
                for (int i = 0; i < ws.length; i++) ws[i].checkShapes(x, xOffset, ys[i], 0, m);
                float[] xr = rounded(ws[0].rounding, x, xOffset, m, ws[0].cols, pool);
                if (VectorPath.ENABLED && Arrays.stream(ws).allMatch(w -> w.runsGemm(m))) gemmAll(ws, xr, 0, ys, m, pool);
                else for (int i = 0; i < ws.length; i++) ws[i].multiply(xr, 0, ys[i], 0, m, pool);
                return;
            }
            for (int i = 0; i < ws.length; i++) ws[i].matmul(x, xOffset, ys[i], 0, m, pool);
            return;
        }
        for (int i = 0; i < ws.length; i++) ws[i].checkShapes(x, xOffset, ys[i], 0, m);
        if (m > 1 && Arrays.stream(ws).allMatch(w -> QuantRowsBatch.applies(w, m))) {
            if (Arrays.stream(ws).anyMatch(w -> w.roundsInput(m))) { // int8 turned off: x rounded first, as matmul
                for (int i = 0; i < ws.length; i++) ws[i].matmul(x, xOffset, ys[i], 0, m, pool);
                return;
            }
            // batched decode: q/k/v (gate/up) of one family prepare x once (int8 rounding), as gemvAll does for one row
            Object[][] prep = new Object[ws.length][];
            for (int i = 0; i < ws.length; i++) {
                for (int j = 0; j < i && prep[i] == null; j++) if (sharesGemvPrep(ws[j], ws[i])) prep[i] = prep[j];
                if (prep[i] == null) prep[i] = QuantRowsBatch.prepare(ws[i], x, xOffset, m, pool);
                QuantRowsBatch.matmul(ws[i], x, xOffset, prep[i], ys[i], 0, m, pool, VectorPath.ENABLED,
                        QuantRowsBatch.MULTI_ROW);
            }
            return;
        }
        // one loop over all GEMVs needs one x: round it once if they round alike, else each matmul rounds its own
        boolean anyRounds = false, allAlike = true;
        for (PackedWeights w : ws) {
            anyRounds |= w.roundsInput(m);
            allAlike &= w.roundsInput(m) == ws[0].roundsInput(m) && w.rounding == ws[0].rounding;
        }
        if (anyRounds && !allAlike) {
            for (int i = 0; i < ws.length; i++) ws[i].matmul(x, xOffset, ys[i], 0, m, pool);
            return;
        }
        if (anyRounds) {
            x = rounded(ws[0].rounding, x, xOffset, m, ws[0].cols, pool);
            xOffset = 0;
        }
        for (int r = 0; r < m; r++) gemvAll(ws, x, xOffset + r * ws[0].cols, ys, r, pool, VectorPath.ENABLED);
    }

    /** Row {@code row} of every y_i = W_i . x[xOff..] in one parallel loop; each matrix keeps its own task split. */
    static void gemvAll(PackedWeights[] ws, float[] x, int xOff, float[][] ys, int row, WorkerPool pool, boolean vector) {
        boolean vec = VectorPath.honoured(vector);
        int n = ws.length;
        Object[] prep = new Object[n];
        int[] firstTask = new int[n + 1];
        for (int i = 0; i < n; i++) {
            // q/k/v (gate/up) of one dtype read the same prepared x (int8 rounding, block sums): make it once
            for (int j = 0; j < i && prep[i] == null; j++) if (sharesGemvPrep(ws[j], ws[i])) prep[i] = prep[j];
            if (prep[i] == null) prep[i] = ws[i].gemvPrepare(x, xOff);
            firstTask[i + 1] = firstTask[i] + taskCount(ws[i].gemvUnits(), pool, ws[i].gemvMinUnitsPerTask());
        }
        pool.parallelFor(firstTask[n], t -> {
            int i = 0;
            while (t >= firstTask[i + 1]) i++;
            PackedWeights w = ws[i];
            int tasks = firstTask[i + 1] - firstTask[i], k = t - firstTask[i], units = w.gemvUnits();
            w.gemvRange(x, xOff, prep[i], ys[i], row * w.rows,
                    (int) ((long) units * k / tasks), (int) ((long) units * (k + 1) / tasks), vec);
        });
    }

    /** Whether {@link #gemvPrepare} of a and b give equal results for one x (same family, dtype and int8 switch). */
    static boolean sharesGemvPrep(PackedWeights a, PackedWeights b) {
        return a.getClass() == b.getClass() && a.dtype == b.dtype && a.roundsToInt8() == b.roundsToInt8() && a.cols == b.cols;
    }

    /** Decode product y[N] = W[N, K] . x[K]: {@link #gemvUnits} split in tasks over the pool. */
    void gemv(float[] x, int xOff, float[] y, int yOff, WorkerPool pool, boolean vector) {
        boolean vec = VectorPath.honoured(vector);
        Object prep = gemvPrepare(x, xOff);
        int units = gemvUnits();
        int tasks = taskCount(units, pool, gemvMinUnitsPerTask());
        pool.parallelFor(tasks, t -> gemvRange(x, xOff, prep, y, yOff,
                (int) ((long) units * t / tasks), (int) ((long) units * (t + 1) / tasks), vec));
    }

    /** Whether {@link #gemvPrepare} rounds x to int8 ({@link Int8Activations}) for this instance's GEMVs. */
    boolean roundsToInt8() {
        return false;
    }

    /** What a GEMV derives from x once before its tasks run (Q4/Q5: sums of x per 32-block), or null. */
    Object gemvPrepare(float[] x, int xOff) {
        return null;
    }

    /** The GEMV's units of work: output rows, or NR-row panels. */
    int gemvUnits() {
        return rows;
    }

    /** Units per task at least (so a task is not tiny). */
    int gemvMinUnitsPerTask() {
        return 16;
    }

    /**
     * Whether {@link #gemvRangeRows} runs several activation rows at once (int8 families with vector kernels): then
     * {@link QuantRowsBatch} unpacks each weight block once for all rows instead of once per row.
     */
    boolean hasMultiRowInt8() {
        return false;
    }

    /**
     * y[yOff + r * N + n] for the outputs n of GEMV units [u0, u1) and activation rows r in [r0, r0 + g) (g = 2 or
     * 4), x rounded to int8 ({@code prep[r]}: row r's {@link #gemvPrepare}); bit-identical to g calls of {@link
     * #gemvRange}. {@code scratch}: at least 4 x 16 floats of the calling task's, for the kernels' outputs (so that
     * a call allocates nothing).
     */
    void gemvRangeRows(Object[] prep, int r0, int g, float[] y, int yOff, int u0, int u1, float[] scratch) {
        throw new UnsupportedOperationException(this + " has no multi-row int8 kernel");
    }

    /** The GEMV's outputs for units [u0, u1): y[yOff + n] for the rows n those units cover. */
    abstract void gemvRange(float[] x, int xOff, Object prep, float[] y, int yOff, int u0, int u1, boolean vector);

    /**
     * Writes the F32 panel B[kc][NR] = W[NR*p + j][k0 + k] (zero where NR*p + j >= N) into {@code dst[0..kc*NR)}.
     * k0 and kc are multiples of 32 unless k0 + kc == K.
     */
    abstract void panel(int p, int k0, int kc, float[] dst);

    /**
     * Row n of W as floats, W[n][0 .. K) into {@code dst[off .. off + K)}: the values the GEMM multiplies, taken
     * from its F32 panels (a panel holds NR rows: the other rows' work is wasted; row-major layouts override this
     * with their direct row dequantization). They equal the stored matrix dequantized
     * ({@link dev.slmops.tensor.quant.Dequantize}; only a zero's sign may differ: q * d - 8d is +0 where (q - 8) * d
     * is -0), so a tied embedding table can read its rows here instead of from the file's pages (which would then
     * stay resident).
     */
    public void row(int n, float[] dst, int off) {
        java.util.Objects.checkIndex(n, rows);
        java.util.Objects.checkFromIndexSize(off, cols, dst.length);
        int nr = MicroKernel.NR, j = n % nr;
        float[] slab = ROW_SLAB.atLeast(Math.min(KC, cols) * nr);
        for (int k0 = 0; k0 < cols; k0 += KC) {
            int kc = Math.min(KC, cols - k0);
            panel(n / nr, k0, kc, slab);
            for (int k = 0; k < kc; k++) dst[off + k0 + k] = slab[k * nr + j];
        }
    }

    /** {@link #row}'s panel slab, per calling thread. */
    private static final dev.slmops.tensor.parallel.ThreadScratch ROW_SLAB = new dev.slmops.tensor.parallel.ThreadScratch();

    /** Number of NR-row panels, the last one possibly partial. */
    final int panels() {
        return (rows + MicroKernel.NR - 1) / MicroKernel.NR;
    }

    /** Tasks for {@code units} work units so each thread gets several (balance) but each task is not tiny. */
    static int taskCount(int units, WorkerPool pool, int minUnitsPerTask) {
        int byThreads = pool.threads() * 4;
        return Math.max(1, Math.min(byThreads, units / Math.max(1, minUnitsPerTask)));
    }

    /**
     * GEMM y[M, N] = x[M, K] . W^T on F32 panels: a task per NR-wide panel of W runs K in KC slabs, each slab (an F32
     * [KC][NR] expansion of the weights, made once per call, L1-resident) against every block of 6 or 4 rows of x
     * ({@link RowBlocks}: 8 decoding sequences run as 4 + 4, not 6 + 6 with 4 zero rows). One panel per task keeps the
     * threads' ends close (a thread waits at most one panel for the other, and a preempted worker's remaining panels
     * go to the caller). A padded last block runs from a zero-padded copy of its rows (a 1-row kernel ran them ~10x
     * slower per row: 4.5% of a qwen2.5-0.5b prefill for 2 of 512 rows). Per output the products are summed in k
     * order slab by slab, as {@link MicroKernel#kernelScalar} does: every path gives the same bits.
     */
    void gemm(float[] x, int xOff, float[] y, int yOff, int m, WorkerPool pool, boolean vector) {
        if (!VectorPath.honoured(vector)) {
            gemmScalar(x, xOff, y, yOff, m);
            return;
        }
        RowBlocks blocks = RowBlocks.of(m);
        float[] tailRows = tailRows(x, xOff, blocks, cols);
        pool.parallelFor(panels(), p -> gemmPanel(p, x, xOff, blocks, tailRows, y, yOff));
    }

    /**
     * {@link #gemm} of several weights on one x [M, K] (q/k/v, or gate/up, of a prefill), y_i = x . W_i^T, as one
     * parallel loop over all their panels: one dispatch and one barrier instead of one per matrix, and the small
     * matrices' few panels (k/v: 4-6) share the threads' balance with the big ones. The same bits as {@link #gemm}.
     */
    static void gemmAll(PackedWeights[] ws, float[] x, int xOff, float[][] ys, int m, WorkerPool pool) {
        int n = ws.length;
        int[] firstPanel = new int[n + 1];
        for (int i = 0; i < n; i++) firstPanel[i + 1] = firstPanel[i] + ws[i].panels();
        RowBlocks blocks = RowBlocks.of(m);
        float[] tailRows = tailRows(x, xOff, blocks, ws[0].cols);
        // every panel is NR rows over the same K: tasks of one cost, whichever thread's share they fall in
        pool.parallelFor(firstPanel[n], t -> {
            int i = 0;
            while (t >= firstPanel[i + 1]) i++;
            ws[i].gemmPanel(t - firstPanel[i], x, xOff, blocks, tailRows, ys[i], 0);
        });
    }

    /** The last block's live rows of x [M, K], zero-padded to the block's size, or null when that block is whole. */
    private static float[] tailRows(float[] x, int xOff, RowBlocks blocks, int k) {
        if (!blocks.lastPadded()) return null;
        int last = blocks.count() - 1;
        float[] rows = new float[blocks.size(last) * k];
        System.arraycopy(x, xOff + blocks.start(last) * k, rows, 0, blocks.live(last) * k);
        return rows;
    }

    /** Panel p of {@link #gemm}: outputs [NR*p, NR*p + NR) of every row; {@code tailRows} from {@link #tailRows}. */
    private void gemmPanel(int p, float[] x, int xOff, RowBlocks blocks, float[] tailRows, float[] y, int yOff) {
        final int nr = MicroKernel.NR, m = blocks.m();
        int count = blocks.count(), direct = blocks.lastPadded() ? count - 1 : count; // blocks read from x itself
        int tailStart = direct < count ? blocks.start(direct) : m; // first row of the padded block, if any
        int n0 = p * nr, width = Math.min(nr, rows - n0);
        // C: y in place for a whole panel's unpadded blocks; else scratch[TILE_AT..] as a [rows][NR] tile
        boolean inPlace = width == nr;
        int scratchSize = TILE_AT + ((inPlace ? 0 : tailStart) + MicroKernel.MR) * nr;
        float[] scratch = GEMM_SCRATCH.atLeast(scratchSize);
        float[] c = inPlace ? y : scratch;
        int c0 = inPlace ? yOff + n0 : TILE_AT, ldc = inPlace ? rows : nr;
        int tileRow = inPlace ? 0 : tailStart; // tile row of the padded block
        for (int k0 = 0; k0 < cols; k0 += KC) {
            int kc = Math.min(KC, cols - k0);
            float[] b;
            int bOff;
            PanelSlab slab = slab(p, k0);
            if (slab != null) {
                b = slab.array;
                bOff = slab.offset;
            } else {
                panel(p, k0, kc, scratch);
                b = scratch;
                bOff = 0;
            }
            boolean acc = k0 > 0;
            for (int i = 0; i < direct; i++) {
                int r = blocks.start(i);
                if (blocks.size(i) == 6) {
                    MicroKernel.kernel6(x, xOff + r * cols + k0, cols, b, bOff, kc, c, c0 + r * ldc, ldc, acc);
                } else {
                    MicroKernel.kernel4(x, xOff + r * cols + k0, cols, b, bOff, kc, c, c0 + r * ldc, ldc, acc);
                }
            }
            if (direct < count) {
                int at = TILE_AT + tileRow * nr;
                if (blocks.size(direct) == 6) MicroKernel.kernel6(tailRows, k0, cols, b, bOff, kc, scratch, at, nr, acc);
                else MicroKernel.kernel4(tailRows, k0, cols, b, bOff, kc, scratch, at, nr, acc);
            }
        }
        if (!inPlace) {
            for (int r = 0; r < tailStart; r++) System.arraycopy(scratch, TILE_AT + r * nr, y, yOff + r * rows + n0, width);
        }
        for (int r = 0; r < m - tailStart; r++) {
            System.arraycopy(scratch, TILE_AT + (tileRow + r) * nr, y, yOff + (tailStart + r) * rows + n0, width);
        }
    }

    /** Where a task's C tile starts in its scratch (after the [KC][NR] panel slab). */
    private static final int TILE_AT = KC * MicroKernel.NR;

    /** Scratch of each thread running GEMM tasks: a [KC][NR] panel slab, then a C tile of up to [M + 6][NR] (grown on demand). */
    private static final ThreadScratch GEMM_SCRATCH = new ThreadScratch();

    /** {@link #gemm}'s scalar twin: the same slabs, summed in the same order by {@link MicroKernel#kernelScalar}. */
    private void gemmScalar(float[] x, int xOff, float[] y, int yOff, int m) {
        final int nr = MicroKernel.NR;
        float[] b = new float[KC * nr], tile = new float[m * nr];
        for (int p = 0; p < panels(); p++) {
            int n0 = p * nr, width = Math.min(nr, rows - n0);
            for (int k0 = 0; k0 < cols; k0 += KC) {
                int kc = Math.min(KC, cols - k0);
                PanelSlab slab = slab(p, k0);
                if (slab != null) System.arraycopy(slab.array, slab.offset, b, 0, kc * nr);
                else panel(p, k0, kc, b);
                MicroKernel.kernelScalar(x, xOff + k0, cols, m, b, 0, kc, tile, 0, nr, k0 > 0);
            }
            for (int r = 0; r < m; r++) System.arraycopy(tile, r * nr, y, yOff + r * rows + n0, width);
        }
    }

    /** Where an F32 panel slab already sits in memory (F32 weights), or null to have {@link #panel} fill one. */
    PanelSlab slab(int p, int k0) {
        return null;
    }

    record PanelSlab(float[] array, int offset) {
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + dtype + " " + rows + "x" + cols + "]";
    }
}
