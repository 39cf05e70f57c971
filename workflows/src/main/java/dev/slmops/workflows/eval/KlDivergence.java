package dev.slmops.workflows.eval;

import java.util.Arrays;

/**
 * KL divergence of a model Q from a base model P, position by position, with llama-perplexity's
 * {@code --kl-divergence} arithmetic: P comes from the stored {@link BaseLogProbs} rows (16-bit, tokens below
 * e^-16 dropped), Q from the float logits; per position KLD = Σ_i p_i (log p_i − log q_i), Δp = q(tok) − p(tok),
 * and whether both put their top probability on the same token.
 */
public final class KlDivergence {
    private double sumNll, sumNll2, sumNllBase, sumNllBase2, sumNllNllBase;
    private double sumKld, sumKld2, sumPDiff, sumPDiff2, sumPDiff4;
    private long sameTop, count;
    private float[] kldValues, pDiffValues;

    public KlDivergence(int expectedPositions) {
        kldValues = new float[Math.max(16, expectedPositions)];
        pDiffValues = new float[kldValues.length];
    }

    /** One position's numbers, computed independently of the others (in parallel), then {@link #accept}ed in order. */
    public record Position(float nll, float nllBase, double kld, float pDiff, boolean sameTop) {
    }

    /** Adds one position; see {@link #position}. */
    public void add(float[] logits, int off, int V, short[] base, int baseOff, int token) {
        accept(position(logits, off, V, base, baseOff, token));
    }

    /**
     * One position, with llama-perplexity's arithmetic (float where it uses float).
     *
     * @param logits Q's logits row at {@code off}, [V]
     * @param base   P's stored row at {@code baseOff}
     * @param token  the token that followed
     */
    public static Position position(float[] logits, int off, int V, short[] base, int baseOff, int token) {
        float max = logits[off];
        int imax = 0;
        for (int i = 1; i < V; i++) {
            if (logits[off + i] > max) {
                max = logits[off + i];
                imax = i;
            }
        }
        double sumExp = 0;
        for (int i = 0; i < V; i++) sumExp += (float) Math.exp(logits[off + i] - max);
        float logSumExp = (float) Math.log(sumExp);
        float scale = BaseLogProbs.scale(base, baseOff), minLogProb = BaseLogProbs.minLogProb(base, baseOff);
        int q = baseOff + 4;

        float nll = max + logSumExp - logits[off + token];
        float nllBase = -(scale * (base[q + token] & 0xFFFF) + minLogProb);

        float logZ = max + logSumExp; // log q_i = logits_i - logZ
        double kld = 0;
        int imaxBase = -1;
        float pLogBaseMax = 0;
        for (int i = 0; i < V; i++) {
            float pLogBase = scale * (base[q + i] & 0xFFFF) + minLogProb;
            if (i == 0 || pLogBase > pLogBaseMax) {
                pLogBaseMax = pLogBase;
                imaxBase = i;
            }
            if (pLogBase > -16f) kld += (float) Math.exp(pLogBase) * (pLogBase - logits[off + i] + logZ);
        }
        float pDiff = (float) Math.exp(-nll) - (float) Math.exp(-nllBase);
        return new Position(nll, nllBase, kld, pDiff, imax == imaxBase);
    }

    /** Adds a position's numbers to the sums. */
    public void accept(Position p) {
        float nll = p.nll(), nllBase = p.nllBase(), pDiff = p.pDiff();
        double kld = p.kld();
        sumNll += nll;
        sumNll2 += (double) nll * nll;
        sumNllBase += nllBase;
        sumNllBase2 += (double) nllBase * nllBase;
        sumNllNllBase += (double) nll * nllBase;
        sumKld += kld;
        sumKld2 += kld * kld;
        if (p.sameTop()) sameTop++;
        sumPDiff += pDiff;
        double pDiff2 = (double) pDiff * pDiff;
        sumPDiff2 += pDiff2;
        sumPDiff4 += pDiff2 * pDiff2;

        if (count == kldValues.length) {
            kldValues = Arrays.copyOf(kldValues, kldValues.length * 2);
            pDiffValues = Arrays.copyOf(pDiffValues, pDiffValues.length * 2);
        }
        kldValues[(int) count] = (float) kld;
        pDiffValues[(int) count] = pDiff;
        count++;
    }

    public long count() {
        return count;
    }

