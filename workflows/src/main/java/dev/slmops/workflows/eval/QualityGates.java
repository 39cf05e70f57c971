package dev.slmops.workflows.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Limits a compared model must meet to ship; each is off when null. Pipelines use {@link #violations} to fail.
 *
 * @param maxKld                mean KL divergence from the base, nats
 * @param maxPplIncreasePercent 100 * (PPL(Q) / PPL(base) − 1)
 * @param minTop1Percent        same-top-1 rate, percent
 */
public record QualityGates(Double maxKld, Double maxPplIncreasePercent, Double minTop1Percent) {

    public static QualityGates none() {
        return new QualityGates(null, null, null);
    }

    public boolean isEmpty() {
        return maxKld == null && maxPplIncreasePercent == null && minTop1Percent == null;
    }

    /** One line per gate the result fails; empty when it passes them all. */
    public List<String> violations(KldResult r) {
        List<String> out = new ArrayList<>();
        if (maxKld != null && !(r.kld().value() <= maxKld)) {
            out.add(String.format(Locale.ROOT, "mean KLD %.6f exceeds --max-kld %s", r.kld().value(), fmt(maxKld)));
        }
        double increase = 100 * (r.pplRatio().value() - 1);
        if (maxPplIncreasePercent != null && !(increase <= maxPplIncreasePercent)) {
            out.add(String.format(Locale.ROOT, "perplexity rose %.3f%% (%.4f -> %.4f), more than --max-ppl-increase %s%%",
                    increase, r.pplBase().value(), r.pplQ().value(), fmt(maxPplIncreasePercent)));
        }
        double top = 100 * r.sameTop().value();
        if (minTop1Percent != null && !(top >= minTop1Percent)) {
            out.add(String.format(Locale.ROOT, "same top-1 token %.3f%% is below --min-top1 %s%%", top, fmt(minTop1Percent)));
        }
        return out;
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
