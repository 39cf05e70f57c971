package dev.slmops.tensor.quant;

/**
 * ggml's scale searches for the K-quants and the importance-weighted legacy quantizers (ggml-quants.c:
 * {@code make_qx_quants}, {@code make_q3_quants}, {@code make_qkx2_quants}, {@code make_qkx3_quants},
 * {@code make_qp_quants}), transcribed so that the bytes come out identical.
 *
 * <p>Rules kept from the C code, because they decide bytes: every sum is a binary32 {@code float} accumulated in
 * index order; {@code int * float} converts the int first; {@code MAX/MIN} are the C ternaries (so NaN compares
 * fall through the same way); {@code L} arrays keep C's element type: {@code int8_t} as a signed byte,
 * {@code uint8_t} as an unsigned byte (stores wrap as C's conversions do).
 *
 * <p>Each method quantizes {@code n} values {@code x[xo .. xo+n)} to integer levels {@code L[lo .. lo+n)} and
 * returns the scale {@code d} (and for the affine searches the offset through {@code minOut}).
 */
final class QuantSearch {
    private QuantSearch() {
    }

    /** Groups whose largest magnitude is below this count as all zero. */
    static final float GROUP_MAX_EPS = 1e-15f;

    /**
     * Round to nearest, ties to even, by ggml's magic-number trick ({@code nearest_int}): valid for
     * |f| <= 4194303; outside that (and for NaN) it returns the same garbage ggml's does.
     */
    static int nearestInt(float f) {
        float v = f + 12582912f;
        int i = Float.floatToRawIntBits(v);
        return (i & 0x007fffff) - 0x00400000;
    }

