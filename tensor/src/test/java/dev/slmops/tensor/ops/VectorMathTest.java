package dev.slmops.tensor.ops;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class VectorMathTest {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /** ulps between a float and the exactly rounded value of a double. */
    private static double ulps(float got, double exact) {
        float want = (float) exact;
        if (got == want) return 0;
        return Math.abs(got - exact) / Math.ulp(want);
    }

    @Test
    void expIsWithinTwoUlpOfTheExactValueAndMatchesItsScalarTwinBitForBit() {
        float[] x = new float[F.length()];
        double worst = 0;
        int n = 0;
        for (float v = -87.3f; v < 88.7f; v += 0.000731f) {
            x[n++ % x.length] = v;
            if (n % x.length != 0) continue;
            FloatVector e = VectorMath.exp(FloatVector.fromArray(F, x, 0));
            for (int i = 0; i < x.length; i++) {
                assertThat(Float.floatToRawIntBits(e.lane(i))).as("exp(%s)", x[i])
                        .isEqualTo(Float.floatToRawIntBits(VectorMath.expReference(x[i])));
                worst = Math.max(worst, ulps(e.lane(i), StrictMath.exp(x[i])));
            }
        }
        assertThat(worst).as("worst ulp error of exp over [-87.3, 88.7]").isLessThanOrEqualTo(2.0);
    }

    @Test
    void expEdges() {
        float[] x = new float[F.length()];
        float[] cases = {0f, -0f, 1f, -1f, 88.8f, 1e30f, Float.POSITIVE_INFINITY, -87.5f, -1e30f, Float.NEGATIVE_INFINITY,
                Float.NaN, 1e-30f, -1e-30f, 88.72f, -87.33f, 0.5f * (float) Math.log(2)};
        float[] want = {1f, 1f, (float) Math.E, (float) Math.exp(-1), Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY,
                Float.POSITIVE_INFINITY, 0f, 0f, 0f, Float.NaN, 1f, 1f, Float.NaN, Float.NaN, Float.NaN};
        for (int c = 0; c < cases.length; c++) {
            java.util.Arrays.fill(x, cases[c]);
            float got = VectorMath.exp(FloatVector.fromArray(F, x, 0)).lane(0);
            if (Float.isNaN(want[c]) && !Float.isNaN(cases[c])) {
                assertThat(ulps(got, StrictMath.exp(cases[c]))).as("exp(%s)", cases[c]).isLessThanOrEqualTo(2.0);
            } else if (Float.isNaN(want[c])) {
                assertThat(got).as("exp(%s)", cases[c]).isNaN();
            } else {
                assertThat(got).as("exp(%s)", cases[c]).isEqualTo(want[c]);
            }
        }
    }

    @Test
    void tanhIsWithinFourUlpOrOneUlpOfOne() {
        float[] x = new float[F.length()];
        double worst = 0;
        int n = 0;
        for (float v = -12f; v < 12f; v += 0.000113f) {
            x[n++ % x.length] = v;
            if (n % x.length != 0) continue;
            FloatVector t = VectorMath.tanh(FloatVector.fromArray(F, x, 0));
            for (int i = 0; i < x.length; i++) {
                double exact = StrictMath.tanh(x[i]);
                double err = Math.abs(t.lane(i) - exact);
                // relative 4 ulp, or 1 ulp of 1 (the 1 - 2 / (e^2x + 1) form is exact to about that in absolute terms)
                worst = Math.max(worst, Math.min(err / Math.ulp((float) exact), err / Math.ulp(1f) * 4));
            }
        }
        assertThat(worst).as("worst error of tanh over [-12, 12] (ulp)").isLessThanOrEqualTo(4.0);
        java.util.Arrays.fill(x, Float.NaN);
        assertThat(VectorMath.tanh(FloatVector.fromArray(F, x, 0)).lane(0)).isNaN();
        java.util.Arrays.fill(x, -1e30f);
        assertThat(VectorMath.tanh(FloatVector.fromArray(F, x, 0)).lane(0)).isEqualTo(-1f);
    }

    /** Every one of the 65536 halves widens to Float.float16ToFloat's value: same bits, a NaN for a NaN. */
    @Test
    void halfToFloatIsExactForEveryHalf() {
        short[] all = new short[1 << 16];
        for (int i = 0; i < all.length; i++) all[i] = (short) i;
        float[] got = new float[all.length];
        for (int i = 0; i < all.length; i += F.length()) VectorMath.halfToFloat(all, i).intoArray(got, i);
        for (int i = 0; i < all.length; i++) {
            float want = Float.float16ToFloat(all[i]);
            if (Float.isNaN(want)) {
                // NaN payloads: Float.float16ToFloat keeps them, its x86 intrinsic sets the quiet bit
                assertThat(got[i]).as("half 0x%04x", i).isNaN();
            } else {
                assertThat(Float.floatToRawIntBits(got[i])).as("half 0x%04x: %s vs %s", i, got[i], want)
                        .isEqualTo(Float.floatToRawIntBits(want));
            }
        }
    }

    @Test
    void sumAddsInTheDocumentedTree() {
        Random r = new Random(3);
        float[] x = new float[F.length()];
        for (int rep = 0; rep < 1000; rep++) {
            for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(8) - 4));
            float[] t = x.clone();
            for (int half = t.length / 2; half >= 1; half /= 2) {
                float[] u = new float[t.length];
                for (int i = 0; i < t.length; i++) u[i] = t[i] + t[(i + half) % t.length];
                t = u;
            }
            assertThat(VectorMath.sum(FloatVector.fromArray(F, x, 0))).isEqualTo(t[0]);
        }
        double[] d = {1e16, 1, -1e16, 3};
        VectorSpecies<Double> ds = DoubleVector.SPECIES_256;
        assertThat(VectorMath.sum(DoubleVector.fromArray(ds, d, 0))).isEqualTo((1e16 + -1e16) + (1 + 3));
    }

    /**
     * The point of this class: a child JVM that only interprets ({@code -Xint}) computes the same bits as this
     * one after C2 has compiled everything. (The Vector API's own reduceLanes/EXP/TANH fail this: measured.)
     */
    @Test
    void interpreterAndCompiledCodeGiveTheSameBits() throws Exception {
        long compiled = 0;
        for (int rep = 0; rep < 3000; rep++) compiled = TierHash.hash(); // warm up past C2
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        List<String> cmd = new ArrayList<>(List.of(java, "-Xint", "--add-modules", "jdk.incubator.vector"));
        // the vector shape follows these (e.g. -XX:UseAVX=2 to run the AVX2 paths on an AVX-512 machine): the child
        // must pick the same species, or it hashes other lanes
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("-XX:UseAVX=") || arg.startsWith("-XX:MaxVectorSize=") || arg.startsWith("-XX:UseSSE=")) cmd.add(arg);
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), TierHash.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("child JVM finished").isTrue();
        String last = out.strip().lines().reduce((a, b) -> b).orElse("");
        assertThat(last).as("child output: %s", out).isEqualTo("hash " + compiled);
    }

    /** Runs sum, exp and tanh over fixed data and hashes the bits (main: for the -Xint child). */
    static final class TierHash {
        static long hash() {
            Random r = new Random(7);
            float[] a = new float[F.length() * 64];
            for (int i = 0; i < a.length; i++) a[i] = (float) (r.nextGaussian() * 6);
            long h = 0;
            for (int i = 0; i < a.length; i += F.length()) {
                FloatVector v = FloatVector.fromArray(F, a, i);
                h = h * 31 + Float.floatToRawIntBits(VectorMath.sum(v));
                h = h * 31 + Float.floatToRawIntBits(VectorMath.sum(VectorMath.exp(v)));
                h = h * 31 + Float.floatToRawIntBits(VectorMath.tanh(v).reduceLanes(VectorOperators.MAX));
            }
            return h;
        }

        public static void main(String[] args) {
            System.out.println("hash " + hash());
        }
    }
}
