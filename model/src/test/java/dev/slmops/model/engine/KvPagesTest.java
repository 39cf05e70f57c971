package dev.slmops.model.engine;

import dev.slmops.model.arch.ModelConfig;
import dev.slmops.model.format.gguf.GgufFile;
import dev.slmops.tensor.parallel.WorkerPool;
import dev.slmops.testkit.ProjectFiles;
import dev.slmops.testkit.llama.LlamaCpp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A KV cache that grows a page at a time, on a file slmops did not write (../shared/assets/llama-2-tiny-random.gguf):
 * prefill in chunks and decode one token at a time across many small pages must give llama.cpp's logits (F32
 * cache, the 1e-4 budget of the F32 parity tests) and exactly the logits of a cache that fits one page; pages come
 * from the pool as positions are written and go back when the cache is truncated.
 */
class KvPagesTest {
    private static final WorkerPool POOL = new WorkerPool(2);

    @AfterAll
    static void close() {
        POOL.close();
    }

    @Test
    void pagedCacheGivesLlamaCppsLogitsAndReturnsItsPages() throws Exception {
        Path asset = ProjectFiles.sharedAsset("llama-2-tiny-random.gguf");
        try (GgufFile gguf = GgufFile.open(asset)) {
            ModelConfig config = ModelConfig.fromGguf(gguf);
            Transformer model = new Transformer(ModelWeights.bind(config, new GgufWeightSource(gguf)), 256, POOL);
            int V = config.vocabSize();
            int[] tokens = new int[45];
            for (int i = 0; i < tokens.length; i++) tokens[i] = 1 + (i * 7919) % (V - 1);

            KvPages pages = new KvPages(config, KvCache.Type.F32, 7, 2); // 7 positions a page: 45 positions span 7 pages
            KvCache paged = new KvCache(config, 64, pages);
            KvCache onePage = new KvCache(config, 64, new KvPages(config, KvCache.Type.F32, 64, 0));
            assertThat(paged.allocatedPositions()).isZero();
            float[] ours = new float[tokens.length * V], single = new float[tokens.length * V];
            // prefill 10 (two pages), a chunk of 9, then decode one token at a time
            int[] steps = new int[]{10, 9};
            int at = 0;
            for (int n : steps) {
                System.arraycopy(model.forward(paged, Arrays.copyOfRange(tokens, at, at + n), true), 0, ours, at * V, n * V);
                System.arraycopy(model.forward(onePage, Arrays.copyOfRange(tokens, at, at + n), true), 0, single, at * V, n * V);
                at += n;
            }
            assertThat(pages.pagesInUse()).isEqualTo(3); // 19 positions: ceil(19 / 7)
            for (; at < tokens.length; at++) {
                System.arraycopy(model.forward(paged, new int[]{tokens[at]}, false), 0, ours, at * V, V);
                System.arraycopy(model.forward(onePage, new int[]{tokens[at]}, false), 0, single, at * V, V);
            }
            assertThat(paged.allocatedPositions()).isEqualTo(49);
            assertThat(pages.pagesInUse()).isEqualTo(7);
            for (int t = 0; t < tokens.length; t++) { // the same arithmetic in the same order: equal, not close
                int first = Arrays.mismatch(Arrays.copyOfRange(ours, t * V, t * V + V), Arrays.copyOfRange(single, t * V, t * V + V));
                assertThat(first).as("position %d: paged logit %d differs from the one-page cache's", t, first).isEqualTo(-1);
            }

            float[][] ref;
            try (LlamaCpp.Model m = LlamaCpp.load(asset); LlamaCpp.Context ctx = m.newContext(tokens.length, true)) {
                ref = ctx.logitsAll(tokens);
            }
            for (int t = 0; t < tokens.length; t++) {
                double max = 0, diff = 0;
                for (int j = 0; j < V; j++) {
                    max = Math.max(max, Math.abs(ref[t][j]));
                    diff = Math.max(diff, Math.abs(ours[t * V + j] - ref[t][j]));
                }
                assertThat(diff).as("position %d: max |ours (paged) - llama.cpp|", t).isLessThanOrEqualTo(1e-4 * Math.max(1, max));
            }

            // a copy (a shared prompt) into a cache of another page size, then rewinds that give pages back
            KvCache copy = new KvCache(config, 64, new KvPages(config, KvCache.Type.F32, 5, 0));
            copy.copyFrom(paged);
            float[] next = model.forward(copy, new int[]{3}, false);
            assertThat(Arrays.mismatch(next, model.forward(paged, new int[]{3}, false))).isEqualTo(-1);
            paged.truncate(14);
            assertThat(pages.pagesInUse()).isEqualTo(2);
            assertThat(pages.idlePages()).isEqualTo(2); // at most 2 kept for reuse, the rest dropped
            paged.truncate(0);
            assertThat(pages.pagesInUse()).isZero();
            assertThat(pages.peakPagesInUse()).isEqualTo(7);
            assertThat(pages.bytesPerPage()).isEqualTo(7L * config.numLayers() * 2 * config.kvDim() * 4);
        }
    }

    @Test
    void capacityIsALimitNotMemoryAndMisuseIsAClearError() throws Exception {
        try (GgufFile gguf = GgufFile.open(ProjectFiles.sharedAsset("llama-2-tiny-random.gguf"))) {
            ModelConfig config = ModelConfig.fromGguf(gguf);
            KvCache whole = new KvCache(config, config.contextLength()); // the whole context costs nothing up front
            assertThat(whole.capacity()).isEqualTo(config.contextLength());
            assertThat(whole.allocatedPositions()).isZero();
            assertThatThrownBy(() -> new KvPages(config, KvCache.Type.F32, 0, 0)).hasMessageContaining("page size");
            KvCache small = new KvCache(config, 3, new KvPages(config, KvCache.Type.F16, 2, 0));
            assertThat(small.type()).isEqualTo(KvCache.Type.F16);
            assertThatThrownBy(() -> small.reserve(4)).hasMessageContaining("capacity of 3");
        }
    }
}