    /**
     * The value of largest magnitude in x[xo, xo+n), sign kept: ggml's {@code max}/{@code amax} scan (the first of
     * equal magnitudes wins; a NaN never does; 0 for an all-zero group).
     */
    static float signedAbsMax(float[] x, int xo, int n) {
        float amax = 0f, max = 0f;
        for (int i = 0; i < n; ++i) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xo + i];
            }
        }
        return max;
    }

    /** Σ x² over x[xo, xo+n), summed in order as ggml does (the K-quants' σ² comes from it). */
    static float sumSquares(float[] x, int xo, int n) {
        float sum = 0;
        for (int i = 0; i < n; ++i) sum += x[xo + i] * x[xo + i];
        return sum;
    }

    /**
     * ggml's importance weights of one group: {@code weights[l] = qw[qo+l] · √(σ² + x[xo+l]²)} for l < n.
     *
     * @return Σ weights[0..n), summed in order
     */
    static float importanceWeights(float[] x, int xo, float[] qw, int qo, float sigma2, float[] weights, int n) {
        for (int l = 0; l < n; ++l) {
            float xv = x[xo + l];
            weights[l] = qw[qo + l] * (float) Math.sqrt(sigma2 + xv * xv);
        }
        float sum = 0;
        for (int l = 0; l < n; ++l) sum += weights[l];
        return sum;
    }

    static int u8(byte b) {
        return b & 0xFF;
    }

    /**
     * Symmetric levels {@code L = nmax + clamp(round(x / d), -nmax, nmax-1)} (int8 L), with ggml's search over 18
     * nearby scales by weighted least squares. Weights: {@code qw} when given, else by {@code rmseType}
     * (1: x², 2: 1, 3: |x|, else √|x|). rmseType 0 skips the search; a negative type stops after one refit.
     */
    static float makeQxQuants(int n, int nmax, float[] x, int xo, byte[] L, int lo, int rmseType, float[] qw, int qwo) {
        float max = signedAbsMax(x, xo, n);
        float amax = Math.abs(max);
        if (amax < GROUP_MAX_EPS) { // all zero
            for (int i = 0; i < n; ++i) L[lo + i] = 0;
            return 0f;
        }
        float iscale = -nmax / max;
        if (rmseType == 0) {
            for (int i = 0; i < n; ++i) {
                int l = nearestInt(iscale * x[xo + i]);
                L[lo + i] = (byte) (nmax + Math.max(-nmax, Math.min(nmax - 1, l)));
            }
            return 1 / iscale;
        }
        boolean returnEarly = false;
        if (rmseType < 0) {
            rmseType = -rmseType;
            returnEarly = true;
        }
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; ++i) {
            float xi = x[xo + i];
            int l = nearestInt(iscale * xi);
            l = Math.max(-nmax, Math.min(nmax - 1, l));
            L[lo + i] = (byte) (l + nmax);
            float w = qxWeight(qw, qwo + i, rmseType, xi);
            sumlx += w * xi * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
        if (returnEarly) return suml2 > 0 ? 0.5f * (scale + 1 / iscale) : 1 / iscale;
        float best = scale * sumlx;
        for (int is = -9; is <= 9; ++is) {
            if (is == 0) continue;
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = suml2 = 0;
            for (int i = 0; i < n; ++i) {
                float xi = x[xo + i];
                int l = nearestInt(iscale * xi);
                l = Math.max(-nmax, Math.min(nmax - 1, l));
                float w = qxWeight(qw, qwo + i, rmseType, xi);
                sumlx += w * xi * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; ++i) {
                    int l = nearestInt(iscale * x[xo + i]);
                    L[lo + i] = (byte) (nmax + Math.max(-nmax, Math.min(nmax - 1, l)));
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    private static float qxWeight(float[] qw, int at, int rmseType, float x) {
        if (qw != null) return qw[at];
        return rmseType == 1 ? x * x : rmseType == 2 ? 1 : rmseType == 3 ? Math.abs(x) : (float) Math.sqrt(Math.abs(x));
    }

    /** Q3_K's symmetric search without importance: x²-weighted coordinate descent on the levels (int8 L). */
    static float makeQ3Quants(int n, int nmax, float[] x, int xo, byte[] L, int lo, boolean doRmse) {
        float max = signedAbsMax(x, xo, n);
        float amax = Math.abs(max);
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; ++i) L[lo + i] = 0;
            return 0f;
        }
        float iscale = -nmax / max;
        if (doRmse) {
            float sumlx = 0;
            float suml2 = 0;
            for (int i = 0; i < n; ++i) {
                float xi = x[xo + i];
                int l = nearestInt(iscale * xi);
                l = Math.max(-nmax, Math.min(nmax - 1, l));
                L[lo + i] = (byte) l;
                float w = xi * xi;
                sumlx += w * xi * l;
                suml2 += w * l * l;
            }
            for (int itry = 0; itry < 5; ++itry) {
                int nChanged = 0;
                for (int i = 0; i < n; ++i) {
                    float xi = x[xo + i];
                    float w = xi * xi;
                    int li = L[lo + i];
                    float slx = sumlx - w * xi * li;
                    if (slx > 0) {
                        float sl2 = suml2 - w * li * li;
                        int newL = nearestInt(xi * sl2 / slx);
                        newL = Math.max(-nmax, Math.min(nmax - 1, newL));
                        if (newL != li) {
                            slx += w * xi * newL;
                            sl2 += w * newL * newL;
                            if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                                L[lo + i] = (byte) newL;
                                sumlx = slx;
                                suml2 = sl2;
                                ++nChanged;
                            }
                        }
                    }
                }
                if (nChanged == 0) break;
            }
            for (int i = 0; i < n; ++i) L[lo + i] = (byte) (L[lo + i] + nmax);
            return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
        }
        for (int i = 0; i < n; ++i) {
            int l = nearestInt(iscale * x[xo + i]);
            l = Math.max(-nmax, Math.min(nmax - 1, l));
            L[lo + i] = (byte) (l + nmax);
        }
        return 1 / iscale;
    }

    /**
     * Affine levels {@code x ≈ d·L − m}, L in 0..nmax (uint8 L), searching nstep+1 scales around the
     * min/max one by weighted least squares on (d, m) ({@code make_qkx2_quants}). {@code minOut[mi] = m} (≥ 0).
     */
    static float makeQkx2Quants(int n, int nmax, float[] x, int xo, float[] weights, byte[] L, int lo,
                                float[] minOut, int mi, byte[] laux, float rmin, float rdelta, int nstep, boolean useMad) {
        return affineSearch(n, nmax, x, xo, weights, L, lo, minOut, mi, laux, rmin, rdelta, nstep, useMad, false);
    }

    /**
     * As {@link #makeQkx2Quants} with ggml's later variant ({@code make_qkx3_quants}): null weights mean x², and
     * a block whose max is not above its (clamped) min is all zero.
     */
    static float makeQkx3Quants(int n, int nmax, float[] x, int xo, float[] weights, byte[] L, int lo,
                                float[] minOut, int mi, byte[] laux, float rmin, float rdelta, int nstep, boolean useMad) {
        return affineSearch(n, nmax, x, xo, weights, L, lo, minOut, mi, laux, rmin, rdelta, nstep, useMad, true);
    }

    private static float affineSearch(int n, int nmax, float[] x, int xo, float[] weights, byte[] L, int lo,
                                      float[] minOut, int mi, byte[] laux, float rmin, float rdelta, int nstep,
                                      boolean useMad, boolean qkx3) {
        float min = x[xo];
        float max = x[xo];
        float sumW = weight(weights, 0, x[xo]);
        float sumX = sumW * x[xo];
        for (int i = 1; i < n; ++i) {
            float xi = x[xo + i];
            if (xi < min) min = xi;
            if (xi > max) max = xi;
            float w = weight(weights, i, xi);
            sumW += w;
            sumX += w * xi;
        }
        if (min > 0) min = 0;
        if (qkx3 ? max <= min : max == min) {
            for (int i = 0; i < n; ++i) L[lo + i] = 0;
            minOut[mi] = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; ++i) {
            float xi = x[xo + i];
            int l = nearestInt(iscale * (xi - min));
            int li = Math.max(0, Math.min(nmax, l)) & 0xFF;
            L[lo + i] = (byte) li;
            float diff = scale * li + min - xi;
            diff = useMad ? Math.abs(diff) : diff * diff;
            bestError += weight(weights, i, xi) * diff;
        }
        if (nstep < 1) {
            minOut[mi] = -min;
            return scale;
        }
        for (int is = 0; is <= nstep; ++is) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXl = 0;
            for (int i = 0; i < n; ++i) {
                float xi = x[xo + i];
                int l = nearestInt(iscale * (xi - min));
                l = Math.max(0, Math.min(nmax, l));
                laux[i] = (byte) l;
                float w = weight(weights, i, xi);
                sumL += w * l;
                sumL2 += w * l * l;
                sumXl += w * l * xi;
            }
            float D = sumW * sumL2 - sumL * sumL;
            if (D > 0) {
                float thisScale = (sumW * sumXl - sumX * sumL) / D;
                float thisMin = (sumL2 * sumX - sumL * sumXl) / D;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXl / sumL2;
                }
                float curError = 0;
                for (int i = 0; i < n; ++i) {
                    float xi = x[xo + i];
                    float diff = thisScale * u8(laux[i]) + thisMin - xi;
                    diff = useMad ? Math.abs(diff) : diff * diff;
                    curError += weight(weights, i, xi) * diff;
                }
                if (curError < bestError) {
                    System.arraycopy(laux, 0, L, lo, n);
                    bestError = curError;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        minOut[mi] = -min;
        return scale;
    }

    private static float weight(float[] weights, int i, float x) {
        return weights != null ? weights[i] : x * x;
    }

    /**
     * Non-negative levels 0..nmax for the super-block scales and mins (uint8 L), importance-weighted by
     * {@code qw} ({@code make_qp_quants}).
     */
    static float makeQpQuants(int n, int nmax, float[] x, byte[] L, float[] qw) {
        float max = 0;
        for (int i = 0; i < n; ++i) max = max > x[i] ? max : x[i];
        if (max < GROUP_MAX_EPS) {
            for (int i = 0; i < n; ++i) L[i] = 0;
            return 0f;
        }
        float iscale = nmax / max;
        for (int i = 0; i < n; ++i) L[i] = (byte) nearestInt(iscale * x[i]);
        float scale = 1 / iscale;
        float bestMse = 0;
        for (int i = 0; i < n; ++i) {
            float diff = x[i] - scale * u8(L[i]);
            float w = qw[i];
            bestMse += w * diff * diff;
        }
        for (int is = -4; is <= 4; ++is) {
            if (is == 0) continue;
            float iscaleIs = (0.1f * is + nmax) / max;
            float scaleIs = 1 / iscaleIs;
            float mse = 0;
            for (int i = 0; i < n; ++i) {
                int l = nearestInt(iscaleIs * x[i]);
                l = Math.min(nmax, l);
                float diff = x[i] - scaleIs * l;
                float w = qw[i];
                mse += w * diff * diff;
            }
            if (mse < bestMse) {
                bestMse = mse;
                iscale = iscaleIs;
            }
        }
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; ++i) {
            int l = nearestInt(iscale * x[i]);
            l = Math.min(nmax, l);
            L[i] = (byte) l;
            float w = qw[i];
            sumlx += w * x[i] * l; // C sums the int l, not the uint8 it stored
            suml2 += w * l * l;
        }
        for (int itry = 0; itry < 5; ++itry) {
            int nChanged = 0;
            for (int i = 0; i < n; ++i) {
                float w = qw[i];
                int li = u8(L[i]);
                float slx = sumlx - w * x[i] * li;
                float sl2 = suml2 - w * li * li;
                if (slx > 0 && sl2 > 0) {
                    int newL = nearestInt(x[i] * sl2 / slx);
                    newL = Math.min(nmax, newL);
                    if (newL != li) {
                        slx += w * x[i] * newL;
                        sl2 += w * newL * newL;
                        if (slx * slx * suml2 > sumlx * sumlx * sl2) {
                            L[i] = (byte) newL;
                            sumlx = slx;
                            suml2 = sl2;
                            ++nChanged;
                        }
                    }
                }
            }
            if (nChanged == 0) break;
        }
        return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
    }
}
