package dev.slmops.serve.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.slmops.model.chat.ChatMessage;
import dev.slmops.model.chat.ChatTemplate;
import dev.slmops.model.chat.RenderOptions;
import dev.slmops.model.chat.ToolCall;
import dev.slmops.model.chat.ToolCallFormat;
import dev.slmops.model.chat.ToolCallParser;
import dev.slmops.model.chat.ToolCallStream;
import dev.slmops.model.chat.ToolChoice;
import dev.slmops.model.chat.ToolInstructions;
import dev.slmops.model.generate.constrain.JsonConstraints;
import dev.slmops.model.generate.constrain.ToolCallConstraints;
import dev.slmops.model.generate.constrain.TokenVocabulary;
import dev.slmops.model.generate.Generator.FinishReason;
import dev.slmops.model.generate.SamplingParams;
import dev.slmops.model.generate.TokenLogprobs;
import dev.slmops.model.lora.LoraAdapter;
import dev.slmops.model.tokenizer.Tokenizer;
import dev.slmops.serve.models.ModelManager;
import dev.slmops.serve.models.ServedModel;
import dev.slmops.serve.scheduler.Sequence;
import dev.slmops.serve.scheduler.TokenConstraint;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.WeakHashMap;
import java.util.function.Supplier;

/**
 * POST /v1/chat/completions and /v1/completions: a parsed request becomes n {@link Sequence}s on the model's
 * scheduler; their events become one JSON response or a stream of server-sent events in OpenAI's shapes.
 */
public final class Generations {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Where the response goes: a JSON body, or an event stream opened on the first event. */
    public interface Response {
        void json(int status, JsonNode body);

        /** Starts a text/event-stream response; the stream is flushed after each event written to it. */
        OutputStream openEventStream() throws IOException;

        /**
         * Whether the client has closed its connection while a non-streamed reply is being computed (a streamed
         * reply learns it from a failed write). Called every {@link #CLIENT_PROBE_MILLIS} while collecting.
         */
        default boolean clientGone() {
            return false;
        }
    }

    /** How often a request checks that its client is still connected while no token comes. */
    static final long CLIENT_PROBE_MILLIS = 50;
    /** How often a stream with nothing to say writes an SSE comment, so that proxies keep it open. */
    static final long KEEP_ALIVE_MILLIS = 15_000;

    private final ModelManager models;
    private final Map<Tokenizer, Map<ToolCallFormat, TokenVocabulary>> toolVocabularies = new WeakHashMap<>();
    private final GenerationRequest.Limits limits;
    private final ResponseFormats.Provider formats;

    public Generations(ModelManager models, GenerationRequest.Limits limits, ResponseFormats.Provider formats) {
        this.models = models;
        this.limits = limits;
        this.formats = formats;
    }

    public void chat(JsonNode body, Response out) throws IOException, InterruptedException {
        run(body, true, out);
    }

    public void completion(JsonNode body, Response out) throws IOException, InterruptedException {
        run(body, false, out);
    }

