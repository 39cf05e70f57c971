package dev.slmops.model.generate.constrain;

import com.fasterxml.jackson.databind.ObjectMapper;

/** Rough timing of one mask step on Qwen3's vocabulary (the JMH benchmark is the figure of record). */
public final class MaskTiming {
    public static void main(String[] args) throws Exception {
        var qwen = ConstrainedDecodingTest.qwen3();
        long t0 = System.nanoTime();
        TokenVocabulary vocab = TokenVocabulary.of(qwen);
        System.out.printf("vocabulary: %d tokens walked, built in %.0f ms%n", vocab.walkedTokens(), (System.nanoTime() - t0) / 1e6);
        var schema = new ObjectMapper().readTree("{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},\"age\":{\"type\":\"integer\"},\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}},\"required\":[\"name\",\"age\",\"tags\"],\"additionalProperties\":false}");
        float[] logits = new float[vocab.vocabSize()];
        for (String prefix : new String[]{"", "{\"name\": \"", "{\"name\": \"Al", "{\"name\": \"Al\", \"age\": 4", "{\"name\": \"Al\", \"age\": 4, \"tags\": ["}) {
            var c = (GrammarConstraint) JsonConstraints.schema(schema).constraint(vocab);
            c.acceptText(prefix.getBytes());
            int n = 0;
            for (int i = 0; i < 30; i++) n = c.mask(logits, 0);
            long t = System.nanoTime();
            int reps = 50;
            for (int i = 0; i < reps; i++) n = c.mask(logits, 0);
            System.out.printf("after %-45s %7d allowed  %7.2f ms/step%n", "'" + prefix + "'", n, (System.nanoTime() - t) / 1e6 / reps);
        }
    }
}
