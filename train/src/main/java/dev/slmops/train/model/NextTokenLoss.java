package dev.slmops.train.model;

import dev.slmops.model.engine.Transformer;
import dev.slmops.model.lora.RowAdapters;
import dev.slmops.tensor.parallel.WorkerPool;
import dev.slmops.train.Example;
import dev.slmops.train.Loss;

import java.util.List;

/**
 * Next-token cross-entropy over a batch of examples, driven through the model's one {@link Transformer} (the same
 * architecture code inference runs): the examples' tokens as rows of whole sequences, the model's forward (keeping
 * what its backward needs), the chunked output projection + cross-entropy ({@link ChunkedCrossEntropy}), and the
 * model's backward from d loss / d hidden.
 *
 * <p>Legend: T rows (all examples' tokens together), D hidden.
 */
public final class NextTokenLoss {
    private final Transformer model;
    private final RowAdapters adapters; // the trained adapter on every row, or null
    private final WorkerPool pool;
    private boolean checkpointing;

    /** @param adapters the adapter being trained (its gradients and dropout), or null for full fine-tuning */
    public NextTokenLoss(Transformer model, RowAdapters adapters, WorkerPool pool) {
        this.model = model;
        this.adapters = adapters;
        this.pool = pool;
    }

    /** Recompute each layer's activations in the backward instead of keeping them (less memory, ~1/3 more work). */
    public void gradientCheckpointing(boolean on) {
        this.checkpointing = on;
    }

    /** The batch as rows: tokens, sequence boundaries, and the token each row predicts (-1: none). */
    private record Rows(int[] tokens, int[] seqStart, int[] target) {
    }

    private Rows rows(List<Example> batch) {
        int n = 0;
        for (Example e : batch) {
            if (e.tokens().length == 0) throw new IllegalArgumentException("a training example needs at least one token");
            n += e.tokens().length;
        }
        int[] tokens = new int[n], target = new int[n], seg = new int[batch.size() + 1];
        int r = 0;
        for (int s = 0; s < batch.size(); s++) {
            Example e = batch.get(s);
            seg[s] = r;
            for (int i = 0; i < e.tokens().length; i++, r++) {
                tokens[r] = e.tokens()[i];
                // row r predicts the next token of its sequence when that token is a target
                target[r] = i + 1 < e.tokens().length && e.lossOn()[i + 1] ? e.tokens()[i + 1] : -1;
            }
        }
        seg[batch.size()] = n;
        return new Rows(tokens, seg, target);
    }

    /** Forward only: the summed loss. */
    public Loss evaluate(List<Example> batch) {
        Rows rows = rows(batch);
        Transformer.Pass p = model.forward(rows.tokens(), rows.seqStart(), adapters, Transformer.Keep.NOTHING);
        return ChunkedCrossEntropy.forwardBackward(p.hidden(), rows.target(), model.output(),
                model.config().finalSoftcap(), null, pool);
    }

    /** Forward and backward: gradients of the summed loss accumulate into the trainable weights' gradient buffers. */
    public Loss forwardBackward(List<Example> batch) {
        Rows rows = rows(batch);
        Transformer.Pass p = model.forward(rows.tokens(), rows.seqStart(), adapters,
                checkpointing ? Transformer.Keep.LAYER_INPUTS : Transformer.Keep.ALL);
        float[] dh = new float[p.hidden().length];                       // loss = CE(h W_out^T): dh
        Loss loss = ChunkedCrossEntropy.forwardBackward(p.hidden(), rows.target(), model.output(),
                model.config().finalSoftcap(), dh, pool);
        model.backward(p, dh);
        return loss;
    }
}
