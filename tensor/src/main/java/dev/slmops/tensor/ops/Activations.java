package dev.slmops.tensor.ops;

import dev.slmops.tensor.matmul.VectorPath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Elementwise activations and the gated feed-forward products, over n floats from the given offsets:
 * SiLU(x) = x * sigmoid(x); GELU (tanh approximation, as GPT-2/Gemma's gelu_pytorch_tanh)
 * = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))); SwiGLU(g, u) = SiLU(g) * u; GeGLU(g, u) = GELU(g) * u.
 * Vector paths use the Vector API's EXP/TANH (within a few ulps); scalar paths use Math; the *Reference methods are
 * the double-precision oracles.
 */
public final class Activations {
    private Activations() {
    }

    private static final VectorSpecies<Float> F = VectorPath.F;
    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2 / Math.PI);

    public static double siluReference(double x) {
        return x / (1 + Math.exp(-x));
    }

    public static double geluTanhReference(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    private static FloatVector silu(FloatVector x) {
        return x.div(VectorMath.exp(x.neg()).add(1f));
    }

    private static float silu(float x) {
        return (float) (x / (1 + Math.exp(-x)));
    }

    private static FloatVector gelu(FloatVector x) {
        FloatVector inner = x.mul(x).mul(x).mul(0.044715f).add(x).mul(SQRT_2_OVER_PI);
        return x.mul(0.5f).mul(VectorMath.tanh(inner).add(1f));
    }

    private static float gelu(float x) {
        return (float) (0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715f * x * x * x))));
    }

    /** x[off + i] = SiLU(x[off + i]), in place. */
    public static void silu(float[] x, int off, int n) {
        int i = 0;
        if (VectorPath.ENABLED) {
            for (; i <= n - F.length(); i += F.length()) silu(FloatVector.fromArray(F, x, off + i)).intoArray(x, off + i);
        }
        for (; i < n; i++) x[off + i] = silu(x[off + i]);
    }

    /** x[off + i] = GELU_tanh(x[off + i]), in place. */
    public static void gelu(float[] x, int off, int n) {
        int i = 0;
        if (VectorPath.ENABLED) {
            for (; i <= n - F.length(); i += F.length()) gelu(FloatVector.fromArray(F, x, off + i)).intoArray(x, off + i);
        }
        for (; i < n; i++) x[off + i] = gelu(x[off + i]);
    }

    /** gate[gOff + i] = SiLU(gate[gOff + i]) * up[uOff + i] (SwiGLU; the result replaces the gate). */
    public static void swiglu(float[] gate, int gOff, float[] up, int uOff, int n) {
        int i = 0;
        if (VectorPath.ENABLED) {
            for (; i <= n - F.length(); i += F.length()) {
                silu(FloatVector.fromArray(F, gate, gOff + i)).mul(FloatVector.fromArray(F, up, uOff + i)).intoArray(gate, gOff + i);
            }
        }
        for (; i < n; i++) gate[gOff + i] = silu(gate[gOff + i]) * up[uOff + i];
    }

    /** gate[gOff + i] = GELU_tanh(gate[gOff + i]) * up[uOff + i] (GeGLU, as Gemma). */
    public static void geglu(float[] gate, int gOff, float[] up, int uOff, int n) {
        int i = 0;
        if (VectorPath.ENABLED) {
            for (; i <= n - F.length(); i += F.length()) {
                gelu(FloatVector.fromArray(F, gate, gOff + i)).mul(FloatVector.fromArray(F, up, uOff + i)).intoArray(gate, gOff + i);
            }
        }
        for (; i < n; i++) gate[gOff + i] = gelu(gate[gOff + i]) * up[uOff + i];
    }

    /** acc[aOff + i] += x[xOff + i] (the residual connection). */
    public static void addInPlace(float[] acc, int aOff, float[] x, int xOff, int n) {
        int i = 0;
        if (VectorPath.ENABLED) {
            for (; i <= n - F.length(); i += F.length()) {
                FloatVector.fromArray(F, acc, aOff + i).add(FloatVector.fromArray(F, x, xOff + i)).intoArray(acc, aOff + i);
            }
        }
        for (; i < n; i++) acc[aOff + i] += x[xOff + i];
    }
    /** d SiLU(x) / dx = s (1 + x (1 - s)) with s = sigmoid(x). */
    public static double siluDerivative(double x) {
        double s = 1 / (1 + Math.exp(-x));
        return s * (1 + x * (1 - s));
    }

    /** d GELU_tanh(x) / dx = 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 x^2). */
    public static double geluTanhDerivative(double x) {
        double c = Math.sqrt(2 / Math.PI), th = Math.tanh(c * (x + 0.044715 * x * x * x));
        return 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * c * (1 + 3 * 0.044715 * x * x);
    }

    /**
     * Backward of {@link #swiglu} / {@link #geglu} (h = act(g) * u), accumulating: dGate += dh * u * act'(g),
     * dUp += dh * act(g). {@code gate} is the forward's gate input (before the in-place product). Vector lanes use
     * the Vector API's EXP/TANH in float; the tail and the scalar path use double ({@link #siluDerivative},
     * {@link #geluTanhDerivative} are the oracles).
     */
    public static void gatedBackward(boolean gelu, float[] dGate, float[] dUp, int dOff, float[] dh, int dhOff,
                                     float[] gate, float[] up, int off, int n) {
        int i = 0;
        if (VectorPath.ENABLED) {
            for (; i <= n - F.length(); i += F.length()) {
                FloatVector g = FloatVector.fromArray(F, gate, off + i), u = FloatVector.fromArray(F, up, off + i);
                FloatVector d = FloatVector.fromArray(F, dh, dhOff + i);
                FloatVector act, der;
                if (gelu) {
                    FloatVector g2 = g.mul(g);
                    FloatVector th = VectorMath.tanh(g2.mul(0.044715f).add(1f).mul(g).mul(SQRT_2_OVER_PI));
                    FloatVector half1 = th.add(1f).mul(0.5f);
                    act = g.mul(half1);
                    der = half1.add(g.mul(0.5f).mul(th.mul(th).neg().add(1f)).mul(SQRT_2_OVER_PI)
                            .mul(g2.mul(3 * 0.044715f).add(1f)));
                } else {
                    FloatVector sg = FloatVector.broadcast(F, 1f).div(VectorMath.exp(g.neg()).add(1f));
                    act = g.mul(sg);
                    der = sg.mul(g.mul(sg.neg().add(1f)).add(1f));
                }
                d.mul(u).mul(der).add(FloatVector.fromArray(F, dGate, dOff + i)).intoArray(dGate, dOff + i);
                d.mul(act).add(FloatVector.fromArray(F, dUp, dOff + i)).intoArray(dUp, dOff + i);
            }
        }
        for (; i < n; i++) {
            double g = gate[off + i], u = up[off + i], d = dh[dhOff + i];
            double act = gelu ? geluTanhReference(g) : siluReference(g);
            double der = gelu ? geluTanhDerivative(g) : siluDerivative(g);
            dGate[dOff + i] += (float) (d * u * der);
            dUp[dOff + i] += (float) (d * act);
        }
    }
}