    private void run(JsonNode body, boolean chat, Response out) throws IOException, InterruptedException {
        GenerationRequest req = GenerationRequest.parse(body, chat, limits);
        List<ChatMessage> messages = chat ? ChatMessages.parse(body.get("messages")) : null;
        String promptText = chat ? null : promptText(body.get("prompt"));
        int[] promptIds = chat ? null : promptIds(body.get("prompt"));
        List<Map<String, Object>> tools = chat ? tools(req.tools()) : null;

        String requested = req.adapter() == null ? req.model()
                : (req.model() == null ? models.defaultModel() : req.model()) + ":" + req.adapter();
        ServedModel served = models.acquire(requested);
        try {
            LoraAdapter adapter = models.adapter(served, requested);
            Tokenizer tok = served.model().tokenizer();
            Supplier<TokenConstraint> constraint = ResponseFormats.parse(req.responseFormat(), formats, tok);
            ToolCallFormat toolFormat = null; // set when the reply may hold tool calls to parse
            if (tools != null) {
                ToolChoice choice;
                try {
                    choice = ToolChoice.parse(req.toolChoice() == null ? null : JSON.convertValue(req.toolChoice(), Object.class),
                            tools);
                } catch (IllegalArgumentException e) {
                    throw ApiError.invalid("tool_choice", e.getMessage());
                }
                if (!(choice instanceof ToolChoice.None)) {
                    ToolCallFormat format = ToolCallFormat.detect(served.model().chatTemplate());
                    toolFormat = format;
                    Optional<JsonConstraints.JsonGrammar> forced;
                    try {
                        forced = ToolCallConstraints.grammar(tools, choice, format);
                    } catch (IllegalArgumentException e) {
                        throw ApiError.invalid("tools", "invalid tool definition: " + e.getMessage());
                    }
                    if (forced.isPresent()) { // "required" or a named function: the reply can only be a valid call
                        TokenVocabulary vocab = toolVocabulary(tok, format);
                        JsonConstraints.JsonGrammar g = forced.get();
                        constraint = () -> JsonResponseFormats.adapt(g.constraint(vocab));
                    }
                }
            }
            int[] prompt;
            if (chat) {
                RenderOptions ro = RenderOptions.forGeneration();
                if (tools != null) ro = ro.withTools(tools);
                ChatTemplate template = served.model().chatTemplate();
                String text;
                try {
                    text = template.render(messages, ro);
                    if (toolFormat != null && !ToolInstructions.templateRendersTools(template, messages, text)) {
                        // the template would drop the tools: tell the model about them in a system message (or, if
                        // the template takes no system role, in front of the first user message)
                        try {
                            text = template.render(ToolInstructions.withInstructions(messages, tools, toolFormat, false), ro);
                        } catch (IllegalArgumentException noSystemRole) {
                            text = template.render(ToolInstructions.withInstructions(messages, tools, toolFormat, true), ro);
                        }
                    }
                } catch (IllegalArgumentException e) {
                    throw ApiError.invalid("messages", "the model's chat template rejected the messages: " + e.getMessage());
                }
                prompt = tok.encode(text, false);
            } else if (promptIds != null) {
                prompt = promptIds;
                for (int id : prompt) {
                    if (id < 0 || id >= served.scheduler().vocabSize()) {
                        throw ApiError.invalid("prompt", "token id " + id + " is outside the vocabulary [0, "
                                + served.scheduler().vocabSize() + ")");
                    }
                }
                promptText = tok.decode(prompt, false);
            } else {
                prompt = tok.encode(promptText, true);
            }
            if (prompt.length == 0) throw ApiError.invalid(chat ? "messages" : "prompt", "the prompt is empty");
            int ctx = served.scheduler().contextLength();
            int maxTokens;
            if (req.maxTokens() != null) {
                maxTokens = req.maxTokens();
                if (prompt.length + maxTokens > ctx) throw ApiError.contextExceeded(prompt.length + maxTokens, ctx);
            } else {
                if (prompt.length >= ctx) throw ApiError.contextExceeded(prompt.length + 1, ctx);
                maxTokens = Math.min(limits.maxTokensCap(), ctx - prompt.length);
            }
            SamplingParams base;
            try {
                base = req.sampling().maxTokens(maxTokens).build();
            } catch (IllegalArgumentException e) {
                throw ApiError.invalid(null, e.getMessage());
            }
            RequestEvents events = new RequestEvents();
            List<Sequence> seqs = new ArrayList<>(req.n());
            for (int i = 0; i < req.n(); i++) {
                SamplingParams p = base.toBuilder().seed(base.seed() + i).build();
                try {
                    seqs.add(new Sequence(prompt, p, req.echo() && req.topLogprobs() >= 0,
                            constraint == null ? null : constraint.get(), adapter, served.scheduler().vocabSize(),
                            events.forSequence(i)));
                } catch (IllegalArgumentException e) {
                    throw ApiError.invalid(e.getMessage().startsWith("logit_bias") ? "logit_bias" : null, e.getMessage());
                }
            }
            for (int i = 1; i < seqs.size(); i++) seqs.get(i).sharePrefillOf(seqs.get(0)); // prefill once for n
            // Phi-4's, Mistral's and Llama 3's call markers are special tokens: the parsers must see them
            if (toolFormat != null) for (Sequence s : seqs) s.keepSpecialTokenText();
            served.scheduler().submit(seqs);
            Output o = new Output(chat, req, requested == null ? served.name() : requested, promptText, prompt, tok,
                    toolFormat);
            if (req.stream()) o.stream(events, seqs, out);
            else o.collect(events, seqs, out);
        } finally {
            served.release();
        }
    }