    /** A value and its ± (one standard error), as llama.cpp prints {@code v ± u}. */
    public record Estimate(double value, double uncertainty) {
    }

    /** mean and standard error of the mean; ± is 0 for fewer than 11 values (llama.cpp's rule). */
    static Estimate meanAndUncertainty(double sum, double sum2, long n) {
        if (n < 1) return new Estimate(0, 0);
        double f = sum / n;
        double df = sum2 / n - f * f;
        df = df > 0 && n > 10 ? Math.sqrt(df / (n - 1)) : 0;
        return new Estimate(f, df);
    }

    static double covariance(double sumA, double sumB, double sumAB, long n) {
        if (n < 10) return 0;
        return (sumAB / n - (sumA / n) * (sumB / n)) / (n - 1);
    }

    /** Linear interpolation between sorted values at {@code fraction * (n - 1)} (llama.cpp's percentile). */
    static double percentile(float[] sorted, int n, double fraction) {
        if (fraction <= 0) return sorted[0];
        if (fraction >= 1) return sorted[n - 1];
        float p = (float) fraction * (n - 1);
        int ip = (int) p;
        p -= ip;
        return (1 - p) * sorted[ip] + p * sorted[Math.min(ip + 1, n - 1)];
    }

    public KldResult result() {
        if (count == 0) throw new IllegalStateException("no positions were compared");
        int n = (int) count;
        float[] kld = Arrays.copyOf(kldValues, n), dp = Arrays.copyOf(pDiffValues, n);
        Arrays.sort(kld);
        Arrays.sort(dp);

        Estimate logPpl = meanAndUncertainty(sumNll, sumNll2, count);
        Estimate logPplBase = meanAndUncertainty(sumNllBase, sumNllBase2, count);
        double pplQ = Math.exp(logPpl.value()), pplBase = Math.exp(logPplBase.value());
        double cov = covariance(sumNll, sumNllBase, sumNllNllBase, count);
        double corr = cov / (logPpl.uncertainty() * logPplBase.uncertainty());
        double lnRatio = logPpl.value() - logPplBase.value();
        double lnRatioUnc = Math.sqrt(sq(logPpl.uncertainty()) + sq(logPplBase.uncertainty()) - 2 * cov);
        double pplQUnc = pplQ * logPpl.uncertainty(), pplBaseUnc = pplBase * logPplBase.uncertainty();
        double pplCov = pplQ * pplBase * cov;

        Estimate pDiffMse = meanAndUncertainty(sumPDiff2, sumPDiff4, count);
        double rms = Math.sqrt(pDiffMse.value());
        double rmsUnc = rms > 0 ? 0.5 / rms * pDiffMse.uncertainty() : 0;
        double top = (double) sameTop / count;
        double topUnc = count > 1 ? Math.sqrt(top * (1 - top) / (count - 1)) : 0;

        double[] kldQ = new double[KldResult.KLD_FRACTIONS.length];
        for (int i = 0; i < kldQ.length; i++) kldQ[i] = quantile(kld, n, KldResult.KLD_FRACTIONS[i]);
        double[] dpQ = new double[KldResult.DP_FRACTIONS.length];
        for (int i = 0; i < dpQ.length; i++) dpQ[i] = quantile(dp, n, KldResult.DP_FRACTIONS[i]);

        return new KldResult(count,
                new Estimate(pplQ, pplQUnc), new Estimate(pplBase, pplBaseUnc), corr,
                new Estimate(lnRatio, lnRatioUnc), new Estimate(Math.exp(lnRatio), Math.exp(lnRatio) * lnRatioUnc),
                new Estimate(pplQ - pplBase, Math.sqrt(sq(pplQUnc) + sq(pplBaseUnc) - 2 * pplCov)),
                meanAndUncertainty(sumKld, sumKld2, count), kldQ,
                meanAndUncertainty(sumPDiff, sumPDiff2, count), dpQ,
                new Estimate(rms, rmsUnc), new Estimate(top, topUnc));
    }

    /** llama.cpp's median is the mean of the middle two for an even count; the other quantiles interpolate. */
    private static double quantile(float[] sorted, int n, double fraction) {
        if (fraction == 0.5) return n % 2 == 0 ? 0.5f * (sorted[n / 2] + sorted[n / 2 - 1]) : sorted[n / 2];
        return percentile(sorted, n, fraction);
    }

    private static double sq(double x) {
        return x * x;
    }
}
