package dev.slmops.workflows.eval;

import dev.slmops.workflows.eval.KlDivergence.Estimate;

import java.util.Locale;

/**
 * What llama-perplexity {@code --kl-divergence} reports, with the same definitions. Probabilities and rates are
 * fractions (0..1); {@link #format()} prints them as percentages as llama.cpp does.
 *
 * @param count         positions compared
 * @param pplQ          perplexity of the compared model Q
 * @param pplBase       perplexity of the base model from its stored (16-bit) log-probabilities
 * @param lnPplCorr     correlation of ln PPL(Q) and ln PPL(base)
 * @param kldQuantiles  KLD at {@link #KLD_FRACTIONS} (max, 99.9%, 99%, 95%, 90%, median, 10%, 5%, 1%, 0.1%, min)
 * @param deltaP        mean of Δp = q(token) − p(token)
 * @param deltaPQuantiles Δp at {@link #DP_FRACTIONS}
 * @param sameTop       fraction of positions where Q's and P's most likely tokens are equal
 */
public record KldResult(long count, Estimate pplQ, Estimate pplBase, double lnPplCorr, Estimate lnPplRatio,
                        Estimate pplRatio, Estimate pplDiff, Estimate kld, double[] kldQuantiles,
                        Estimate deltaP, double[] deltaPQuantiles, Estimate rmsDeltaP, Estimate sameTop) {

    static final double[] KLD_FRACTIONS = {1, 0.999, 0.99, 0.95, 0.90, 0.5, 0.10, 0.05, 0.01, 0.001, 0};
    static final String[] KLD_LABELS = {"Maximum", "99.9%  ", "99.0%  ", "95.0%  ", "90.0%  ", "Median ", "10.0%  ",
            " 5.0%  ", " 1.0%  ", " 0.1%  ", "Minimum"};
    static final double[] DP_FRACTIONS = {1, 0.999, 0.99, 0.95, 0.90, 0.75, 0.5, 0.25, 0.10, 0.05, 0.01, 0.001, 0};
    static final String[] DP_LABELS = {"Maximum", "99.9%  ", "99.0%  ", "95.0%  ", "90.0%  ", "75.0%  ", "Median ",
            "25.0%  ", "10.0%  ", " 5.0%  ", " 1.0%  ", " 0.1%  ", "Minimum"};

    public double kldMedian() {
        return kldQuantiles[5];
    }

    public double kldP99() {
        return kldQuantiles[2];
    }

    public double kldMax() {
        return kldQuantiles[0];
    }

    /** Δp at a fraction of {@link #DP_FRACTIONS} (e.g. 0.01 for the 1st percentile). */
    public double deltaPAt(double fraction) {
        for (int i = 0; i < DP_FRACTIONS.length; i++) if (DP_FRACTIONS[i] == fraction) return deltaPQuantiles[i];
        throw new IllegalArgumentException("no Δp percentile at " + fraction);
    }

    /** The header of the per-chunk lines ({@link #chunkLine}), as llama-perplexity prints it. */
    public static final String CHUNK_HEADER = "chunk             PPL               ln(PPL(Q)/PPL(base))          KL Divergence"
            + "              Δp RMS            Same top p";

    /** The running line llama-perplexity prints after each chunk. */
    public String chunkLine(int chunk) {
        return String.format(Locale.ROOT, "%4d    %9.4f ± %9.4f    %10.5f ± %10.5f    %10.5f ± %10.5f    %6.3f ± %6.3f %%    %6.3f ± %6.3f %%",
                chunk, pplQ.value(), pplQ.uncertainty(), lnPplRatio.value(), lnPplRatio.uncertainty(), kld.value(),
                kld.uncertainty(), 100 * rmsDeltaP.value(), 100 * rmsDeltaP.uncertainty(), 100 * sameTop.value(),
                100 * sameTop.uncertainty());
    }

    /** The three statistics blocks in llama-perplexity's layout. */
    public String format() {
        StringBuilder sb = new StringBuilder();
        sb.append("====== Perplexity statistics ======\n");
        line(sb, "Mean PPL(Q)                   : %10.6f ± %10.6f", pplQ.value(), pplQ.uncertainty());
        line(sb, "Mean PPL(base)                : %10.6f ± %10.6f", pplBase.value(), pplBase.uncertainty());
        line(sb, "Cor(ln(PPL(Q)), ln(PPL(base))): %6.2f%%", 100 * lnPplCorr);
        line(sb, "Mean ln(PPL(Q)/PPL(base))     : %10.6f ± %10.6f", lnPplRatio.value(), lnPplRatio.uncertainty());
        line(sb, "Mean PPL(Q)/PPL(base)         : %10.6f ± %10.6f", pplRatio.value(), pplRatio.uncertainty());
        line(sb, "Mean PPL(Q)-PPL(base)         : %10.6f ± %10.6f", pplDiff.value(), pplDiff.uncertainty());
        sb.append("\n====== KL divergence statistics ======\n");
        line(sb, "Mean    KLD: %10.6f ± %10.6f", kld.value(), kld.uncertainty());
        for (int i = 0; i < KLD_FRACTIONS.length; i++) line(sb, "%s KLD: %10.6f", KLD_LABELS[i], kldQuantiles[i]);
        sb.append("\n====== Token probability statistics ======\n");
        line(sb, "Mean    Δp: %6.3f ± %5.3f %%", 100 * deltaP.value(), 100 * deltaP.uncertainty());
        for (int i = 0; i < DP_FRACTIONS.length; i++) line(sb, "%s Δp: %6.3f%%", DP_LABELS[i], 100 * deltaPQuantiles[i]);
        line(sb, "RMS Δp    : %6.3f ± %5.3f %%", 100 * rmsDeltaP.value(), 100 * rmsDeltaP.uncertainty());
        line(sb, "Same top p: %6.3f ± %5.3f %%", 100 * sameTop.value(), 100 * sameTop.uncertainty());
        return sb.toString();
    }

    private static void line(StringBuilder sb, String format, Object... args) {
        sb.append(String.format(Locale.ROOT, format, args)).append('\n');
    }
}