    /** The vocabulary walk for forced tool calls, once per tokenizer and format (it is costly to build). */
    private TokenVocabulary toolVocabulary(Tokenizer tok, ToolCallFormat format) {
        synchronized (toolVocabularies) {
            return toolVocabularies.computeIfAbsent(tok, t -> new java.util.EnumMap<>(ToolCallFormat.class))
                    .computeIfAbsent(format, f -> ToolCallConstraints.vocabulary(tok, f));
        }
    }

    private static String promptText(JsonNode p) {
        if (p == null || p.isNull()) throw ApiError.invalid("prompt", "'prompt' is required");
        if (p.isTextual()) return p.asText();
        if (p.isArray() && p.size() == 1 && p.get(0).isTextual()) return p.get(0).asText();
        if (p.isArray() && !p.isEmpty() && p.get(0).isIntegralNumber()) return null; // token ids
        throw ApiError.invalid("prompt", "'prompt' must be a string, an array of one string, or an array of token ids"
                + " (one prompt per request)");
    }

    private static int[] promptIds(JsonNode p) {
        if (p == null || !p.isArray() || p.isEmpty() || !p.get(0).isNumber()) return null;
        int[] ids = new int[p.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode e = p.get(i);
            if (!e.isIntegralNumber() || !e.canConvertToInt()) {
                throw ApiError.invalid("prompt", "prompt token ids must be integers, got " + e);
            }
            ids[i] = e.asInt();
        }
        return ids;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> tools(JsonNode tools) {
        if (tools == null) return null;
        if (!tools.isArray()) throw ApiError.invalid("tools", "'tools' must be an array of function definitions");
        for (JsonNode t : tools) {
            if (!"function".equals(t.path("type").asText()) || !t.path("function").path("name").isTextual()) {
                throw ApiError.invalid("tools", "each tool must be {\"type\": \"function\", \"function\": {\"name\": ...}}");
            }
        }
        return tools.isEmpty() ? null : JSON.convertValue(tools, List.class);
    }

    /** Builds the response from the events (one instance per request). */
    private static final class Output {
        final boolean chat;
        final GenerationRequest req;
        final String model;
        final String promptText;
        final int promptTokens;
        final int[] promptIds;
        final Tokenizer tok;
        final ToolCallFormat toolFormat; // null: the reply is plain content
        final String id;
        final long created = System.currentTimeMillis() / 1000;

        Output(boolean chat, GenerationRequest req, String model, String promptText, int[] promptIds, Tokenizer tok,
               ToolCallFormat toolFormat) {
            this.chat = chat;
            this.req = req;
            this.model = model;
            this.promptText = promptText;
            this.promptTokens = promptIds.length;
            this.promptIds = promptIds;
            this.tok = tok;
            this.toolFormat = toolFormat;
            this.id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
        }

        void collect(RequestEvents events, List<Sequence> seqs, Response out) throws InterruptedException {
            int n = seqs.size();
            StringBuilder[] text = new StringBuilder[n];
            List<List<TokenLogprobs>> lps = new ArrayList<>();
            List<List<TokenLogprobs>> promptLps = new ArrayList<>();
            String[] finish = new String[n];
            int completionTokens = 0, done = 0;
            for (int i = 0; i < n; i++) {
                text[i] = new StringBuilder();
                lps.add(new ArrayList<>());
                promptLps.add(null);
            }
            long nextProbe = System.nanoTime() + CLIENT_PROBE_MILLIS * 1_000_000;
            try {
                while (done < n) {
                    RequestEvents.Event e = events.next(CLIENT_PROBE_MILLIS);
                    if (System.nanoTime() - nextProbe >= 0) {
                        nextProbe = System.nanoTime() + CLIENT_PROBE_MILLIS * 1_000_000;
                        if (out.clientGone()) { // nobody will read the reply: stop generating it (cancelled below)
                            throw new ApiError(499, "invalid_request_error", "client_closed_request", null,
                                    "the client closed the connection before the reply was ready");
                        }
                    }
                    if (e == null) continue;
                    switch (e) {
                        case RequestEvents.PromptScored p -> promptLps.set(p.index(), p.logprobs());
                        case RequestEvents.Token t -> {
                            text[t.index()].append(t.text());
                            if (t.logprobs() != null) lps.get(t.index()).add(t.logprobs());
                        }
                        case RequestEvents.Finished f -> {
                            finish[f.index()] = finishReason(f.reason());
                            completionTokens += f.completionTokens();
                            done++;
                        }
                        case RequestEvents.Failed f -> throw f.error();
                    }
                }
            } catch (InterruptedException | RuntimeException e) {
                for (Sequence s : seqs) s.cancel();
                throw e;
            }
            ObjectNode body = header(chat ? "chat.completion" : "text_completion");
            ArrayNode choices = body.putArray("choices");
            for (int i = 0; i < n; i++) {
                ObjectNode c = choices.addObject();
                c.put("index", i);
                if (chat) {
                    ObjectNode msg = c.putObject("message");
                    msg.put("role", "assistant");
                    ToolCallParser.Parsed parsed = toolFormat == null ? null : ToolCallParser.parse(text[i].toString(), toolFormat);
                    if (parsed != null && parsed.hasToolCalls()) {
                        if (parsed.content() == null || parsed.content().isBlank()) msg.putNull("content");
                        else msg.put("content", parsed.content());
                        msg.set("tool_calls", toolCalls(parsed.toolCalls(), false));
                        finish[i] = "tool_calls";
                    } else {
                        msg.put("content", text[i].toString());
                    }
                    msg.putNull("refusal");
                    if (req.topLogprobs() >= 0) c.set("logprobs", chatLogprobs(lps.get(i)));
                    else c.putNull("logprobs");
                } else {
                    c.put("text", (req.echo() ? promptText : "") + text[i]);
                    if (req.topLogprobs() >= 0) c.set("logprobs", completionLogprobs(promptLps.get(i), lps.get(i), new int[1]));
                    else c.putNull("logprobs");
                }
                c.put("finish_reason", finish[i]);
            }
            body.set("usage", usage(completionTokens));
            out.json(200, body);
        }

        void stream(RequestEvents events, List<Sequence> seqs, Response out) throws IOException, InterruptedException {
            int n = seqs.size();
            boolean[] started = new boolean[n];
            ToolCallStream[] calls = new ToolCallStream[n]; // per choice when the reply may hold tool calls
            if (toolFormat != null) for (int i = 0; i < n; i++) calls[i] = new ToolCallStream(toolFormat);
            int completionTokens = 0, done = 0;
            OutputStream os = null;
            try {
                os = out.openEventStream();
                if (!chat && req.echo() && req.topLogprobs() < 0) { // echo without scores: the prompt comes first
                    for (int i = 0; i < n; i++) send(os, chunk(i, null, promptText, null));
                }
                if (chat) { // the first chunk of each choice carries the role
                    for (int i = 0; i < n; i++) {
                        ObjectNode delta = JSON.createObjectNode().put("role", "assistant").put("content", "");
                        send(os, chunk(i, delta, null, null));
                        started[i] = true;
                    }
                }
                int[][] textOffset = new int[n][1]; // per choice: where its next token starts in the whole text
                long keepAliveAt = System.nanoTime() + KEEP_ALIVE_MILLIS * 1_000_000;
                while (done < n) {
                    RequestEvents.Event e = events.next(CLIENT_PROBE_MILLIS);
                    if (e == null) { // queued, or waiting for its prefill: probe the client, as a write would fail
                        if (out.clientGone()) throw new IOException("the client closed the connection");
                        if (System.nanoTime() - keepAliveAt >= 0) {
                            keepAliveAt = System.nanoTime() + KEEP_ALIVE_MILLIS * 1_000_000;
                            os.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
                            os.flush();
                        }
                        continue;
                    }
                    switch (e) {
                        case RequestEvents.PromptScored p -> {
                            if (!chat && req.echo()) {
                                send(os, chunk(p.index(), null, promptText, completionLogprobs(p.logprobs(), List.of(),
                                        textOffset[p.index()])));
                            }
                        }
                        case RequestEvents.Token t -> {
                            if (toolFormat != null) { // content and call deltas as the parser makes them certain
                                for (ToolCallStream.Delta d : calls[t.index()].feed(t.text())) send(os, toolDelta(t.index(), d));
                                continue;
                            }
                            if (t.text().isEmpty() && t.logprobs() == null) continue;
                            JsonNode lp = t.logprobs() == null ? null : chat ? chatLogprobs(List.of(t.logprobs()))
                                    : completionLogprobs(null, List.of(t.logprobs()), textOffset[t.index()]);
                            if (chat) {
                                send(os, chunk(t.index(), JSON.createObjectNode().put("content", t.text()), null, lp));
                            } else {
                                send(os, chunk(t.index(), null, t.text(), lp));
                            }
                        }
                        case RequestEvents.Finished f -> {
                            done++;
                            completionTokens += f.completionTokens();
                            String reason = finishReason(f.reason());
                            if (toolFormat != null) {
                                ToolCallStream p = calls[f.index()];
                                for (ToolCallStream.Delta d : p.finish()) send(os, toolDelta(f.index(), d));
                                if (p.hasToolCalls()) reason = "tool_calls";
                            }
                            ObjectNode c = chunk(f.index(), chat ? JSON.createObjectNode() : null, chat ? null : "", null);
                            ((ObjectNode) c.get("choices").get(0)).put("finish_reason", reason);
                            send(os, c);
                        }
                        case RequestEvents.Failed f -> {
                            send(os, f.error().toJson()); // the status line is already sent: report in-band
                            done = n;
                        }
                    }
                }
                if (req.includeUsage()) {
                    ObjectNode u = header(chat ? "chat.completion.chunk" : "text_completion");
                    u.putArray("choices");
                    u.set("usage", usage(completionTokens));
                    send(os, u);
                }
                os.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
                os.flush();
            } catch (IOException | InterruptedException | RuntimeException e) {
                for (Sequence s : seqs) s.cancel(); // the client went away: stop generating for it
                throw e;
            }
        }

        /**
         * One streamed delta of a reply that may call tools, in OpenAI's chunk shapes: {@code {content}}; a call's
         * first {@code {tool_calls: [{index, id, type, function: {name, arguments: ""}}]}}; then
         * {@code {tool_calls: [{index, function: {arguments: fragment}}]}} (what openai-java's accumulator and
         * LangChain4j's streaming model concatenate).
         */
        private ObjectNode toolDelta(int choice, ToolCallStream.Delta d) {
            ObjectNode delta = JSON.createObjectNode();
            switch (d) {
                case ToolCallStream.Content c -> delta.put("content", c.text());
                case ToolCallStream.CallStart c -> {
                    ObjectNode call = delta.putArray("tool_calls").addObject();
                    call.put("index", c.index()).put("id", c.id()).put("type", "function");
                    call.putObject("function").put("name", c.name()).put("arguments", "");
                }
                case ToolCallStream.Arguments a -> {
                    ObjectNode call = delta.putArray("tool_calls").addObject();
                    call.put("index", a.index());
                    call.putObject("function").put("arguments", a.fragment());
                }
            }
            return chunk(choice, delta, null, null);
        }

        /** OpenAI's tool_calls: [{(index,) id, type: "function", function: {name, arguments}}]. */
        private static ArrayNode toolCalls(List<ToolCall> calls, boolean withIndex) {
            ArrayNode out = JSON.createArrayNode();
            for (int k = 0; k < calls.size(); k++) {
                ToolCall call = calls.get(k);
                ObjectNode o = out.addObject();
                if (withIndex) o.put("index", k);
                o.put("id", call.id() != null ? call.id() : "call_" + UUID.randomUUID().toString().replace("-", "").substring(0, 24));
                o.put("type", "function");
                o.putObject("function").put("name", call.name()).put("arguments", call.argumentsJson());
            }
            return out;
        }

        private ObjectNode chunk(int index, ObjectNode delta, String text, JsonNode logprobs) {
            ObjectNode c = header(chat ? "chat.completion.chunk" : "text_completion");
            ObjectNode choice = c.putArray("choices").addObject();
            choice.put("index", index);
            if (chat) choice.set("delta", delta);
            else choice.put("text", text);
            if (logprobs == null) choice.putNull("logprobs");
            else choice.set("logprobs", logprobs);
            choice.putNull("finish_reason");
            if (req.includeUsage()) c.putNull("usage");
            return c;
        }

        private static void send(OutputStream os, JsonNode event) throws IOException {
            os.write(("data: " + JSON.writeValueAsString(event) + "\n\n").getBytes(StandardCharsets.UTF_8));
            os.flush();
        }

        private ObjectNode header(String object) {
            ObjectNode o = JSON.createObjectNode();
            o.put("id", id);
            o.put("object", object);
            o.put("created", created);
            o.put("model", model);
            o.put("system_fingerprint", "slmops");
            return o;
        }

        private ObjectNode usage(int completionTokens) {
            ObjectNode u = JSON.createObjectNode();
            u.put("prompt_tokens", promptTokens);
            u.put("completion_tokens", completionTokens);
            u.put("total_tokens", promptTokens + completionTokens);
            return u;
        }

        private String tokenText(int id) {
            return tok.decode(new int[]{id}, false);
        }

        /** Chat shape: {content: [{token, logprob, bytes, top_logprobs: [{token, logprob, bytes}]}]}. */
        private ObjectNode chatLogprobs(List<TokenLogprobs> lps) {
            ObjectNode o = JSON.createObjectNode();
            ArrayNode content = o.putArray("content");
            for (TokenLogprobs lp : lps) {
                ObjectNode e = content.addObject();
                entry(e, lp.token(), lp.logprob());
                ArrayNode top = e.putArray("top_logprobs");
                for (int k = 0; k < lp.topTokens().length; k++) entry(top.addObject(), lp.topTokens()[k], lp.topLogprobs()[k]);
            }
            o.putNull("refusal");
            return o;
        }

        private void entry(ObjectNode e, int token, float logprob) {
            String s = tokenText(token);
            e.put("token", s);
            e.put("logprob", logprob);
            ArrayNode bytes = e.putArray("bytes");
            for (byte b : s.getBytes(StandardCharsets.UTF_8)) bytes.add(b & 0xff);
        }

        /**
         * Completions shape: {tokens, token_logprobs, top_logprobs: [{token: logprob}], text_offset}; with echo the
         * prompt's tokens come first, the very first with a null log-probability. text_offset counts from the start
         * of the choice's whole text: from {@code offsetHolder[0]}, which is left at the end of these tokens (a
         * stream's chunks continue where the last stopped).
         */
        private ObjectNode completionLogprobs(List<TokenLogprobs> prompt, List<TokenLogprobs> generated, int[] offsetHolder) {
            ObjectNode o = JSON.createObjectNode();
            ArrayNode tokens = o.putArray("tokens");
            ArrayNode tokenLps = o.putArray("token_logprobs");
            ArrayNode tops = o.putArray("top_logprobs");
            ArrayNode offsets = o.putArray("text_offset");
            int offset = offsetHolder[0];
            if (prompt != null && req.echo()) {
                // the first prompt token has no log-probability: it is conditioned on nothing
                String first = tokenText(promptIds[0]);
                tokens.add(first);
                tokenLps.addNull();
                tops.addNull();
                offsets.add(offset);
                offset += first.length();
            }
            List<TokenLogprobs> all = new ArrayList<>();
            if (prompt != null && req.echo()) all.addAll(prompt);
            all.addAll(generated);
            for (TokenLogprobs lp : all) {
                String s = tokenText(lp.token());
                tokens.add(s);
                tokenLps.add(lp.logprob());
                ObjectNode top = tops.addObject();
                for (int k = 0; k < lp.topTokens().length; k++) top.put(tokenText(lp.topTokens()[k]), lp.topLogprobs()[k]);
                offsets.add(offset);
                offset += s.length();
            }
            offsetHolder[0] = offset;
            return o;
        }

        private static String finishReason(FinishReason r) {
            return switch (r) {
                case STOP -> "stop";
                case LENGTH -> "length";
                case CANCELLED -> "cancelled";
            };
        }
    }
}
