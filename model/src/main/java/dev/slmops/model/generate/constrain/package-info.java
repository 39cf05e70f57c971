/**
 * Structured output by constrained decoding: the sampled tokens can only spell a valid output.
 *
 * <ul>
 *   <li>{@link dev.slmops.model.generate.constrain.JsonConstraints}: {@code anyObject()} (OpenAI's json_object) and
 *       {@code schema(JsonNode)} (json_schema; the subset is listed on {@code SchemaCompiler}; anything else is a
 *       {@link dev.slmops.model.generate.constrain.SchemaException}, an HTTP 400 naming the feature).</li>
 *   <li>{@link dev.slmops.model.generate.constrain.ToolCallConstraints}: tool_choice "required" or a named function
 *       as a grammar in the model's own tool-call format.</li>
 *   <li>{@link dev.slmops.model.generate.constrain.TokenConstraint}: what {@code Generator.generate(..., constraint)}
 *       calls each step; one per sequence.</li>
 *   <li>{@link dev.slmops.model.generate.constrain.TokenVocabulary}: the tokenizer's token bytes, sorted for a trie
 *       walk; build once per tokenizer ({@code of} caches it).</li>
 * </ul>
 *
 * <p>How a step works: the grammar (GrammarNode, compiled from the schema) runs in a pushdown recognizer over
 * bytes (Recognizer) whose states are persistent stacks; the mask walks the vocabulary in byte order, reusing the
 * state of each shared prefix and skipping every token under a dead prefix; inside a plain string, tokens of safe
 * whole characters are allowed without a walk. End-of-generation is allowed only when the output is complete, and
 * the generator stops by itself when nothing may follow. Measured on Qwen3's 151k vocabulary
 * ({@code scripts/bench-constrain.sh}): about 1 ms per step between JSON tokens, 2-3 ms inside strings, ~15 ms
 * inside a string with a {@code pattern}.
 *
 * <p>Limits, on purpose: properties are written in declaration order (as OpenAI does); at most 16 whitespace bytes
 * in a row; numbers of at most 16 integer and 16 fraction digits and 3 exponent digits; nesting depth 32.
 */
package dev.slmops.model.generate.constrain;
