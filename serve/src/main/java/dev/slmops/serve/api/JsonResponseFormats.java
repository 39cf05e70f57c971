package dev.slmops.serve.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.slmops.model.generate.constrain.JsonConstraints;
import dev.slmops.model.generate.constrain.SchemaException;
import dev.slmops.model.generate.constrain.TokenVocabulary;
import dev.slmops.model.tokenizer.Tokenizer;
import dev.slmops.serve.scheduler.TokenConstraint;

import java.util.Map;
import java.util.WeakHashMap;

/**
 * response_format json_object / json_schema enforced by the constrained-decoding library (model/generate/constrain):
 * the sampled tokens can only spell a prefix of valid output, streamed or not. A schema the library cannot compile
 * is a 400 naming where in the schema it failed.
 */
public final class JsonResponseFormats implements ResponseFormats.Provider {
    /** The vocabulary walk is built once per tokenizer (one per loaded model), not per request. */
    private final Map<Tokenizer, TokenVocabulary> vocabularies = new WeakHashMap<>();

    @Override
    public TokenConstraint create(JsonNode schemaOrNull, boolean strict, Tokenizer tokenizer) {
        JsonConstraints.JsonGrammar grammar;
        try {
            grammar = schemaOrNull == null ? JsonConstraints.anyObject() : JsonConstraints.schema(schemaOrNull);
        } catch (SchemaException e) {
            throw ApiError.invalid("response_format.json_schema.schema", "invalid or unsupported JSON schema at '"
                    + e.pointer() + "': " + e.reason());
        }
        TokenVocabulary vocab;
        synchronized (vocabularies) {
            vocab = vocabularies.computeIfAbsent(tokenizer, TokenVocabulary::of);
        }
        return adapt(grammar.constraint(vocab));
    }

    /** The library's constraint seen through the scheduler's interface (the same contract). */
    static TokenConstraint adapt(dev.slmops.model.generate.constrain.TokenConstraint c) {
        return new TokenConstraint() {
            @Override
            public int mask(float[] logits, int off) {
                return c.mask(logits, off);
            }

            @Override
            public void accept(int token) {
                c.accept(token);
            }

            @Override
            public boolean isComplete() {
                return c.isComplete();
            }

            @Override
            public boolean canContinue() {
                return c.canContinue();
            }
        };
    }
}
