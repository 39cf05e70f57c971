package dev.slmops.testkit.llama;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static dev.slmops.testkit.llama.LlamaNative.CONTEXT_PARAMS;
import static dev.slmops.testkit.llama.LlamaNative.MODEL_PARAMS;
import static dev.slmops.testkit.llama.LlamaNative.QUANTIZE_PARAMS;
import static dev.slmops.testkit.llama.LlamaNative.getAddress;
import static dev.slmops.testkit.llama.LlamaNative.getBool;
import static dev.slmops.testkit.llama.LlamaNative.getFloat;
import static dev.slmops.testkit.llama.LlamaNative.getInt;
import static dev.slmops.testkit.llama.LlamaNative.getLong;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The struct layouts match the binary: the defaults that llama.cpp's {@code llama_*_default_params()} return
 * by value, read through our layouts, equal the values written in that release's source
 * (src/llama-model.cpp, src/llama-context.cpp, src/llama-quant.cpp of node-llama-cpp's llama.cpp v0.4.0).
 * A field shifted by one slot reads a neighbour's value and fails here.
 */
class LlamaNativeTest {
    @Test
    void layoutSizesMatchTheHeader() {
        assertThat(MODEL_PARAMS.byteSize()).isEqualTo(80);
        assertThat(CONTEXT_PARAMS.byteSize()).isEqualTo(160);
        assertThat(LlamaNative.BATCH.byteSize()).isEqualTo(56);
        assertThat(QUANTIZE_PARAMS.byteSize()).isEqualTo(64);
        assertThat(LlamaNative.THREADPOOL_PARAMS.byteSize()).isEqualTo(528);
    }

    /** ggml.c's ggml_threadpool_params_init: memset 0, then n_threads, prio 0, poll 50, strict_cpu and paused false. */
    @Test
    void threadpoolParamsInitFillsOurLayoutAsGgmlCSays() {
        LlamaNative n = LlamaCpp.lib();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = arena.allocate(LlamaNative.THREADPOOL_PARAMS);
            p.fill((byte) 0x5a);
            n.threadpoolParamsInit.invokeExact(p, 3);
            var tp = LlamaNative.THREADPOOL_PARAMS;
            for (int i = 0; i < LlamaNative.GGML_MAX_N_THREADS; i++) {
                assertThat(p.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i)).as("cpumask[%d]", i).isZero();
            }
            assertThat(getInt(p, tp, "n_threads")).isEqualTo(3);
            assertThat(getInt(p, tp, "prio")).isZero();
            assertThat(getInt(p, tp, "poll")).isEqualTo(50);
            assertThat(getBool(p, tp, "strict_cpu")).isFalse();
            assertThat(getBool(p, tp, "paused")).isFalse();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    @Test
    void modelDefaultParamsRoundTripThroughOurLayout() {
        LlamaNative n = LlamaCpp.lib();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = LlamaCpp.modelDefaultParams(n, arena);
            assertThat(p.byteSize()).isEqualTo(80);
            assertThat(getAddress(p, MODEL_PARAMS, "devices")).isEqualTo(MemorySegment.NULL);
            assertThat(getAddress(p, MODEL_PARAMS, "tensor_buft_overrides")).isEqualTo(MemorySegment.NULL);
            assertThat(getInt(p, MODEL_PARAMS, "n_gpu_layers")).isEqualTo(-1);
            assertThat(getInt(p, MODEL_PARAMS, "split_mode")).isEqualTo(1);  // LLAMA_SPLIT_MODE_LAYER
            assertThat(getInt(p, MODEL_PARAMS, "load_mode")).isEqualTo(-1);  // LLAMA_LOAD_MODE_AUTO
            assertThat(getInt(p, MODEL_PARAMS, "lazy_mode")).isEqualTo(1);   // LLAMA_LAZY_MODE_AUTO
            assertThat(getInt(p, MODEL_PARAMS, "main_gpu")).isZero();
            assertThat(getAddress(p, MODEL_PARAMS, "tensor_split")).isEqualTo(MemorySegment.NULL);
            assertThat(getAddress(p, MODEL_PARAMS, "progress_callback")).isEqualTo(MemorySegment.NULL);
            assertThat(getAddress(p, MODEL_PARAMS, "kv_overrides")).isEqualTo(MemorySegment.NULL);
            assertThat(getBool(p, MODEL_PARAMS, "vocab_only")).isFalse();
            assertThat(getBool(p, MODEL_PARAMS, "check_tensors")).isFalse();
            assertThat(getBool(p, MODEL_PARAMS, "use_extra_bufts")).isTrue();
            assertThat(getBool(p, MODEL_PARAMS, "no_host")).isFalse();
            assertThat(getBool(p, MODEL_PARAMS, "no_alloc")).isFalse();
            assertThat(getBool(p, MODEL_PARAMS, "load_mtp")).isFalse();
        }
    }

    @Test
    void contextDefaultParamsRoundTripThroughOurLayout() {
        LlamaNative n = LlamaCpp.lib();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = LlamaCpp.contextDefaultParams(n, arena);
            assertThat(getInt(p, CONTEXT_PARAMS, "n_ctx")).isEqualTo(512);
            assertThat(getInt(p, CONTEXT_PARAMS, "n_batch")).isEqualTo(2048);
            assertThat(getInt(p, CONTEXT_PARAMS, "n_ubatch")).isEqualTo(512);
            assertThat(getInt(p, CONTEXT_PARAMS, "n_seq_max")).isEqualTo(1);
            assertThat(getInt(p, CONTEXT_PARAMS, "n_rs_seq")).isZero();
            assertThat(getInt(p, CONTEXT_PARAMS, "n_outputs_max")).isZero();
            assertThat(getInt(p, CONTEXT_PARAMS, "n_outputs_max_per_seq")).isEqualTo(1);
            assertThat(getInt(p, CONTEXT_PARAMS, "n_threads")).isEqualTo(4);   // GGML_DEFAULT_N_THREADS
            assertThat(getInt(p, CONTEXT_PARAMS, "n_threads_batch")).isEqualTo(4);
            assertThat(getInt(p, CONTEXT_PARAMS, "ctx_type")).isZero();
            assertThat(getInt(p, CONTEXT_PARAMS, "rope_scaling_type")).isEqualTo(-1);
            assertThat(getInt(p, CONTEXT_PARAMS, "pooling_type")).isEqualTo(-1);
            assertThat(getInt(p, CONTEXT_PARAMS, "attention_type")).isEqualTo(-1);
            assertThat(getInt(p, CONTEXT_PARAMS, "flash_attn_type")).isEqualTo(-1);
            assertThat(getFloat(p, CONTEXT_PARAMS, "rope_freq_base")).isZero();
            assertThat(getFloat(p, CONTEXT_PARAMS, "rope_freq_scale")).isZero();
            assertThat(getFloat(p, CONTEXT_PARAMS, "yarn_ext_factor")).isEqualTo(-1f);
            assertThat(getFloat(p, CONTEXT_PARAMS, "yarn_attn_factor")).isEqualTo(-1f);
            assertThat(getFloat(p, CONTEXT_PARAMS, "yarn_beta_fast")).isEqualTo(-1f);
            assertThat(getFloat(p, CONTEXT_PARAMS, "yarn_beta_slow")).isEqualTo(-1f);
            assertThat(getInt(p, CONTEXT_PARAMS, "yarn_orig_ctx")).isZero();
            assertThat(getFloat(p, CONTEXT_PARAMS, "defrag_thold")).isEqualTo(-1f);
            assertThat(getAddress(p, CONTEXT_PARAMS, "cb_eval")).isEqualTo(MemorySegment.NULL);
            assertThat(getInt(p, CONTEXT_PARAMS, "type_k")).isEqualTo(1);      // GGML_TYPE_F16
            assertThat(getInt(p, CONTEXT_PARAMS, "type_v")).isEqualTo(1);
            assertThat(getAddress(p, CONTEXT_PARAMS, "abort_callback")).isEqualTo(MemorySegment.NULL);
            assertThat(getBool(p, CONTEXT_PARAMS, "embeddings")).isFalse();
            assertThat(getBool(p, CONTEXT_PARAMS, "offload_kqv")).isTrue();
            assertThat(getBool(p, CONTEXT_PARAMS, "no_perf")).isTrue();
            assertThat(getBool(p, CONTEXT_PARAMS, "op_offload")).isTrue();
            assertThat(getBool(p, CONTEXT_PARAMS, "swa_full")).isTrue();
            assertThat(getBool(p, CONTEXT_PARAMS, "kv_unified")).isFalse();
            assertThat(getAddress(p, CONTEXT_PARAMS, "samplers")).isEqualTo(MemorySegment.NULL);
            assertThat(getLong(p, CONTEXT_PARAMS, "n_samplers")).isZero();
            assertThat(getAddress(p, CONTEXT_PARAMS, "ctx_other")).isEqualTo(MemorySegment.NULL);
        }
    }

    @Test
    void quantizeDefaultParamsRoundTripThroughOurLayout() {
        LlamaNative n = LlamaCpp.lib();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = LlamaCpp.quantizeDefaultParams(n, arena);
            assertThat(getInt(p, QUANTIZE_PARAMS, "nthread")).isZero();
            assertThat(getInt(p, QUANTIZE_PARAMS, "ftype")).isEqualTo(7);                  // MOSTLY_Q8_0
            assertThat(getInt(p, QUANTIZE_PARAMS, "output_tensor_type")).isEqualTo(43);    // GGML_TYPE_COUNT
            assertThat(getInt(p, QUANTIZE_PARAMS, "token_embedding_type")).isEqualTo(43);
            assertThat(getBool(p, QUANTIZE_PARAMS, "allow_requantize")).isFalse();
            assertThat(getBool(p, QUANTIZE_PARAMS, "quantize_output_tensor")).isTrue();
            assertThat(getBool(p, QUANTIZE_PARAMS, "only_copy")).isFalse();
            assertThat(getBool(p, QUANTIZE_PARAMS, "pure")).isFalse();
            assertThat(getBool(p, QUANTIZE_PARAMS, "keep_split")).isFalse();
            assertThat(getBool(p, QUANTIZE_PARAMS, "dry_run")).isFalse();
            assertThat(getAddress(p, QUANTIZE_PARAMS, "imatrix")).isEqualTo(MemorySegment.NULL);
            assertThat(getAddress(p, QUANTIZE_PARAMS, "prune_layers")).isEqualTo(MemorySegment.NULL);
            assertThat(getLong(p, QUANTIZE_PARAMS, "max_buf_size")).isEqualTo(8L << 30); // LLAMA_QUANT_MAX_BUF_SIZE
        }
    }
}
