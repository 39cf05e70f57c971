package dev.slmops.model.engine;

import dev.slmops.model.lora.RowAdapters;

/**
 * The rows of one pass through the layers: T tokens of S sequences, each sequence's rows contiguous. Inference
 * gives every sequence its {@link KvCache} (the rows are a chunk appended to it); training and evaluation run whole
 * sequences with no cache (caches null: attention reads the batch's own K/V).
 *
 * @param pos      [T] each row's position in its sequence (RoPE)
 * @param seqStart [S + 1] sequence s is rows [seqStart[s], seqStart[s+1])
 * @param caches   [S] or null
 * @param adapters which LoRA adapter runs on which rows, or null
 * @param observer sees every matmul input (importance matrices), or null
 */
record Batch(int rows, int[] pos, int[] seqStart, KvCache[] caches, RowAdapters adapters,
             Transformer.MatmulInputObserver observer) {
    int sequences() {
        return seqStart.length - 1;
    }
}
