package dev.slmops.workflows.eval;

import dev.slmops.model.engine.KvCache;
import dev.slmops.model.engine.Transformer;
import dev.slmops.model.load.LoadedModel;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs the windows of {@link EvalChunks} through a model, {@code batch / ctx} windows per forward call (each its
 * own sequence and KV cache, as llama-perplexity puts n_seq = n_batch / n_ctx sequences in one batch), and hands
 * each window's logits to a consumer in window order.
 */
final class ChunkRunner {
    /** Receives window {@code chunk}'s logits, [ctx, V] flattened, row p = prediction after position p. */
    interface ChunkConsumer {
        void accept(int chunk, float[] logits);
    }

    private ChunkRunner() {
    }

    static void run(LoadedModel model, EvalChunks chunks, int batch, ChunkConsumer consumer) {
        if (model.contextLength() < chunks.ctx()) {
            throw new IllegalArgumentException("the model was loaded with a context of " + model.contextLength()
                    + " tokens, the evaluation needs " + chunks.ctx());
        }
        // Every row's logits come back ([ctx, V] floats per window): with a large vocabulary (Qwen: 151,936) a batch
        // of four 512-token windows would hold 1.2 GB of them, so windows per call are capped at ~512 MiB of logits.
        long windowLogitBytes = 4L * chunks.ctx() * model.config().vocabSize();
        int nSeq = (int) Math.max(1, Math.min(batch / chunks.ctx(), (512L << 20) / windowLogitBytes));
        Transformer t = model.transformer();
        List<KvCache> caches = new ArrayList<>();
        for (int s = 0; s < Math.min(nSeq, chunks.chunks()); s++) caches.add(new KvCache(model.config(), chunks.ctx()));
        for (int c = 0; c < chunks.chunks(); c += nSeq) {
            int n = Math.min(nSeq, chunks.chunks() - c);
            List<Transformer.SequenceInput> inputs = new ArrayList<>(n);
            for (int s = 0; s < n; s++) {
                KvCache cache = caches.get(s);
                cache.truncate(0);
                inputs.add(new Transformer.SequenceInput(cache, chunks.input(c + s), true));
            }
            float[][] logits = t.forward(inputs);
            for (int s = 0; s < n; s++) consumer.accept(c + s, logits[s]);
        }
    }
}
