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
        int nSeq = Math.max(1, batch / chunks.ctx());
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
