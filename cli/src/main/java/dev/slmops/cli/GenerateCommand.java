package dev.slmops.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.slmops.model.chat.ChatMessage;
import dev.slmops.model.generate.Generator;
import dev.slmops.model.generate.constrain.JsonConstraints;
import dev.slmops.model.generate.constrain.TokenConstraint;
import dev.slmops.model.generate.constrain.TokenVocabulary;
import dev.slmops.model.load.LoadedModel;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Continue a prompt, streaming the text as it is generated.",
                "--chat wraps the prompt in the model's chat template; -f reads the prompt from a file (- for stdin)."})
final class GenerateCommand implements Callable<Integer> {

    @Mixin
    RunOptions run;

    @ArgGroup(exclusive = true, multiplicity = "1")
    PromptSource source;

    /** The prompt: given inline, or read from a file as llama-cli's -f does. */
    static final class PromptSource {
        @Option(names = {"-p", "--prompt"}, required = true, description = "The prompt text.")
        String text;

        @Option(names = {"-f", "--file"}, required = true,
                description = "Read the prompt from this UTF-8 text file (- reads standard input to its end).")
        String file;

        /** The prompt; a missing or unreadable file is an IOException (one line and exit 2, as for any input file). */
        String read() throws IOException {
            if (text != null) return text;
            byte[] bytes = "-".equals(file) ? System.in.readAllBytes() : Files.readAllBytes(Path.of(file));
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                throw new IllegalArgumentException("the prompt file " + file + " is not UTF-8 text: convert it to UTF-8"
                        + " (e.g. iconv -t UTF-8) or pass the prompt with -p");
            }
        }
    }

    @Option(names = "--chat", description = "Wrap the prompt as a user message in the model's chat template.")
    boolean chat;

    @Option(names = {"-sys", "--system"},
            description = "A system message before the prompt (implies --chat), as llama-cli's -sys.")
    String system;

    @Option(names = "--stats", description = "Print timing statistics to stderr at the end.")
    boolean stats;

    @Mixin
    SamplingOptions sampling;

    @Option(names = {"-j", "--json-schema"}, paramLabel = "SCHEMA",
            description = "Constrain the output to JSON valid against this JSON Schema (inline JSON text), as"
                    + " llama-cli's -j; {} for any JSON object.")
    String jsonSchema;

    @Option(names = {"-jf", "--json-schema-file"}, paramLabel = "FILE",
            description = "The same, with the schema read from a file (llama-cli's -jf).")
    Path jsonSchemaFile;

    /** The structured-output grammar of -j or -jf (the server's json_schema), or null for free text. */
    private JsonConstraints.JsonGrammar jsonGrammar() throws IOException {
        if (jsonSchema != null && jsonSchemaFile != null) {
            throw new IllegalArgumentException("give the JSON schema inline (-j) or in a file (-jf), not both");
        }
        String text = jsonSchemaFile != null ? Files.readString(jsonSchemaFile) : jsonSchema;
        if (text == null) return null;
        JsonNode schema;
        try {
            schema = new ObjectMapper().readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the JSON schema" + (jsonSchemaFile != null ? " in " + jsonSchemaFile : "")
                    + " is not valid JSON: " + e.getOriginalMessage());
        }
        return schema.isObject() && schema.isEmpty() ? JsonConstraints.anyObject() : JsonConstraints.schema(schema);
    }

    @Override
    public Integer call() throws Exception {
        var params = sampling.toParams();
        String prompt = source.read();
        JsonConstraints.JsonGrammar grammar = jsonGrammar(); // bad input fails before the model loads
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        try (LoadedModel m = run.load()) {
            boolean templated = chat || system != null;
            if (templated && m.chatTemplate().isFallback()) {
                System.err.println("note: the model has no chat template; using the ChatML fallback");
            }
            String text = system != null
                    ? ChatPrompts.render(m, List.of(ChatMessage.system(system), ChatMessage.user(prompt)))
                    : chat ? ChatPrompts.userTurn(m, prompt) : prompt;
            int[] ids = m.tokenizer().encode(text, !templated);
            TokenConstraint constraint = grammar == null ? null : grammar.constraint(TokenVocabulary.of(m.tokenizer()));
            Generator.Result r = m.generator().generate(ids, params, m.newCache(), (piece, token, lp) -> {
                if (lp != null) {
                    out.printf(Locale.ROOT, "%s\t[%d logprob %.4f]%n", piece, token, lp.logprob());
                } else {
                    out.print(piece);
                }
                return true;
            }, constraint);
            out.println();
            if (stats) {
                System.err.printf(Locale.ROOT, "prompt %d tokens in %.1f ms (%.1f t/s); generated %d tokens, %.2f t/s; finish: %s%n",
                        r.promptTokens(), r.prefillNanos() / 1e6, r.promptTokens() * 1e9 / Math.max(1, r.prefillNanos()),
                        r.tokens().length, r.decodeTokensPerSecond(), r.finish().name().toLowerCase(Locale.ROOT));
            }
        }
        return 0;
    }
}
