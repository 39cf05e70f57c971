package dev.slmops.model.engine;

/** Scaled dot-product attention of one query row over its sequence's cached keys and values. */
final class Attention {
    private Attention() {
    }

    /**
     * out[H*Dh] = softmax(q_h . K_g^T * scale [softcapped], causal [and windowed]) . V_g for every head h,
     * with g = h / (H / Hkv) (grouped-query attention).
     *
     * @param pos    the query's position: keys 0..pos are visible
     * @param window 0, or the sliding window: keys with pos - j >= window are masked
     */
    static void row(float[] out, int outOff, float[] q, int qOff, KvCache cache, int layer, int pos,
                    int H, int Hkv, int Dh, int window, float scale, float softcap) {
        float[] kl = cache.k[layer], vl = cache.v[layer];
        int cap = cache.capacity;
        int first = window > 0 ? Math.max(0, pos - window + 1) : 0;
        int n = pos - first + 1;
        float[] scores = new float[n];
        int group = H / Hkv;
        for (int h = 0; h < H; h++) {
            int g = h / group;
            int qo = qOff + h * Dh;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                int ko = (g * cap + first + j) * Dh;
                float s = 0;
                for (int d = 0; d < Dh; d++) s += q[qo + d] * kl[ko + d];
                s *= scale;
                if (softcap > 0) s = (float) (softcap * Math.tanh(s / softcap));
                scores[j] = s;
                if (s > max) max = s;
            }
            double sum = 0;
            for (int j = 0; j < n; j++) {
                float e = (float) Math.exp(scores[j] - max);
                scores[j] = e;
                sum += e;
            }
            float inv = (float) (1.0 / sum);
            int oo = outOff + h * Dh;
            for (int d = 0; d < Dh; d++) out[oo + d] = 0;
            for (int j = 0; j < n; j++) {
                float p = scores[j] * inv;
                int vo = (g * cap + first + j) * Dh;
                for (int d = 0; d < Dh; d++) out[oo + d] += p * vl[vo + d];
            }
        }
    }
}
