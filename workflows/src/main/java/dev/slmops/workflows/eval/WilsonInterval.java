package dev.slmops.workflows.eval;

/**
 * The Wilson score interval of a proportion k/n: unlike the normal approximation it stays inside [0, 1] and is
 * honest at k = 0 or k = n and for small n, which is where task accuracies on a few hundred examples live.
 *
 * <pre>
 *   centre = (p + z²/2n) / (1 + z²/n)
 *   half   = z · sqrt(p(1-p)/n + z²/4n²) / (1 + z²/n)
 * </pre>
 */
public record WilsonInterval(double low, double high) {
    /** z of a two-sided 95% interval. */
    public static final double Z95 = 1.959963984540054;

    public static WilsonInterval of(int successes, int trials, double z) {
        if (trials <= 0) throw new IllegalArgumentException("a proportion needs at least one trial, got " + trials);
        if (successes < 0 || successes > trials) {
            throw new IllegalArgumentException("successes " + successes + " outside [0, " + trials + "]");
        }
        double n = trials, p = successes / n, z2 = z * z;
        double denom = 1 + z2 / n;
        double centre = (p + z2 / (2 * n)) / denom;
        double half = z * Math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom;
        // at k = 0 and k = n the bound is exactly 0 or 1 (rounding would leave 1 - 1e-16)
        return new WilsonInterval(successes == 0 ? 0 : Math.max(0, centre - half),
                successes == trials ? 1 : Math.min(1, centre + half));
    }

    public static WilsonInterval of95(int successes, int trials) {
        return of(successes, trials, Z95);
    }
}
